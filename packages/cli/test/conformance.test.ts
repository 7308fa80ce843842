import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { requestLog } from '../src/index.js';

// The plugin conformance suite of @mcp-bridge/testing, on its default fault server, for the
// request log `mcp-bridge serve` puts in front of every other plugin.
describePluginConformance(() => requestLog({ write: () => undefined }), { core, vitest: { describe, it } });

// With colours, as `serve` uses it on a terminal.
const tag = (s: string): string => `[${s}]`;
describePluginConformance(() => requestLog({ write: () => undefined, color: { dim: tag, red: tag, green: tag, yellow: tag } }), {
  core,
  vitest: { describe, it },
});
