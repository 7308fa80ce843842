import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { startModernHttpTestServer, type ModernHttpTestServer } from '@mcp-bridge/testing';
import { CallToolResultSchema, CreateTaskResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClientCapabilities, serveHttp, type HttpGateway } from '../src/index.js';
import { httpClient, textOf, type TestClient } from './support/clients.js';

// Explicit task handles through the gateway for 2025-era SDK 1.x clients (client.experimental.tasks):
// server-everything's simulate-research-query over stdio (2025 tasks, passed through) and the modern
// test server's SEP-2663 tasks over HTTP (translated), one gateway, two clients.

const require = createRequire(import.meta.url);
const everything = join(require.resolve('@modelcontextprotocol/server-everything/package.json'), '..', 'dist/index.js');

describe('task handles through the gateway (2025-era clients, 2025 and 2026-07-28 upstreams)', () => {
  let modern: ModernHttpTestServer;
  let bridge: Bridge;
  let gateway: HttpGateway;
  let a: TestClient;
  let b: TestClient;

  beforeAll(async () => {
    modern = await startModernHttpTestServer({ era: 'modern-only', tasks: true, tools: false, resources: false, prompts: false });
    bridge = createBridge({
      servers: {
        everything: { command: process.execPath, args: [everything, 'stdio'], sessions: 'shared' },
        modern: { url: modern.url, protocol: '2026-07-28' },
      },
      clientCapabilities: gatewayClientCapabilities(),
    });
    gateway = await serveHttp(bridge, { onError: () => undefined });
    a = await httpClient('client-a', gateway.url);
    b = await httpClient('client-b', gateway.url);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await gateway?.close();
    await bridge?.close();
    await modern?.close();
  });

  const createTask = (
    client: TestClient,
    name: string,
    args: Record<string, unknown>,
  ): Promise<{ task: { taskId: string; status: string } }> =>
    client.client.request({ method: 'tools/call', params: { name, arguments: args } }, CreateTaskResultSchema, { task: { ttl: 60_000 } });

  it('advertises the tasks capability it honours', () => {
    expect(a.client.getServerCapabilities()?.tasks).toEqual({ list: {}, cancel: {}, requests: { tools: { call: {} } } });
  });

  it('a 2025 upstream (server-everything): the handle is the gateway’s, tasks/get and tasks/result reach the upstream task', async () => {
    const { task } = await createTask(a, 'simulate-research-query', { topic: 'bridges' });
    expect(task.taskId).toMatch(/^task-/);
    expect(['working', 'submitted']).toContain(task.status);
    const got = await a.client.experimental.tasks.getTask(task.taskId);
    expect(got).toMatchObject({ taskId: task.taskId, status: 'working' });
    const result = await a.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema, { timeout: 30_000 });
    expect(textOf(result)).toContain('# Research Report: bridges');
    expect((await a.client.experimental.tasks.getTask(task.taskId)).status).toBe('completed');
  }, 40_000);

  it('a 2026-07-28 upstream: its flat task becomes a 2025 one; get, result, cancel and list are translated', async () => {
    const { task } = await createTask(a, 'slow_compute', { seconds: 0.3, label: 'handle' });
    expect(task).toMatchObject({ status: 'working', ttl: 60_000, pollInterval: 50 });
    expect(task.taskId).toMatch(/^task-/);
    expect(modern.server.tasks().some((t) => t.taskId === task.taskId)).toBe(false); // the upstream id never leaves the gateway
    const result = await a.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema);
    expect(textOf(result)).toBe('computed handle after 0.3s');
    expect(await a.client.experimental.tasks.getTask(task.taskId)).toMatchObject({ taskId: task.taskId, status: 'completed' });

    const long = (await createTask(a, 'slow_compute', { seconds: 60 })).task;
    const cancelled = await a.client.experimental.tasks.cancelTask(long.taskId);
    expect(cancelled).toMatchObject({ taskId: long.taskId, status: 'cancelled' });
    expect(modern.server.tasks().at(-1)).toMatchObject({ tool: 'slow_compute', status: 'cancelled' });

    const failing = (await createTask(a, 'protocol_error_job', {})).task;
    const error = await a.client.experimental.tasks.getTaskResult(failing.taskId, CallToolResultSchema).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).message).toContain('protocol_error_job: internal failure');

    const { tasks } = await a.client.experimental.tasks.listTasks();
    expect(tasks.map((t) => t.taskId)).toEqual(expect.arrayContaining([task.taskId, long.taskId, failing.taskId]));
  });

  it('another client cannot reach a task: its id is unknown to them, as any id they did not get', async () => {
    const { task } = await createTask(a, 'slow_compute', { seconds: 5 });
    for (const attempt of [
      () => b.client.experimental.tasks.getTask(task.taskId),
      () => b.client.experimental.tasks.cancelTask(task.taskId),
      () => b.client.experimental.tasks.getTaskResult(task.taskId, CallToolResultSchema),
    ]) {
      await expect(attempt()).rejects.toThrow(/Task not found/);
    }
    expect((await b.client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).not.toContain(task.taskId);
    await expect(b.client.experimental.tasks.getTask('task-made-up')).rejects.toThrow(/Task not found/);
    expect((await a.client.experimental.tasks.getTask(task.taskId)).status).toBe('working');
    await a.client.experimental.tasks.cancelTask(task.taskId);
  });

  it('a call without `task` is an ordinary call, on both upstreams', async () => {
    expect(textOf(await a.client.callTool({ name: 'slow_compute', arguments: { seconds: 0.1, label: 'plain' } }))).toBe(
      'computed plain after 0.1s',
    );
    expect(textOf(await a.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }))).toContain('5');
  });
});
