import type { RestartSettings } from './options.js';

/**
 * Wait before attempt `failures + 1` after `failures` consecutive failures: exponential, capped,
 * with "equal jitter" (between half and all of the step). Half of the step is always kept so a
 * crashing server is never respawned hot, and the random half keeps replicas that crashed together
 * from restarting in lockstep. Once `crashLoopThreshold` is reached the wait is `crashLoopDelayMs`.
 *
 * @param random In [0, 1); injectable so tests see fixed delays.
 */
export function restartDelay(failures: number, settings: RestartSettings, random: () => number): number {
  if (failures <= 0) return 0;
  if (failures >= settings.crashLoopThreshold) return Math.max(settings.crashLoopDelayMs, capped(failures, settings));
  const step = capped(failures, settings);
  return Math.round(step / 2 + (step / 2) * clamp01(random()));
}

function capped(failures: number, s: RestartSettings): number {
  return Math.min(s.maxDelayMs, s.initialDelayMs * s.multiplier ** (failures - 1));
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(Math.max(x, 0), 1) : 0.5;
}
