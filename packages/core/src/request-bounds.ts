import { InvalidRequestError } from './errors.js';
import { describeCall } from './failure.js';
import type { CallContext } from './types.js';

/**
 * Bounds on what a call may send upstream, checked where every call enters the bridge (library
 * calls and both gateway doors). A hostile caller's 20,000-deep arguments would otherwise reach a
 * transport's `JSON.stringify` (which overflows the stack) or an upstream's parser: both the
 * caller's problem, never a reason to count a failure against the upstream.
 */
export interface RequestLimits {
  /** Deepest nesting of objects and arrays in a request's params (`params` itself is level 1). Default 64. */
  maxDepth?: number;
  /**
   * Largest request params, in characters of JSON, counted without serialising and from below
   * (strings and keys by length, a number as one character), so params whose JSON fits are never
   * refused; it also bounds the values walked (each counts at least one). Default 4 MiB, the
   * gateway's body limit.
   */
  maxSize?: number;
}

/** Defaults of {@link RequestLimits}: real tools' arguments are a few levels deep and a few KiB. */
export const DEFAULT_REQUEST_LIMITS: Readonly<Required<RequestLimits>> = Object.freeze({ maxDepth: 64, maxSize: 4 * 1024 * 1024 });

/** The limits with defaults filled in. */
export function resolveRequestLimits(limits: RequestLimits | undefined): Readonly<Required<RequestLimits>> {
  if (limits === undefined) return DEFAULT_REQUEST_LIMITS;
  return Object.freeze({ ...DEFAULT_REQUEST_LIMITS, ...limits });
}

/** What a walk found first: too deep, too big, or a value JSON cannot carry. */
type Breach = 'depth' | 'size' | 'bigint' | undefined;

/** A scalar's least JSON length: one character for a number (`0`), four for the others (`true`, `null`; `false` is five). */
const scalarSize = (value: unknown): number => (typeof value === 'number' ? 1 : 4);

/**
 * Throws an {@link InvalidRequestError} (the caller's fault: JSON-RPC -32602 at the gateway, never
 * counted against the upstream) when the call's params break a limit. One iterative walk (a deep
 * input cannot overflow the stack), stopping at the first breach; the size bound also bounds the
 * walk of a graph that shares one object many times, and a cycle breaks the depth bound.
 */
export function checkRequestBounds(ctx: CallContext, limits: Readonly<Required<RequestLimits>>): void {
  const breach = measure(ctx.params, limits.maxDepth, limits.maxSize);
  if (breach !== undefined) throw boundsError(ctx, limits, breach);
}

function measure(root: unknown, maxDepth: number, maxSize: number): Breach {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  let size = 0;
  while (values.length > 0) {
    const value = values.pop() as object;
    const depth = depths.pop()!;
    if (depth > maxDepth) return 'depth';
    const next = depth + 1;
    if (Array.isArray(value)) {
      // `[`, `]` and a comma between items.
      size += value.length === 0 ? 2 : 1 + value.length;
      if (size > maxSize) return 'size';
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(next);
        } else {
          size += typeof item === 'string' ? item.length + 2 : scalarSize(item);
          if (typeof item === 'bigint') return 'bigint';
        }
      }
    } else {
      size += 2;
      for (const key in value) {
        const item = (value as Record<string, unknown>)[key];
        // Quotes and a colon; commas are not counted (the count stays below the JSON's length).
        size += key.length + 3;
        // Checked per key too: an object of millions of keys stops as soon as it is too big.
        if (size > maxSize) return 'size';
        if (typeof item === 'object' && item !== null) {
          values.push(item);
          depths.push(next);
        } else {
          size += typeof item === 'string' ? item.length + 2 : scalarSize(item);
          if (typeof item === 'bigint') return 'bigint';
        }
      }
    }
    if (size > maxSize) return 'size';
  }
  return undefined;
}

function boundsError(ctx: CallContext, limits: Readonly<Required<RequestLimits>>, breach: Exclude<Breach, undefined>): InvalidRequestError {
  const data = { server: ctx.server, method: ctx.method };
  if (breach === 'size') {
    return new InvalidRequestError(
      `${describeCall(ctx)}: the request's parameters are larger than the limit of ${limits.maxSize} characters of JSON (requestLimits.maxSize); the call was not sent`,
      { data: { ...data, limit: 'maxSize', maxSize: limits.maxSize } },
    );
  }
  if (breach === 'bigint') {
    return new InvalidRequestError(
      `${describeCall(ctx)}: the request's parameters hold a BigInt, which JSON cannot carry; the call was not sent`,
      {
        data,
      },
    );
  }
  const path = pathTooDeep(ctx.params, limits.maxDepth);
  return new InvalidRequestError(
    `${describeCall(ctx)}: the request's parameters are nested deeper than the limit of ${limits.maxDepth} levels ` +
      `(requestLimits.maxDepth), at ${path}; the call was not sent: send a flatter value`,
    { data: { ...data, limit: 'maxDepth', maxDepth: limits.maxDepth } },
  );
}

interface Frame {
  readonly value: unknown;
  readonly depth: number;
  readonly key: string;
  readonly parent: Frame | undefined;
}

/** Segments of a path shown before it is cut short: the start says which argument it is. */
const SHOWN_SEGMENTS = 6;
/** Longest key shown in a path. */
const SHOWN_KEY_CHARS = 40;

/**
 * Where the params first pass `maxDepth` (`params.arguments.text.a.a… (depth 65)`). Run on failure
 * only: it keeps a frame per object, which the check itself does not pay for.
 */
function pathTooDeep(root: unknown, maxDepth: number): string {
  const stack: Frame[] = [{ value: root, depth: 1, key: 'params', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) return describePath(frame);
    const value = frame.value as Record<string, unknown>;
    const isArray = Array.isArray(value);
    for (const key in value) {
      const item = value[key];
      if (typeof item === 'object' && item !== null)
        stack.push({
          value: item,
          depth: frame.depth + 1,
          key: isArray ? `[${key}]` : `.${key.length > SHOWN_KEY_CHARS ? `${key.slice(0, SHOWN_KEY_CHARS)}…` : key}`,
          parent: frame,
        });
    }
  }
  return 'params';
}

function describePath(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f !== undefined; f = f.parent) keys.push(f.key);
  keys.reverse();
  const shown = keys.slice(0, SHOWN_SEGMENTS).join('');
  return `${keys.length > SHOWN_SEGMENTS ? `${shown}…` : shown} (depth ${frame.depth})`;
}
