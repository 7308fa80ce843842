/**
 * The cached gateway, as a function the command (`main.ts`) and the test both run: gateway
 * instances (`@mcp-bridge/server` over Streamable HTTP) with `@mcp-bridge/cache` in front of a slow
 * price server, and an MCP client calling through them.
 */
import { cache, type CacheOptions } from '@mcp-bridge/cache';
import { redisStore } from '@mcp-bridge/cache/redis';
import { createBridge, type Bridge } from '@mcp-bridge/core';
import { serveHttp, type HttpGateway } from '@mcp-bridge/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Share the cache between two gateway instances through this Redis. */
  redisUrl?: string;
  /** How long the slow server takes per call, ms. Default 150. */
  delayMs?: number;
  /** Distinct SKUs asked for per round. Default 8. */
  skus?: number;
  /** Where the report goes. Default: stdout. */
  print?: (line: string) => void;
}

/** One round of calls through one gateway: what the client saw and how the cache answered. */
export interface RoundReport {
  calls: number;
  p50Ms: number;
  maxMs: number;
  /** Share of the round's calls the gateway answered without calling the slow server. */
  hitRate: number;
  /** Times the slow server really ran during the round. */
  upstreamCalls: number;
}

/** What {@link runDemo} measured. */
export interface DemoReport {
  cold: RoundReport;
  warm: RoundReport;
  /** The second gateway instance's first round (only with `redisUrl`). */
  secondInstance?: RoundReport;
}

/** The slow upstream: a price lookup that takes `delayMs`, read-only (so a trusted one may be cached). */
function slowPriceServer(delayMs: number, executions: { count: number }): McpServer {
  const server = new McpServer({ name: 'prices', version: '1.0.0' });
  server.registerTool(
    'get_price',
    {
      description: 'Price of a SKU (slow: it asks a pricing system).',
      inputSchema: { sku: z.string() },
      annotations: { readOnlyHint: true },
    },
    async ({ sku }) => {
      executions.count++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const cents = [...sku].reduce((sum, c) => sum + c.charCodeAt(0), 0) * 7;
      return { content: [{ type: 'text', text: `${sku}: $${(cents / 100).toFixed(2)}` }], structuredContent: { sku, cents } };
    },
  );
  return server;
}

interface Instance {
  bridge: Bridge;
  gateway: HttpGateway;
  client: Client;
  executions: { count: number };
  close(): Promise<void>;
}

/** One gateway instance: a bridge with the cache over its own slow server, served over HTTP, and a client of it. */
async function startInstance(delayMs: number, redisUrl: string | undefined, namespace: string): Promise<Instance> {
  const executions = { count: 0 };
  const options: CacheOptions = {
    // Prices are the same for every caller, so one caller's answer may serve all (the gateway
    // makes each session a caller; the default `private` scope would keep them apart).
    tools: { get_price: { ttl: 60_000, scope: 'shared', staleWhileRevalidate: 300_000 } },
    namespace,
    ...(redisUrl ? { store: redisStore(redisUrl) } : {}),
  };
  const bridge = createBridge({
    // `trusted: true`: this server's readOnlyHint is believed, which the cache requires for tools/call.
    servers: { prices: { type: 'in-memory', trusted: true, server: () => slowPriceServer(delayMs, executions) } },
    plugins: [cache(options)],
  });
  await bridge.start();
  const gateway = await serveHttp(bridge, { port: 0 });
  const client = new Client({ name: 'demo-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gateway.url)));
  return {
    bridge,
    gateway,
    client,
    executions,
    async close() {
      await client.close();
      await gateway.close();
      await bridge.close();
    },
  };
}

async function round(instance: Instance, skus: string[]): Promise<RoundReport> {
  const before = instance.bridge.cache.stats();
  const ranBefore = instance.executions.count;
  const latencies: number[] = [];
  for (const sku of skus) {
    const t0 = performance.now();
    await instance.client.callTool({ name: 'get_price', arguments: { sku } });
    latencies.push(performance.now() - t0);
  }
  const after = instance.bridge.cache.stats();
  const answered = (s: typeof after): number => {
    const t = s.tools.get_price;
    return t ? t.hits + t.staleWhileRevalidate + t.coalesced + t.negativeHits : 0;
  };
  latencies.sort((a, b) => a - b);
  return {
    calls: skus.length,
    p50Ms: latencies[Math.floor((latencies.length - 1) / 2)]!,
    maxMs: latencies[latencies.length - 1]!,
    hitRate: (answered(after) - answered(before)) / skus.length,
    upstreamCalls: instance.executions.count - ranBefore,
  };
}

const describeRound = (label: string, r: RoundReport): string =>
  `${label.padEnd(34)} p50 ${r.p50Ms.toFixed(1).padStart(6)} ms   max ${r.maxMs.toFixed(1).padStart(6)} ms   hit rate ${(r.hitRate * 100).toFixed(0).padStart(3)}%   slow server ran ${r.upstreamCalls}×`;

/**
 * Runs the demo: a cold round and a warm round through one gateway; with `redisUrl`, a second
 * gateway instance sharing the cache through Redis answers its very first round from it.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const print = options.print ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const delayMs = options.delayMs ?? 150;
  const skus = Array.from({ length: options.skus ?? 8 }, (_, i) => `SKU-${1000 + i}`);
  // A fresh namespace per run, so a Redis left over from an earlier run does not warm the first round.
  const namespace = `cached-gateway-${process.pid}-${Date.now()}`;
  const instances: Instance[] = [];
  try {
    print(
      `# a gateway with the cache in front of a slow server (${delayMs} ms per call)${options.redisUrl ? `, cache shared through ${options.redisUrl}` : ''}`,
    );
    const first = await startInstance(delayMs, options.redisUrl, namespace);
    instances.push(first);
    print(`  gateway 1 at ${first.gateway.url}`);
    const cold = await round(first, skus);
    print(describeRound(`  round 1 (cold cache, ${skus.length} SKUs)`, cold));
    const warm = await round(first, skus);
    print(describeRound('  round 2 (same SKUs again)', warm));
    print(`  → ${(cold.p50Ms / warm.p50Ms).toFixed(0)}× faster at p50; stats: ${JSON.stringify(pick(first.bridge.cache.stats()))}`);

    let secondInstance: RoundReport | undefined;
    if (options.redisUrl) {
      await first.bridge.cache.settled();
      const second = await startInstance(delayMs, options.redisUrl, namespace);
      instances.push(second);
      print(`\n# a second gateway instance (own process state, own slow server) at ${second.gateway.url}`);
      secondInstance = await round(second, skus);
      print(describeRound('  its first round', secondInstance));
      print(`  → answered from Redis: ${JSON.stringify(pick(second.bridge.cache.stats()))}`);
    } else {
      print('\n  (set REDIS_URL=redis://127.0.0.1:6379 to share the cache between two gateway instances)');
    }
    return { cold, warm, ...(secondInstance ? { secondInstance } : {}) };
  } finally {
    await Promise.all(instances.map((i) => i.close()));
  }
}

function pick(stats: ReturnType<Bridge['cache']['stats']>): Record<string, number> {
  return { hits: stats.hits, l1: stats.l1, l2: stats.l2, misses: stats.misses, hitRate: Math.round(stats.hitRate * 100) / 100 };
}
