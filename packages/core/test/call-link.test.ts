import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge, type CallLink, type Plugin, type UpstreamRequest } from '../src/index.js';

/** A link that records what the terminal tells it. */
function recordingLink(signal?: AbortSignal): CallLink & { events: string[]; open: Set<UpstreamRequest> } {
  const events: string[] = [];
  const open = new Set<UpstreamRequest>();
  return {
    events,
    open,
    signal,
    sent(request) {
      open.add(request);
      events.push(`sent ${request.method} ${request.upstream.id}${request.client ? '' : ' (no client)'}`);
    },
    settled(request) {
      open.delete(request);
      events.push(`settled ${request.method} ${request.upstream.id}`);
    },
    ask: () => Promise.reject(new Error('not asked in this test')),
  };
}

/** What a `route` middleware sees of each attempt's context when it runs. */
interface Seen {
  origin: string;
  pin: string | undefined;
  upstream: string | undefined;
  link: CallLink | undefined;
}

function seeing(seen: Seen[]): Plugin {
  return {
    name: 'mcp-bridge-plugin-sees-route',
    version: '1.0.0',
    setup: (api) =>
      api.use({
        phase: 'route',
        handle: (ctx, next) => {
          if (ctx.origin !== 'catalog') seen.push({ origin: ctx.origin, pin: ctx.pin, upstream: ctx.upstream?.id, link: ctx.link });
          return next();
        },
      }),
  };
}

describe('the call link, origin and replica pin', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('the terminal tells the link of every upstream request, each attempt and derived context included', async () => {
    const upstream = inMemoryTestServer({ name: 'mem' });
    let attempts = 0;
    // A retry-like plugin: the first attempt fails before the terminal, the second goes through a derived context.
    const retry: Plugin = {
      name: 'mcp-bridge-plugin-second-try',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'retry',
          methods: ['tools/call'],
          handle: async (ctx, next) => {
            attempts++;
            await next().catch(() => undefined);
            return next({ ...ctx, signal: AbortSignal.any([]) });
          },
        }),
    };
    const failFirst: Plugin = {
      name: 'mcp-bridge-plugin-fails-first',
      version: '1.0.0',
      setup: (api) =>
        api.use({
          phase: 'upstream',
          methods: ['tools/call'],
          handle: (ctx, next) => (ctx.attempt === 1 ? next().then(() => Promise.reject(new Error('first attempt lost'))) : next()),
        }),
    };
    bridge = createBridge({ servers: { mem: upstream }, plugins: [retry, failFirst] });
    await bridge.start();
    const link = recordingLink();
    const result = await bridge.callTool('echo', { text: 'linked' }, { link });
    expect(result.content).toEqual([{ type: 'text', text: 'linked' }]);
    expect(attempts).toBe(1);
    expect(link.events).toEqual(['sent tools/call mem', 'settled tools/call mem', 'sent tools/call mem', 'settled tools/call mem']);
    expect(link.open.size).toBe(0);
  });

  it('a request is reported sent before the upstream can act on it, and settled when it fails', async () => {
    const upstream = inMemoryTestServer({ name: 'mem' });
    bridge = createBridge({ servers: { mem: upstream } });
    await bridge.start();
    const controller = new AbortController();
    const link = recordingLink(controller.signal);
    // No `signal` option: the link's is the call's.
    const slow = bridge.callTool('slow', { ms: 20_000 }, { link });
    await upstream.ledger.waitFor((l) => l.tally('slow').inFlight === 1);
    expect(link.events).toEqual(['sent tools/call mem']);
    controller.abort(new Error('the caller left'));
    await expect(slow).rejects.toThrow(/the caller left/);
    expect(link.events).toEqual(['sent tools/call mem', 'settled tools/call mem']);
    await upstream.ledger.waitFor((l) => l.cancelled('slow') === 1);
  });

  it('origin and link reach the pipeline; a pin sends every attempt to its replica before the route phase', async () => {
    const seen: Seen[] = [];
    bridge = createBridge({ servers: { r: { ...inMemoryTestServer(), replicas: 3 } }, plugins: [seeing(seen)] });
    await bridge.start();
    const link = recordingLink();
    for (const id of ['r#3', 'r#2', 'r#3']) await bridge.request('r', 'ping', {}, { origin: 'probe', upstream: id, link });
    expect(seen.map((c) => [c.origin, c.pin, c.upstream, c.link === link])).toEqual([
      ['probe', 'r#3', 'r#3', true],
      ['probe', 'r#2', 'r#2', true],
      ['probe', 'r#3', 'r#3', true],
    ]);
    expect(link.events).toEqual(['r#3', 'r#2', 'r#3'].flatMap((id) => [`sent ping ${id}`, `settled ping ${id}`]));
    // Unpinned calls are the balancer's, and say they are the caller's.
    seen.length = 0;
    await bridge.callTool('echo', { text: 'x' });
    expect(seen.map((c) => [c.origin, c.pin, c.upstream, c.link])).toEqual([['caller', undefined, undefined, undefined]]);
  });

  it('a pin to a replica that does not exist fails the call, naming it, without trying another', async () => {
    bridge = createBridge({ servers: { r: { ...inMemoryTestServer(), replicas: 2 } } });
    await bridge.start();
    await expect(bridge.request('r', 'ping', {}, { upstream: 'r#9' })).rejects.toThrow(
      /the call is pinned to "r#9", which is not an upstream of server "r" \(upstreams: r#1, r#2\)/,
    );
  });
});
