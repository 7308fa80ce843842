import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { createAuthenticator, gatewayAuthSchema, type Authenticator } from '../src/auth/index.js';

// The resource server's checks against a real authorization server: real RSA-signed JWTs, a real JWKS over HTTP.
const RESOURCE = 'http://127.0.0.1:7800/mcp';
let as: TestAuthServer;
let other: TestAuthServer;
let auth: Authenticator;

beforeAll(async () => {
  as = await startAuthServer();
  other = await startAuthServer();
  auth = createAuthenticator(
    { jwt: { issuer: as.issuer, requiredScopes: ['mcp'] }, tokens: { ci: { token: 'ci-secret', scopes: ['mcp'] } } },
    RESOURCE,
  );
});
afterAll(async () => {
  await as?.close();
  await other?.close();
});

const bearer = (t: string): string => `Bearer ${t}`;

describe('JWT bearer tokens', () => {
  it('accepts a token for this resource and maps its claims to a principal', async () => {
    const token = await as.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp tools:read' });
    const out = await auth.authenticate(bearer(token));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.principal).toMatchObject({ id: 'alice', kind: 'jwt', scopes: ['mcp', 'tools:read'] });
    expect(out.jwt).toBe(token);
  });

  const metadata = 'resource_metadata="http://127.0.0.1:7800/.well-known/oauth-protected-resource/mcp"';
  const refusals: [string, () => Promise<string>, RegExp][] = [
    ['a wrong audience', () => as.token({ sub: 'alice', aud: 'https://elsewhere.example/api', scope: 'mcp' }), /audience/],
    [
      'a token for another resource of the same host',
      () => as.token({ sub: 'alice', aud: 'http://127.0.0.1:7800/other', scope: 'mcp' }),
      /audience/,
    ],
    [
      'a wrong issuer (signed by another authorization server)',
      () => other.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp' }),
      /unknown key|issuer/,
    ],
    [
      'a wrong issuer claim (signed by the trusted key)',
      () => as.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp', iss: 'https://evil.example' }),
      /issuer/,
    ],
    ['an expired token', () => as.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp' }, { expiresIn: -3600 }), /expired/],
    ['a bad signature', async () => tamper(await as.token({ sub: 'alice', aud: RESOURCE, scope: 'mcp' })), /signature/],
    ['no subject', () => as.token({ aud: RESOURCE, scope: 'mcp' }), /"sub"/],
  ];
  for (const [what, make, reason] of refusals) {
    it(`refuses ${what}: 401 invalid_token with the metadata challenge`, async () => {
      const out = await auth.authenticate(bearer(await make()));
      expect(out.ok).toBe(false);
      if (out.ok) return;
      expect(out.status).toBe(401);
      expect(out.message).toMatch(reason);
      expect(out.challenge).toContain('error="invalid_token"');
      expect(out.challenge).toContain(metadata);
    });
  }

  it('refuses a token without the required scope: 403 insufficient_scope naming the scope', async () => {
    const out = await auth.authenticate(bearer(await as.token({ sub: 'bob', aud: RESOURCE, scope: 'other' })));
    expect(out).toMatchObject({ ok: false, status: 403 });
    if (out.ok) return;
    expect(out.challenge).toBe(
      `Bearer realm="mcp-bridge", ${metadata}, error="insufficient_scope", error_description="the token lacks the scope(s): mcp", scope="mcp"`,
    );
  });

  it('answers a request without a credential with 401 and the metadata, no error code', async () => {
    const out = await auth.authenticate(undefined);
    expect(out).toMatchObject({ ok: false, status: 401, challenge: `Bearer realm="mcp-bridge", ${metadata}, scope="mcp"` });
  });

  it('still knows the static named tokens, as principals with their scopes', async () => {
    const out = await auth.authenticate('Bearer ci-secret');
    expect(out).toMatchObject({ ok: true, principal: { id: 'ci', kind: 'token', scopes: ['mcp'] } });
  });

  it('fetches the JWKS once, not once per call: verified tokens and known keys are cached', async () => {
    const fresh = createAuthenticator({ jwt: { issuer: as.issuer } }, RESOURCE);
    const before = as.jwksFetches();
    const tokens = await Promise.all(['a', 'b', 'c'].map((sub) => as.token({ sub, aud: RESOURCE })));
    for (let i = 0; i < 50; i++) for (const t of tokens) expect((await fresh.authenticate(bearer(t))).ok).toBe(true);
    expect(as.jwksFetches() - before).toBe(1);
  });

  it('serves RFC 9728 metadata at the path-suffixed and the bare well-known path', () => {
    const doc = { resource: RESOURCE, authorization_servers: [as.issuer], bearer_methods_supported: ['header'], scopes_supported: ['mcp'] };
    expect(auth.metadataAt('/.well-known/oauth-protected-resource/mcp')).toEqual(doc);
    expect(auth.metadataAt('/.well-known/oauth-protected-resource')).toEqual(doc);
    expect(auth.metadataAt('/.well-known/oauth-protected-resource/other')).toBeUndefined();
  });

  it('answers 503 (not 401) when the issuer keys cannot be fetched', async () => {
    const down = createAuthenticator({ jwt: { issuer: as.issuer, jwksUri: 'http://127.0.0.1:1/jwks', jwksTimeoutMs: 2000 } }, RESOURCE);
    const out = await down.authenticate(bearer(await as.token({ sub: 'alice', aud: RESOURCE })));
    expect(out).toMatchObject({ ok: false, status: 503 });
  });
});

describe('auth options', () => {
  const issues = (value: unknown): string[] => {
    const r = gatewayAuthSchema.safeParse(value);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('names the field of a bad option', () => {
    expect(issues({ jwt: { issuer: 'http://issuer.example' } })).toEqual([expect.stringMatching(/^jwt\.issuer: must be an https URL/)]);
    expect(issues({ jwt: { issuer: 'https://i.example', algorithms: ['RS256', 'HS256'] } })).toEqual([
      expect.stringMatching(/^jwt\.algorithms\.1: HS256 is not allowed/),
    ]);
    expect(issues({ jwt: { issuer: 'https://i.example', audiance: 'x' } })).toEqual([expect.stringMatching(/^jwt: .*audiance/)]);
    expect(issues({ tokens: { a: 'same', b: { token: 'same' } } })).toEqual([
      'tokens.b: same token as "a": a token must name one principal',
    ]);
    expect(issues({ resource: 'https://gw.example/mcp#x' })).toEqual(['resource: a resource URI must not have a fragment']);
    expect(issues({ jwt: { issuer: 'http://localhost:9000' }, resource: 'https://gw.example/mcp' })).toEqual([]);
  });
});

/** The same token with one payload character changed: the signature no longer matches. */
function tamper(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
  payload.sub = 'mallory';
  return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
}
