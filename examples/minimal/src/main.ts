/**
 * The minimal composition: one bridge over three real upstreams — a stdio child process, a
 * Streamable HTTP server on 127.0.0.1 and an in-memory server — with two small plugins.
 * Run: `pnpm start` from the repository root (or `pnpm --filter @mcp-bridge/example-minimal start`).
 */
import { createBridge } from '@mcp-bridge/core';
import { inMemoryTestServer, startHttpTestServer, stdioTestServer } from '@mcp-bridge/testing';
import { callLog, denyTools } from './plugins.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const text = (r: { content: unknown[] }): string => (r.content[0] as { text?: string }).text ?? '';

const http = await startHttpTestServer({ name: 'remote' });
const bridge = createBridge({
  servers: {
    local: stdioTestServer({ name: 'local' }),
    remote: { url: http.url },
    memory: inMemoryTestServer({ name: 'memory', tools: ['echo', 'add', 'slow', 'fail'] }),
    broken: { command: 'definitely-not-an-installed-command-xyz' },
  },
  plugins: [callLog(print), denyTools(/__fail$/)],
  reconnectMinMs: 100,
});

try {
  print('# starting: three upstreams and one that cannot start');
  const t0 = performance.now();
  await bridge.start();
  print(`  started in ${(performance.now() - t0).toFixed(0)} ms`);
  for (const s of bridge.status()) {
    const up = s.upstreams[0];
    print(
      `  ${s.name.padEnd(7)} ${s.state.padEnd(8)} ${up ? `${up.kind}${up.pid ? ` pid ${up.pid}` : ''}` : ''}${up?.lastError ? ` — ${up.lastError}` : ''}`,
    );
  }

  print('\n# merged catalog (shared names are prefixed with their server)');
  const { tools, _meta } = await bridge.listTools();
  print(`  ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);
  for (const [server, st] of Object.entries(_meta['mcp-bridge/servers']))
    print(`  ${server}: ${st.status}${st.error ? ` (${st.error})` : ''}`);

  print('\n# calls through the pipeline');
  print(`  local__echo  -> ${text(await bridge.callTool('local__echo', { text: 'hello from stdio' }))}`);
  print(`  remote__add  -> ${text(await bridge.callTool('remote__add', { a: 2, b: 40 }))}`);
  print(`  memory__fail -> ${text(await bridge.callTool('memory__fail', { mode: 'isError' }))}`);

  print('\n# progress is forwarded to the caller');
  await bridge.callTool('remote__progress', { steps: 3 }, { onprogress: (p) => print(`  progress ${p.progress}/${p.total ?? '?'}`) });

  print('\n# a timeout cancels the upstream request (notifications/cancelled)');
  await bridge.callTool('memory__slow', { ms: 10_000 }, { timeout: 200 }).catch((e: Error) => print(`  ${e.name}: ${e.message}`));

  print('\n# the stdio upstream is killed mid-run; the others keep working');
  const pid = bridge.status().find((s) => s.name === 'local')!.upstreams[0]!.pid!;
  const inFlight = bridge.callTool('local__slow', { ms: 10_000 }).catch((e: Error) => `${e.name}: ${e.message}`);
  await new Promise((r) => setTimeout(r, 100));
  process.kill(pid, 'SIGKILL');
  const outcome = await inFlight;
  print(`  in-flight call: ${typeof outcome === 'string' ? outcome : text(outcome)}`);
  print(`  remote__echo -> ${text(await bridge.callTool('remote__echo', { text: 'still serving' }))}`);
  await new Promise((r) => setTimeout(r, 150));
  print(`  local__echo  -> ${text(await bridge.callTool('local__echo', { text: 'restarted on next use' }))}`);
  const newPid = bridge.status().find((s) => s.name === 'local')!.upstreams[0]!.pid;
  print(`  local runs again as pid ${newPid} (was ${pid})`);
} finally {
  print('\n# closing: every child process group is ended');
  await bridge.close();
  await http.close();
  print('  closed');
}
