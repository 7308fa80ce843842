import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBridge, TimeoutError, type Bridge } from '../src/index.js';
// The modern (SDK v2) fixture server and its HTTP wrapper live with the transports tests.
import { startModernHttpServer, type ModernHttpServer } from '../../transports/test/helpers/modern-http.js';
// @ts-expect-error -- a plain .mjs fixture; no types
import { ledger } from '../../transports/test/fixtures/modern-lib.mjs';

const modernFixture = fileURLToPath(new URL('../../transports/test/fixtures/modern-server.mjs', import.meta.url));
const text = (r: { content: unknown[] }): string => (r.content[0] as { text: string }).text;
const cancelled = ledger as string[];

describe('a bridge over 2026-07-28 upstreams (Streamable HTTP and stdio, protocol auto)', () => {
  let http: ModernHttpServer;
  let bridge: Bridge;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-modern-'));
    http = await startModernHttpServer({ legacy: 'reject' });
    bridge = createBridge({
      servers: {
        web: { url: http.url },
        pipe: { command: process.execPath, args: [modernFixture], env: { MODERN_LEGACY: 'reject', MODERN_LEDGER: join(dir, 'ledger') } },
      },
    });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.close();
    await http?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the merged catalog and reports the era of each upstream', async () => {
    const names = (await bridge.listTools()).tools.map((t) => t.name);
    for (const server of ['web', 'pipe']) expect(names).toEqual(expect.arrayContaining([`${server}__echo`, `${server}__progress`]));
    for (const status of bridge.status()) {
      expect(status.state).toBe('ok');
      expect(status.upstreams[0]).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28' });
    }
    expect(bridge.upstreams('web')[0]?.era).toBe('modern');
  });

  it('calls tools, prompts, completion and resources on both', async () => {
    for (const server of ['web', 'pipe']) {
      expect(text(await bridge.callTool(`${server}__echo`, { text: server }))).toBe(server);
      const prompt = await bridge.getPrompt(`${server}__greet`, { who: 'ada' });
      expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'hello ada' });
      const completion = await bridge.complete({
        ref: { type: 'ref/prompt', name: `${server}__greet` },
        argument: { name: 'who', value: 'al' },
      });
      expect(completion.completion.values).toEqual(['alan']);
    }
    const { resources } = await bridge.listResources();
    expect(resources.length).toBe(2);
    for (const resource of resources) {
      const read = await bridge.readResource(resource.uri);
      expect(read.contents[0]).toMatchObject({ text: 'modern readme' });
    }
  });

  it('sends the upstream its original tool name in Mcp-Name, and the caller trace context in _meta', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const seen = JSON.parse(text(await bridge.callTool('web__meta', {}, { meta: { traceparent } }))) as {
      envelope: Record<string, unknown>;
      meta: Record<string, unknown>;
    };
    expect(seen.meta['traceparent']).toBe(traceparent);
    expect(seen.envelope['io.modelcontextprotocol/protocolVersion']).toBe('2026-07-28');
    expect(seen.envelope['io.modelcontextprotocol/clientInfo']).toMatchObject({ name: 'mcp-bridge' });
    const call = http.requests.findLast((r) => (r.body as { method?: string } | undefined)?.method === 'tools/call')!;
    expect(call.headers['mcp-name']).toBe('meta');
    expect(call.headers['mcp-method']).toBe('tools/call');
  });

  it('mirrors x-mcp-header arguments as Mcp-Param-* headers', async () => {
    expect(text(await bridge.callTool('web__regional', { region: 'eu-west' }))).toBe('in eu-west');
    const call = http.requests.findLast((r) => (r.body as { params?: { name?: string } } | undefined)?.params?.name === 'regional')!;
    expect(call.headers['mcp-param-region']).toBe('eu-west');
    expect(call.headers['mcp-name']).toBe('regional');
  });

  it('keeps a log level the way a stateless server needs it: in every request', async () => {
    await bridge.request('web', 'logging/setLevel', { level: 'warning' });
    const seen = JSON.parse(text(await bridge.callTool('web__meta'))) as { envelope: Record<string, unknown> };
    expect(seen.envelope['io.modelcontextprotocol/logLevel']).toBe('warning');
    expect(http.requests.some((r) => (r.body as { method?: string } | undefined)?.method === 'logging/setLevel')).toBe(false);
  });

  it('forwards progress to the caller', async () => {
    for (const server of ['web', 'pipe']) {
      const progress: number[] = [];
      await bridge.callTool(`${server}__progress`, { steps: 3 }, { onprogress: (p) => progress.push(p.progress) });
      expect(progress).toEqual([1, 2, 3]);
    }
  });

  it('cancels: the abort reaches the upstream', async () => {
    const controller = new AbortController();
    const pending = bridge.callTool('web__slow', { ms: 30_000 }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    await expect(pending).rejects.toThrow();
    for (let i = 0; i < 100 && !cancelled.includes('cancelled slow'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cancelled).toContain('cancelled slow');
  });

  it('times out over stdio: the upstream request is cancelled and a TimeoutError names the tool', async () => {
    await expect(bridge.callTool('pipe__slow', { ms: 30_000 }, { timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
    const read = (): string => {
      try {
        return readFileSync(join(dir, 'ledger'), 'utf8');
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 100 && !read().includes('cancelled slow'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(read()).toContain('cancelled slow');
  });

  it('health pings a modern upstream with server/discover', async () => {
    const before = http.requests.length;
    const results = await bridge.ping();
    expect(results).toBeDefined();
    const sent = http.requests.slice(before).map((r) => (r.body as { method?: string } | undefined)?.method);
    expect(sent).toEqual(['server/discover']);
  });
});
