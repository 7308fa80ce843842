import type { CallContext, SessionsMode } from '@mcp-bridge/core';

/** The partition every caller shares. */
export const SHARED_PARTITION = 's';
/** The partition of private-scope calls without a caller (library use). */
export const ANONYMOUS_PARTITION = 'a';

/** A call's cache partition, and whether it follows the caller's upstream session (roots, or a session of its own). */
export interface Partition {
  readonly key: string;
  /**
   * The answer depends on the caller's upstream session: a stale-while-revalidate refresh (sent
   * without the caller's link, so on another session) could fill it with someone else's answer, so
   * such entries are refreshed by the caller's own next call instead.
   */
  readonly sessionBound: boolean;
}

/**
 * Where a call's result is cached (docs/sessions.md). `shared` scope: one partition, except for
 * servers whose upstream sessions carry caller state: `per-client` / `per-principal` partition by the
 * client / caller, and under `auto` a caller with roots gets the partition of its roots (an upstream
 * session that answered `roots/list` serves only callers with those roots). `private` scope: by
 * principal (`ctx.caller`), and by roots too. `undefined`: do not cache (private, no caller, `bypass`).
 */
export function partitionOf(
  ctx: CallContext,
  scope: 'shared' | 'private',
  mode: SessionsMode | undefined,
  anonymous: 'cache' | 'bypass',
): Partition | undefined {
  const roots = mode === 'shared' ? undefined : ctx.link?.rootsKey?.();
  const rooted = roots !== undefined && roots !== '[]';
  const ownSession = mode === 'per-client' || mode === 'per-principal';
  const suffix = rooted ? `\u0001${roots}` : '';
  if (scope === 'shared' && !ownSession)
    return rooted ? { key: `r${roots}`, sessionBound: true } : { key: SHARED_PARTITION, sessionBound: false };
  const client = mode === 'per-client' ? ctx.link?.client : undefined;
  if (client !== undefined) return { key: `c${JSON.stringify(client)}${suffix}`, sessionBound: true };
  if (ctx.caller !== undefined) return { key: `p${JSON.stringify(ctx.caller)}${suffix}`, sessionBound: ownSession || rooted };
  if (anonymous === 'cache' && scope === 'private') return { key: ANONYMOUS_PARTITION, sessionBound: false };
  return undefined;
}
