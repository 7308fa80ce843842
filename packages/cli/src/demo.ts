import type { Bridge } from '@mcp-bridge/core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { createColors } from 'picocolors';
import { messageOf } from './io.js';

/**
 * Which calls of the bundled `flaky` server hang when `serve --demo` runs (1-based): the tour's
 * second lookup, so a retry with a per-attempt timeout always shows.
 */
export const DEMO_FLAKY_SLOW_CALLS = '2';

/** What the tour reads from plugins that expose a snapshot (typed loosely: each plugin is optional). */
interface PluginViews {
  cache?: { stats(): { hits?: number; misses?: number; coalesced?: number; hitRate?: number } };
}

/**
 * `serve --demo`: a real MCP client walks through the gateway it just started, over Streamable HTTP,
 * so the plugins show at work in the log: the merged catalog (names kept apart on collision), a
 * validation rejection that never reaches the server, a hanging lookup cut short and retried, a
 * repeated lookup answered from the cache, progress of a slow tool, then the counters.
 */
export async function runDemo(
  url: string,
  bridge: Bridge,
  say: (text: string) => void,
  c: ReturnType<typeof createColors>,
  signal: AbortSignal,
): Promise<void> {
  const client = new Client({ name: 'mcp-bridge-demo', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const step = (text: string): void => say(`${c.magenta('demo')} ${text}`);
  const first = (r: CallToolResult): string =>
    `${r.isError ? c.red('[isError] ') : ''}${r.content
      .map((x) => (x.type === 'text' ? x.text : `[${x.type}]`))
      .join(' ')
      .split('\n')[0]!
      .slice(0, 160)}`;
  const call = async (
    name: string,
    args: Record<string, unknown>,
    options: { onprogress?: (p: { progress: number; total?: number }) => void } = {},
  ): Promise<string> => {
    const started = performance.now();
    const r = (await client.callTool({ name, arguments: args }, undefined, { signal, ...options })) as CallToolResult;
    return `${first(r)} ${c.dim(`(${Math.round(performance.now() - started)} ms)`)}`;
  };
  try {
    const { tools } = await client.listTools();
    step(
      `a client connected to ${url} and sees ${tools.length} tools from ${bridge.servers().length} servers: ${tools.map((t) => t.name).join(', ')}`,
    );
    step(`notes/search_notes → ${await call('search_notes', { query: 'keyboard' })}`);
    step(`capital with a number for "country" (validation answers; the server never sees it) → ${await call('capital', { country: 42 })}`);
    for (const country of ['France', 'Japan', 'France', 'Japan']) {
      step(`capital ${country} → ${await call('capital', { country })}`);
    }
    let ticks = 0;
    step(
      `clock/countdown with progress → ${await call('countdown', { seconds: 1, stepMs: 200 }, { onprogress: () => void ticks++ })}; ${ticks} progress notifications forwarded`,
    );
    const views = bridge as unknown as PluginViews;
    const stats = views.cache?.stats();
    if (stats)
      step(
        `cache: ${stats.hits ?? 0} hits, ${stats.misses ?? 0} misses, hit rate ${((stats.hitRate ?? 0) * 100).toFixed(0)}% (lists included)`,
      );
    step(c.bold(`done. The gateway keeps serving at ${url} — point any MCP client at it, or Ctrl-C to stop.`));
  } catch (error) {
    if (!signal.aborted) say(c.red(`demo failed: ${messageOf(error)}`));
  } finally {
    await client.close().catch(() => undefined);
  }
}
