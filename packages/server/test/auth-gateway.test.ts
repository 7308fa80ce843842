import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';
import { inMemoryTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { startProtectedUpstream, type ProtectedUpstream } from '../../../test/support/oauth-upstream.js';
import { serveHttp, type HttpGateway, type HttpGatewayOptions } from '../src/index.js';

// The gateway as an OAuth 2.1 resource server, end to end: a real authorization server signs the
// tokens, real MCP clients call over HTTP, principals reach plugins and upstreams.
const RESOURCE = 'https://gateway.test/mcp';
let as: TestAuthServer;
let other: TestAuthServer;
beforeAll(async () => {
  as = await startAuthServer({ clients: { gateway: 'gateway-secret' } });
  other = await startAuthServer();
});
afterAll(async () => {
  await as?.close();
  await other?.close();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function gateway(bridgeOptions: BridgeOptions, options: HttpGatewayOptions = {}): Promise<{ bridge: Bridge; gw: HttpGateway }> {
  const bridge = createBridge({ onError: () => undefined, ...bridgeOptions });
  cleanups.push(() => bridge.close());
  const gw = await serveHttp(bridge, {
    onError: () => undefined,
    auth: { resource: RESOURCE, jwt: { issuer: as.issuer, requiredScopes: ['mcp'] } },
    ...options,
  });
  cleanups.push(() => gw.close());
  return { bridge, gw };
}

async function client(url: string, token: string): Promise<Client> {
  const c = new Client({ name: 'auth-test', version: '1.0.0' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  cleanups.push(() => c.close());
  return c;
}

const tokenOf = (sub: string, scope = 'mcp', aud: string = RESOURCE): Promise<string> => as.token({ sub, aud, scope });

/** A raw initialize POST with `authorization`: status, challenge and body. */
async function initialize(url: string, authorization?: string): Promise<{ status: number; challenge: string | null; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  return { status: res.status, challenge: res.headers.get('www-authenticate'), body: await res.text() };
}

describe('inbound OAuth: refusals and challenges over HTTP', () => {
  it('refuses each bad token with the right status and challenge; serves the RFC 9728 metadata', async () => {
    const { gw } = await gateway({ servers: { t: inMemoryTestServer({ name: 't' }) } });
    const metadata = 'resource_metadata="https://gateway.test/.well-known/oauth-protected-resource/mcp"';
    const none = await initialize(gw.url);
    expect(none.status).toBe(401);
    expect(none.challenge).toBe(`Bearer realm="mcp-bridge", ${metadata}, scope="mcp"`);

    const cases: [string, Promise<string>, number, string][] = [
      ['wrong audience', as.token({ sub: 'alice', aud: 'https://elsewhere.test/api', scope: 'mcp' }), 401, 'invalid_token'],
      ['token for another resource', as.token({ sub: 'alice', aud: 'https://gateway.test/other', scope: 'mcp' }), 401, 'invalid_token'],
      ['wrong issuer', other.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp' }), 401, 'invalid_token'],
      ['expired', as.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp' }, { expiresIn: -600 }), 401, 'invalid_token'],
      ['bad signature', tokenOf('alice').then((t) => `${t.slice(0, -6)}AAAAAA`), 401, 'invalid_token'],
      ['missing scope', tokenOf('alice', 'other'), 403, 'insufficient_scope'],
    ];
    for (const [what, token, status, error] of cases) {
      const res = await initialize(gw.url, `Bearer ${await token}`);
      expect({ what, status: res.status }).toEqual({ what, status });
      expect(res.challenge, what).toContain(metadata);
      expect(res.challenge, what).toContain(`error="${error}"`);
      expect(res.body, what).not.toContain('eyJ');
    }
    expect(gw.sessionCount()).toBe(0);

    const doc = await fetch(new URL('/.well-known/oauth-protected-resource/mcp', gw.url));
    expect(doc.status).toBe(200);
    expect(await doc.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [as.issuer],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp'],
    });
  });

  it("binds a session to its principal: another principal's token on it is refused (403), a fresh token of the same one is not", async () => {
    const { gw } = await gateway({ servers: { t: inMemoryTestServer({ name: 't' }) } });
    const alice = await tokenOf('alice');
    const res = await fetch(gw.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${alice}` },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    const session = res.headers.get('mcp-session-id')!;
    await res.text();
    const ping = async (token: string): Promise<number> => {
      const r = await fetch(gw.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
          'mcp-session-id': session,
          'mcp-protocol-version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      });
      await r.text();
      return r.status;
    };
    expect(await ping(await tokenOf('bob'))).toBe(403);
    expect(await ping(await tokenOf('alice'))).toBe(200);
  });
});

describe('token exchange end to end', () => {
  let upstream: ProtectedUpstream;
  beforeAll(async () => {
    upstream = await startProtectedUpstream(as.issuer);
  });
  afterAll(async () => upstream?.close());

  it('calls the upstream as each principal with an exchanged token, on per-principal upstream sessions', async () => {
    const { gw } = await gateway({
      servers: {
        files: {
          url: upstream.url,
          sessions: 'per-principal',
          auth: { tokenExchange: { tokenEndpoint: as.exchangeEndpoint, clientId: 'gateway', clientSecret: 'gateway-secret' } },
        },
      },
    });
    const aliceToken = await tokenOf('alice');
    const bobToken = await tokenOf('bob');
    const alice = await client(gw.url, aliceToken);
    const bob = await client(gw.url, bobToken);
    const whoami = async (c: Client): Promise<unknown> =>
      JSON.parse(((await c.callTool({ name: 'whoami', arguments: {} })).content as { text: string }[])[0]!.text);
    const [a, b] = await Promise.all([whoami(alice), whoami(bob)]);
    expect(a).toEqual({ sub: 'alice', aud: upstream.url, act: { sub: 'gateway' } });
    expect(b).toEqual({ sub: 'bob', aud: upstream.url, act: { sub: 'gateway' } });
    expect(upstream.authorizations).not.toContain(`Bearer ${aliceToken}`);
    expect(upstream.authorizations).not.toContain(`Bearer ${bobToken}`);
    expect(upstream.refusals).toEqual([]);
  });
});
