import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAuthServer, type TestAuthServer } from '../../../test/support/oauth-server.js';
import { startProtectedUpstream, type ProtectedUpstream } from '../../../test/support/oauth-upstream.js';
import { addressRefusal, discoverUpstreamAuthorization, guardedFetchJson } from '../src/oauth-discovery/index.js';

// The SSRF guard of outbound OAuth discovery, against real HTTP servers on 127.0.0.1.
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function serve(handler: RequestListener): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const local = { allowLoopback: true };
const json =
  (body: unknown): RequestListener =>
  (_req, res) =>
    void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'fetched',
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );

describe('guardedFetchJson', () => {
  it('fetches from a loopback server only with allowLoopback', async () => {
    const origin = await serve(json({ ok: true }));
    expect(await guardedFetchJson(`${origin}/doc`, local)).toEqual({ ok: true });
    expect(await refusal(guardedFetchJson(`${origin}/doc`))).toMatch(/only https URLs/);
  });

  it('refuses plain http to anything but loopback, before connecting', async () => {
    expect(await refusal(guardedFetchJson('http://as.example/doc', local))).toMatch(/only https URLs/);
    expect(await refusal(guardedFetchJson('ftp://as.example/doc', local))).toMatch(/only https URLs/);
  });

  it('refuses private, link-local and loopback addresses, literal or after DNS resolution', async () => {
    expect(await refusal(guardedFetchJson('https://169.254.169.254/latest/meta-data'))).toMatch(/link-local/);
    expect(await refusal(guardedFetchJson('https://10.1.2.3/x'))).toMatch(/private/);
    expect(await refusal(guardedFetchJson('https://[::ffff:127.0.0.1]/x'))).toMatch(/loopback/);
    // A name: the check happens on the addresses it resolves to (localhost → 127.0.0.1/::1).
    expect(await refusal(guardedFetchJson('https://localhost:1/x'))).toMatch(/localhost resolves to .*loopback/);
    expect(await refusal(guardedFetchJson('https://localhost:1/x', { allowLoopback: true }))).not.toMatch(/loopback/);
  });

  it('classifies addresses', () => {
    expect(addressRefusal('8.8.8.8', {})).toBeUndefined();
    expect(addressRefusal('2606:4700::1111', {})).toBeUndefined();
    expect(addressRefusal('192.168.1.1', {})).toMatch(/private/);
    expect(addressRefusal('192.168.1.1', { allowPrivate: true })).toBeUndefined();
    expect(addressRefusal('fe80::1', {})).toMatch(/link-local/);
    expect(addressRefusal('fd00:ec2::254', {})).toMatch(/private/);
    expect(addressRefusal('0.0.0.0', { allowLoopback: true, allowPrivate: true })).toMatch(/not a routable/);
  });

  it('follows one redirect, not two; a redirect is checked like the first URL', async () => {
    const target = await serve(json({ hop: 'final' }));
    const one = await serve((_req, res) => void res.writeHead(302, { location: `${target}/doc` }).end());
    const two = await serve((_req, res) => void res.writeHead(302, { location: `${one}/doc` }).end());
    const toPrivate = await serve((_req, res) => void res.writeHead(302, { location: 'https://10.0.0.7/doc' }).end());
    expect(await guardedFetchJson(`${one}/doc`, local)).toEqual({ hop: 'final' });
    expect(await refusal(guardedFetchJson(`${two}/doc`, local))).toMatch(/too many redirects/);
    expect(await refusal(guardedFetchJson(`${toPrivate}/doc`, local))).toMatch(/10\.0\.0\.7 is a private/);
  });

  it('bounds the body (declared or streamed) and the time', async () => {
    const big = await serve((_req, res) => void res.writeHead(200, { 'content-length': String(1 << 20) }).end(Buffer.alloc(1 << 20, 32)));
    const chunked = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(Buffer.alloc(40_000, 32));
      res.end(Buffer.alloc(40_000, 32));
    });
    const slow = await serve(() => undefined);
    expect(await refusal(guardedFetchJson(`${big}/doc`, local))).toMatch(/over the 65536-byte limit/);
    expect(await refusal(guardedFetchJson(`${chunked}/doc`, local))).toMatch(/over the 65536-byte limit/);
    expect(await refusal(guardedFetchJson(`${slow}/doc`, { ...local, timeoutMs: 300 }))).toMatch(/timed out/);
  });
});

describe('discoverUpstreamAuthorization', () => {
  let as: TestAuthServer;
  let upstream: ProtectedUpstream;
  beforeAll(async () => {
    as = await startAuthServer();
    upstream = await startProtectedUpstream(as.issuer);
  });
  afterAll(async () => {
    await upstream?.close();
    await as?.close();
  });

  it("follows a real upstream's 401 to its authorization server's token endpoint", async () => {
    const res = await fetch(upstream.url, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const found = await discoverUpstreamAuthorization(upstream.url, res.headers.get('www-authenticate') ?? undefined, local);
    expect(found).toMatchObject({ resource: upstream.url, issuer: as.issuer, tokenEndpoint: `${as.issuer}/token` });
    // Without the test option, the same discovery is refused: the upstream is on loopback.
    expect(await refusal(discoverUpstreamAuthorization(upstream.url, res.headers.get('www-authenticate') ?? undefined))).toMatch(
      /only https/,
    );
  });

  it('refuses metadata that describes another resource', async () => {
    const origin = await serve(json({ resource: 'https://other.example/mcp', authorization_servers: [as.issuer] }));
    const challenge = `Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
    expect(await refusal(discoverUpstreamAuthorization(`${origin}/mcp`, challenge, local))).toMatch(
      /names resource "https:\/\/other.example\/mcp", not the upstream/,
    );
  });

  it('refuses an authorization server whose metadata names another issuer', async () => {
    let origin = '';
    origin = await serve((req, res) => {
      const body = req.url?.startsWith('/.well-known/oauth-protected-resource')
        ? { resource: `${origin}/mcp`, authorization_servers: [`${origin}/as`] }
        : { issuer: 'https://evil.example', token_endpoint: `${origin}/token` };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    expect(await refusal(discoverUpstreamAuthorization(`${origin}/mcp`, undefined, local))).toMatch(
      /names issuer "https:\/\/evil.example"/,
    );
  });
});
