import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { serveHttp, type HttpGateway, type HttpGatewayOptions } from '../../src/index.js';

// Helpers of the attack tests: a gateway in front of a real SDK server that can answer big, a
// victim client that measures its calls, and raw HTTP attackers that misbehave on purpose.

/** A real SDK server (in memory): `echo` for the victim, `big` answers `bytes` bytes of text. */
export function bigAnswerServer(): McpServer {
  const mcp = new McpServer({ name: 'big', version: '1.0.0' });
  mcp.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: 'text', text }] }));
  mcp.registerTool('big', { inputSchema: { bytes: z.number().int().positive() } }, ({ bytes }) => ({
    content: [{ type: 'text', text: 'x'.repeat(bytes) }],
  }));
  // `chatty`: a progress message of `bytes` bytes, then waits for its cancellation (counted in `chatty`).
  mcp.registerTool('chatty', { inputSchema: { bytes: z.number().int().positive() } }, async ({ bytes }, extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined)
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: 1, message: 'x'.repeat(bytes) },
      });
    chatty.started++;
    await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve(), { once: true }));
    chatty.cancelled++;
    return { content: [{ type: 'text', text: 'cancelled' }] };
  });
  return mcp;
}

/** What `chatty` calls saw. */
export const chatty = { started: 0, cancelled: 0 };

export const TOKENS = { victim: 'victim-token-0123456789', attacker: 'attacker-token-0123456789' };

/** A bridge over {@link bigAnswerServer} and an HTTP gateway with a named token per caller. */
export async function attackGateway(
  options: HttpGatewayOptions = {},
): Promise<{ bridge: Bridge; gateway: HttpGateway; close(): Promise<void> }> {
  const bridge = createBridge({ servers: { big: { type: 'in-memory', server: bigAnswerServer } }, onError: () => undefined });
  const gateway = await serveHttp(bridge, { tokens: TOKENS, onError: () => undefined, ...options });
  return { bridge, gateway, close: async () => void (await gateway.close(), await bridge.close()) };
}

/** An SDK client with a bearer token. */
export async function sdkClient(url: string, token: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  const client = new Client({ name: 'victim', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

/** What a victim saw: each operation's outcome and latency. */
export class VictimLog {
  readonly ms: number[] = [];
  ok = 0;
  failed = 0;
  readonly errors: string[] = [];

  async time(op: () => Promise<unknown>): Promise<void> {
    const start = performance.now();
    try {
      await op();
      this.ok++;
    } catch (error) {
      this.failed++;
      if (this.errors.length < 5) this.errors.push(error instanceof Error ? error.message : String(error));
    }
    this.ms.push(performance.now() - start);
  }

  get successRate(): number {
    return this.ok / Math.max(1, this.ok + this.failed);
  }

  get p99(): number {
    const sorted = [...this.ms].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  }

  summary(label: string): string {
    return `${label}: ${this.ok}/${this.ok + this.failed} ok (${(this.successRate * 100).toFixed(1)}%), p99 ${this.p99.toFixed(1)} ms`;
  }
}

/** Runs `op` in a loop until `until` settles (and at least `min` times). */
export async function victimLoop(log: VictimLog, op: () => Promise<unknown>, until: Promise<unknown>, min = 20): Promise<void> {
  let done = false;
  void until.finally(() => (done = true));
  let n = 0;
  while (!done || n < min) {
    await log.time(op);
    n++;
  }
}

/**
 * The generous latency bound under attack: the machine is loaded (load average 10+ is common), so
 * the bound is relative to the victim's own baseline in the same test, with a floor.
 */
export function p99Bound(baseline: VictimLog): number {
  return Math.max(20 * baseline.p99, 1_500);
}

/** `global.gc`, made available without restarting node with `--expose-gc`. */
export function gcNow(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Samples `process.memoryUsage()` until stopped; the peak growth over the first sample. */
export function memorySampler(everyMs = 50): { stop(): { rss: number; arrayBuffers: number } } {
  const start = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss - start.rss);
    arrayBuffers = Math.max(arrayBuffers, m.arrayBuffers - start.arrayBuffers);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop: () => {
      sample();
      clearInterval(timer);
      return { rss, arrayBuffers };
    },
  };
}

export const MiB = 1024 * 1024;

/** Memory the process holds after a full GC (heap and buffers), over a baseline taken the same way. */
export function retainedSince(base: NodeJS.MemoryUsage): { heap: number; arrayBuffers: number; total: number } {
  gcNow();
  const m = process.memoryUsage();
  const heap = Math.max(0, m.heapUsed - base.heapUsed);
  const arrayBuffers = Math.max(0, m.arrayBuffers - base.arrayBuffers);
  return { heap, arrayBuffers, total: heap + arrayBuffers };
}

/**
 * {@link retainedSince} once it is under `bound`, or after 5 s: destroyed sockets give their buffers
 * back a moment after the clients see them closed.
 */
export async function retainedOnceFreed(
  base: NodeJS.MemoryUsage,
  bound: number,
): Promise<{ heap: number; arrayBuffers: number; total: number }> {
  let left = retainedSince(base);
  for (let i = 0; i < 20 && left.total >= bound; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    left = retainedSince(base);
  }
  return left;
}

/** A baseline for {@link retainedSince}. */
export function memoryBaseline(): NodeJS.MemoryUsage {
  gcNow();
  return process.memoryUsage();
}

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(0)} MiB`;

/** Opens a session with a raw initialize (and, unless `ready` is false, `notifications/initialized`); its id. */
export async function rawSession(url: string, token: string, ready = true): Promise<string> {
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const answer = await rawPost(url, token, undefined, init);
  const id = answer.headers['mcp-session-id'];
  if (answer.status !== 200 || typeof id !== 'string') throw new Error(`initialize: HTTP ${answer.status} ${answer.body}`);
  if (ready) await rawPost(url, token, id, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  return id;
}

function headersFor(token: string, session: string | undefined, length?: number): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': '2025-06-18',
    ...(session ? { 'mcp-session-id': session } : {}),
    ...(length !== undefined ? { 'content-length': String(length) } : {}),
  };
}

/** One POST on its own connection, read in full. */
export function rawPost(
  url: string,
  token: string,
  session: string | undefined,
  body: string,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: headersFor(token, session) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A POST whose answer is never read: resolves with the status once the response headers arrive,
 * leaving the body unread in the socket (the gateway must hold it or drop it). `open` keeps the
 * requests so the test can end them.
 */
export function postNeverRead(url: string, token: string, session: string, body: string, open: ClientRequest[]): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: headersFor(token, session) }, (res) => {
      res.pause();
      resolve(res.statusCode ?? 0);
    });
    open.push(req);
    req.on('error', () => resolve(-1));
    req.end(body);
  });
}

/** Bodies of {@link stalledBody}, one per size: the attackers share it, so the test process's own memory is not what is measured. */
const stallChunks = new Map<number, Buffer>();

/**
 * A POST that announces `declared` bytes, sends `sent` of them and then stalls. Resolves with the
 * status when the gateway answers, or -1 when it drops the connection without one.
 */
export function stalledBody(
  url: string,
  token: string,
  session: string,
  declared: number,
  sent: number,
  open: ClientRequest[],
): Promise<number> {
  let chunk = stallChunks.get(sent);
  if (!chunk) stallChunks.set(sent, (chunk = Buffer.alloc(sent, 0x20)));
  return new Promise((resolve) => {
    const req = httpRequest(url, { method: 'POST', agent: false, headers: headersFor(token, session, declared) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    open.push(req);
    req.on('error', () => resolve(-1));
    req.on('close', () => resolve(-1));
    req.write(chunk);
  });
}
