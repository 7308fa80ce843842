import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { describe, it } from 'vitest';
import { metrics } from '../src/index.js';

describePluginConformance(() => metrics(), { core, vitest: { describe, it } });
describePluginConformance(() => metrics({ attempts: true }), { core, vitest: { describe, it } });
