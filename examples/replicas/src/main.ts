// Three replicas of one stdio MCP server behind the logical name `catalog`. Traffic runs for a few
// seconds at 10 calls in flight; replica #2 is killed (SIGKILL) a third of the way in. Every tick
// prints where the calls went and what health thinks of each replica; retries make sure no caller
// sees the crash, and active probes bring the respawned replica back into rotation.
import { fileURLToPath } from 'node:url';
import { createBridge } from '@mcp-bridge/core';
import { health } from '@mcp-bridge/health';
import { loadBalancer } from '@mcp-bridge/loadbalancer';
import { retry } from '@mcp-bridge/retry';

const server = fileURLToPath(new URL('./replica-server.mjs', import.meta.url));
const RUN_MS = 9_000;
const KILL_AT_MS = 2_500;
const TICK_MS = 750;

const bridge = createBridge({
  servers: {
    catalog: {
      command: process.execPath,
      args: [server],
      trusted: true,
      replicas: [1, 2, 3].map((n) => ({ env: { LATENCY_MS: '15', REPLICA: `catalog#${n}` } })),
    },
  },
  reconnectMinMs: 100,
  reconnectMaxMs: 500,
  plugins: [
    retry({ attempts: 3, baseDelayMs: 1, maxDelayMs: 10 }),
    health({ probes: { intervalMs: 250, timeoutMs: 2_000 } }),
    loadBalancer({ picker: 'least-outstanding' }),
  ],
});

bridge.on('upstream:health', (e) =>
  console.log(`  health  ${e.upstream.id}: ${e.previous} -> ${e.state}${e.reason ? ` (${e.reason})` : ''}`),
);
bridge.on('health:eject', (e) => console.log(`  eject   ${e.upstream.id} for ${e.durationMs} ms (ejection #${e.ejections})`));

await bridge.start();
const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(2)} s`;
let ok = 0;
let failed = 0;
const total: Record<string, number> = {};
let window: Record<string, number> = {};
let stop = false;

const workers = Array.from({ length: 10 }, async () => {
  while (!stop) {
    try {
      const result = await bridge.callTool('lookup', {});
      const replica = (result.content[0] as { text: string }).text;
      window[replica] = (window[replica] ?? 0) + 1;
      total[replica] = (total[replica] ?? 0) + 1;
      ok++;
    } catch (error) {
      failed++;
      console.log(`  FAILED  ${(error as Error).message}`);
    }
  }
});

const ids = bridge.upstreams('catalog').map((u) => u.id);
const tick = setInterval(() => {
  const sum = Object.values(window).reduce((a, b) => a + b, 0) || 1;
  const split = ids.map((id) => `${id} ${String(Math.round(((window[id] ?? 0) * 100) / sum)).padStart(3)}%`).join('  ');
  const states = bridge
    .health()
    .servers.catalog!.upstreams.map((u) => `${u.id}=${u.state}`)
    .join(' ');
  console.log(`${elapsed().padStart(7)}  calls ${String(sum).padStart(4)}  ${split}   | ${states}`);
  window = {};
}, TICK_MS);

const killer = setTimeout(() => {
  const victim = bridge.upstreams('catalog')[1]!;
  const pid = bridge.connection(victim)?.pid;
  console.log(`${elapsed().padStart(7)}  >>> killing ${victim.id} (pid ${pid}) with SIGKILL`);
  if (pid !== undefined) process.kill(pid, 'SIGKILL');
}, KILL_AT_MS);

await new Promise((resolve) => setTimeout(resolve, RUN_MS));
stop = true;
clearInterval(tick);
clearTimeout(killer);
await Promise.all(workers);
console.log(`\ndone: ${ok} calls answered, ${failed} failed; per replica ${JSON.stringify(total)}`);
console.log(`balancer: ${JSON.stringify(bridge.loadBalancer.stats().picks)}`);
await bridge.close();
