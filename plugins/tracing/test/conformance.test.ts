import * as core from '@mcp-bridge/core';
import { describePluginConformance } from '@mcp-bridge/testing';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, it } from 'vitest';
import { tracing } from '../src/index.js';

// Recording (spans, attempts, _meta) and not recording (no provider): both must conform.
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())] });
describePluginConformance(() => tracing({ tracerProvider: provider }), { core, vitest: { describe, it } });
describePluginConformance(() => tracing(), { core, vitest: { describe, it } });
