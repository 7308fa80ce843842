import { afterAll, describe, expect, it } from 'vitest';
import { freePort, RedisProcess, redisAvailable } from '../../../packages/cache/test/redis-server.js';
import { runDemo } from '../src/demo.js';

const quiet = () => undefined;
const available = redisAvailable();
const started: RedisProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((r) => r.kill()));
});

describe('examples/cached-gateway', () => {
  it('the warm round is answered by the cache, without the slow server', async () => {
    const report = await runDemo({ delayMs: 60, skus: 4, print: quiet });
    expect(report.cold).toMatchObject({ calls: 4, hitRate: 0, upstreamCalls: 4 });
    expect(report.warm).toMatchObject({ calls: 4, hitRate: 1, upstreamCalls: 0 });
    // Each cold call waited for the 60 ms server; a warm one did not have to.
    expect(report.cold.p50Ms).toBeGreaterThanOrEqual(60);
    expect(report.warm.p50Ms).toBeLessThan(report.cold.p50Ms);
  });

  it.skipIf(!available)('with REDIS_URL, a second gateway instance answers its first round from Redis', async () => {
    const redis = new RedisProcess(await freePort());
    started.push(redis);
    await redis.start();
    const report = await runDemo({ delayMs: 30, skus: 4, redisUrl: redis.url, print: quiet });
    expect(report.secondInstance).toMatchObject({ calls: 4, hitRate: 1, upstreamCalls: 0 });
  });
});
