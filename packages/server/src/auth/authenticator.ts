import { timingSafeEqual } from 'node:crypto';
import type { Principal } from '@mcp-bridge/core';
import { bearerChallenge } from './challenge.js';
import { createJwtVerifier, type JwtAuthOptions, type JwtVerifier } from './jwt-verifier.js';
import { isResourceMetadataPath, protectedResourceMetadata, resourceMetadataUrl, type ProtectedResourceMetadata } from './metadata.js';

/** A static named token: the token itself, or the token with the scopes its principal holds. */
export type NamedToken = string | { token: string; scopes?: string[] | undefined };

/** Inbound authentication of the HTTP gateway (`serveHttp`'s `auth` option). */
export interface GatewayAuthOptions {
  /**
   * This gateway's resource URI (RFC 8707/9728): what JWTs must name as audience (unless `jwt.audience`
   * says otherwise) and what the protected-resource metadata names. Default: the gateway's URL. Set it
   * when clients reach the gateway through a proxy under another URL.
   */
  resource?: string | undefined;
  /** A human-readable name in the protected-resource metadata. */
  resourceName?: string | undefined;
  /** Scopes advertised in the protected-resource metadata. Default: `jwt.requiredScopes`, if any. */
  scopesSupported?: string[] | undefined;
  /** Bearer JWTs from an OAuth 2.1 authorization server. */
  jwt?: JwtAuthOptions | undefined;
  /** Static named tokens, principal id → token (or `{ token, scopes }`). */
  tokens?: Record<string, NamedToken> | undefined;
}

/** What the gateway learned from a request's credential. */
export type AuthOutcome =
  | {
      ok: true;
      /** Who: a JWT's or a named token's principal; undefined for the shared `token` (it names nobody). */
      principal: Principal | undefined;
      /** The JWT itself, for token exchange at upstreams (never forwarded as is). */
      jwt?: string | undefined;
    }
  | { ok: false; status: 401 | 403 | 503; message: string; challenge: string | undefined };

/** Checks a request's `Authorization` header against the shared token, the named tokens and the JWT issuer. */
export interface Authenticator {
  /** Whether requests must carry a credential at all. */
  readonly required: boolean;
  authenticate(authorization: string | undefined): Promise<AuthOutcome>;
  /** The protected-resource metadata document if `pathname` is its path (JWT auth only), else undefined. */
  metadataAt(pathname: string): ProtectedResourceMetadata | undefined;
}

/**
 * The gateway's authenticator. `resource` is the gateway's resource URI (known once it listens);
 * `sharedToken` is the legacy `token` option.
 */
export function createAuthenticator(options: GatewayAuthOptions, resource: string, sharedToken?: string): Authenticator {
  const res = options.resource ?? resource;
  const shared = sharedToken === undefined ? undefined : Buffer.from(sharedToken);
  const named = Object.entries(options.tokens ?? {}).map(([id, t]) => ({
    token: Buffer.from(typeof t === 'string' ? t : t.token),
    principal: Object.freeze<Principal>({
      id,
      kind: 'token',
      scopes: Object.freeze(typeof t === 'string' ? [] : [...(t.scopes ?? [])]),
      claims: Object.freeze({}),
    }),
  }));
  const jwt: JwtVerifier | undefined = options.jwt && createJwtVerifier(options.jwt, options.jwt.audience ?? res);
  const metadataUrl = options.jwt ? resourceMetadataUrl(res) : undefined;
  const metadata =
    options.jwt &&
    protectedResourceMetadata({
      resource: res,
      authorizationServers: [options.jwt.issuer],
      scopesSupported: options.scopesSupported ?? options.jwt.requiredScopes,
      resourceName: options.resourceName,
    });
  const requiredScopes = options.jwt?.requiredScopes;
  // With JWT auth, every challenge points at the metadata (that is how an MCP client finds the issuer);
  // with static tokens only, it stays the plain challenge clients already know.
  const refuse = (status: 401 | 403 | 503, message: string, error?: 'invalid_token' | 'insufficient_scope', description?: string) => ({
    ok: false as const,
    status,
    message,
    challenge:
      status === 503
        ? undefined
        : bearerChallenge({
            resourceMetadata: metadataUrl,
            error,
            description: metadataUrl === undefined ? undefined : description,
            scope: error === 'insufficient_scope' || error === undefined ? requiredScopes : undefined,
          }),
  });

  return {
    required: shared !== undefined || named.length > 0 || jwt !== undefined,
    metadataAt: (pathname) => (metadata !== undefined && isResourceMetadataPath(pathname, res) ? metadata : undefined),
    async authenticate(authorization) {
      const token = bearerToken(authorization);
      if (token === undefined)
        return refuse(401, 'Unauthorized: a valid bearer token is required', authorization ? 'invalid_token' : undefined);
      if (named.length > 0 || shared !== undefined) {
        const given = Buffer.from(token);
        // Every static token is compared (in constant time each), so the time taken does not say which one was close.
        let principal: Principal | undefined;
        for (const n of named) if (same(given, n.token)) principal = n.principal;
        if (principal !== undefined) return { ok: true, principal };
        if (shared !== undefined && same(given, shared)) return { ok: true, principal: undefined };
      }
      if (jwt === undefined) return refuse(401, 'Unauthorized: a valid bearer token is required', 'invalid_token');
      const verdict = await jwt.verify(token);
      if (verdict.ok) return { ok: true, principal: verdict.principal, jwt: token };
      const word = verdict.status === 403 ? 'Forbidden' : verdict.status === 503 ? 'Service Unavailable' : 'Unauthorized';
      return refuse(verdict.status, `${word}: ${verdict.description}`, verdict.error, verdict.description);
    },
  };
}

/** The token of `Bearer <token>` (scheme case-insensitive), or undefined. A plain scan: this runs on every request. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8 || header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

function same(given: Buffer, expected: Buffer): boolean {
  return given.length === expected.length && timingSafeEqual(given, expected);
}
