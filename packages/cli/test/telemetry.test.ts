import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { eventually, stdioTestServer } from '@mcp-bridge/testing';
import { cliCommand, collect, runCli, tempTree, type Tree, firstLine } from './helpers.js';
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const marker = `otel-${randomUUID().slice(0, 8)}`;
let tree: Tree;
const children: ChildProcess[] = [];
const receivers: OtlpReceiver[] = [];

beforeAll(() => {
  tree = tempTree();
  const solo = stdioTestServer({ name: `solo-${marker}`, tools: ['echo'], resources: false, prompts: false });
  tree.write('traced/.mcp.json', { mcpServers: { solo }, plugins: { tracing: true } });
  tree.write('plain/.mcp.json', { mcpServers: { solo } });
  tree.write('both/.mcp.json', { mcpServers: { solo }, plugins: { metrics: true, tracing: true } });
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(() => tree.remove());

/** Starts `serve --http 0` in `dir` with `env`; resolves with its URL, its stderr so far and its exit. */
async function serve(
  dir: string,
  env: Record<string, string>,
): Promise<{ url: string; stderr: () => string; exited: ReturnType<typeof collect>; child: ChildProcess }> {
  const { command, args } = cliCommand(['--root', tree.root, 'serve', '--http', '0', '--config', '.mcp.json']);
  const child = spawn(command, args, { cwd: `${tree.root}/${dir}`, env: tree.env(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const url = await firstLine(child, () => stderr);
  return { url, stderr: () => stderr, exited: collect(child, 30_000), child };
}

async function callEcho(url: string, text: string): Promise<void> {
  const client = new Client({ name: 'otel-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    const result = await client.callTool({ name: 'echo', arguments: { text } });
    expect(result.content).toEqual([{ type: 'text', text }]);
  } finally {
    // Ends the HTTP session (DELETE), as a well-behaved client does; close() alone leaves it to expire.
    await transport.terminateSession();
    await client.close();
  }
}

/** The call span (INTERNAL) and its attempt span (CLIENT) of the echo call. */
function echoSpans(spans: readonly ReceivedSpan[]): { call: ReceivedSpan; attempt: ReceivedSpan } {
  const call = spans.find((s) => s.name === 'tools/call echo' && s.kind === 1);
  const attempt = spans.find((s) => s.name === 'tools/call echo' && s.kind === 3);
  if (!call || !attempt) throw new Error(`no call/attempt span pair among ${JSON.stringify(spans.map((s) => [s.name, s.kind]))}`);
  return { call, attempt };
}

describe('"tracing": true in the config', () => {
  it('exports the spans of a tools/call over OTLP/HTTP protobuf (the default) to OTEL_EXPORTER_OTLP_ENDPOINT, flushed when serve stops', async () => {
    const receiver = await otlpReceiver();
    receivers.push(receiver);
    const gw = await serve('traced', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: `gw-${marker}`,
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    });
    expect(gw.stderr()).toContain(`tracing: spans to ${receiver.url}/v1/traces (OTLP http/protobuf) as service "gw-${marker}"`);
    await callEcho(gw.url, 'traced');

    // The batch processor waits 5 s by default: the spans leave when serve stops, not later.
    gw.child.kill('SIGTERM');
    const r = await gw.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.requests.every((q) => q.path === '/v1/traces' && q.contentType === 'application/x-protobuf')).toBe(true);
    const { call, attempt } = echoSpans(receiver.spans);
    expect(call.service).toBe(`gw-${marker}`);
    expect(call.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'mcp_bridge.server': 'solo' });
    expect(attempt.parentSpanId).toBe(call.spanId);
    expect(attempt.traceId).toBe(call.traceId);
    expect(attempt.attributes).toMatchObject({ 'network.transport': 'pipe', 'mcp_bridge.attempt': 1 });
  });

  it('exports over http/json to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT while serving (batch delay from OTEL_BSP_SCHEDULE_DELAY)', async () => {
    const receiver = await otlpReceiver();
    receivers.push(receiver);
    const endpoint = `${receiver.url}/custom/traces`;
    const gw = await serve('traced', {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    expect(gw.stderr()).toContain(`tracing: spans to ${endpoint} (OTLP http/json) as service "mcp-bridge"`);
    await callEcho(gw.url, 'json');
    // The catalog's own list spans may come in an earlier batch: wait for the echo call's pair.
    const echoed = (): boolean =>
      ['tools/call echo'].every((n) => [1, 3].every((k) => receiver.spans.some((s) => s.name === n && s.kind === k)));
    expect(await eventually(echoed, 10_000), gw.stderr()).toBe(true);
    expect(receiver.requests[0]).toEqual({ path: '/custom/traces', contentType: 'application/json' });
    const { call, attempt } = echoSpans(receiver.spans);
    expect(call.service).toBe('mcp-bridge');
    expect(attempt.parentSpanId).toBe(call.spanId);
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
  });

  it('sends nothing with OTEL_TRACES_EXPORTER=none, and says so', async () => {
    const receiver = await otlpReceiver();
    receivers.push(receiver);
    const gw = await serve('traced', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_EXPORTER: 'none' });
    expect(gw.stderr()).toContain('tracing: tracing off (OTEL_TRACES_EXPORTER=none)');
    await callEcho(gw.url, 'untraced');
    gw.child.kill('SIGTERM');
    expect((await gw.exited).code).toBe(0);
    expect(receiver.requests).toEqual([]);
  });

  it('refuses an OTLP protocol it cannot speak, naming the variable (exit 2)', async () => {
    const r = await runCli(tree, ['--config', '../traced/.mcp.json', 'serve', '--http', '0'], {
      env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc: mcp-bridge exports spans over OTLP/HTTP only (http/protobuf or http/json)',
    );
  });
});

describe('"metrics": true and "tracing": true together', () => {
  it('serves the semantic-convention metrics at /metrics and, with OTEL_TRACES_EXPORTER=console, writes spans to stderr only', async () => {
    const gw = await serve('both', { OTEL_TRACES_EXPORTER: 'console' });
    expect(gw.stderr()).toContain('tracing: spans to stderr (console) as service "mcp-bridge"');
    await callEcho(gw.url, 'measured');
    const client = new Client({ name: 'otel-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    const text = await (await fetch(new URL('/metrics', gw.url))).text();
    await client.close();
    expect(text).toMatch(
      /^mcp_server_operation_duration_seconds_count\{[^}]*mcp_method_name="tools\/call",gen_ai_tool_name="echo",error_type="",network_transport="tcp"[^}]*\} 1$/m,
    );
    expect(text).toMatch(
      /^mcp_client_operation_duration_seconds_count\{[^}]*gen_ai_tool_name="echo",error_type="",network_transport="pipe"[^}]*\} 1$/m,
    );
    // The first client ended its session; the second one is open.
    expect(text).toMatch(/^mcp_bridge_downstream_sessions\{network_transport="tcp"\} 1$/m);
    expect(text).toMatch(/^mcp_bridge_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(await eventually(() => gw.stderr().includes('span tools/call echo trace='), 10_000), gw.stderr()).toBe(true);
    gw.child.kill('SIGTERM');
    const r = await gw.exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('doctor', () => {
  it('says where spans go when the tracing plugin is on', async () => {
    const r = await runCli(tree, ['--config', '../traced/.mcp.json', 'doctor'], {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector.example:4318/' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('✔ spans to http://collector.example:4318/v1/traces (OTLP http/protobuf) as service "mcp-bridge"');
  });

  it('--json reports tracing off when the plugin is not on, and a bad OTEL_* value as a failure', async () => {
    const off = await runCli(tree, ['--config', '../plain/.mcp.json', '--json', 'doctor']);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout).tracing).toMatchObject({
      enabled: false,
      description: expect.stringContaining('tracing off (the tracing plugin is not on'),
    });

    const bad = await runCli(tree, ['--config', '../traced/.mcp.json', '--json', 'doctor'], { env: { OTEL_TRACES_EXPORTER: 'zipkin' } });
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout);
    expect(report.ok).toBe(false);
    expect(report.tracing.error).toContain('OTEL_TRACES_EXPORTER=zipkin: "zipkin" is not available in mcp-bridge');
  });
});
