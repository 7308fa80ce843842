import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { z } from 'zod';
import { createBridge, type Plugin } from '@mcp-bridge/core';
import { createTestServer } from '@mcp-bridge/testing';
import { cache, type CachePolicyInput } from '../src/index.js';

const SERVERS = ['s0', 's1'] as const;
const TOOLS_PER_SERVER = 3;
const CALLERS = ['alice', 'bob', undefined] as const;

const toolConfig = fc.record({
  readOnly: fc.boolean(),
  /** Not enabled, enabled (private by default), or enabled and shared. */
  policy: fc.constantFrom<'off' | 'private' | 'shared'>('off', 'private', 'shared'),
});
const scenario = fc.record({
  servers: fc.tuple(
    ...SERVERS.map(() =>
      fc.record({ trusted: fc.boolean(), tools: fc.array(toolConfig, { minLength: TOOLS_PER_SERVER, maxLength: TOOLS_PER_SERVER }) }),
    ),
  ),
  calls: fc.array(
    fc.record({
      server: fc.integer({ min: 0, max: SERVERS.length - 1 }),
      tool: fc.integer({ min: 0, max: TOOLS_PER_SERVER - 1 }),
      caller: fc.constantFrom(...CALLERS),
      arg: fc.constantFrom('x', 'y'),
      /** Sent together with the previous call (so single-flight is exercised too). */
      concurrent: fc.boolean(),
    }),
    { minLength: 1, maxLength: 40 },
  ),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

const toolName = (server: number, tool: number): string => `${SERVERS[server]}_t${tool}`;

/** Every execution answers with a stamp no other execution ever gives: a repeated stamp was replayed by the cache. */
let executions = 0;

function servers(s: Scenario): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  SERVERS.forEach((name, i) => {
    const cfg = s.servers[i]!;
    out[name] = {
      type: 'in-memory',
      trusted: cfg.trusted,
      server: () => {
        const mcp = createTestServer({ name, tools: false, resources: false, prompts: false });
        cfg.tools.forEach((tool, t) => {
          mcp.registerTool(
            toolName(i, t),
            { inputSchema: { arg: z.string() }, annotations: { readOnlyHint: tool.readOnly } },
            async ({ arg }) => ({ content: [{ type: 'text', text: `${toolName(i, t)}:${arg}:${++executions}` }] }),
          );
        });
        return mcp;
      },
    };
  });
  return out;
}

function policies(s: Scenario): Record<string, CachePolicyInput> {
  const out: Record<string, CachePolicyInput> = {};
  s.servers.forEach((cfg, i) =>
    cfg.tools.forEach((tool, t) => {
      if (tool.policy === 'private') out[toolName(i, t)] = true;
      if (tool.policy === 'shared') out[toolName(i, t)] = { scope: 'shared' };
    }),
  );
  return out;
}

interface Seen {
  tool: string;
  caller: string | undefined;
  arg: string;
  stamp: string;
  cache: string | undefined;
}

/** Records what every caller got and how the cache answered, from the outermost phase. */
function recorder(seen: Seen[]): Plugin {
  return {
    name: 'recorder',
    version: '1.0.0',
    setup(api) {
      api.use({
        phase: 'observe',
        methods: ['tools/call'],
        async handle(ctx, next) {
          const result = await next();
          const text = (result.content[0] as { text: string }).text;
          seen.push({
            tool: String(ctx.params.name),
            caller: ctx.caller,
            arg: String((ctx.params.arguments as { arg: string }).arg),
            stamp: text,
            cache: ctx.state.cache,
          });
          return result;
        },
      });
    },
  };
}

describe('property: what the cache may answer', () => {
  it('never answers for tools that are not read-only, not trusted or not enabled; never across partitions or arguments', async () => {
    let replays = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const seen: Seen[] = [];
        const bridge = createBridge({
          servers: servers(s),
          plugins: [cache({ tools: policies(s) }), recorder(seen)],
          onError: () => undefined,
        });
        await bridge.start();
        try {
          let batch: Promise<unknown>[] = [];
          for (const call of s.calls) {
            if (!call.concurrent && batch.length > 0) {
              await Promise.all(batch);
              batch = [];
            }
            batch.push(
              bridge.callTool(
                toolName(call.server, call.tool),
                { arg: call.arg },
                call.caller === undefined ? {} : { caller: call.caller },
              ),
            );
          }
          await Promise.all(batch);
        } finally {
          await bridge.close();
        }
        expect(seen).toHaveLength(s.calls.length);

        const byStamp = new Map<string, Seen[]>();
        for (const r of seen) byStamp.set(r.stamp, [...(byStamp.get(r.stamp) ?? []), r]);
        for (const [stamp, uses] of byStamp) {
          const [server, tool] = [Number(stamp[1]), Number(stamp.split('_t')[1]![0])];
          const cfg = s.servers[server]!;
          const toolCfg = cfg.tools[tool]!;
          const cacheable = toolCfg.readOnly && cfg.trusted && toolCfg.policy !== 'off';
          if (!cacheable) {
            // Not cacheable: every call executed on its own, and the cache did not touch it.
            expect(uses).toHaveLength(1);
            expect(uses[0]!.cache).toBeUndefined();
            continue;
          }
          replays += uses.length - 1;
          // One execution's answer only ever went to calls with the same arguments...
          expect(new Set(uses.map((u) => u.arg)).size).toBe(1);
          // ... and, for a private tool, to one caller partition only.
          if (toolCfg.policy === 'private') expect(new Set(uses.map((u) => u.caller ?? '(anonymous)')).size).toBe(1);
        }
        return true;
      }),
      { numRuns: 60 },
    );
    // Replays did happen where allowed: the property is not vacuous.
    expect(replays).toBeGreaterThan(0);
  });
});
