import type { HealthHost, HealthState, Upstream } from '@mcp-bridge/core';
import type { ResolvedHealthOptions } from './options.js';
import { OutcomeWindow } from './window.js';

/** What the tracker knows about one upstream. */
export interface UpstreamRecord {
  readonly up: Upstream;
  readonly window: OutcomeWindow;
  consecutiveFailures: number;
  /** Ejections so far (the next one lasts `ejections + 1` times the base); decays after a quiet spell. */
  ejections: number;
  /** Epoch ms when the current ejection ends; 0 when not ejected. */
  ejectedUntil: number;
  ejectTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last ejection ended (epoch ms). */
  unejectedAt: number;
  /** An ejection was due but the share cap refused it. */
  limited: boolean;
  connectionLost: boolean;
  probe: { successes: number; failures: number; down: boolean; last: { ok: boolean; ms: number; at: number; error?: string } | undefined };
  probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Reason of the current state. */
  reason: string | undefined;
  /** When the current state began (epoch ms). */
  since: number;
}

/** What the tracker needs from its plugin. */
export interface TrackerDeps {
  options: ResolvedHealthOptions;
  now: () => number;
  /** The other upstreams of the same logical server (for the ejection cap). */
  siblings(up: Upstream): readonly Upstream[];
  /** The host's health setter (core emits `upstream:health`). */
  host(): HealthHost | undefined;
  /** A state changed. */
  changed(up: Upstream, state: HealthState, previous: HealthState): void;
  /** An upstream was ejected. */
  ejected(up: Upstream, durationMs: number, ejections: number, reason: string): void;
}

/**
 * The health state machine of every upstream: passive outlier detection (consecutive failures
 * eject for a growing, capped time, never more than a share of a server's replicas), active probe
 * thresholds, and the HEALTHY / DEGRADED / UNHEALTHY verdict that the balancer acts on.
 */
export class HealthTracker {
  readonly #deps: TrackerDeps;
  readonly #records = new Map<Upstream, UpstreamRecord>();

  constructor(deps: TrackerDeps) {
    this.#deps = deps;
  }

  record(up: Upstream): UpstreamRecord {
    let rec = this.#records.get(up);
    if (!rec) {
      rec = {
        up,
        window: new OutcomeWindow(this.#deps.options.window),
        consecutiveFailures: 0,
        ejections: 0,
        ejectedUntil: 0,
        ejectTimer: undefined,
        unejectedAt: 0,
        limited: false,
        connectionLost: false,
        probe: { successes: 0, failures: 0, down: false, last: undefined },
        probeTimer: undefined,
        reason: undefined,
        since: this.#deps.now(),
      };
      this.#records.set(up, rec);
    }
    return rec;
  }

  records(): IterableIterator<UpstreamRecord> {
    return this.#records.values();
  }

  /** Forget an upstream (removed server), stopping its timers. */
  forget(up: Upstream): void {
    const rec = this.#records.get(up);
    if (!rec) return;
    clearTimeout(rec.ejectTimer);
    clearTimeout(rec.probeTimer);
    this.#records.delete(up);
  }

  /** Stop every timer (bridge closing). */
  stop(): void {
    for (const rec of this.#records.values()) {
      clearTimeout(rec.ejectTimer);
      clearTimeout(rec.probeTimer);
    }
  }

  /** A call attempt ended: `ok` false only for failures that say something about the upstream. */
  callResult(up: Upstream, ok: boolean, ms: number, error?: unknown): void {
    const rec = this.record(up);
    rec.window.add(ok, ms);
    if (ok) {
      rec.consecutiveFailures = 0;
      rec.limited = false;
      rec.connectionLost = false;
      this.#update(rec, 'a call succeeded');
      return;
    }
    rec.consecutiveFailures++;
    const why = `${rec.consecutiveFailures} consecutive failures (last: ${message(error)})`;
    if (rec.consecutiveFailures >= this.#deps.options.consecutiveFailures) this.#eject(rec, why);
    this.#update(rec, why);
  }

  /** The connection opened. */
  connected(up: Upstream): void {
    const rec = this.record(up);
    rec.connectionLost = false;
    this.#update(rec, 'connected');
  }

  /** The connection failed to open or was lost: eject now (a dead process will not answer the next call either). */
  disconnected(up: Upstream, error: Error | undefined): void {
    const rec = this.record(up);
    rec.connectionLost = true;
    const why = `connection lost: ${message(error)}`;
    this.#eject(rec, why);
    this.#update(rec, why);
  }

  /** An active probe ended. */
  probeResult(up: Upstream, ok: boolean, ms: number, error?: unknown): void {
    const rec = this.record(up);
    const settings = this.#deps.options.probes;
    const thresholds = settings === false || settings === true ? { healthyThreshold: 2, unhealthyThreshold: 3 } : settings;
    rec.probe.last = { ok, ms, at: this.#deps.now(), ...(ok ? {} : { error: message(error) }) };
    if (ok) {
      rec.probe.successes++;
      rec.probe.failures = 0;
      if (rec.probe.successes >= thresholds.healthyThreshold) {
        rec.probe.down = false;
        rec.connectionLost = false;
        // Envoy's rule: passing active checks end an ejection early.
        if (rec.ejectedUntil > 0) this.#uneject(rec);
        rec.consecutiveFailures = 0;
        rec.limited = false;
      }
      this.#update(rec, `probe passed (${rec.probe.successes} in a row)`);
    } else {
      rec.probe.failures++;
      rec.probe.successes = 0;
      if (rec.probe.failures >= thresholds.unhealthyThreshold) rec.probe.down = true;
      this.#update(rec, `probe failed ${rec.probe.failures} time(s) in a row: ${message(error)}`);
    }
  }

  /** The verdict for one record. */
  stateOf(rec: UpstreamRecord): HealthState {
    if (rec.ejectedUntil > 0 || rec.probe.down) return 'unhealthy';
    const o = this.#deps.options;
    if (rec.consecutiveFailures > 0 || rec.probe.failures > 0 || rec.limited || rec.connectionLost) return 'degraded';
    if (rec.window.count >= o.minVolume && rec.window.successRate() < o.degradedSuccessRate) return 'degraded';
    if (o.degradedLatencyMs !== undefined && rec.window.count >= o.minVolume && rec.window.latency()!.p95 > o.degradedLatencyMs)
      return 'degraded';
    return 'healthy';
  }

  #eject(rec: UpstreamRecord, reason: string): void {
    if (rec.ejectedUntil > 0) return;
    const o = this.#deps.options;
    const siblings = this.#deps.siblings(rec.up);
    const ejectedNow = siblings.filter((u) => u !== rec.up && this.#records.get(u)?.ejectedUntil).length;
    // Never eject more than the allowed share, but always allow one: a lone upstream can be ejected.
    if (ejectedNow >= 1 && ejectedNow + 1 > o.maxEjectedShare * siblings.length) {
      rec.limited = true;
      return;
    }
    const now = this.#deps.now();
    // A long quiet spell since the last ejection forgets the history.
    if (rec.ejections > 0 && rec.unejectedAt > 0 && now - rec.unejectedAt > o.maxEjectionMs) rec.ejections = 0;
    rec.ejections++;
    const duration = Math.min(o.maxEjectionMs, o.baseEjectionMs * rec.ejections);
    rec.ejectedUntil = now + duration;
    rec.consecutiveFailures = 0;
    rec.probe.successes = 0;
    rec.limited = false;
    rec.ejectTimer = setTimeout(() => {
      rec.ejectTimer = undefined;
      this.#uneject(rec);
      this.#update(rec, 'ejection time ended');
    }, duration);
    rec.ejectTimer.unref?.();
    this.#deps.ejected(rec.up, duration, rec.ejections, reason);
  }

  #uneject(rec: UpstreamRecord): void {
    clearTimeout(rec.ejectTimer);
    rec.ejectTimer = undefined;
    rec.ejectedUntil = 0;
    rec.unejectedAt = this.#deps.now();
  }

  #update(rec: UpstreamRecord, reason: string): void {
    const state = this.stateOf(rec);
    const previous = rec.up.health;
    if (state === previous) return;
    rec.reason = reason;
    rec.since = this.#deps.now();
    // Upstreams are read-only: only the host changes health (the host is there once the service is created).
    this.#deps.host()?.setHealth(rec.up, state, reason);
    this.#deps.changed(rec.up, state, previous);
  }
}

function message(error: unknown): string {
  return error instanceof Error
    ? error.message
    : error === undefined
      ? 'unknown'
      : typeof error === 'string'
        ? error
        : JSON.stringify(error);
}
