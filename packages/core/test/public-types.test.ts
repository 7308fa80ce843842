// Compile-time checks of the public types, run by the repository typecheck (`tsc -p tsconfig.json`
// covers packages/*/test): a `@ts-expect-error` that stops erroring fails the typecheck. The few
// runtime lines make sure the typed calls also behave.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import {
  createBridge,
  type BridgeOptions,
  type BridgeServerConfig,
  type CallToolResult,
  type GetPromptResult,
  type ListToolsResult,
  type Next,
  type Plugin,
  type ReadResourceResult,
  type Tool,
} from '../src/index.js';

describe('createBridge({ servers }) is typed with the server config type', () => {
  it('rejects a misspelt field at compile time, accepts every documented form', () => {
    const typo = (): unknown =>
      // @ts-expect-error -- `comand` is not `command`: no stdio, HTTP or in-memory entry matches
      createBridge({ servers: { files: { comand: 'npx' } } });
    const wrongType = (): unknown =>
      // @ts-expect-error -- args is a list of strings
      createBridge({ servers: { files: { command: 'npx', args: '-y server' } } });
    const ok = (): unknown =>
      createBridge({
        servers: {
          stdio: { command: 'npx', args: ['-y', 'x'], env: { A: '1' } },
          http: { url: 'http://127.0.0.1:1/mcp', headers: { 'x-a': '1' } },
          mem: inMemoryTestServer(),
          copies: { command: 'node', args: ['s.js'], replicas: 3 },
          group: { headers: { 'x-a': '1' }, replicas: ['http://127.0.0.1:1/mcp', { url: 'http://127.0.0.1:2/mcp' }] },
          // Fields other tools use (disabled, tags ...) are kept.
          tagged: { command: 'node', tags: ['a'] },
        },
      });
    // Data of unknown shape (a parsed config file) is validated at run time instead.
    const fromFile: Record<string, unknown> = JSON.parse('{"a":{"comand":"npx"}}') as Record<string, unknown>;
    const untyped = (): unknown => createBridge({ servers: fromFile });
    expectTypeOf<BridgeOptions['servers']>().toEqualTypeOf<
      (Readonly<Record<string, BridgeServerConfig>> & { readonly [x: string]: BridgeServerConfig }) | undefined
    >();
    expect([typo, wrongType, ok, untyped].every((f) => typeof f === 'function')).toBe(true);
  });

  it('an untyped bad entry is still reported at start', async () => {
    const bridge = createBridge({ servers: JSON.parse('{"a":{"comand":"npx"}}') as Record<string, unknown> });
    await bridge.start();
    expect(bridge.status().find((s) => s.name === 'a')?.state).toBe('invalid');
    await bridge.close();
  });
});

describe('next() is typed by the middleware methods', () => {
  it('types next() for one method, a union for several, unknown otherwise', async () => {
    const seen: string[] = [];
    const plugin: Plugin = {
      name: 'typed-next',
      version: '1.0.0',
      setup(api) {
        api.use({
          phase: 'observe',
          methods: ['tools/call'],
          handle: async (_ctx, next) => {
            const result = await next();
            expectTypeOf(result).toEqualTypeOf<CallToolResult>();
            seen.push(`isError=${String(result.isError ?? false)}`);
            return result;
          },
        });
        api.use({
          phase: 'observe',
          methods: ['tools/list', 'resources/read'],
          handle: async (_ctx, next) => {
            const result = await next();
            expectTypeOf(result).toEqualTypeOf<ListToolsResult | ReadResourceResult>();
            return result;
          },
        });
        api.use({
          phase: 'observe',
          methods: ['tools/list'],
          handle: async (_ctx, next) => {
            const { tools } = await next();
            expectTypeOf(tools).toEqualTypeOf<Tool[]>();
            seen.push(`tools=${tools.map((t) => t.name).join(',')}`);
            return { tools };
          },
        });
        api.use({
          phase: 'observe',
          handle: (_ctx, next) => {
            expectTypeOf(next).toEqualTypeOf<Next<unknown>>();
            return next();
          },
        });
        // An explicitly typed next is accepted too.
        api.use({ phase: 'observe', methods: ['prompts/get'], handle: (_ctx, next: Next<GetPromptResult>) => next() });
      },
    };
    const bridge = createBridge({ servers: { mem: inMemoryTestServer({ tools: ['echo'] }) }, plugins: [plugin] });
    await bridge.start();
    await bridge.listTools({ refresh: true });
    await bridge.callTool('echo', { text: 'x' });
    await bridge.close();
    expect(seen).toContain('isError=false');
    expect(seen.some((s) => s.startsWith('tools=') && s.includes('echo'))).toBe(true);
  });
});
