/**
 * `@mcp-bridge/plugin-pinning`: trust-on-first-use pins of tool, prompt and resource template
 * definitions; a changed definition is warned about, hidden or blocked until approved.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { pinning } from '@mcp-bridge/plugin-pinning';
 * const bridge = createBridge({ servers, plugins: [pinning({ onChange: 'block' })] });
 * ```
 * @packageDocumentation
 */
export { pinning } from './pinning.js';
export type { PinControl } from './pinning.js';
export { PinDriftError } from './errors.js';
export { driftDiff } from './diff.js';
export { canonicalJson, changedFields, fingerprint, pinnedDefinition, prettyDefinition } from './fingerprint.js';
export type { PinKind } from './fingerprint.js';
export { pinningOptionsSchema, POLICIES } from './options.js';
export type { DriftPolicy, PinningOptions, ResolvedPinningOptions } from './options.js';
export { PinBook } from './pin-book.js';
export type { Drift, ListOutcome, PinPolicies } from './pin-book.js';
export { openPinStore, upstreamIdentity } from './pinning-setup.js';
export type { DriftEvent } from './pinning-setup.js';
export { defaultPinFile, FilePinStore, itemKey, KeyvPinStore } from './store.js';
export type { PinRecord, PinStore, ServerPins } from './store.js';
