import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MISSING_REQUIRED_CLIENT_CAPABILITY, TASKS_EXTENSION, startModernHttpTestServer, type ModernHttpTestServer } from '../src/index.js';

// The SEP-2663 expectations of the conformance suite's server scenarios (tasks-lifecycle, -capability-negotiation,
// -wire-fields, -request-state-removal, -mrtr-input, -dispatch-and-envelope, -required-task-error), checked on the
// raw wire: no SDK implements the extension, and the v2 client refuses `resultType: "task"`.

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Answer = { result?: Json; error?: { code: number; message: string; data?: Json } };

let http: ModernHttpTestServer;
beforeAll(async () => {
  http = await startModernHttpTestServer({ era: 'modern-only', tasks: true, responseMode: 'json' });
});
afterAll(() => http.close());

let nextId = 1;
/** One 2026-07-28 request, opted into the tasks extension unless `tasks: false`; `name` overrides the Mcp-Name header. */
async function rpc(method: string, params: Json = {}, how: { tasks?: boolean; name?: string } = {}): Promise<Answer> {
  const clientCapabilities = how.tasks === false ? {} : { extensions: { [TASKS_EXTENSION]: {} } };
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '0' },
    'io.modelcontextprotocol/clientCapabilities': clientCapabilities,
  };
  const name = how.name ?? params['name'] ?? params['taskId'];
  const response = await fetch(http.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta } }),
  });
  return (await response.json()) as Answer;
}

async function result(method: string, params: Json = {}, how: { tasks?: boolean } = {}): Promise<Json> {
  const answer = await rpc(method, params, how);
  if (answer.result === undefined) throw new Error(`${method} failed: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

async function until(taskId: string, done: (task: Json) => boolean): Promise<Json> {
  for (const start = Date.now(); Date.now() - start < 10_000; await new Promise((r) => setTimeout(r, 20))) {
    const task = await result('tasks/get', { taskId });
    if (done(task)) return task;
  }
  throw new Error(`task ${taskId} did not get there`);
}
const terminal = (task: Json): boolean => ['completed', 'failed', 'cancelled'].includes(task['status'] as string);
const ENVELOPE_FIELDS = ['taskId', 'status', 'result', 'error', 'inputRequests'];

describe('modern test server: the SEP-2663 tasks extension (tasks: true)', () => {
  it('is advertised under capabilities.extensions only, and a request that did not opt in gets no task surface', async () => {
    const discover = await result('server/discover');
    expect(discover['capabilities']['extensions']).toEqual({ [TASKS_EXTENSION]: {} });
    expect(discover['capabilities']['tasks']).toBeUndefined();
    for (const [method, params] of [
      ['tasks/get', { taskId: 'gate' }],
      ['tasks/update', { taskId: 'gate', inputResponses: {} }],
      ['tasks/cancel', { taskId: 'gate' }],
    ] as const) {
      expect((await rpc(method, params, { tasks: false })).error?.code, method).toBe(MISSING_REQUIRED_CLIENT_CAPABILITY);
    }
    const sync = await result('tools/call', { name: 'slow_compute', arguments: { seconds: 0 } }, { tasks: false });
    expect(sync).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'computed slow_compute after 0s' }] });
    expect(sync['taskId']).toBeUndefined();
    const required = await rpc('tools/call', { name: 'failing_job', arguments: {} }, { tasks: false });
    expect(required.error).toMatchObject({
      code: MISSING_REQUIRED_CLIENT_CAPABILITY,
      data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    });
  });

  it('a sync tool stays sync (a legacy `task` param is tolerated); a task tool answers a flat CreateTaskResult, readable at once, completed with its result inlined', async () => {
    const greeted = await result('tools/call', { name: 'greet', arguments: { name: 'Ada' }, task: { ttl: 1000 } });
    expect(greeted).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Hello, Ada!' }] });
    expect(greeted['taskId']).toBeUndefined();

    const created = await result('tools/call', { name: 'slow_compute', arguments: { seconds: 0.3, label: 'x' } });
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 60_000, pollIntervalMs: 50 });
    expect(created['createdAt']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
    expect(created['lastUpdatedAt']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/);
    for (const absent of ['task', 'result', 'error', 'inputRequests', 'requestState', 'ttl', 'pollInterval'])
      expect(created).not.toHaveProperty(absent);
    const taskId = created['taskId'] as string;
    const working = await result('tasks/get', { taskId }); // durable before the CreateTaskResult went out
    expect(working).toMatchObject({ resultType: 'complete', taskId, status: 'working' });
    expect(working).not.toHaveProperty('result');
    const done = await until(taskId, terminal);
    expect(done).toMatchObject({ status: 'completed', result: { content: [{ type: 'text', text: 'computed x after 0.3s' }] } });
    expect(done).not.toHaveProperty('requestState');
    expect(done['result']['_meta']?.['io.modelcontextprotocol/related-task']).toBeUndefined();
  });

  it('a tool error completes with isError; a protocol error fails with the error inlined and no result', async () => {
    const failing = await result('tools/call', { name: 'failing_job', arguments: {} });
    expect(await until(failing['taskId'] as string, terminal)).toMatchObject({ status: 'completed', result: { isError: true } });
    const broken = await result('tools/call', { name: 'protocol_error_job', arguments: {} });
    const failed = await until(broken['taskId'] as string, terminal);
    expect(failed).toMatchObject({ status: 'failed', error: { code: -32603, message: 'protocol_error_job: internal failure' } });
    expect(failed).not.toHaveProperty('result');
  });

  it('tasks/cancel acks with an empty complete result (also on a terminal task); the task settles cancelled', async () => {
    const created = await result('tools/call', { name: 'slow_compute', arguments: { seconds: 60 } });
    const taskId = created['taskId'] as string;
    for (let i = 0; i < 2; i++) {
      const ack = await result('tasks/cancel', { taskId });
      expect(ack['resultType']).toBe('complete');
      for (const field of ENVELOPE_FIELDS) expect(ack).not.toHaveProperty(field);
    }
    expect(await result('tasks/get', { taskId })).toMatchObject({ status: 'cancelled' });
    expect(http.server.tasks().find((t) => t.taskId === taskId)).toEqual({ taskId, tool: 'slow_compute', status: 'cancelled' });
  });

  it('unknown task ids are -32602; tasks/result and tasks/list do not exist (-32601); Mcp-Name must mirror the taskId (-32020)', async () => {
    expect((await rpc('tasks/get', { taskId: 'nonexistent-12345' })).error?.code).toBe(-32602);
    expect((await rpc('tasks/cancel', { taskId: 'nonexistent-12345' })).error?.code).toBe(-32602);
    expect((await rpc('tasks/result', { taskId: 'x' })).error?.code).toBe(-32601);
    expect((await rpc('tasks/list', {})).error?.code).toBe(-32601);
    expect((await rpc('tasks/get', { taskId: 'a' }, { name: 'b' })).error?.code).toBe(-32020);
  });

  it('input_required: the task surfaces inputRequests, tasks/update answers them (one at a time too) and the task resumes', async () => {
    const created = await result('tools/call', { name: 'confirm_delete', arguments: { filename: 'f.txt' } });
    const taskId = created['taskId'] as string;
    const asking = await until(taskId, (t) => t['status'] === 'input_required');
    expect(asking['inputRequests']).toEqual({
      confirm: expect.objectContaining({ method: 'elicitation/create', params: expect.objectContaining({ message: 'Delete f.txt?' }) }),
    });
    const ack = await result('tasks/update', { taskId, inputResponses: { confirm: { action: 'accept', content: { confirm: true } } } });
    for (const field of ENVELOPE_FIELDS) expect(ack).not.toHaveProperty(field);
    expect(await until(taskId, terminal)).toMatchObject({ status: 'completed', result: { content: [{ text: 'deleted f.txt' }] } });

    const multi = (await result('tools/call', { name: 'multi_input', arguments: {} }))['taskId'] as string;
    await until(multi, (t) => Object.keys(t['inputRequests'] ?? {}).length === 2);
    await result('tasks/update', { taskId: multi, inputResponses: { first: { action: 'accept', content: { confirm: true } } } });
    const partial = await result('tasks/get', { taskId: multi });
    expect(partial['status']).toBe('input_required');
    expect(Object.keys(partial['inputRequests'] as Json)).toEqual(['second']);
    await result('tasks/update', { taskId: multi, inputResponses: { second: { action: 'decline' } } });
    expect(await until(multi, terminal)).toMatchObject({
      status: 'completed',
      result: { content: [{ text: 'first true, second false' }] },
    });
  });
});
