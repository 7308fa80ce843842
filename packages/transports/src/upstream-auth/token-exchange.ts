/**
 * RFC 8693 OAuth 2.0 token exchange: the gateway trades the caller's validated token for a token
 * whose audience is one upstream, so the upstream sees the caller (its `sub`) and never the
 * gateway's own inbound token (the MCP authorization spec forbids passing that through).
 */
export interface TokenExchangeOptions {
  /** The authorization server's token endpoint (https; http only on a loopback host). */
  tokenEndpoint: string;
  /** The gateway's client id at that authorization server. */
  clientId: string;
  /** The gateway's client secret. */
  clientSecret: string;
  /** How the client authenticates: HTTP Basic (default) or form fields. */
  clientAuth?: 'client_secret_basic' | 'client_secret_post' | undefined;
  /** `resource` of the request (RFC 8707): the upstream's resource URI. Default: the upstream's URL. */
  resource?: string | undefined;
  /** `audience` of the request, for authorization servers that name targets by logical name. Default none. */
  audience?: string | undefined;
  /** `scope` of the request. Default none (the authorization server decides). */
  scope?: string | undefined;
  /** An exchange that takes longer fails, ms. Default 10 000. */
  timeoutMs?: number | undefined;
  /** An exchanged token is renewed this long before it expires, seconds. Default 30. */
  renewBeforeSec?: number | undefined;
}

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const MAX_CACHED = 10_000;

/** A failed exchange: the authorization server's status and OAuth error code, never a token. */
export class TokenExchangeError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly oauthError: string | undefined,
  ) {
    super(message);
    this.name = 'TokenExchangeError';
  }
}

/** Exchanges caller tokens for one upstream, remembering each principal's token until it is due for renewal. */
export interface TokenExchanger {
  /** A token for `principal` at this upstream, exchanged from `subjectToken` (or the cached one while it is valid). */
  tokenFor(principal: string, subjectToken: string): Promise<string>;
  /**
   * The gateway's own token at this upstream (client credentials grant, same client and resource):
   * for the calls no caller makes, such as listing the catalog at start.
   */
  gatewayToken(): Promise<string>;
}

/**
 * An exchanger for one upstream. Concurrent requests of one principal share one exchange; the result
 * is cached per principal until `renewBeforeSec` before its `expires_in`.
 *
 * @example
 * const exchanger = createTokenExchanger({ tokenEndpoint, clientId: 'gateway', clientSecret }, 'https://files.internal/mcp');
 * const token = await exchanger.tokenFor('alice', aliceInboundJwt);
 */
export function createTokenExchanger(options: TokenExchangeOptions, upstreamUrl: string, fetchImpl: typeof fetch = fetch): TokenExchanger {
  const cached = new Map<string, { token: string; renewAt: number }>();
  const pending = new Map<string, Promise<string>>();
  const resource = options.resource ?? upstreamUrl;
  // The gateway's own token is cached under a key no principal id can take.
  const GATEWAY = '\u0000gateway';
  const exchange = async (principal: string, subjectToken: string | undefined): Promise<string> => {
    const form =
      subjectToken === undefined
        ? new URLSearchParams({ grant_type: 'client_credentials', resource })
        : new URLSearchParams({ grant_type: GRANT, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN, resource });
    if (subjectToken !== undefined) form.set('requested_token_type', ACCESS_TOKEN);
    if (options.audience !== undefined) form.set('audience', options.audience);
    if (options.scope !== undefined) form.set('scope', options.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (options.clientAuth === 'client_secret_post') {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    } else {
      // RFC 6749 section 2.3.1: both parts form-urlencoded before the Basic encoding.
      const basic = `${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`;
      headers.authorization = `Basic ${btoa(basic)}`;
    }
    const where = `token exchange at ${options.tokenEndpoint} for ${resource}`;
    let res: Response;
    try {
      res = await fetchImpl(options.tokenEndpoint, {
        method: 'POST',
        headers,
        body: form,
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new TokenExchangeError(
        `[mcp-bridge] ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
        undefined,
        undefined,
      );
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok || typeof body.access_token !== 'string') {
      const code = typeof body.error === 'string' ? body.error : undefined;
      const reason = code === undefined ? 'no access_token in the answer' : code;
      throw new TokenExchangeError(
        `[mcp-bridge] ${where} refused for ${principal === GATEWAY ? 'the gateway itself' : `principal "${principal}"`}: HTTP ${res.status} ${reason}`,
        res.status,
        code,
      );
    }
    const ttlSec = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const renewAt = Date.now() + Math.max(0, ttlSec - (options.renewBeforeSec ?? 30)) * 1000;
    if (cached.size >= MAX_CACHED) cached.delete(cached.keys().next().value!);
    cached.set(principal, { token: body.access_token, renewAt });
    return body.access_token;
  };
  const tokenFor = (principal: string, subjectToken: string | undefined): Promise<string> => {
    const hit = cached.get(principal);
    if (hit !== undefined && Date.now() < hit.renewAt) return Promise.resolve(hit.token);
    let running = pending.get(principal);
    if (running === undefined) {
      running = exchange(principal, subjectToken).finally(() => pending.delete(principal));
      pending.set(principal, running);
    }
    return running;
  };
  return { tokenFor, gatewayToken: () => tokenFor(GATEWAY, undefined) };
}
