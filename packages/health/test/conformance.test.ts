import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { health } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server.
describePluginConformance(() => health(), { core, vitest: { describe, it } });

// Probes every 50 ms (a tool call to the read-only `lookup`), passive ejection after two failures
// (the suite's `fail` tool fails every time) and hidden unhealthy servers: probe timers and
// ejection timers must all go on close().
describePluginConformance(
  () =>
    health({
      probes: {
        intervalMs: 50,
        jitter: 0.1,
        timeoutMs: 200,
        healthyThreshold: 1,
        unhealthyThreshold: 2,
        target: { tool: 'lookup', arguments: { key: 'probe' } },
      },
      consecutiveFailures: 2,
      baseEjectionMs: 200,
      hideUnhealthy: true,
    }),
  { core, vitest: { describe, it } },
);

// Probes to a tool that never answers, each bounded by its own timeout: probes are still in flight
// when the suite's calls settle (they are the plugin's own calls, not the caller's), and close()
// must cancel the one running.
describePluginConformance(
  () => health({ probes: { intervalMs: 20, timeoutMs: 5_000, target: { tool: 'hang', arguments: { key: 'probe' } } } }),
  {
    core,
    vitest: { describe, it },
  },
);
