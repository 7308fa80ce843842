import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Principal } from '@mcp-bridge/core';
import { discoverJwksUri } from './issuer-metadata.js';
import { principalOfClaims, type ClaimMapping } from './principal-mapping.js';

/** How the gateway checks bearer JWTs (`auth.jwt`). */
export interface JwtAuthOptions extends ClaimMapping {
  /** The `iss` every token must carry: the authorization server's issuer identifier (https; http only on a loopback host). */
  issuer: string;
  /** The `aud` every token must carry. Default: the gateway's resource URI (`auth.resource`), as the MCP authorization spec asks. */
  audience?: string | string[] | undefined;
  /** Where the signing keys are. Default: the `jwks_uri` of the issuer's RFC 8414 (or OpenID) metadata, fetched once. */
  jwksUri?: string | undefined;
  /** Signature algorithms accepted. Default: asymmetric ones only (`RS256`, `PS256`, `ES256`, `ES384`, `EdDSA`); never `none` or HMAC. */
  algorithms?: string[] | undefined;
  /** Clock skew allowed on `exp`/`nbf`/`iat`, seconds. Default 30. */
  clockToleranceSec?: number | undefined;
  /** After a JWKS fetch, no new one (e.g. for an unknown `kid`) for this long, ms. Default 30 000. */
  jwksCooldownMs?: number | undefined;
  /** A JWKS fetch that takes longer fails, ms. Default 5 000. */
  jwksTimeoutMs?: number | undefined;
}

/** What checking one token found. */
export type JwtVerdict =
  | { ok: true; principal: Principal; expiresAt: number }
  | { ok: false; status: 401 | 403 | 503; error: 'invalid_token' | 'insufficient_scope' | undefined; description: string };

export const DEFAULT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const MAX_CACHED = 10_000;

/** Checks bearer JWTs: signature (remote JWKS, cached), issuer, audience, time claims, then maps claims to a principal. */
export interface JwtVerifier {
  verify(token: string): Promise<JwtVerdict>;
}

/**
 * A verifier for one issuer and audience. Verified tokens are remembered until they expire, so a
 * session's requests cost a map lookup, not a signature check; keys are fetched when the issuer's
 * set changes (an unknown `kid`), at most once per cooldown, never once per call.
 */
export function createJwtVerifier(options: JwtAuthOptions, audience: string | string[]): JwtVerifier {
  const toleranceMs = (options.clockToleranceSec ?? 30) * 1000;
  const algorithms = options.algorithms ?? DEFAULT_ALGORITHMS;
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  let keysReady: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = (): Promise<ReturnType<typeof createRemoteJWKSet>> =>
    (keysReady ??= (async () => {
      const uri = options.jwksUri ?? (await discoverJwksUri(options.issuer, options.jwksTimeoutMs ?? 5_000));
      keys = createRemoteJWKSet(new URL(uri), {
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
        timeoutDuration: options.jwksTimeoutMs ?? 5_000,
      });
      return keys;
    })().catch((error: unknown) => {
      // A discovery that failed is tried again by the next request, not remembered forever.
      keysReady = undefined;
      throw error;
    }));
  const verified = new Map<string, JwtVerdict & { ok: true }>();

  const check = async (token: string): Promise<JwtVerdict> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys ?? (await keySet()), {
        issuer: options.issuer,
        audience,
        algorithms,
        clockTolerance: toleranceMs / 1000,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      return refusal(error);
    }
    const mapped = principalOfClaims(payload, options);
    if (!mapped.ok) return { ok: false, status: mapped.status, error: mapped.error, description: mapped.description };
    return { ok: true, principal: mapped.principal, expiresAt: (payload.exp ?? 0) * 1000 };
  };

  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit !== undefined) {
        if (Date.now() < hit.expiresAt + toleranceMs) return hit;
        verified.delete(token);
      }
      const verdict = await check(token);
      if (verdict.ok) {
        // Oldest first out: a Map keeps insertion order.
        if (verified.size >= MAX_CACHED) verified.delete(verified.keys().next().value!);
        verified.set(token, verdict);
      }
      return verdict;
    },
  };
}

/** The refusal for a token jose rejected: which check failed, never the token's content. */
function refusal(error: unknown): JwtVerdict {
  const invalid = (description: string): JwtVerdict => ({ ok: false, status: 401, error: 'invalid_token', description });
  if (error instanceof errors.JWTExpired) return invalid('the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return invalid('the token is not for this resource (audience)');
      case 'iss':
        return invalid('the token was not issued by the trusted issuer');
      case 'nbf':
        return invalid('the token is not valid yet');
      default:
        return invalid(`the token's "${error.claim}" claim is invalid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return invalid('the token signature is invalid');
  if (error instanceof errors.JWKSNoMatchingKey) return invalid('the token was signed with an unknown key');
  if (error instanceof errors.JOSEAlgNotAllowed) return invalid('the token signature algorithm is not allowed');
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError))
    return { ok: false, status: 503, error: undefined, description: 'the token issuer keys are unavailable' };
  return invalid('the token is malformed');
}
