import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { pool } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server.
describePluginConformance(() => pool(), { core, vitest: { describe, it } });

// Two sessions per upstream (a second opens as soon as one carries a call), idle sessions closed
// quickly, a small bulkhead: timers for idle reaping and a second session must all go on close().
describePluginConformance(
  () => pool({ maxSessions: 2, callsPerSession: 1, idleTimeoutMs: 200, maxLifetimeMs: 60_000, maxConcurrent: 4, maxPending: 4 }),
  { core, vitest: { describe, it } },
);
