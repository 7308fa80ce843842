import {
  McpServer,
  type JSONRPCMessage,
  type McpRequestContext,
  type McpServerFactory,
  type Transport,
} from '@modelcontextprotocol/server';
import { resumedFaultEngine } from '../fault/create-fault-server.js';
import { FaultLedger } from '../fault/fault-ledger.js';
import type { FaultPlan } from '../fault/fault-options.js';
import type { FaultCore } from '../fault/fault-transport.js';
import type { TestLedger } from '../ledger.js';
import { testResourceUris, type TestResourceUris } from '../resources.js';
import { resolveModernOptions, type ModernEra, type ModernTestServerOptions, type ResolvedModernOptions } from './modern-options.js';
import { modernCounterUri, registerModernPrompts, registerModernResources } from './modern-resources.js';
import { ModernState } from './modern-state.js';
import { ModernTaskStore, TASKS_EXTENSION, type TaskSnapshot } from './modern-task-store.js';
import { registerTaskTools } from './modern-tasks.js';
import { registerModernTools, type ModernLedgers } from './modern-tools.js';

/** The resource URIs of a modern test server: the test server's, plus the counter `bump_resource` changes. */
export interface ModernResourceUris extends TestResourceUris {
  /** `test://{name}/counter`. */
  counter: string;
}

/**
 * A modern test server: the SDK-v2 server factory and what all its instances share. Serve it with
 * {@link startModernHttpTestServer}, {@link modernStdioTestServer} or the SDK's own entries
 * (`createMcpHandler(server.factory, { legacy: server.era === 'dual' ? 'stateless' : 'reject' })`).
 */
export interface ModernTestServer {
  readonly name: string;
  readonly era: ModernEra;
  /** Executions per tool, over every instance (a multi round-trip call counts once, when it completes). */
  readonly ledger: TestLedger;
  /** Per request key: received, executed, cancelled, and the faults applied (see `FaultLedger`). */
  readonly faultLedger: FaultLedger;
  readonly uris: ModernResourceUris;
  /** One configured v2 `McpServer` per call (the SDK's `McpServerFactory`). */
  readonly factory: McpServerFactory;
  /** Replaces the fault plan (of one tool, or the global one) from the next request on. */
  setFaults(plan: FaultPlan, tool?: string): void;
  /** The SEP-2663 tasks created so far, oldest first (empty without the `tasks` option). */
  tasks(): TaskSnapshot[];
}

/** What the serving entries need beyond the public surface. */
export interface ModernInternals {
  options: ResolvedModernOptions;
  state: ModernState;
  faults: FaultCore;
  /** The tasks of every instance (with the `tasks` option). */
  taskStore: ModernTaskStore | undefined;
}

const internals = new WeakMap<ModernTestServer, ModernInternals>();

/** The internals of a server made by {@link createModernTestServer} (for the serving entries). */
export function modernInternals(server: ModernTestServer): ModernInternals {
  const found = internals.get(server);
  if (!found) throw new TypeError('[mcp-bridge] [@mcp-bridge/testing] this server was not made by createModernTestServer');
  return found;
}

/**
 * Creates a 2026-07-28 test server on the official v2 server SDK, with the same tools, resources,
 * prompt and ledger as the 2025-era test server ({@link createTestServer}), plus: `confirm_action`
 * (elicitation), `sample_text` (sampling), `client_roots` (roots) and `two_step` (two rounds) that
 * answer `input_required`; `remove_tool` and `bump_resource`, whose changes reach
 * `subscriptions/listen` streams; cache hints (`cacheHints`); faults that break the response stream
 * (`faults`). `era: 'dual'` (default) also serves 2025-era clients; `'modern-only'` rejects them (-32022).
 *
 * @throws TypeError when an option is invalid (unknown options included).
 * @example
 * const server = createModernTestServer({ era: 'modern-only', cacheHints: { 'tools/list': { ttlMs: 60_000, cacheScope: 'public' } } });
 * const http = await startModernHttpTestServer({ server });
 */
export function createModernTestServer(options: ModernTestServerOptions = {}): ModernTestServer {
  const o = resolveModernOptions(options);
  const state = new ModernState(modernCounterUri(o.name));
  const faultLedger = new FaultLedger(o.ledgerFile);
  // Resumed from ledgerFile, like the fault server: a stdio server respawned after a drop goes on with its script.
  const engine = resumedFaultEngine({ seed: o.seed, faults: o.faults, toolFaults: o.toolFaults }, faultLedger);
  const taskStore = o.tasks === undefined ? undefined : new ModernTaskStore(o.tasks);
  const factory: McpServerFactory = (ctx: McpRequestContext) => newInstance({ o, faults: faultLedger, taskStore }, state, ctx.era);
  const server: ModernTestServer = {
    name: o.name,
    era: o.era,
    ledger: o.ledger,
    faultLedger,
    uris: { ...testResourceUris(o.name), counter: modernCounterUri(o.name) },
    factory,
    setFaults: (plan, tool) => engine.setPlan(plan, tool),
    tasks: () => taskStore?.list() ?? [],
  };
  internals.set(server, { options: o, state, faults: { engine, ledger: faultLedger }, taskStore });
  return server;
}

/** One v2 instance serving `era`. */
function newInstance(l: ModernLedgers, state: ModernState, era: 'legacy' | 'modern'): McpServer {
  const o = l.o;
  // Tasks are a 2026-07-28 extension: a 2025-era instance neither offers nor creates them.
  const tasks = era === 'modern' ? l.taskStore : undefined;
  const mcp = new McpServer(
    { name: o.name, version: o.version },
    {
      // No `tools` here: declared tools make McpServer install its tools/call handler in the
      // constructor, before registerModernTools can wrap it; its first registerTool declares them (listChanged).
      capabilities: {
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        ...(tasks === undefined ? {} : { extensions: { [TASKS_EXTENSION]: {} } }),
      },
      ...(o.cacheHints === 'invalid' ? {} : { cacheHints: o.cacheHints }),
    },
  );
  registerModernTools(mcp, { ...l, taskStore: tasks }, state);
  if (tasks !== undefined) registerTaskTools(mcp, tasks, o.toolPrefix);
  if (o.resources) registerModernResources(mcp, o, state, era);
  if (o.prompts) registerModernPrompts(mcp);
  const connect = mcp.connect.bind(mcp);
  mcp.connect = async (transport: Transport) => {
    if (o.cacheHints === 'invalid') spoilCacheHints(transport);
    await connect(transport);
    state.track(mcp, era);
  };
  return mcp;
}

/**
 * The SDK refuses invalid hints in its options and repairs invalid ones a handler returns, so an
 * invalid hint can only be put on the wire after the SDK encoded the result: rewrite what this
 * instance sends (instance-local, on this transport object only).
 */
function spoilCacheHints(transport: Transport): void {
  const send = transport.send.bind(transport);
  transport.send = (message: JSONRPCMessage, options) => {
    if ('result' in message && typeof message.result === 'object' && 'ttlMs' in message.result) {
      return send({ ...message, result: { ...message.result, ttlMs: -1, cacheScope: 'shared' } }, options);
    }
    return send(message, options);
  };
}
