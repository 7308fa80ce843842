/**
 * Who is calling, as the gateway authenticated them: a JWT's subject, or a named static token. The
 * principal's `id` is also the call's `caller` string, so plugins written against `caller` keep
 * working; the scopes and claims are here for the plugins that decide by them (access rules by scope).
 *
 * The credential itself is never part of it: plugins log and label by principal, and the spec
 * forbids passing the caller's token on to an upstream.
 */
export interface Principal {
  /** Stable identity: the configured claim of a JWT (default `sub`), or the name of a static token. */
  readonly id: string;
  /** How it was authenticated. */
  readonly kind: 'jwt' | 'token';
  /** Granted scopes (a JWT's `scope`/`scp`, or the static token's configured scopes). */
  readonly scopes: readonly string[];
  /** A display name (the configured claim, e.g. `name` or `email`), when there is one. */
  readonly name?: string | undefined;
  /** The JWT's verified claims (empty for a static token). Read-only: treat as data, never as a credential. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Whether `principal` holds every scope of `required`. */
export function hasScopes(principal: Pick<Principal, 'scopes'> | undefined, required: readonly string[]): boolean {
  if (required.length === 0) return true;
  if (principal === undefined) return false;
  return required.every((s) => principal.scopes.includes(s));
}
