/**
 * `@mcp-bridge/health`: active probes, passive outlier detection and health snapshots.
 *
 * @example
 * ```ts
 * import { health } from '@mcp-bridge/health';
 * const bridge = createBridge({ servers, plugins: [health({ hideUnhealthy: true })] });
 * ```
 * @packageDocumentation
 */
export { health } from './health-plugin.js';
export type { HealthSnapshot, UpstreamHealth } from './health-plugin.js';
export { healthOptionsSchema, PROBE_DEFAULTS } from './options.js';
export type { HealthOptions, ProbeSettings, ProbeTarget, ResolvedHealthOptions } from './options.js';
export { HealthTracker } from './tracker.js';
export type { TrackerDeps, UpstreamRecord } from './tracker.js';
export { OutcomeWindow } from './window.js';
