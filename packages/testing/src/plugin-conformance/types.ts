/**
 * Structural types of the conformance suite. `@mcp-bridge/testing` does not depend on
 * `@mcp-bridge/core` (core's own tests use this package): the author passes the core module they
 * installed, so the suite checks the plugin against exactly the core it will run with.
 */

/** The part of a plugin object the suite reads; any `Plugin` of `@mcp-bridge/core` fits. */
export interface ConformancePlugin {
  name: unknown;
  version: unknown;
  core?: unknown;
  setup(api: never): unknown;
}

/** The part of a middleware the suite wraps. */
export interface ConformanceMiddleware {
  name?: string;
  phase: string;
  handle(ctx: ConformanceCallContext, next: (ctx?: ConformanceCallContext) => Promise<unknown>): Promise<unknown>;
}

/** The part of a call context the suite reads. */
export interface ConformanceCallContext {
  /** Unique per call (kept by derived contexts); tells the suite's own calls from a plugin's background ones. */
  readonly id?: unknown;
  readonly method: string;
  signal: AbortSignal | undefined;
}

/** The part of a bridge the suite drives. */
export interface ConformanceBridge {
  start(): Promise<void>;
  close(): Promise<void>;
  callTool(
    name: string,
    args?: Record<string, unknown>,
    options?: { signal?: AbortSignal; timeout?: number; caller?: string },
  ): Promise<unknown>;
  listTools(options?: { refresh?: boolean }): Promise<{ tools: readonly { name: string }[] }>;
}

/**
 * The `@mcp-bridge/core` module under test: pass `import * as core from '@mcp-bridge/core'`.
 */
export interface ConformanceCore {
  createBridge(options: {
    servers?: Record<string, unknown>;
    plugins?: readonly never[];
    onError?: (error: unknown) => void;
  }): ConformanceBridge;
  readonly CORE_VERSION: string;
  readonly BridgeError: { isInstance(value: unknown): boolean };
}

/** The checks, in the order they run. */
export const CONFORMANCE_CHECKS = ['metadata', 'fresh-hosts', 'late-next', 'abort', 'close-releases', 'errors'] as const;

/** One check of the suite. */
export type ConformanceCheckName = (typeof CONFORMANCE_CHECKS)[number];

/** Tool names (as the bridge exposes them) the checks call. */
export interface ConformanceTools {
  /** A tool that answers normally. Default `lookup`. */
  ok: string;
  /** A tool whose call fails with a JSON-RPC error. Default `fail`. */
  error?: string;
  /** A tool that never answers until cancelled. Default `hang`. */
  hang?: string;
}

/** Options of {@link checkPluginConformance}. */
export interface PluginConformanceOptions {
  /** The `@mcp-bridge/core` module to run the plugin on: `import * as core from '@mcp-bridge/core'`. */
  core: ConformanceCore;
  /**
   * Servers of each bridge the suite creates; called once per bridge so each gets fresh ones.
   * Default: one in-memory fault server `conformance` with the tools `lookup` (answers), `fail`
   * (JSON-RPC error) and `hang` (never answers).
   */
  servers?: () => Record<string, unknown>;
  /** Which tools to call, when `servers` is given. */
  tools?: ConformanceTools;
  /** Arguments of every tool call (default `{ key: 'conformance' }`). */
  args?: Record<string, unknown>;
  /** Passed as `caller` on every call (for per-caller plugins). */
  caller?: string;
  /** Other plugins each bridge gets (what the plugin under test depends on); called once per bridge. Not instrumented. */
  plugins?: () => readonly unknown[];
  /** More options for `createBridge` (e.g. `requestTimeout`); `servers` and `plugins` are the suite's. */
  bridgeOptions?: Record<string, unknown>;
  /** How many fresh hosts `fresh-hosts` creates from the factory. Default 3. */
  hosts?: number;
  /** How long a cancelled call may take to settle, ms. Default 2000. */
  abortWithinMs?: number;
  /** How long to wait for timers, handles and late `next()` calls to settle after a call or `close()`, ms. Default 1000. */
  settleMs?: number;
  /** Checks to skip, each with the reason (shown in the report). */
  skip?: Partial<Record<ConformanceCheckName, string>>;
}

/** Outcome of one check. */
export interface ConformanceCheckResult {
  readonly check: ConformanceCheckName;
  /** `skipped` when listed in `options.skip` or not applicable (no `hang` tool for `abort`). */
  readonly status: 'passed' | 'failed' | 'skipped';
  /** Every problem found (failed), or why it was skipped. */
  readonly problems: readonly string[];
  readonly durationMs: number;
}

/** What {@link checkPluginConformance} returns. */
export interface ConformanceReport {
  /** The plugin's name, as the factory returned it. */
  readonly plugin: string;
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly ConformanceCheckResult[];
}
