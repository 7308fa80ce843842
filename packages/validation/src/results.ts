import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ErrorObject } from 'ajv';
import type { CompiledSchema } from './compiler.js';
import type { ValidationIssue } from './messages.js';
import { RecursionBudgetError } from './recursion-budget.js';
import { VALIDATION_META_KEY, type ValidationKind } from './types.js';

/** Every error of an invalid value (the fast validator stopped at the first). */
export function explain(compiled: Extract<CompiledSchema, { ok: true }>, value: unknown): ErrorObject[] | null | undefined {
  const detailed = compiled.detailed();
  try {
    detailed(value);
    return detailed.errors ?? compiled.validate.errors;
  } catch {
    return compiled.validate.errors;
  }
}

/** The `isError` answer this plugin gives in the tool's place, with the issues in `_meta`. */
export function errorResult(
  message: string,
  meta: { kind: ValidationKind; tool: string; server: string; issues: readonly ValidationIssue[] },
): CallToolResult & { content: CallToolResult['content'] } {
  return { content: [{ type: 'text', text: message }], isError: true, _meta: { [VALIDATION_META_KEY]: meta } };
}

/** `value` without its undefined fields (so they do not override defaults in a spread). */
export function stripUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

/**
 * A value nested at most this deep cannot overflow the stack of a validator that consumes one level
 * of data per level of recursion: when one does, the schema is at fault.
 */
export const SCHEMA_FAULT_DEPTH = 200;

/** Whether `value` nests objects or arrays more than `limit` levels deep (stops as soon as it knows). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > limit) return true;
    const next: unknown[] = [];
    for (const v of level) {
      if (v === null || typeof v !== 'object') continue;
      // A loop, not push(...): a spread of a huge array would itself overflow.
      for (const child of Array.isArray(v) ? v : Object.values(v)) next.push(child);
    }
    level = next;
  }
  return false;
}

/** Why a value (not its schema) could not be validated. */
export interface ValueFault {
  /** The issue's rule: `depth` (stack overflow on a deep value) or `budget` (recursion budget spent). */
  readonly rule: 'depth' | 'budget';
  /** What went wrong, for the issue and the message: "nested too deeply to be validated" ... */
  readonly why: string;
}

/**
 * Whether a validator's throw is the value's fault (this call's problem, never the schema's, or one
 * hostile caller would switch validation off for everyone): a stack overflow on a deeply nested
 * value, or a recursive schema's budget spent on it. `undefined`: the schema is at fault (one that
 * recurses without consuming data overflows on a shallow value too).
 */
export function valueFault(error: unknown, value: unknown): ValueFault | undefined {
  if (error instanceof RecursionBudgetError) return { rule: 'budget', why: `too costly to validate: ${error.message}` };
  if (error instanceof RangeError && nestedDeeperThan(value, SCHEMA_FAULT_DEPTH))
    return { rule: 'depth', why: 'nested too deeply to be validated' };
  return undefined;
}
