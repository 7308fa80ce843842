import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { retry } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server.
describePluginConformance(() => retry({ baseDelayMs: 1, maxDelayMs: 5 }), { core, vitest: { describe, it } });

// A breaker per upstream that opens quickly (the suite's `fail` tool fails every time), a
// per-attempt timeout, and the suite's server trusted so its read-only tools are retried as safe.
describePluginConformance(
  () =>
    retry({
      attempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 5,
      attemptTimeoutMs: 1_000,
      trusted: ['conformance'],
      breaker: { minVolume: 2, consecutiveFailures: 2, openMs: 200, probeTimeoutMs: 500 },
      budget: { ratio: 0.5, minRetries: 5, windowMs: 1_000 },
    }),
  { core, vitest: { describe, it } },
);
