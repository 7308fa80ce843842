import type { Plugin } from '@mcp-bridge/core';

/** Logs every call with its server, attempt and duration: an `observe` middleware. */
export function callLog(print: (line: string) => void): Plugin {
  return {
    name: 'example-call-log',
    version: '1.0.0',
    core: '^0.1.0',
    setup(api) {
      api.use({
        phase: 'observe',
        methods: ['tools/call', 'resources/read', 'prompts/get'],
        async handle(ctx, next) {
          const started = performance.now();
          const what = ctx.method === 'tools/call' ? `${ctx.server}/${String(ctx.params.name)}` : `${ctx.server} ${ctx.method}`;
          try {
            const result = await next();
            print(`  [call-log] ${what} ok in ${(performance.now() - started).toFixed(1)} ms`);
            return result;
          } catch (error) {
            print(`  [call-log] ${what} FAILED in ${(performance.now() - started).toFixed(1)} ms: ${(error as Error).message}`);
            throw error;
          }
        },
      });
      api.on('upstream:health', ({ server, state, previous, reason }) =>
        print(`  [call-log] server ${server}: ${previous} -> ${state}${reason ? ` (${reason})` : ''}`),
      );
      api.on('catalog:changed', ({ server, kinds }) => print(`  [call-log] catalog changed: ${server} ${kinds.join(', ')}`));
    },
  };
}

/** Refuses tools whose names match a pattern before they reach any upstream: a `policy` middleware. */
export function denyTools(pattern: RegExp): Plugin {
  return {
    name: 'example-deny-tools',
    version: '1.0.0',
    core: '^0.1.0',
    setup(api) {
      api.use({
        phase: 'policy',
        tools: (tool) => pattern.test(tool.name),
        handle(ctx) {
          return Promise.resolve({
            isError: true,
            content: [{ type: 'text', text: `tool ${ctx.tool?.name} is not allowed here (policy ${pattern})` }],
          });
        },
      });
    },
  };
}
