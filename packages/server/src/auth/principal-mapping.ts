import type { JWTPayload } from 'jose';
import type { Principal } from '@mcp-bridge/core';

/** Which claims make the principal (`auth.jwt`). */
export interface ClaimMapping {
  /** The claim holding the principal id. Default `sub`. */
  principalClaim?: string | undefined;
  /** The claim holding a display name (e.g. `name`, `email`). Default none. */
  nameClaim?: string | undefined;
  /** Scopes every token must hold (403 `insufficient_scope` otherwise). Default none. */
  requiredScopes?: string[] | undefined;
}

/** A principal from verified claims, or why the claims do not make one. */
export function principalOfClaims(
  payload: JWTPayload,
  mapping: ClaimMapping,
):
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; error: 'invalid_token' | 'insufficient_scope'; description: string } {
  const claim = mapping.principalClaim ?? 'sub';
  const id = payload[claim];
  if (typeof id !== 'string' || id === '')
    return { ok: false, status: 401, error: 'invalid_token', description: `the token has no "${claim}" claim to name its principal` };
  const scopes = scopesOf(payload);
  const missing = (mapping.requiredScopes ?? []).filter((s) => !scopes.includes(s));
  if (missing.length > 0)
    return { ok: false, status: 403, error: 'insufficient_scope', description: `the token lacks the scope(s): ${missing.join(' ')}` };
  const name = mapping.nameClaim === undefined ? undefined : payload[mapping.nameClaim];
  return {
    ok: true,
    principal: Object.freeze({
      id,
      kind: 'jwt',
      scopes: Object.freeze(scopes),
      ...(typeof name === 'string' ? { name } : {}),
      claims: Object.freeze({ ...payload }),
    }),
  };
}

/** OAuth's `scope` (space-separated, RFC 8693 section 4.2) or the `scp` array some issuers use. */
export function scopesOf(payload: JWTPayload): string[] {
  const { scope, scp } = payload as { scope?: unknown; scp?: unknown };
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  return [];
}
