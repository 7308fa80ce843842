import { Client as ModernClient } from '@modelcontextprotocol/client';
import type { DiscoverResult } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { raceAbort, type Deadline } from './deadline.js';
import { closeOnce, type Established } from './established.js';
import { ModernUpstreamClient } from './modern-client.js';
import { liftTaskResults, offersTasks } from './task-polling.js';
import { LEGACY_PROTOCOL_VERSION, MODERN_PROTOCOL_VERSION, type ProtocolEra, type UpstreamProtocol } from './protocol.js';
import type { ConnectOptions } from './types.js';

/**
 * How long a `legacy` verdict is believed. A stale `modern` verdict fails loudly at the first
 * request (and is then forgotten); a stale `legacy` one would succeed silently forever, since an
 * upgraded server still answers `initialize`: so probe again after this long.
 */
export const LEGACY_VERDICT_MS = 60 * 60_000;

/** What the last connect learned about an upstream's era. */
export type EraVerdict = { kind: 'modern'; discover: DiscoverResult } | { kind: 'legacy'; at: number };

// Per config entry (the object the host passes to every connect of that upstream) and per principal:
// a discover result is reused only within one authorization context.
const verdicts = new WeakMap<object, Map<string, EraVerdict>>();

/** The remembered verdict of this entry for this principal, when still believed. */
export function verdictOf(config: object, principal: string): EraVerdict | undefined {
  const verdict = verdicts.get(config)?.get(principal);
  if (verdict?.kind === 'legacy' && Date.now() - verdict.at > LEGACY_VERDICT_MS) return undefined;
  return verdict;
}

/** Remembers (or, with `undefined`, forgets) the verdict of this entry for this principal. */
export function rememberVerdict(config: object, principal: string, verdict: EraVerdict | undefined): void {
  let byPrincipal = verdicts.get(config);
  if (verdict === undefined) {
    byPrincipal?.delete(principal);
    return;
  }
  if (byPrincipal === undefined) verdicts.set(config, (byPrincipal = new Map<string, EraVerdict>()));
  byPrincipal.set(principal, verdict);
}

/** Options of one modern handshake. */
export interface ModernHandshakeOptions {
  /** A remembered `server/discover` result: adopted with zero round trips. */
  discover?: DiscoverResult;
  /** Limit on the `server/discover` probe (stdio, `auto`: a silent server is a legacy one). */
  probeTimeoutMs?: number;
  /** Rounds of `input_required` one call may take (the entry's `maxInputRounds`). */
  maxInputRounds?: number;
}

/**
 * Connects the SDK v2 client pinned to 2026-07-28: `server/discover` (or the remembered result), no
 * `initialize`. Rejects when the server does not offer the modern era (the caller may fall back).
 * `input_required` stays manual (`autoFulfill: false`): the bridge, not the SDK, asks the caller.
 */
export async function modernHandshake(
  transport: Transport,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
  how: ModernHandshakeOptions = {},
): Promise<Established> {
  const clientInfo = options.clientInfo ?? { name: 'mcp-bridge', version: '0.1.0' };
  const capabilities = options.capabilities ?? {};
  const modern = new ModernClient(clientInfo, {
    // The same JSON either way; the v2 type is stricter about `experimental`'s values.
    capabilities: capabilities as NonNullable<ConstructorParameters<typeof ModernClient>[1]>['capabilities'],
    versionNegotiation: {
      mode: { pin: MODERN_PROTOCOL_VERSION },
      ...(how.probeTimeoutMs === undefined ? {} : { probe: { timeoutMs: how.probeTimeoutMs } }),
    },
    inputRequired: { autoFulfill: false },
  });
  const client = new ModernUpstreamClient(modern, clientInfo, capabilities, how.maxInputRounds);
  options.configure?.(client);
  closeOnce(transport);
  // Set before connect, which chains it: observes death however it happens.
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  const connecting = modern.connect(transport, {
    signal: deadline.signal,
    timeout: Math.min(timeoutMs, 2 ** 31 - 1),
    ...(how.discover === undefined ? {} : { prior: { kind: 'modern' as const, discover: how.discover } }),
  });
  connecting.catch(() => undefined);
  try {
    await raceAbort(connecting, deadline.signal);
  } catch (error) {
    await transport.close();
    throw error;
  }
  // Only where the upstream offers tasks does an answer need looking at for one (see task-polling.ts).
  if (offersTasks(modern)) liftTaskResults(transport);
  // The listen stream opens beside the connection (its ack is not worth a connect's round trip).
  void client.listen();
  const discover = modern.getDiscoverResult();
  return {
    client,
    transport,
    closed,
    protocolVersion: modern.getNegotiatedProtocolVersion() ?? MODERN_PROTOCOL_VERSION,
    era: 'modern',
    ...(discover === undefined ? {} : { discover }),
  };
}

/** Longest `server/discover` probe on stdio in `auto` mode: a legacy server that ignores it must not eat the whole connect. */
export const STDIO_PROBE_MS = 10_000;

/** Who and what one negotiation is for. */
export interface NegotiationKey {
  /** The config entry as the host passed it (the verdict is remembered on it). */
  config: object;
  /** The principal id, `''` for the gateway itself. */
  principal: string;
  protocol: UpstreamProtocol;
  /** Limit on a fresh probe (stdio); undefined: the connect deadline. */
  probeTimeoutMs?: number;
}

/**
 * Picks the era of one connect: pinned 2025 runs `legacy` alone (no probe); pinned 2026-07-28 runs
 * `modern` alone; `auto` probes with `server/discover` and falls back to `legacy` (the `initialize`
 * handshake on a fresh transport; on stdio `modern` itself falls back to `initialize` on the probed
 * process, and `legacy` runs only when that process died). The verdict is remembered per entry and principal, so later
 * connects (pool sessions, reconnects) skip the probe: a modern verdict is adopted with zero round
 * trips (`connect({ prior })`), a legacy one goes straight to `initialize`.
 */
export async function negotiate<T extends { era: ProtocolEra; discover?: DiscoverResult }>(
  key: NegotiationKey,
  deadline: Deadline,
  modern: (how: ModernHandshakeOptions) => Promise<T>,
  legacy: () => Promise<T>,
): Promise<T> {
  if (key.protocol === LEGACY_PROTOCOL_VERSION) return legacy();
  const known = verdictOf(key.config, key.principal);
  if (known?.kind === 'legacy' && key.protocol === 'auto') return legacy();
  if (known?.kind === 'modern') {
    try {
      return await modern({ discover: known.discover });
    } catch (error) {
      // The server may have changed era (or its versions): forget the verdict and probe afresh.
      rememberVerdict(key.config, key.principal, undefined);
      if (deadline.signal.aborted) throw error;
    }
  }
  const pinned = key.protocol === MODERN_PROTOCOL_VERSION;
  let connection: T;
  try {
    connection = await modern(pinned || key.probeTimeoutMs === undefined ? {} : { probeTimeoutMs: key.probeTimeoutMs });
  } catch (error) {
    if (pinned || deadline.signal.aborted) throw error;
    connection = await legacy();
    rememberVerdict(key.config, key.principal, { kind: 'legacy', at: Date.now() });
    return connection;
  }
  // On stdio the probe may have ended in `initialize` on the same process (a 2025 server): a legacy verdict too.
  if (connection.era === 'legacy') rememberVerdict(key.config, key.principal, { kind: 'legacy', at: Date.now() });
  else if (connection.discover !== undefined) rememberVerdict(key.config, key.principal, { kind: 'modern', discover: connection.discover });
  return connection;
}
