// The protocol-era comparison of `pnpm bench core`: a modern (2026-07-28, SDK v2) upstream call against a
// legacy (2025-11-25, SDK 1.x) one, through the bridge and with the bare SDK client of each era. The
// servers run in processes of their own, so three costs are read apart per era: the call time (servers
// included), the upstream server's own CPU per call (a v2 SDK server may simply cost more than a 1.x
// one: not the bridge's doing), and the calling process's CPU per call (the bridge's side: bridge + SDK
// client). The target is set on the last one; what the bridge adds over the bare SDK client is printed too.
import { fmt, ratio, round, table, type VariantResult } from './harness.js';

type Era = 'legacy' | 'modern';
type PerEra = Record<Era, VariantResult>;

/** The era figures: per era, through the bridge and with the bare SDK. */
export interface EraFigures {
  bridge: PerEra;
  sdk: PerEra;
  /** Modern over legacy. */
  ratio: {
    /** p50 call time through the bridge, the servers included. */
    wall: number;
    /** p50 call time with the bare SDK clients. */
    sdk_wall: number;
    /** The upstream servers' own CPU per call (NaN without /proc). */
    upstream_cpu: number;
    /** The bridge process's CPU per call: the bridge's side of the call (the target). */
    bridge_cpu: number;
    /** The bare SDK client's CPU per call. */
    sdk_cpu: number;
  };
  /** For the JSON line. */
  json: Record<string, unknown>;
}

/** What the bridge adds per call over the bare SDK client of the same era (CPU µs). */
const addedUs = (f: { bridge: PerEra; sdk: PerEra }, era: Era): number => f.bridge[era].cpuUsPerCall - f.sdk[era].cpuUsPerCall;

/** Computes the ratios (modern over legacy) and the JSON figures. */
export function eraFigures(f: { bridge: PerEra; sdk: PerEra }): EraFigures {
  const upstream = (era: Era): number => f.bridge[era].upstreamCpuUsPerCall ?? Number.NaN;
  const r = {
    wall: ratio(f.bridge.modern.p50, f.bridge.legacy.p50),
    sdk_wall: ratio(f.sdk.modern.p50, f.sdk.legacy.p50),
    upstream_cpu: ratio(upstream('modern'), upstream('legacy')),
    bridge_cpu: ratio(f.bridge.modern.cpuUsPerCall, f.bridge.legacy.cpuUsPerCall),
    sdk_cpu: ratio(f.sdk.modern.cpuUsPerCall, f.sdk.legacy.cpuUsPerCall),
  };
  const perEra = (pick: (era: Era) => number): Record<Era, number | null> => ({
    legacy: Number.isNaN(pick('legacy')) ? null : round(pick('legacy'), 1),
    modern: Number.isNaN(pick('modern')) ? null : round(pick('modern'), 1),
  });
  return {
    ...f,
    ratio: r,
    json: {
      bridge_cpu_us_per_call: perEra((era) => f.bridge[era].cpuUsPerCall),
      sdk_cpu_us_per_call: perEra((era) => f.sdk[era].cpuUsPerCall),
      upstream_cpu_us_per_call: perEra(upstream),
      bridge_added_cpu_us_per_call: perEra((era) => addedUs(f, era)),
      modern_vs_legacy: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number.isNaN(v) ? null : v])),
    },
  };
}

/** Per era: call time, the server's CPU, the calling side's CPU (bridge and bare SDK) and what the bridge adds. */
export function eraTable(f: EraFigures, label = 'era (over HTTP)'): string {
  const upstream = (era: Era): string => {
    const us = f.bridge[era].upstreamCpuUsPerCall;
    return us === undefined ? '-' : fmt(us);
  };
  return table([
    [label, 'bridge p50 µs', 'sdk p50 µs', 'server CPU µs/call', 'bridge CPU µs/call', 'sdk client CPU µs/call', 'bridge adds µs/call'],
    ...(['legacy', 'modern'] as const).map((era) => [
      era,
      fmt(f.bridge[era].p50),
      fmt(f.sdk[era].p50),
      upstream(era),
      fmt(f.bridge[era].cpuUsPerCall),
      fmt(f.sdk[era].cpuUsPerCall),
      `${addedUs(f, era) >= 0 ? '+' : ''}${fmt(addedUs(f, era))}`,
    ]),
  ]);
}

/** `ok` or `MISSED` against an upper bound. */
export const verdict = (value: number, max: number): string => `target <= ${max}: ${value <= max ? 'ok' : 'MISSED'}`;

/** The summary lines: the call time and the servers' share first, then the bridge's own cost against `target`. */
export function eraLines(f: EraFigures, target: number): string[] {
  const r = f.ratio;
  return [
    `modern/legacy upstream call time (p50, servers included): through the bridge ${fmt(r.wall, 2)}, bare SDK clients ${fmt(r.sdk_wall, 2)}; ` +
      `the upstream servers' own CPU per call, v2/1.x test server: ${Number.isNaN(r.upstream_cpu) ? 'n/a' : fmt(r.upstream_cpu, 2)} (the server's cost, not the bridge's)`,
    `the bridge's own cost per call, modern/legacy (this process's CPU, servers elsewhere): ${fmt(r.bridge_cpu, 3)} (${verdict(r.bridge_cpu, target)}); ` +
      `bare SDK client v2/1.x ${fmt(r.sdk_cpu, 3)}; the bridge adds over the bare client: legacy ${fmt(addedUs(f, 'legacy'))} µs, modern ${fmt(addedUs(f, 'modern'))} µs`,
  ];
}

/** One transport's era figures of `pnpm bench gateway` (per call, 64 in flight). */
export interface GatewayEraFigures {
  kind: 'http' | 'stdio';
  /** Median per-round call time, modern over legacy (the upstream servers included). */
  wall: number;
  /** The gateway process's CPU per call (µs): all of it is the bridge's (its server side and its upstream client). */
  gatewayCpuUs: Record<Era, number>;
  /** The upstream server's CPU per call (µs), when its process was found. */
  upstreamCpuUs: Record<Era, number | undefined>;
}

/** The gateway's era lines: call time and the servers' share first, then the gateway's own cost against `target`. */
export function eraGatewayLines(figures: readonly GatewayEraFigures[], target: number): string[] {
  return figures.flatMap((f) => {
    const up = f.upstreamCpuUs;
    const upstream =
      up.legacy === undefined || up.modern === undefined
        ? 'n/a'
        : `${fmt(up.modern / up.legacy, 2)} (${fmt(up.modern)} / ${fmt(up.legacy)} µs)`;
    const own = ratio(f.gatewayCpuUs.modern, f.gatewayCpuUs.legacy);
    return [
      `${f.kind}: modern/legacy upstream call time through the gateway (servers included) ${fmt(f.wall, 3)}; the upstream servers' own CPU per call, v2/1.x test server: ${upstream}`,
      `${f.kind}: the gateway's own CPU per call, modern/legacy: ${fmt(own, 3)} (${verdict(own, target)}); per call: legacy ${fmt(f.gatewayCpuUs.legacy)} µs, modern ${fmt(f.gatewayCpuUs.modern)} µs`,
    ];
  });
}

/**
 * The equal-cost upstream's line: both eras served by one hand-written echo at the same cost per call,
 * so the modern/legacy call time through the bridge is the bridge's alone; the target is set on it.
 */
export function equalCostLines(f: EraFigures, target: number, protocols: Record<Era, string | undefined>): string[] {
  const r = f.ratio;
  return [
    `equal-cost upstream (one hand-written echo, both eras; negotiated legacy ${protocols.legacy}, modern ${protocols.modern}): ` +
      `modern/legacy call time through the bridge (p50) ${fmt(r.wall, 3)} (${verdict(r.wall, target)}); ` +
      `bare SDK clients v2/1.x ${fmt(r.sdk_wall, 3)}; the server's CPU per call modern/legacy ${Number.isNaN(r.upstream_cpu) ? 'n/a' : fmt(r.upstream_cpu, 2)}; ` +
      `the bridge's own CPU modern/legacy ${fmt(r.bridge_cpu, 3)}`,
  ];
}

/**
 * The gateway's equal-cost lines, per transport: the modern/legacy call time through the gateway over
 * the one hand-written echo of both eras (the gateway's alone) against `target`, with its CPU beside
 * it (when /proc gave it) and what the echo served per era.
 */
export function equalCostGatewayLines(
  figures: readonly GatewayEraFigures[],
  target: number,
  served: Record<Era, Record<string, number>>,
  hasCpu: boolean,
): string[] {
  const calls = (era: Era): string => `${era} ${served[era]['tools/call'] ?? 0} tools/call`;
  return [
    `equal-cost upstream (one hand-written echo, both eras; it served ${calls('legacy')}, ${calls('modern')} with the 2026-07-28 envelope):`,
    ...figures.map((f) => {
      const up = f.upstreamCpuUs;
      const server = up.legacy === undefined || up.modern === undefined ? 'n/a' : `${fmt(up.legacy)} / ${fmt(up.modern)} µs`;
      const cpu = hasCpu
        ? `; the gateway's CPU modern/legacy ${fmt(ratio(f.gatewayCpuUs.modern, f.gatewayCpuUs.legacy), 3)}; the echo's CPU per call legacy / modern ${server}`
        : '';
      return `  ${f.kind}: modern/legacy call time through the gateway ${fmt(f.wall, 3)} (${verdict(f.wall, target)})${cpu}`;
    }),
  ];
}
