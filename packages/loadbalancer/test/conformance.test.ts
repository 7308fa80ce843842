import * as core from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { loadBalancer } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server (one upstream).
describePluginConformance(() => loadBalancer(), { core, vitest: { describe, it } });

/** The suite's tools on a trusted server with three replicas (`conformance#1..3`), so hedging applies. */
function replicated(): Record<string, unknown> {
  const fault = inMemoryFaultServer({
    name: 'conformance',
    tools: { lookup: { readOnlyHint: true }, fail: {}, hang: { readOnlyHint: true } },
    toolFaults: { fail: { rates: { error: 1 } }, hang: { rates: { hang: 1 } } },
  });
  return { conformance: { ...fault, trusted: true, replicas: 3 } };
}

// Replicas, round-robin, and hedging after 20 ms: a call to `hang` is hedged to a second replica,
// and aborting it must cancel both attempts and leave no hedge timer behind.
describePluginConformance(() => loadBalancer({ picker: 'round-robin', hedging: { delayMs: 20, budget: 1, burst: 10 } }), {
  core,
  vitest: { describe, it },
  servers: replicated,
  tools: { ok: 'lookup', error: 'fail', hang: 'hang' },
});
