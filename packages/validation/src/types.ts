import type { CallContext } from '@mcp-bridge/core';
import type { ValidationIssue } from './messages.js';

/** Which side of a call a problem is about; `schema` is the tool's schema itself. */
export type ValidationKind = 'input' | 'output' | 'schema';

/** Payload of `validation:warning`: something was let through, or a schema is not validated. */
export interface ValidationWarningEvent {
  readonly server: string;
  /** Exposed tool name. */
  readonly tool: string;
  readonly kind: ValidationKind;
  readonly message: string;
  readonly issues?: readonly ValidationIssue[];
  /** The call, for `input`/`output` warnings. */
  readonly ctx?: CallContext;
}

/** Payload of `validation:rejected`: a call was answered (or failed) by this plugin. */
export interface ValidationRejectedEvent {
  readonly ctx: CallContext;
  readonly server: string;
  readonly tool: string;
  readonly kind: ValidationKind;
  readonly message: string;
  readonly issues: readonly ValidationIssue[];
}

/** Counters of one validation plugin (`bridge.validation.stats()`). */
export interface ValidationStats {
  /** Schemas compiled (or refused) since start: once per schema and catalog version. */
  compiled: number;
  /** Schemas not validated: past the limits, unsupported dialect, or not compiling. */
  unsafeSchemas: number;
  /** Calls answered without reaching the upstream because of their arguments (or a refused schema). */
  inputRejected: number;
  /** Results rejected in strict mode. */
  outputRejected: number;
  /** `validation:warning` events emitted. */
  warnings: number;
  /** Calls whose arguments were coerced before sending. */
  coerced: number;
}

/** What the plugin attaches to the bridge as `bridge.validation`. */
export interface ValidationControl {
  /** A snapshot of the counters. */
  stats(): ValidationStats;
}

declare module '@mcp-bridge/core' {
  interface BridgeEvents {
    'validation:warning': ValidationWarningEvent;
    'validation:rejected': ValidationRejectedEvent;
  }
  interface BridgeExtensions {
    validation: ValidationControl;
  }
}

/** Name of the `_meta` entry that carries the issues of a result this plugin wrote. */
export const VALIDATION_META_KEY = 'mcp-bridge/validation';
