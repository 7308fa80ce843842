import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { validation } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server.
describePluginConformance(() => validation(), { core, vitest: { describe, it } });

// Coercion on, every schema compiled when the catalog changes, and a failed output check thrown
// as a ValidationError (a BridgeError) rather than returned as an isError result.
describePluginConformance(() => validation({ coerce: true, precompile: true, outputFailure: 'error', onUnsafeSchema: 'refuse' }), {
  core,
  vitest: { describe, it },
});
