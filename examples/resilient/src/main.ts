// examples/resilient: @mcp-bridge/retry over flaky fault servers. Prints every retry, every
// breaker transition, and at the end how many times each call really ran on the servers.
import { CircuitOpenError, createBridge, type Plugin, type Upstream } from '@mcp-bridge/core';
import { retry } from '@mcp-bridge/retry';
import { inMemoryFaultServer, startFaultHttpServer } from '@mcp-bridge/testing';

const TOOLS = {
  lookup: { readOnlyHint: true }, // safe to repeat
  charge: { destructiveHint: true, idempotentHint: false }, // never run twice
};

// Three replicas of one "search" service: the first fails half of its calls.
const flaky = inMemoryFaultServer({ name: 'flaky', tools: TOOLS, seed: 7, faults: { rates: { error: 0.3, 'drop-after': 0.2 } } });
const steady = [inMemoryFaultServer({ name: 'steady-1', tools: TOOLS }), inMemoryFaultServer({ name: 'steady-2', tools: TOOLS })];
// A remote payments server over real HTTP: its first request drops after executing, the next one
// finds its session expired (404), then it rate-limits once (429 + Retry-After).
const payments = await startFaultHttpServer({
  name: 'payments',
  tools: TOOLS,
  faults: { script: ['drop-after', 'session-expired', { kind: 'retry-after', retryAfterMs: 300 }] },
});

/** The "minimal replica list": round robin over replicas, skipping the ones a call already tried (the loadbalancer package builds the real one). */
const roundRobin: Plugin = {
  name: 'example-round-robin',
  version: '1.0.0',
  provides: ['balancer'],
  setup(api) {
    let turn = 0;
    api.provide('balancer', {
      pick(ctx, candidates: readonly Upstream[]) {
        for (let i = 0; i < candidates.length; i++) {
          const up = candidates[(turn + i) % candidates.length]!;
          if (!ctx.tried.has(up.id)) return ((turn = (turn + i + 1) % candidates.length), up);
        }
        // Every replica tried (or only one): any of them, again.
        return candidates[turn++ % candidates.length];
      },
    });
  },
};

const bridge = createBridge({
  servers: {
    search: { type: 'in-memory', trusted: true, replicas: [flaky, ...steady] },
    payments: { type: 'streamable-http', url: payments.url, trusted: true },
  },
  reconnectMinMs: 20,
  plugins: [
    roundRobin,
    retry({
      attemptTimeoutMs: 1_000, // a response stream that broke mid-way is given up (and cancelled) after 1 s
      breaker: { minVolume: 10, consecutiveFailures: 3, openMs: 200, halfOpenProbes: 2 },
    }),
  ],
});

const log = (line: string): void => console.log(`  ${line}`);
/** A short reason for a failed attempt. */
function why(error: unknown): string {
  if (error instanceof CircuitOpenError) return 'circuit open';
  const status = (error as { data?: { httpStatus?: number } }).data?.httpStatus;
  if (status !== undefined) return `HTTP ${status}`;
  return (error as Error).message.replace(/^\[mcp-bridge\] /, '').slice(0, 70);
}
bridge.on('retry:attempt', ({ ctx, attempt, delayMs, error }) =>
  log(`retry   ${ctx.server} ${String(ctx.params.name)} attempt ${attempt} in ${delayMs} ms (after: ${why(error)})`),
);
bridge.on('retry:giveup', ({ ctx, attempts, reason }) =>
  log(`give up ${ctx.server} ${String(ctx.params.name)} after ${attempts} attempt(s): ${reason}`),
);
bridge.on('breaker:open', ({ upstream, openMs, reason }) => log(`breaker ${upstream.id} OPEN for ${openMs} ms (${reason})`));
bridge.on('breaker:half-open', ({ upstream, probes }) => log(`breaker ${upstream.id} HALF-OPEN (${probes} probes)`));
bridge.on('breaker:close', ({ upstream }) => log(`breaker ${upstream.id} CLOSED`));

await bridge.start();

console.log('\n1. 40 read-only lookups over three replicas, one of them flaky:');
let ok = 0;
for (let i = 0; i < 40; i++) {
  const result = await bridge.callTool('search__lookup', { key: `q${i}` }).catch(() => undefined);
  if (result && !result.isError) ok++;
  await new Promise((r) => setTimeout(r, 15));
}
log(`=> ${ok}/40 succeeded`);

console.log('\n2. Payments (a tool that must never run twice), over real HTTP:');
for (const key of ['pay-1', 'pay-2']) {
  const outcome = await bridge.callTool('payments__charge', { key }).then(
    () => 'ok',
    (error: Error) => `failed: ${error.message.replace(/^\[mcp-bridge\] /, '').slice(0, 80)}`,
  );
  log(`=> ${key}: ${outcome}`);
}

console.log('\n3. What really ran on the servers (execution ledger):');
const executions = (key: string): number => [flaky, ...steady].reduce((n, s) => n + s.ledger.executions(key), 0);
const twice = Array.from({ length: 40 }, (_, i) => `q${i}`).filter((k) => executions(k) > 1);
log(
  `lookups: flaky received ${flaky.ledger.totalReceived}, steady ones ${steady.map((s) => s.ledger.totalReceived).join(' + ')}; ${twice.length} lookup(s) ran twice (allowed: read-only)`,
);
for (const key of ['pay-1', 'pay-2'])
  log(`${key}: received ${payments.ledger.received(key)} time(s), executed ${payments.ledger.executions(key)} time(s)`);
log(
  `breakers: ${bridge.retry
    .breakers()
    .map((b) => `${b.upstream}=${b.state}`)
    .join(', ')}`,
);

await bridge.close();
await payments.close();
