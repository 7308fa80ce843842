/**
 * The mcp-bridge error family.
 *
 * Every error thrown by the host or a first-party plugin is a {@link BridgeError}: it has a
 * SCREAMING_SNAKE `code`, an optional `cause`, optional `data`, and names the plugin that raised it
 * in its message (`[mcp-bridge] [@mcp-bridge/retry] gave up after 3 attempts: ...`).
 *
 * `instanceof` is branded rather than prototype-based: two copies of `@mcp-bridge/core` in one
 * process (a plugin bundling its own, or ESM next to CJS) still recognise each other's errors.
 */

import { verdictOfBridgeError, type FailureVerdict } from './failure-verdict.js';

const BRAND = Symbol.for('mcp-bridge.error');

type Branded = { [BRAND]?: readonly string[] };

/** Options common to every bridge error. */
export interface BridgeErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  cause?: unknown;
  /** Structured details (server, tool, attempts ...) for programs; never secrets. */
  data?: Record<string, unknown>;
  /** The plugin that raised the error; shown in the message. */
  plugin?: string;
}

/**
 * Base of every mcp-bridge error.
 *
 * @example
 * ```ts
 * try { await bridge.callTool('search', {}) }
 * catch (err) { if (BridgeError.isInstance(err)) console.error(err.code, err.message) }
 * ```
 */
export class BridgeError extends Error {
  /** Brand of this class; subclasses set their own so `instanceof` works across copies. */
  static readonly brand: string = 'BridgeError';

  /** Machine-readable code, e.g. `PLUGIN_CYCLE` or `UPSTREAM_UNAVAILABLE`. */
  readonly code: string;
  /** Structured details for programs. */
  readonly data: Record<string, unknown> | undefined;
  /** The plugin that raised the error, when one did. */
  readonly plugin: string | undefined;
  #verdict: FailureVerdict | undefined;

  constructor(code: string, message: string, options: BridgeErrorOptions = {}) {
    const where = options.plugin ? ` [${options.plugin}]` : '';
    super(`[mcp-bridge]${where} ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
    this.plugin = options.plugin;
    this.name = new.target.name;
    // The brand lists every class of the chain, so `x instanceof RetryExhaustedError` and
    // `x instanceof BridgeError` both hold for one error, whatever copy of core created it.
    const brands: string[] = [];
    for (let c: unknown = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) brands.push(ownBrand(c));
    Object.defineProperty(this, BRAND, { value: brands, enumerable: false });
  }

  /**
   * What this failure means for the breaker, health, retry, the cache and metrics (docs/contracts.md):
   * decided from the code and data once, on first read, so an error that nobody inspects costs nothing.
   */
  get verdict(): FailureVerdict {
    return (this.#verdict ??= verdictOfBridgeError(this, Date.now()));
  }

  /** Branded check: true for errors of this class made by any copy of `@mcp-bridge/core`. */
  static isInstance(value: unknown): boolean {
    return brandOf(value)?.includes(ownBrand(this)) ?? false;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return brandOf(value)?.includes(ownBrand(this)) ?? false;
  }

  /** A JSON-friendly view (for logs and the gateway's error data). */
  toJSON(): { name: string; code: string; message: string; data?: Record<string, unknown> } {
    return { name: this.name, code: this.code, message: this.message, ...(this.data ? { data: this.data } : {}) };
  }
}

/** A class's own brand; a subclass that declares none is branded by its name, never by its parent's brand. */
function ownBrand(cls: unknown): string {
  return Object.prototype.hasOwnProperty.call(cls, 'brand') ? (cls as { brand: string }).brand : (cls as { name: string }).name;
}

function brandOf(value: unknown): readonly string[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const b = (value as Branded)[BRAND];
  return Array.isArray(b) ? b : undefined;
}

/** Codes raised while booting plugins. */
export type PluginErrorCode =
  | 'PLUGIN_INVALID'
  | 'PLUGIN_DUPLICATE'
  | 'PLUGIN_CORE_RANGE'
  | 'PLUGIN_MISSING_DEPENDENCY'
  | 'PLUGIN_DEPENDENCY_RANGE'
  | 'PLUGIN_CYCLE'
  | 'PLUGIN_SETUP_TIMEOUT'
  | 'PLUGIN_SETUP_FAILED'
  | 'PLUGIN_CLEANUP_FAILED'
  | 'PLUGIN_LIST_FILTER_FAILED'
  | 'PLUGIN_OPTIONS_INVALID'
  | 'SERVICE_CONFLICT'
  | 'SERVICE_MISSING'
  | 'SERVICE_UNDECLARED'
  | 'PIPELINE_FROZEN';

/** A plugin could not be loaded, ordered or set up; the message names the plugin. */
export class PluginError extends BridgeError {
  static override readonly brand: string = 'PluginError';
  declare readonly code: PluginErrorCode;
  constructor(code: PluginErrorCode, plugin: string, message: string, options: Omit<BridgeErrorOptions, 'plugin'> = {}) {
    super(code, message, { ...options, plugin });
  }
}

/** The bridge options or a server entry are invalid. `data.issues` lists every problem with its path. */
export class ConfigError extends BridgeError {
  static override readonly brand: string = 'ConfigError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** No tool, prompt or resource with that name exists in the catalog. */
export class NotFoundError extends BridgeError {
  static override readonly brand: string = 'NotFoundError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

/** The target server has no upstream that can take the call (none configured, all excluded). */
export class NoUpstreamError extends BridgeError {
  static override readonly brand: string = 'NoUpstreamError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('NO_UPSTREAM', message, options);
  }
}

/** The upstream could not be reached: it failed to start, its process died, its connection closed. */
export class UpstreamUnavailableError extends BridgeError {
  static override readonly brand: string = 'UpstreamUnavailableError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('UPSTREAM_UNAVAILABLE', message, options);
  }
}

/** A circuit breaker is open for the upstream; retry treats this as "try another replica". */
export class CircuitOpenError extends BridgeError {
  static override readonly brand: string = 'CircuitOpenError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('CIRCUIT_OPEN', message, options);
  }
}

/** Every allowed attempt failed; `cause` is the last failure. */
export class RetryExhaustedError extends BridgeError {
  static override readonly brand: string = 'RetryExhaustedError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('RETRY_EXHAUSTED', message, options);
  }
}

/** A call or an attempt ran out of time; the upstream request was cancelled. */
export class TimeoutError extends BridgeError {
  static override readonly brand: string = 'TimeoutError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('TIMEOUT', message, options);
  }
}

/** Arguments or a result did not match the tool's schema. */
export class ValidationError extends BridgeError {
  static override readonly brand: string = 'ValidationError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('VALIDATION_FAILED', message, options);
  }
}

/**
 * The caller's request cannot be sent as it is (arguments nested too deeply to serialise, a value
 * JSON cannot hold). The caller's fault: never counted against the upstream, never retried.
 */
export class InvalidRequestError extends BridgeError {
  static override readonly brand: string = 'InvalidRequestError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('INVALID_REQUEST', message, options);
  }
}

/** A bulkhead or queue is full; the call failed fast instead of waiting. */
export class OverloadedError extends BridgeError {
  static override readonly brand: string = 'OverloadedError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('OVERLOADED', message, options);
  }
}

/** The upstream answered with something that is not a valid MCP result for the method. */
export class InvalidResponseError extends BridgeError {
  static override readonly brand: string = 'InvalidResponseError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('INVALID_RESPONSE', message, options);
  }
}

/** Two servers expose the same name and the naming policy is `error`. */
export class NameCollisionError extends BridgeError {
  static override readonly brand: string = 'NameCollisionError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('NAME_COLLISION', message, options);
  }
}

/** The bridge is not started, or is closing/closed. */
export class BridgeStateError extends BridgeError {
  static override readonly brand: string = 'BridgeStateError';
  constructor(message: string, options: BridgeErrorOptions = {}) {
    super('BRIDGE_STATE', message, options);
  }
}
