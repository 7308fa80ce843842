// `pnpm bench cache`: what a cache hit costs, against the bare MCP SDK, measured in one run.
//
//   sdk            the SDK client calling the in-memory echo server directly (the baseline, 1.00)
//   bridge         mcp-bridge with no plugins over the same server (what a miss costs, plus the cache's bookkeeping)
//   l1_hit         mcp-bridge with @mcp-bridge/cache: every call answered from the in-process LRU
//   memory_l2_hit  the LRU turned off: every call answered by keyv's in-memory store (what L1 saves)
//   redis_hit      the LRU turned off: every call answered by a real redis-server started here
//                  (skipped, with a warning, when redis-server cannot run)
//
// Then a micro-measure of one lookup over 1,000 keys: a plain Map-based LRU (what DESIGN first
// suggested), `lru-cache`, the cache's L1 (lru-cache plus eviction reasons), and keyv (memory):
// why L1 is lru-cache and why a hit must not go through keyv.
// Last line of stdout: one JSON object with the figures and the ratios against `sdk`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cache, type CacheOptions } from '@mcp-bridge/cache';
import { redisStore } from '@mcp-bridge/cache/redis';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { createTestServer, TestLedger } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Keyv } from 'keyv';
import { LRUCache } from 'lru-cache';
// The cache's L1 is internal (not exported): measured from its source.
import { Lru } from '../../packages/cache/src/lru.js';
import { baseFigures, fmt, measure, parseArgs, ratio, round, summaryRows, table, type Variant, type VariantResult } from './lib/harness.js';

const args = parseArgs(process.argv.slice(2));
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const ECHO_ARGS = { text: 'hello' };

async function sdkClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const server = createTestServer({ name: 'bench', tools: ['echo'], resources: false, prompts: false });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** A bridge over its own echo server (trusted, so the cache may answer read-only `echo`), and that server's ledger. */
async function bridge(cacheOptions: CacheOptions | undefined): Promise<{ bridge: Bridge; ledger: TestLedger }> {
  const ledger = new TestLedger();
  const b = createBridge({
    servers: {
      bench: {
        type: 'in-memory',
        trusted: true,
        server: () => createTestServer({ name: 'bench', tools: ['echo'], resources: false, prompts: false, ledger }),
      },
    },
    plugins: cacheOptions ? [cache(cacheOptions)] : [],
  });
  await b.start();
  if (b.status()[0]?.state !== 'ok') throw new Error(`the bench bridge did not start: ${JSON.stringify(b.status()[0])}`);
  return { bridge: b, ledger };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server without persistence; `undefined` when it cannot run here. */
async function startRedis(): Promise<{ url: string; child: ChildProcess } | undefined> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 10_000);
    let out = '';
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
  child.stdout.resume();
  if (!ready) {
    child.kill('SIGKILL');
    return undefined;
  }
  return { url: `redis://127.0.0.1:${port}`, child };
}

function check(name: string, result: unknown): void {
  const text = (result as CallToolResult).content?.[0];
  if (!text || text.type !== 'text' || text.text !== ECHO_ARGS.text) throw new Error(`variant ${name} returned ${JSON.stringify(result)}`);
}

const redis = await startRedis();
// However the bench ends (a failed check throws), the redis-server child must not outlive it.
process.on('exit', () => redis?.child.kill('SIGKILL'));
if (!redis) log('!!! redis-server could not run: the redis_hit variant is skipped. Install redis-server to measure it. !!!');

const sdk = await sdkClient();
const plain = await bridge(undefined);
const cached = {
  l1_hit: await bridge({ tools: { echo: { ttl: 3_600_000 } } }),
  memory_l2_hit: await bridge({ tools: { echo: { ttl: 3_600_000 } }, l1: false }),
  ...(redis
    ? {
        redis_hit: await bridge({
          tools: { echo: { ttl: 3_600_000 } },
          l1: false,
          store: redisStore(redis.url),
          namespace: `bench-${process.pid}`,
        }),
      }
    : {}),
} as Record<string, { bridge: Bridge; ledger: TestLedger }>;

const variants: Variant[] = [
  { name: 'sdk', call: () => sdk.client.callTool({ name: 'echo', arguments: ECHO_ARGS }) },
  { name: 'bridge', call: () => plain.bridge.callTool('echo', ECHO_ARGS) },
  ...Object.entries(cached).map(([name, c]) => ({ name, call: () => c.bridge.callTool('echo', ECHO_ARGS) })),
];
for (const v of variants) check(v.name, await v.call());
for (const c of Object.values(cached)) await c.bridge.cache.settled();

log(
  `bench cache: ${variants.length} variants, warm-up ${args.warmup} calls each, ${args.rounds} rounds × ${args.calls} sequential calls each (node ${process.version})`,
);
const results = await measure(variants, args, log);

// Every cached variant really was answered by its cache: its server executed echo once (the first
// call). A Redis read that gives up (50 ms, e.g. behind a full GC of the harness) goes upstream
// instead, by design: a handful of those are allowed.
for (const [name, c] of Object.entries(cached)) {
  const executions = c.ledger.calls('echo');
  const stats = c.bridge.cache.stats();
  const allowed = name === 'redis_hit' ? 1 + Math.ceil((args.calls * args.rounds) / 1_000) : 1;
  if (executions < 1 || executions > allowed) {
    throw new Error(
      `variant ${name}: the server executed echo ${executions} times (expected 1${allowed > 1 ? ` to ${allowed}` : ''}): ${JSON.stringify(stats)}`,
    );
  }
  if (executions > 1) log(`  ${name}: ${executions - 1} store reads gave up and went upstream (store: ${JSON.stringify(stats.store)})`);
  const level = name === 'l1_hit' ? 'l1' : 'l2';
  if ((stats.tools.echo?.[level] ?? 0) < args.calls * args.rounds)
    throw new Error(`variant ${name}: not answered from ${level}: ${JSON.stringify(stats.tools.echo)}`);
}

// ---------------------------------------------------------------- one lookup
/** The plain Map-based LRU: a hit deletes and re-inserts the key to mark it most recent. */
class MapLru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }
}
function perOpSync(name: string, op: (key: string) => unknown, n = 2_000_000): number {
  let found = 0;
  for (let i = 0; i < n / 4; i++) if (op(KEYS[i % 1_000]!) !== undefined) found++;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (op(KEYS[i % 1_000]!) !== undefined) found++;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (found !== n + n / 4) throw new Error(`${name}: missed keys`);
  log(`  ${name}: ${ns.toFixed(0)} ns per lookup`);
  return ns;
}
async function perOpAsync(name: string, op: (key: string) => Promise<unknown>, n = 200_000): Promise<number> {
  for (let i = 0; i < n / 4; i++) await op(KEYS[i % 1_000]!);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(KEYS[i % 1_000]!);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  log(`  ${name}: ${ns.toFixed(0)} ns per lookup`);
  return ns;
}
const KEYS = Array.from({ length: 1_000 }, (_, i) => `bench\u0000tools/call\u0000s\u0000{"arguments":{"text":"hello ${i}"},"name":"echo"}`);
const mapLru = new MapLru<object>(10_000);
const lruCache = new LRUCache<string, object>({ max: 10_000 });
const l1 = new Lru<object>(10_000, 1 << 30);
const keyv = new Keyv();
for (const k of KEYS) {
  mapLru.set(k, { k });
  lruCache.set(k, { k });
  l1.set(k, { k }, 100);
  await keyv.set(k, { k });
}
log('one lookup, 1,000 keys in rotation:');
const micro = {
  map_lru: perOpSync('plain Map-based LRU', (k) => mapLru.get(k)),
  lru_cache: perOpSync('lru-cache', (k) => lruCache.get(k)),
  cache_l1: perOpSync("the cache's L1 (lru-cache + eviction reasons)", (k) => l1.get(k)),
  keyv_memory: await perOpAsync('keyv (memory, awaited)', (k) => keyv.get(k)),
};

await Promise.all([sdk.close(), plain.bridge.close(), ...Object.values(cached).map((c) => c.bridge.close())]);
redis?.child.kill('SIGKILL');

const by = Object.fromEntries(results.map((r) => [r.name, r])) as Record<string, VariantResult>;
const base = by.sdk!;
const rows = summaryRows(results, base);
const TARGETS = { l1_hit_vs_sdk: 0.3 };
const l1Ratio = ratio(by.l1_hit!.p50, base.p50);
console.log('');
console.log(table(rows));
console.log('');
console.log(
  `p50 ratios: l1_hit/sdk ${fmt(l1Ratio, 2)} (target <= ${TARGETS.l1_hit_vs_sdk}: ${l1Ratio <= TARGETS.l1_hit_vs_sdk ? 'ok' : 'MISSED'})  memory_l2_hit/sdk ${fmt(by.memory_l2_hit!.p50 / base.p50, 2)}` +
    (by.redis_hit
      ? `  redis_hit/sdk ${fmt(by.redis_hit.p50 / base.p50, 2)} (redis hit p50 ${fmt(by.redis_hit.p50)} µs)`
      : '  redis_hit skipped'),
);
console.log(
  `one lookup: plain Map LRU ${fmt(micro.map_lru, 0)} ns, lru-cache ${fmt(micro.lru_cache, 0)} ns, cache L1 ${fmt(micro.cache_l1, 0)} ns, keyv memory ${fmt(micro.keyv_memory, 0)} ns`,
);

console.log(
  JSON.stringify({
    ...baseFigures('cache', args, results),
    lookup_ns: {
      map_lru: round(micro.map_lru, 0),
      lru_cache: round(micro.lru_cache, 0),
      cache_l1: round(micro.cache_l1, 0),
      keyv_memory: round(micro.keyv_memory, 0),
    },
    ratio: {
      l1_hit_vs_sdk: l1Ratio,
      memory_l2_hit_vs_sdk: ratio(by.memory_l2_hit!.p50, base.p50),
      redis_hit_vs_sdk: by.redis_hit ? ratio(by.redis_hit.p50, base.p50) : null,
      bridge_vs_sdk: ratio(by.bridge!.p50, base.p50),
      p99: { l1_hit_vs_sdk: ratio(by.l1_hit!.p99, base.p99) },
    },
    targets: TARGETS,
  }),
);
