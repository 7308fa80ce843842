import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { connect, type Connection } from '@mcp-bridge/transports';
import { rejection, textOf } from './helpers/fixture-server.js';
import { leakSnapshot } from './helpers/leaks.js';
import { startHangingServer, startSseServer, startStreamableHttpServer, type TestHttpServer } from './helpers/http-servers.js';

describe('HTTP transports', () => {
  const connections: Connection[] = [];
  const servers: TestHttpServer[] = [];
  let checkLeaks: () => Promise<void>;

  beforeEach(() => {
    checkLeaks = leakSnapshot();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await checkLeaks();
  });

  async function track<T extends TestHttpServer>(server: Promise<T>): Promise<T> {
    const started = await server;
    servers.push(started);
    return started;
  }

  async function open(...args: Parameters<typeof connect>): Promise<Connection> {
    const connection = await connect(...args);
    connections.push(connection);
    return connection;
  }

  describe('streamable-http', () => {
    it('calls a tool over a real Streamable HTTP server', async () => {
      const server = await track(startStreamableHttpServer());
      const connection = await open('remote', { type: 'http', url: server.url });
      expect(connection.kind).toBe('streamable-http');
      expect(connection.pid).toBeUndefined();
      expect(connection.stderrTail).toBeUndefined();
      const result = await connection.client.callTool({ name: 'echo', arguments: { text: 'over http' } });
      expect(textOf(result)).toBe('over http');
    });

    it('sends headers and the bearer token on every request', async () => {
      const server = await track(startStreamableHttpServer({ requireBearer: 's3cret' }));
      const connection = await open('remote', {
        type: 'streamable-http',
        url: server.url,
        headers: { 'X-Team': 'blue' },
        bearerToken: 's3cret',
      });
      await connection.client.callTool({ name: 'echo', arguments: { text: 'x' } });
      await connection.close();
      const methods = server.requests.map((request) => request.method);
      expect(methods).toContain('POST');
      expect(methods).toContain('DELETE'); // close() ends the session, as the spec asks
      for (const request of server.requests) {
        expect(request.headers['authorization']).toBe('Bearer s3cret');
        expect(request.headers['x-team']).toBe('blue');
      }
    });

    it("uses the SDK's OAuth provider: its access token reaches the server", async () => {
      const server = await track(startStreamableHttpServer({ requireBearer: 'oauth-access-token' }));
      let tokenReads = 0;
      const authProvider: OAuthClientProvider = {
        get redirectUrl() {
          return 'http://127.0.0.1/callback';
        },
        get clientMetadata() {
          return { redirect_uris: ['http://127.0.0.1/callback'], client_name: 'mcp-bridge test' };
        },
        clientInformation: () => ({ client_id: 'test-client' }),
        tokens: () => {
          tokenReads++;
          return { access_token: 'oauth-access-token', token_type: 'Bearer' };
        },
        saveTokens: () => undefined,
        redirectToAuthorization: () => {
          throw new Error('no interactive authorization in tests');
        },
        saveCodeVerifier: () => undefined,
        codeVerifier: () => 'verifier',
      };
      const connection = await open('remote', { type: 'streamable-http', url: server.url, authProvider });
      expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'authorized' } }))).toBe('authorized');
      expect(tokenReads).toBeGreaterThan(0);
      for (const request of server.requests) expect(request.headers['authorization']).toBe('Bearer oauth-access-token');
    });

    it('fails clearly on 401 and does not fall back to SSE', async () => {
      const server = await track(startStreamableHttpServer({ requireBearer: 's3cret' }));
      const error = await rejection(connect('remote', { url: server.url, bearerToken: 'wrong' }));
      expect(error.message).toMatch(
        /^MCP server "remote": could not connect \(streamable-http: http:\/\/127\.0\.0\.1:\d+\/mcp\): .*\(HTTP 401\)/,
      );
      expect(server.requests.every((request) => request.method === 'POST')).toBe(true);
    });

    it('resolves closed when the server drops the session (404), so the host can reconnect', async () => {
      const server = await track(startStreamableHttpServer());
      const connection = await open('remote', { url: server.url });
      await connection.client.callTool({ name: 'echo', arguments: { text: 'x' } });
      server.expireSessions();
      await expect(connection.client.callTool({ name: 'echo', arguments: { text: 'y' } })).rejects.toThrow();
      await connection.closed;
    });

    it('times out against a server that never answers', async () => {
      const server = await track(startHangingServer());
      const started = Date.now();
      await expect(connect('hang', { type: 'http', url: server.url }, { timeoutMs: 300 })).rejects.toThrow(
        /^MCP server "hang": connect timed out after 300 ms \(streamable-http: /,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('names the network error when nothing listens', async () => {
      const server = await startStreamableHttpServer();
      await server.close(); // the port is now free
      const error = await rejection(connect('remote', { type: 'http', url: server.url }));
      expect(error.message).toMatch(/^MCP server "remote": could not connect \(streamable-http: .*\): fetch failed: .*ECONNREFUSED/);
    });

    it('leaves query strings (often tokens) out of error messages', async () => {
      const server = await track(startStreamableHttpServer({ requireBearer: 'x' }));
      const error = await rejection(connect('remote', { url: `${server.url}?api_key=hunter2` }));
      expect(error.message).not.toContain('hunter2');
    });
  });

  describe('sse', () => {
    it('calls a tool over a real legacy SSE server', async () => {
      const server = await track(startSseServer());
      const connection = await open('legacy', { type: 'sse', url: server.url });
      expect(connection.kind).toBe('sse');
      const result = await connection.client.callTool({ name: 'echo', arguments: { text: 'over sse' } });
      expect(textOf(result)).toBe('over sse');
    });

    it('sends headers and the bearer token on the event stream and on every POST', async () => {
      const server = await track(startSseServer({ requireBearer: 'tok' }));
      const connection = await open('legacy', {
        transport: 'sse',
        url: server.url,
        headers: { 'X-Team': 'red' },
        bearerToken: 'tok',
      });
      await connection.client.callTool({ name: 'echo', arguments: { text: 'x' } });
      const get = server.requests.filter((request) => request.method === 'GET');
      const posts = server.requests.filter((request) => request.method === 'POST');
      expect(get).toHaveLength(1);
      expect(posts.length).toBeGreaterThanOrEqual(3); // initialize, initialized, tools/call
      for (const request of [...get, ...posts]) {
        expect(request.headers['authorization']).toBe('Bearer tok');
        expect(request.headers['x-team']).toBe('red');
      }
    });

    it('a url without type falls back to SSE when the server refuses the Streamable HTTP POST', async () => {
      const server = await track(startSseServer());
      let configured = 0;
      const connection = await open('legacy', { url: server.url }, { configure: () => void configured++ });
      expect(connection.kind).toBe('sse');
      expect(textOf(await connection.client.callTool({ name: 'echo', arguments: { text: 'fallback' } }))).toBe('fallback');
      const first = server.requests[0];
      expect(first?.method).toBe('POST');
      expect(first?.path).toBe('/sse');
      expect(server.requests.some((request) => request.method === 'GET' && request.path === '/sse')).toBe(true);
      // Once per client: the `server/discover` probe's (protocol auto), then the refused Streamable HTTP one, then SSE's.
      expect(configured).toBe(3);
    });

    it('an explicit streamable-http type does not fall back', async () => {
      const server = await track(startSseServer());
      await expect(connect('legacy', { type: 'streamable-http', url: server.url })).rejects.toThrow(/\(HTTP 405\)/);
      expect(server.requests.some((request) => request.method === 'GET')).toBe(false);
    });
  });
});
