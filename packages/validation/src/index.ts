/**
 * `@mcp-bridge/validation`: validates `tools/call` arguments and structured results against the
 * tools' JSON Schemas, bounded against hostile schemas.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { validation } from '@mcp-bridge/validation';
 *
 * const bridge = createBridge({ servers, plugins: [validation({ coerce: true })] });
 * await bridge.start();
 * ```
 * @packageDocumentation
 */
export { validation, VALIDATION_META_KEY } from './plugin.js';
export type { ValidationControl, ValidationKind, ValidationRejectedEvent, ValidationStats, ValidationWarningEvent } from './plugin.js';
export { validationOptionsSchema } from './options.js';
export type { ResolvedValidationOptions, ValidationLevel, ValidationOptions, ValidationOverride } from './options.js';
export { DEFAULT_LIMITS, scanSchema } from './bounds.js';
export type { PatternUse, ScanResult, SchemaLimits } from './bounds.js';
export { dialectOf, SchemaCompiler } from './compiler.js';
export type { CompiledSchema, CompilerOptions, Dialect, UnsafePatternPolicy } from './compiler.js';
export { PatternGuard } from './patterns.js';
export type { PatternVerdict } from './patterns.js';
export type { ValidationIssue } from './messages.js';
