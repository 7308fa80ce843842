import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { startProtectedUpstream, type ProtectedUpstream } from '../../../test/support/oauth-upstream.js';
import { connect, parseServerConfig, type Connection, type UpstreamPrincipal } from '../src/index.js';
import { createTokenExchanger, TokenExchangeError } from '../src/upstream-auth/token-exchange.js';
import { textOf } from './helpers/fixture-server.js';

// Per-principal upstream credentials against a real authorization server (RFC 8693 exchange with real
// signatures) and a real MCP upstream that verifies the token's audience and subject itself.
let as: TestAuthServer;
let upstream: ProtectedUpstream;
const GATEWAY_RESOURCE = 'http://127.0.0.1:7800/mcp';
const clients = { gateway: 'gateway-secret' };

beforeAll(async () => {
  as = await startAuthServer({ clients });
  upstream = await startProtectedUpstream(as.issuer);
});
afterAll(async () => {
  await upstream?.close();
  await as?.close();
});

const principal = (id: string, token: string): UpstreamPrincipal => ({ id, subjectToken: () => token });
const whoami = async (c: Connection): Promise<Record<string, unknown>> =>
  JSON.parse(textOf(await c.client.callTool({ name: 'whoami', arguments: {} }))) as Record<string, unknown>;

describe('token exchange (RFC 8693)', () => {
  it('calls the upstream with a token for the upstream naming the caller, never the inbound token', async () => {
    const config = {
      url: upstream.url,
      auth: { tokenExchange: { tokenEndpoint: as.exchangeEndpoint, clientId: 'gateway', clientSecret: clients.gateway } },
    };
    const parsed = parseServerConfig('files', config);
    expect(parsed.ok).toBe(true);
    const aliceInbound = await as.token({ sub: 'alice', aud: GATEWAY_RESOURCE, scope: 'mcp' });
    const bobInbound = await as.token({ sub: 'bob', aud: GATEWAY_RESOURCE, scope: 'mcp' });
    const alice = await connect('files', config, { principal: principal('alice', aliceInbound) });
    const bob = await connect('files', config, { principal: principal('bob', bobInbound) });
    try {
      expect(await whoami(alice)).toEqual({ sub: 'alice', aud: upstream.url, act: { sub: 'gateway' } });
      expect(await whoami(bob)).toEqual({ sub: 'bob', aud: upstream.url, act: { sub: 'gateway' } });
      // One exchange per principal for the whole session (initialize, list, calls), not one per request.
      expect(
        as.exchanges
          .filter((e) => e.resource === upstream.url)
          .map((e) => e.sub)
          .sort(),
      ).toEqual(['alice', 'bob']);
      expect(upstream.authorizations).not.toContain(`Bearer ${aliceInbound}`);
      expect(upstream.authorizations).not.toContain(`Bearer ${bobInbound}`);
      expect(upstream.refusals).toEqual([]);
    } finally {
      await alice.close();
      await bob.close();
    }
  });

  it('a connection without a principal (the catalog) uses the gateway client credentials', async () => {
    const config = {
      url: upstream.url,
      auth: { tokenExchange: { tokenEndpoint: as.exchangeEndpoint, clientId: 'gateway', clientSecret: clients.gateway } },
    };
    const c = await connect('files', config);
    try {
      expect(await whoami(c)).toMatchObject({ sub: 'gateway', aud: upstream.url });
    } finally {
      await c.close();
    }
  });

  it('a refused exchange fails the connect with the status and OAuth error, without the token', async () => {
    const inbound = await as.token({ sub: 'alice', aud: GATEWAY_RESOURCE });
    const config = {
      url: upstream.url,
      auth: { tokenExchange: { tokenEndpoint: as.exchangeEndpoint, clientId: 'gateway', clientSecret: 'wrong' } },
    };
    const error = await connect('files', config, { principal: principal('alice', inbound) }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/HTTP 401 invalid_client/);
    expect(error?.message).not.toContain(inbound);
  });

  it('shares one exchange between concurrent requests and caches it until renewal', async () => {
    let posts = 0;
    const counting: typeof fetch = (input, init) => {
      posts++;
      return fetch(input, init);
    };
    const ex = createTokenExchanger(
      { tokenEndpoint: as.exchangeEndpoint, clientId: 'gateway', clientSecret: clients.gateway },
      upstream.url,
      counting,
    );
    const inbound = await as.token({ sub: 'carol', aud: GATEWAY_RESOURCE });
    const tokens = await Promise.all([1, 2, 3, 4].map(() => ex.tokenFor('carol', inbound)));
    expect(new Set(tokens).size).toBe(1);
    expect(await ex.tokenFor('carol', inbound)).toBe(tokens[0]);
    expect(posts).toBe(1);
    // A subject token the authorization server rejects (bad signature) is an invalid_grant.
    const bad = await ex.tokenFor('dave', `${inbound.slice(0, -4)}AAAA`).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TokenExchangeError);
    expect((bad as TokenExchangeError).oauthError).toBe('invalid_grant');
  });
});

describe('per-principal secrets', () => {
  it('sends each principal its own secret and refuses a principal with none', async () => {
    const aliceToken = await as.token({ sub: 'alice', aud: upstream.url });
    const config = { url: upstream.url, auth: { perPrincipal: { alice: aliceToken } } };
    const alice = await connect('files', config, { principal: principal('alice', 'unused') });
    try {
      expect(await whoami(alice)).toMatchObject({ sub: 'alice' });
    } finally {
      await alice.close();
    }
    const error = await connect('files', config, { principal: principal('mallory', 'x') }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/server "files": has no credential for principal "mallory"/);
  });

  it('names the bad field of an auth config', () => {
    const issues = (auth: unknown): string[] => {
      const r = parseServerConfig('files', { url: 'https://files.example/mcp', auth });
      return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
    };
    expect(issues({ perPrincipal: { alice: '' } })).toEqual([expect.stringMatching(/^auth\.perPrincipal\.alice: is empty/)]);
    expect(issues({ tokenExchange: { tokenEndpoint: 'http://as.example/token', clientId: 'g', clientSecret: 's' } })).toEqual([
      expect.stringMatching(/^auth\.tokenExchange\.tokenEndpoint: must be an https URL/),
    ]);
    expect(issues({})).toEqual([expect.stringMatching(/^auth: set exactly one of tokenExchange and perPrincipal/)]);
    const both = parseServerConfig('files', { url: 'https://files.example/mcp', bearerToken: 't', auth: { perPrincipal: { a: 'b' } } });
    expect(both.ok ? [] : both.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['auth: set either auth or bearerToken, not both']);
  });
});
