import semver from 'semver';
import { inMemoryFaultServer, type InMemoryFaultServerConfig } from '../fault/in-memory-fault-server.js';
import { describeError, MiddlewareMonitor } from './instrument.js';
import { activeResources, grownResources, TimerTracker } from './resources.js';
import type { ConformanceBridge, ConformanceCheckName, ConformancePlugin, ConformanceTools, PluginConformanceOptions } from './types.js';

/** A plugin factory as the author exports it, already bound to its options. */
export type PluginFactory = () => ConformancePlugin;

/** Everything one check needs. */
interface CheckEnv {
  readonly factory: PluginFactory;
  readonly options: PluginConformanceOptions;
  readonly tools: ConformanceTools;
  readonly settleMs: number;
  /** The default fault server of the last bridge, when the suite made the servers. */
  fault: InMemoryFaultServerConfig | undefined;
}

type Check = (env: CheckEnv, problems: string[]) => void | Promise<void>;

const DEFAULT_TOOLS: ConformanceTools = { ok: 'lookup', error: 'fail', hang: 'hang' };

/** The tools the checks call: the defaults with the suite's servers, else what the author named. */
export function toolsOf(options: PluginConformanceOptions): ConformanceTools {
  return options.servers ? (options.tools ?? { ok: 'lookup' }) : DEFAULT_TOOLS;
}

/** Runs one check; never throws (a thrown error is a problem of the check). */
export async function runCheck(name: ConformanceCheckName, factory: PluginFactory, options: PluginConformanceOptions): Promise<string[]> {
  const env: CheckEnv = { factory, options, tools: toolsOf(options), settleMs: options.settleMs ?? 1000, fault: undefined };
  const problems: string[] = [];
  try {
    await CHECKS[name](env, problems);
  } catch (error) {
    problems.push(`the check itself failed: ${describeError(error)}`);
  }
  return problems;
}

const CHECKS: Record<ConformanceCheckName, Check> = {
  metadata: checkMetadata,
  'fresh-hosts': checkFreshHosts,
  'late-next': checkLateNext,
  abort: checkAbort,
  'close-releases': checkCloseReleases,
  errors: checkErrors,
};

// ------------------------------------------------------------------ metadata

function checkMetadata(env: CheckEnv, problems: string[]): void {
  const plugin = env.factory() as unknown;
  if (typeof plugin !== 'object' || plugin === null) {
    problems.push(`the factory returned ${plugin === null ? 'null' : typeof plugin}, not a plugin object`);
    return;
  }
  const { name, version, core, setup } = plugin as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '') problems.push(`name must be a non-empty string (got ${JSON.stringify(name)})`);
  if (typeof version !== 'string' || semver.valid(version) === null)
    problems.push(`version must be a valid semver version (got ${JSON.stringify(version)})`);
  if (typeof setup !== 'function') problems.push('setup must be a function');
  if (core === undefined) {
    problems.push('core must name the @mcp-bridge/core versions the plugin supports (e.g. core: "^0.1.0")');
  } else if (typeof core !== 'string' || semver.validRange(core) === null) {
    problems.push(`core must be a valid semver range (got ${JSON.stringify(core)})`);
  } else if (!semver.satisfies(env.options.core.CORE_VERSION, core, { includePrerelease: true })) {
    problems.push(`core range "${core}" is not satisfied by the installed @mcp-bridge/core ${env.options.core.CORE_VERSION}`);
  }
}

// ------------------------------------------------------------------ bridges

interface Host {
  readonly bridge: ConformanceBridge;
  readonly monitor: MiddlewareMonitor;
  /** Errors the bridge reported to `onError` (listeners that threw, failed cleanups). */
  readonly reported: string[];
}

/** Creates a bridge with the plugin (instrumented) and fresh servers, and starts it. */
async function startHost(
  env: CheckEnv,
  problems: string[],
  label: string,
  plugin: ConformancePlugin = env.factory(),
): Promise<Host | undefined> {
  const { core } = env.options;
  const monitor = new MiddlewareMonitor((v) => core.BridgeError.isInstance(v));
  const reported: string[] = [];
  let servers: Record<string, unknown>;
  if (env.options.servers) {
    servers = env.options.servers();
  } else {
    env.fault = defaultFaultServer();
    servers = { conformance: env.fault };
  }
  const bridge = core.createBridge({
    ...env.options.bridgeOptions,
    servers,
    plugins: [monitor.tagger(), ...(env.options.plugins?.() ?? []), monitor.wrap(plugin)] as never[],
    onError: (error) => reported.push(describeError(error)),
  });
  try {
    await bridge.start();
  } catch (error) {
    problems.push(`${label}: start() failed: ${describeError(error)}`);
    await bridge.close().catch(() => undefined);
    return undefined;
  }
  return { bridge, monitor, reported };
}

/** Closes a host and reports what it left behind in the monitor. */
async function closeHost(host: Host, problems: string[], label: string): Promise<void> {
  try {
    await host.bridge.close();
  } catch (error) {
    problems.push(`${label}: close() failed: ${describeError(error)}`);
  }
  for (const r of host.reported) problems.push(`${label}: the bridge reported: ${r}`);
}

function defaultFaultServer(): InMemoryFaultServerConfig {
  return inMemoryFaultServer({
    name: 'conformance',
    tools: { lookup: { readOnlyHint: true }, fail: {}, hang: { readOnlyHint: true } },
    toolFaults: { fail: { rates: { error: 1 } }, hang: { rates: { hang: 1 } } },
  });
}

function callOptions(
  env: CheckEnv,
  extra: { signal?: AbortSignal; timeout?: number } = {},
): { signal?: AbortSignal; timeout?: number; caller?: string } {
  return { ...extra, ...(env.options.caller !== undefined ? { caller: env.options.caller } : {}) };
}

function args(env: CheckEnv, key: string): Record<string, unknown> {
  return env.options.args ?? { key };
}

/** Polls `done` every 20 ms until it holds or `ms` passed; resolves whether it held. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= end) return false;
    await sleep(20);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A call that must succeed. */
async function okCall(env: CheckEnv, host: Host, problems: string[], label: string): Promise<void> {
  try {
    await host.bridge.callTool(env.tools.ok, args(env, 'conformance'), callOptions(env));
  } catch (error) {
    problems.push(`${label}: calling "${env.tools.ok}" failed: ${describeError(error)}`);
  }
}

/** A call that is expected to fail; returns what it failed with (undefined when it resolved). */
async function failingCall(env: CheckEnv, host: Host): Promise<{ error: unknown } | undefined> {
  if (!env.tools.error) return undefined;
  try {
    await host.bridge.callTool(env.tools.error, args(env, 'conformance-error'), callOptions(env));
    return undefined;
  } catch (error) {
    return { error };
  }
}

// ------------------------------------------------------------------ fresh hosts

async function checkFreshHosts(env: CheckEnv, problems: string[]): Promise<void> {
  const count = env.options.hosts ?? 3;
  // One after another: a plugin that keeps state across setups (a module-level flag, a server it
  // binds once) fails on the second host.
  for (let i = 1; i <= count; i++) {
    const label = `host ${i} of ${count}`;
    const host = await startHost(env, problems, label);
    if (!host) continue;
    try {
      const { tools } = await host.bridge.listTools();
      if (!tools.some((t) => t.name === env.tools.ok)) problems.push(`${label}: the tool "${env.tools.ok}" is missing from listTools()`);
      await okCall(env, host, problems, label);
    } finally {
      await closeHost(host, problems, label);
    }
  }
  // Two at once, set up from ONE plugin object (users pass one result to several bridges): state
  // must live in setup, not in the factory's closure or the module.
  const shared = env.factory();
  const both = await Promise.all([
    startHost(env, problems, 'concurrent host A', shared),
    startHost(env, problems, 'concurrent host B', shared),
  ]);
  try {
    await Promise.all(both.map((host, i) => (host ? okCall(env, host, problems, `concurrent host ${'AB'[i]}`) : Promise.resolve())));
  } finally {
    await Promise.all(both.map((host, i) => (host ? closeHost(host, problems, `concurrent host ${'AB'[i]}`) : Promise.resolve())));
  }
}

// ------------------------------------------------------------------ late next()

async function checkLateNext(env: CheckEnv, problems: string[]): Promise<void> {
  const host = await startHost(env, problems, 'host');
  if (!host) return;
  try {
    for (let i = 0; i < 3; i++) await okCall(env, host, problems, 'host');
    await failingCall(env, host);
    await host.bridge
      .listTools({ refresh: true })
      .catch((error: unknown) => problems.push(`listTools({ refresh: true }) failed: ${describeError(error)}`));
    // A late next() typically comes from a timer or a promise the middleware left running.
    await until(() => host.monitor.inFlight === 0, env.settleMs);
    await sleep(Math.min(env.settleMs, 300));
  } finally {
    await closeHost(host, problems, 'host');
  }
  await sleep(Math.min(env.settleMs, 100));
  problems.push(...new Set(host.monitor.lateNext));
}

// ------------------------------------------------------------------ abort

async function checkAbort(env: CheckEnv, problems: string[]): Promise<void> {
  const hang = env.tools.hang;
  if (!hang) return;
  const within = env.options.abortWithinMs ?? 2000;
  const host = await startHost(env, problems, 'host');
  if (!host) return;
  const fault = env.fault;
  try {
    // Aborted mid-flight.
    const controller = new AbortController();
    const outcome = host.bridge
      .callTool(hang, args(env, 'conformance-abort'), callOptions(env, { signal: controller.signal, timeout: within * 20 }))
      .then(
        () => 'resolved' as const,
        () => 'rejected' as const,
      );
    await sleep(50);
    const abortedAt = Date.now();
    controller.abort(new Error('conformance: cancelled by the caller'));
    const settled = await Promise.race([outcome, sleep(within).then(() => 'pending' as const)]);
    if (settled === 'pending') problems.push(`a call aborted mid-flight was still pending ${within} ms after abort()`);
    else if (settled === 'resolved') problems.push('a call aborted mid-flight resolved instead of rejecting');
    else if (Date.now() - abortedAt > within) problems.push(`a call aborted mid-flight took ${Date.now() - abortedAt} ms to settle`);
    if (!(await until(() => host.monitor.inFlightOf(controller.signal) === 0, env.settleMs))) {
      problems.push(
        `${host.monitor.inFlightOf(controller.signal)} middleware invocation(s) of the aborted call still running ${env.settleMs} ms after it settled`,
      );
    }
    if (fault && !(await until(() => fault.ledger.cancelled('conformance-abort') > 0, env.settleMs))) {
      problems.push('the upstream never received notifications/cancelled for the aborted call (was ctx.signal dropped?)');
    }

    // Aborted before it started.
    const early = new AbortController();
    early.abort(new Error('conformance: cancelled before the call'));
    const started = Date.now();
    const first = await Promise.race([
      host.bridge
        .callTool(hang, args(env, 'conformance-abort-early'), callOptions(env, { signal: early.signal, timeout: within * 20 }))
        .then(
          () => 'resolved' as const,
          () => 'rejected' as const,
        ),
      sleep(within).then(() => 'pending' as const),
    ]);
    if (first === 'pending') problems.push(`a call made with an already aborted signal was still pending after ${within} ms`);
    else if (first === 'resolved') problems.push('a call made with an already aborted signal resolved instead of rejecting');
    else if (Date.now() - started > within)
      problems.push(`a call made with an already aborted signal took ${Date.now() - started} ms to settle`);
    if (!(await until(() => host.monitor.inFlightOf(early.signal) === 0, env.settleMs))) {
      problems.push(
        `${host.monitor.inFlightOf(early.signal)} middleware invocation(s) of the pre-aborted call still running after it settled`,
      );
    }
  } finally {
    await closeHost(host, problems, 'host');
  }
}

// ------------------------------------------------------------------ close releases everything

async function checkCloseReleases(env: CheckEnv, problems: string[]): Promise<void> {
  // Let anything started by the previous checks finish before taking the baseline.
  await sleep(50);
  const before = activeResources();
  const timers = new TimerTracker();
  timers.start();
  try {
    const host = await startHost(env, problems, 'host');
    if (!host) return;
    try {
      await okCall(env, host, problems, 'host');
      await failingCall(env, host);
      if (env.tools.hang) {
        const controller = new AbortController();
        const call = host.bridge
          .callTool(env.tools.hang, args(env, 'conformance-close'), callOptions(env, { signal: controller.signal }))
          .catch(() => undefined);
        await sleep(20);
        controller.abort(new Error('conformance: cancelled'));
        await call;
      }
    } finally {
      await closeHost(host, problems, 'host');
    }
    let pending: string[] = [];
    let grown: string[] = [];
    const clean = await until(() => {
      pending = timers.pending();
      grown = grownResources(before, activeResources());
      return pending.length === 0 && grown.length === 0;
    }, env.settleMs);
    if (!clean) {
      for (const p of pending) problems.push(`a timer is still pending after close(): ${p}`);
      if (grown.length) problems.push(`active handles grew across the bridge's life (process.getActiveResourcesInfo): ${grown.join(', ')}`);
    }
  } finally {
    timers.stop();
  }
}

// ------------------------------------------------------------------ errors

async function checkErrors(env: CheckEnv, problems: string[]): Promise<void> {
  const { core } = env.options;
  const host = await startHost(env, problems, 'host');
  if (!host) return;
  const check = (what: string, error: unknown, abortReason?: unknown): void => {
    if (core.BridgeError.isInstance(error) || error === abortReason || isJsonRpcError(error)) return;
    problems.push(`${what} rejected with ${describeError(error)}: neither a BridgeError nor the upstream's JSON-RPC error`);
  };
  try {
    await okCall(env, host, problems, 'host');
    const failed = await failingCall(env, host);
    if (env.tools.error && !failed)
      problems.push(`calling "${env.tools.error}" resolved, but the upstream answers it with a JSON-RPC error`);
    if (failed) {
      check(`calling "${env.tools.error}"`, failed.error);
      if (!env.options.servers && !isJsonRpcError(failed.error) && !core.BridgeError.isInstance(failed.error)) {
        problems.push('the upstream JSON-RPC error did not pass through unchanged');
      }
    }
    if (env.tools.hang) {
      const controller = new AbortController();
      const reason = new Error('conformance: cancelled');
      // The handler goes on at once: a plugin may reject before the abort.
      const call = host.bridge
        .callTool(env.tools.hang, args(env, 'conformance-errors'), callOptions(env, { signal: controller.signal }))
        .then(
          () => undefined,
          (error: unknown) => check(`the cancelled call to "${env.tools.hang}"`, error, reason),
        );
      await sleep(20);
      controller.abort(reason);
      await call;
    }
    await until(() => host.monitor.inFlight === 0, env.settleMs);
  } finally {
    await closeHost(host, problems, 'host');
  }
  problems.push(...new Set(host.monitor.badErrors));
}

/** The SDK's `McpError` (any copy): a JSON-RPC error an upstream sent, passed through. */
function isJsonRpcError(error: unknown): boolean {
  return error instanceof Error && error.name === 'McpError' && typeof (error as { code?: unknown }).code === 'number';
}
