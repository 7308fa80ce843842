import { afterEach, describe, expect, it } from 'vitest';
import { cache } from '../src/index.js';
import { startModernHttpServer, type ModernHttpServer, type ModernServer } from '../../transports/test/helpers/modern-http.js';
// @ts-expect-error -- a plain .mjs fixture; no types
import { createModernServer } from '../../transports/test/fixtures/modern-lib.mjs';
import { manualClock, useBridges } from './helpers.js';

const bridges = useBridges();

/** A modern server with `mem://hinted` (`ttlMs: 5000`, public) and `mem://silent` (no hint). */
function hintedServer(): ModernServer {
  const server = createModernServer('hints') as ModernServer;
  server.registerResource('hinted', 'mem://hinted', {}, (uri) => ({
    contents: [{ uri: uri.href, text: 'hinted' }],
    ttlMs: 5_000,
    cacheScope: 'public',
  }));
  server.registerResource('silent', 'mem://silent', {}, (uri) => ({ contents: [{ uri: uri.href, text: 'silent' }] }));
  return server;
}

describe('cache hints of 2026-07-28 upstreams (ttlMs, cacheScope)', () => {
  let http: ModernHttpServer | undefined;
  afterEach(async () => {
    await http?.close();
  });

  const reads = (uri: string): number =>
    http!.requests.filter((r) => {
      const body = r.body as { method?: string; params?: { uri?: string } } | undefined;
      return body?.method === 'resources/read' && body.params?.uri === uri;
    }).length;

  it('never keeps an entry longer than the hint, does not store without one, and partitions per caller', async () => {
    http = await startModernHttpServer({ legacy: 'reject', factory: hintedServer });
    const clock = manualClock();
    const bridge = await bridges.started({
      servers: { m: { url: http.url, protocol: '2026-07-28' } },
      plugins: [cache({ ttl: 600_000, jitter: 0, staleIfError: 600_000, staleWhileRevalidate: 600_000, now: clock.now })],
    });
    const read = (uri: string, caller: string) => bridge.readResource(uri, { caller });

    await read('mem://hinted', 'a');
    await read('mem://hinted', 'a');
    expect(reads('mem://hinted')).toBe(1);
    // Another caller has a partition of its own (results of a modern upstream are kept per caller).
    await read('mem://hinted', 'b');
    expect(reads('mem://hinted')).toBe(2);
    // The hint (5 s), not the configured ttl (10 min) nor its stale windows, bounds the entry.
    clock.advance(5_001);
    await read('mem://hinted', 'a');
    expect(reads('mem://hinted')).toBe(3);

    // No ttlMs: "immediately stale", never stored.
    await read('mem://silent', 'a');
    await read('mem://silent', 'a');
    expect(reads('mem://silent')).toBe(2);
  });
});
