import * as core from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { cache } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server (`conformance`
// with `lookup`, `fail` and `hang`, the first and last read-only).
describePluginConformance(() => cache(), { core, vitest: { describe, it } });

// tools/call caching on: the suite's server trusted, its read-only tools cached (single-flight),
// failures remembered briefly. `hang` is cached too, so a shared miss that is aborted must release
// every waiter and leave nothing behind.
describePluginConformance(
  () =>
    cache({
      ttl: 1_000,
      negativeTtl: 500,
      negativeCodes: [-32603],
      servers: {
        conformance: { trusted: true, tools: { lookup: { ttl: 5_000, scope: 'shared' }, hang: { ttl: 5_000, scope: 'shared' } } },
      },
    }),
  { core, vitest: { describe, it } },
);

/** The suite's tools, answering after 2 ms or more, so a 1 ms ttl has run out by the next call. */
function slowish(): Record<string, unknown> {
  const fault = inMemoryFaultServer({
    name: 'conformance',
    tools: { lookup: { readOnlyHint: true }, fail: {}, hang: { readOnlyHint: true } },
    toolFaults: { fail: { rates: { error: 1 } }, hang: { rates: { hang: 1 } } },
    latency: { baseMs: 2, scaleMs: 1, alpha: 3, maxMs: 4 },
  });
  return { conformance: { ...fault, trusted: true } };
}

// Stale-while-revalidate at work: every repeated `lookup` is answered stale and refreshed in the
// background. The refresh must be a call of its own (no next() after the stale answer settled),
// and close() must cancel a refresh still running.
describePluginConformance(() => cache({ jitter: 0, tools: { lookup: { ttl: 1, staleWhileRevalidate: 60_000, scope: 'shared' } } }), {
  core,
  vitest: { describe, it },
  servers: slowish,
  tools: { ok: 'lookup', error: 'fail', hang: 'hang' },
});
