import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolSafety, Upstream } from './types.js';

/** The safety of a tool with unknown annotations (called by upstream name, not listed): nothing is safe. */
export const UNKNOWN_SAFETY: ToolSafety = Object.freeze({
  readOnly: false,
  idempotent: false,
  claimed: Object.freeze({ readOnly: false, idempotent: false }),
});

/** What a tool's annotations allow, believed only when `trusted` (see {@link ToolSafety}). */
export function toolSafety(tool: Tool, trusted: boolean): ToolSafety {
  const readOnly = tool.annotations?.readOnlyHint === true;
  const idempotent = readOnly || tool.annotations?.idempotentHint === true;
  if (!readOnly && !idempotent) return UNKNOWN_SAFETY;
  const claimed = Object.freeze({ readOnly, idempotent });
  return Object.freeze({ readOnly: trusted && readOnly, idempotent: trusted && idempotent, claimed });
}

/** One rule for all replicas: a server is trusted when it has upstreams and every one says `trusted: true`. */
export function serverTrusted(upstreams: readonly Upstream[] | undefined): boolean {
  return upstreams !== undefined && upstreams.length > 0 && upstreams.every((u) => u.config.trusted === true);
}
