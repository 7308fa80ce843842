import { createBridge, type Bridge, type BridgeEvents, type BridgeOptions, type Plugin } from '@mcp-bridge/core';
import { messageOf, type Progress } from './io.js';
import type { Loaded } from './load.js';
import { CLI_VERSION } from './version.js';

/** How the first connection of one server went. */
export interface ServerTiming {
  /** Connect + initialize time of the first attempt, ms. */
  ms: number;
  ok: boolean;
  /** The connect error, without the stderr part. */
  error?: string;
  /** The tail of a failed stdio server's stderr, when the transport quoted it. */
  stderr?: string;
}

/** A list entry a server sent that was repaired or dropped (see core's `catalog:warning`). */
export type ListWarning = BridgeEvents['catalog:warning'];

/** One line for a list warning: `gitlab: tool "create_issue" repaired: inputSchema.type: missing, set to "object"`. */
export function formatListWarning(w: ListWarning): string {
  const what = w.kind === 'templates' ? 'resource template' : w.kind.replace(/s$/, '');
  return `${w.server}: ${what} "${w.name}" ${w.action}: ${w.problem}`;
}

/** Options of {@link openBridge}. */
export interface OpenBridgeOptions {
  plugins?: Plugin[];
  /** Capabilities announced to upstreams (the gateway announces what it can route). */
  clientCapabilities?: BridgeOptions['clientCapabilities'];
  /** Only these servers (`call SERVER/TOOL` starts just the one it needs). */
  only?: string[];
  connectTimeout?: number;
  startTimeout?: number;
  /** `background`: the gateways answer at once and servers join as they come up (see core's `startMode`). */
  startMode?: BridgeOptions['startMode'];
  /** Do not start the bridge: the caller does (`serve --http` binds its port first). */
  deferStart?: boolean;
  /** Background mode: how long lists wait for servers still starting (core's `startGraceMs`). */
  startGraceMs?: number;
  /** Where servers' lists are kept between runs (core's `catalogSnapshot`, background mode). */
  catalogSnapshot?: BridgeOptions['catalogSnapshot'];
  onError?: (error: unknown) => void;
  progress?: Progress;
  /**
   * Problems an upstream's transport reports without failing anything by itself: an answer over
   * `maxMessageBytes`, a server that closed its stdout, stdout lines that are not JSON-RPC.
   */
  onTransportError?: (server: string, error: Error) => void;
  /** Closes the bridge when aborted (Ctrl-C during a long start); `start()` then rejects. */
  signal?: AbortSignal;
}

/**
 * Creates and starts a bridge over the loaded servers, recording how long each server took to
 * connect (first attempt) and why it failed. A server that fails does not fail the start: core is
 * fail-open, and the command reports it.
 */
export async function openBridge(
  loaded: Loaded,
  options: OpenBridgeOptions = {},
): Promise<{ bridge: Bridge; timings: Map<string, ServerTiming>; warnings: ListWarning[] }> {
  const servers = options.only
    ? Object.fromEntries(Object.entries(loaded.servers).filter(([name]) => options.only!.includes(name)))
    : loaded.servers;
  const bridgeOptions: BridgeOptions<typeof servers> = {
    servers,
    plugins: options.plugins ?? [],
    clientInfo: { name: 'mcp-bridge-cli', version: CLI_VERSION },
    ...(loaded.settings.naming !== undefined ? { naming: loaded.settings.naming as BridgeOptions['naming'] } : {}),
    // Core validates both, naming the field (`requestLimits.maxDepth: ...`).
    ...(loaded.settings.requestLimits !== undefined
      ? { requestLimits: loaded.settings.requestLimits as BridgeOptions['requestLimits'] }
      : {}),
    ...(options.clientCapabilities ? { clientCapabilities: options.clientCapabilities } : {}),
    ...(options.connectTimeout !== undefined ? { connectTimeout: options.connectTimeout } : {}),
    ...(options.startTimeout !== undefined ? { startTimeout: options.startTimeout } : {}),
    ...(options.startMode !== undefined ? { startMode: options.startMode } : {}),
    ...(options.startGraceMs !== undefined ? { startGraceMs: options.startGraceMs } : {}),
    ...(options.catalogSnapshot ? { catalogSnapshot: options.catalogSnapshot } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const bridge = createBridge(bridgeOptions);
  const timings = new Map<string, ServerTiming>();
  const total = Object.keys(servers).length;
  const report = (): void => options.progress?.text(`starting servers: ${timings.size}/${total} answered`);
  bridge.on('connect:after', ({ server, durationMs }) => {
    if (!timings.has(server)) timings.set(server, { ms: durationMs, ok: true });
    report();
  });
  bridge.on('connect:error', ({ server, error, durationMs }) => {
    if (timings.has(server)) return;
    const { message, stderr } = splitStderr(messageOf(error));
    timings.set(server, { ms: durationMs, ok: false, error: message, ...(stderr ? { stderr } : {}) });
    report();
  });
  const onTransportError = options.onTransportError;
  if (onTransportError)
    bridge.on('client:created', ({ server, client }) => void (client.onerror = (error) => onTransportError(server, error)));
  // Entries a server listed that had to be repaired or dropped: the commands show them.
  const warnings: ListWarning[] = [];
  bridge.on('catalog:warning', (warning) => void warnings.push(warning));
  report();
  // Stopped before anything started: spawn nothing at all.
  if (options.signal?.aborted) throw new Error('stopped before the servers were started', { cause: options.signal.reason });
  if (options.deferStart) return { bridge, timings, warnings };
  let closing: Promise<void> | undefined;
  const abort = (): void => void (closing = bridge.close());
  options.signal?.addEventListener('abort', abort, { once: true });
  try {
    await bridge.start();
  } catch (error) {
    // Stopped while starting: the upstreams spawned so far must be gone before the caller returns
    // (and the process exits), not left to an 'exit' hook that can only send SIGTERM.
    await closing;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  return { bridge, timings, warnings };
}

/** The transports quote a failed stdio server's stderr after a `stderr (last N chars):` line. */
export function splitStderr(message: string): { message: string; stderr?: string } {
  const at = message.search(/\nstderr \(last \d+ chars\):\n/);
  if (at < 0) return { message };
  const rest = message.slice(at + 1);
  return { message: message.slice(0, at), stderr: rest.slice(rest.indexOf('\n') + 1) };
}
