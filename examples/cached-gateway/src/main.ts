/**
 * A gateway with `@mcp-bridge/cache` in front of a slow server: prints latency and hit rate before
 * and after. With `REDIS_URL` set, a second gateway instance shares the cache through Redis.
 * Run: `pnpm --filter @mcp-bridge/example-cached-gateway start` (optionally with REDIS_URL=redis://...).
 */
import { runDemo } from './demo.js';

await runDemo({ redisUrl: process.env.REDIS_URL || undefined });
