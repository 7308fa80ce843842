import { ElicitRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modernStdioTestServer, startModernHttpTestServer, type ModernHttpTestServer } from '@mcp-bridge/testing';
import { createBridge, type Bridge, type Plugin } from '../src/index.js';

// SEP-2663 tasks through the bridge, transparently: a plain callTool of a task-supporting tool on an
// upstream that offers the extension returns the task's result (the transports follow the task).

const text = (r: { content: unknown[] }): string => (r.content[0] as { text: string }).text;

describe('transparent tasks through a bridge (2026-07-28 upstreams offering io.modelcontextprotocol/tasks, HTTP and stdio)', () => {
  let http: ModernHttpTestServer;
  let bridge: Bridge;
  const asked: string[] = [];

  beforeAll(async () => {
    http = await startModernHttpTestServer({ era: 'modern-only', tasks: true, tools: false, resources: false, prompts: false });
    const stdio = modernStdioTestServer({ era: 'modern-only', tasks: true, tools: false, resources: false, prompts: false });
    // The bridge's own elicitation handler: what an `input_required` task asks reaches it.
    const answers: Plugin = {
      name: 'answers',
      version: '1.0.0',
      setup(api) {
        api.on('client:created', ({ client }) =>
          client.setRequestHandler(ElicitRequestSchema, (request) => {
            asked.push(request.params.message);
            return Promise.resolve({ action: 'accept', content: { confirm: true } });
          }),
        );
      },
    };
    bridge = createBridge({
      servers: { web: { url: http.url, protocol: '2026-07-28' }, pipe: { ...stdio, protocol: '2026-07-28' } },
      clientCapabilities: { elicitation: {} },
      plugins: [answers],
    });
    await bridge.start();
  }, 60_000);

  afterAll(async () => {
    await bridge?.close();
    await http?.close();
  });

  it('a task-supporting tool answers its result; a tool error is an isError result; a protocol error is the inlined error', async () => {
    for (const server of ['web', 'pipe']) {
      expect(text(await bridge.callTool(`${server}__slow_compute`, { seconds: 0.2, label: server }))).toBe(`computed ${server} after 0.2s`);
      const failing = await bridge.callTool(`${server}__failing_job`, {});
      expect(failing).toMatchObject({ isError: true, content: [{ type: 'text', text: 'failing_job: the job failed' }] });
      expect(failing['_meta']).toBeUndefined(); // no trace of the task mechanics in the result
      const error = await bridge.callTool(`${server}__protocol_error_job`, {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(McpError);
      expect(error).toMatchObject({ code: -32603, message: expect.stringContaining('protocol_error_job: internal failure') });
      // A sync-only tool on the same upstream stays an ordinary call.
      expect(text(await bridge.callTool(`${server}__greet`, { name: 'Ada' }))).toBe('Hello, Ada!');
    }
    const tasks = http.server.tasks();
    expect(tasks.map((t) => `${t.tool} ${t.status}`)).toEqual([
      'slow_compute completed',
      'failing_job completed',
      'protocol_error_job failed',
    ]);
  });

  it('an input_required task asks the bridge handler and is answered with tasks/update', async () => {
    asked.length = 0;
    for (const server of ['web', 'pipe']) {
      expect(text(await bridge.callTool(`${server}__confirm_delete`, { filename: `${server}.txt` }))).toBe(`deleted ${server}.txt`);
    }
    expect(asked).toEqual(['Delete web.txt?', 'Delete pipe.txt?']);
  });

  it('an aborted call cancels its task upstream (tasks/cancel), then fails as cancelled', async () => {
    const controller = new AbortController();
    const call = bridge.callTool('web__slow_compute', { seconds: 60, label: 'abort' }, { signal: controller.signal });
    await expect.poll(() => http.server.tasks().find((t) => t.status === 'working')).toBeDefined();
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow();
    const task = http.server.tasks().at(-1)!;
    expect(task).toMatchObject({ tool: 'slow_compute', status: 'cancelled' });
  });

  it("the call's deadline bounds the task: it is cancelled upstream and the call times out", async () => {
    const started = Date.now();
    const error = await bridge.callTool('web__slow_compute', { seconds: 60, label: 'deadline' }, { timeout: 700 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'TIMEOUT' });
    expect(http.server.tasks().at(-1)).toMatchObject({ tool: 'slow_compute', status: 'cancelled' });
  });
});
