import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '@mcp-bridge/core';
import { createAuthenticator, type Authenticator, type GatewayAuthOptions, type NamedToken } from './authenticator.js';

/** What a request proved about its caller. */
export interface Admission {
  /** Its principal (JWT or named token); undefined for the shared token or an unauthenticated gateway. */
  principal: Principal | undefined;
}

/**
 * The HTTP gateway's inbound authentication, as the request handler uses it: the RFC 9728 metadata
 * route, and the credential check that answers 401/403/503 with the `WWW-Authenticate` challenge.
 * Also keeps each JWT principal's latest token, for upstreams that exchange it (never forwarded).
 */
export class GatewayAuth {
  #auth: Authenticator | undefined;
  readonly #latest = new Map<string, { jwt: string; seen: number }>();

  constructor(
    private readonly options: {
      token?: string | undefined;
      tokens?: Record<string, string> | undefined;
      auth?: GatewayAuthOptions | undefined;
    },
  ) {}

  /** Builds the checks once the gateway knows its URL (the default resource URI). */
  listening(url: string): void {
    const { token, tokens, auth } = this.options;
    const named: Record<string, NamedToken> = { ...(tokens ?? {}), ...(auth?.tokens ?? {}) };
    this.#auth = createAuthenticator({ ...(auth ?? {}), tokens: named }, url, token);
  }

  /** Answers a GET of the protected-resource metadata (public, like /healthz); false when `pathname` is not it. */
  metadata(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const doc = this.#auth?.metadataAt(pathname);
    if (doc === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' }).end(JSON.stringify(doc));
    return true;
  }

  /** Checks the request's credential; on refusal answers it (status, challenge, JSON-RPC error) and returns false. */
  async admit(req: IncomingMessage, res: ServerResponse): Promise<Admission | false> {
    if (this.#auth === undefined || !this.#auth.required) return { principal: undefined };
    const out = await this.#auth.authenticate(req.headers.authorization);
    if (out.ok) {
      if (out.jwt !== undefined && out.principal !== undefined) this.#remember(out.principal.id, out.jwt);
      return { principal: out.principal };
    }
    if (out.challenge !== undefined) res.setHeader('WWW-Authenticate', out.challenge);
    if (out.status === 503) res.setHeader('Retry-After', '5');
    res
      .writeHead(out.status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: out.message }, id: null }));
    return false;
  }

  /** The principal's most recent valid JWT: the subject token of a token exchange. */
  subjectToken(principal: string): string | undefined {
    return this.#latest.get(principal)?.jwt;
  }

  #remember(principal: string, jwt: string): void {
    const known = this.#latest.get(principal);
    if (known?.jwt === jwt) return;
    // Bounded: the oldest principal goes first (it re-authenticates with its next request anyway).
    if (known === undefined && this.#latest.size >= 10_000) this.#latest.delete(this.#latest.keys().next().value!);
    this.#latest.set(principal, { jwt, seen: Date.now() });
  }
}
