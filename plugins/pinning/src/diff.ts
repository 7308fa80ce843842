import { createTwoFilesPatch } from 'diff';
import { prettyDefinition } from './fingerprint.js';
import type { Drift } from './pin-book.js';

/**
 * A unified diff of a drift: the pinned definition against the one the server sends now, both
 * pretty-printed with sorted keys (so only real changes show). A new item diffs against nothing.
 */
export function driftDiff(drift: Drift): string {
  const label = `${drift.server}/${drift.name}`;
  return createTwoFilesPatch(
    `${label} (pinned${drift.pinned ? ` ${drift.pinned.pinnedAt}` : ': none'})`,
    `${label} (now)`,
    prettyDefinition(drift.pinned?.definition),
    prettyDefinition(drift.current.definition),
    undefined,
    undefined,
    { context: 3 },
  );
}
