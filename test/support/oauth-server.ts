import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { OAuth2Issuer, OAuth2Service, type AugmentedRequest } from 'oauth2-mock-server';

/**
 * A real OAuth 2.1 authorization server for tests: oauth2-mock-server on 127.0.0.1 (port 0), which
 * signs real JWTs with its own RSA key and serves its JWKS and metadata; plus an RFC 8693 token
 * exchange endpoint (oauth2-mock-server has none) that verifies the subject token's signature with
 * that same JWKS before it issues a token for the requested resource.
 */
export interface TestAuthServer {
  /** Issuer identifier, `http://127.0.0.1:PORT`. */
  issuer: string;
  /** The RFC 8693 token endpoint. */
  exchangeEndpoint: string;
  /** A signed access token. `claims` override the defaults (iss = this issuer, exp in one hour). */
  token(claims: Record<string, unknown>, options?: { expiresIn?: number }): Promise<string>;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /** Every exchange granted: which client, for which subject, for which resource. */
  exchanges: { clientId: string; sub: string; resource: string | undefined; audience: string | undefined }[];
  close(): Promise<void>;
}

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

/** Starts the server. `clients` are the confidential clients allowed to exchange (id → secret). */
export async function startAuthServer(
  options: { clients?: Record<string, string>; exchangeTtlSec?: number } = {},
): Promise<TestAuthServer> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  const exchanges: TestAuthServer['exchanges'] = [];
  let jwks = 0;
  const http: Server = createServer((req, res) => {
    if (req.url?.startsWith('/jwks')) jwks++;
    service.requestHandler(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  issuer.url = url;

  service.addRoute('POST', '/token-exchange', async (req, res) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    const body = req.body as Record<string, string | undefined>;
    const client = clientOf(req, body);
    if (client === undefined || options.clients?.[client.id] !== client.secret) return send(401, { error: 'invalid_client' });
    if (body.grant_type === 'client_credentials') {
      // The client as itself (the gateway listing an upstream's catalog), for the resource it names.
      if (body.resource === undefined) return send(400, { error: 'invalid_target' });
      exchanges.push({ clientId: client.id, sub: client.id, resource: body.resource, audience: undefined });
      const own = await issuer.buildToken({
        expiresIn: options.exchangeTtlSec ?? 300,
        scopesOrTransform: (_header, payload) => Object.assign(payload, { sub: client.id, aud: body.resource, client_id: client.id }),
      });
      return send(200, { access_token: own, token_type: 'Bearer', expires_in: options.exchangeTtlSec ?? 300 });
    }
    if (body.grant_type !== EXCHANGE) return send(400, { error: 'unsupported_grant_type' });
    if (body.subject_token_type !== ACCESS_TOKEN || !body.subject_token) return send(400, { error: 'invalid_request' });
    let sub: string;
    let scope: unknown;
    try {
      const { payload } = await jwtVerify(body.subject_token, createLocalJWKSet({ keys: issuer.keys.toJSON() }), { issuer: url });
      sub = String(payload.sub);
      scope = payload.scope;
    } catch {
      return send(400, { error: 'invalid_grant', error_description: 'subject_token rejected' });
    }
    const target = body.resource ?? body.audience;
    if (target === undefined) return send(400, { error: 'invalid_target' });
    exchanges.push({ clientId: client.id, sub, resource: body.resource, audience: body.audience });
    const ttl = options.exchangeTtlSec ?? 300;
    const accessToken = await issuer.buildToken({
      expiresIn: ttl,
      scopesOrTransform: (_header, payload) => {
        Object.assign(payload, { sub, aud: target, act: { sub: client.id }, scope: body.scope ?? scope });
      },
    });
    send(200, { access_token: accessToken, issued_token_type: ACCESS_TOKEN, token_type: 'Bearer', expires_in: ttl });
  });

  return {
    issuer: url,
    exchangeEndpoint: `${url}/token-exchange`,
    token: (claims, o) =>
      issuer.buildToken({
        ...(o?.expiresIn === undefined ? {} : { expiresIn: o.expiresIn }),
        scopesOrTransform: (_header, payload) => {
          Object.assign(payload, claims);
        },
      }),
    jwksFetches: () => jwks,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

/** HTTP Basic (client_secret_basic) or form fields (client_secret_post). */
function clientOf(req: AugmentedRequest, body: Record<string, string | undefined>): { id: string; secret: string } | undefined {
  const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (basic) {
    const [id, secret] = Buffer.from(basic[1]!, 'base64').toString().split(':');
    return id === undefined || secret === undefined ? undefined : { id: decodeURIComponent(id), secret: decodeURIComponent(secret) };
  }
  return body.client_id && body.client_secret ? { id: body.client_id, secret: body.client_secret } : undefined;
}
