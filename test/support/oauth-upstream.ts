import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/**
 * A real MCP server over Streamable HTTP that is itself an OAuth resource server: every request must
 * carry a JWT of `issuer` whose audience is this server's URL (401 with an RFC 9728 challenge
 * otherwise). Its `whoami` tool answers with the subject, audience and actor of the token it was
 * called with, so a test sees exactly whom the upstream believes it serves.
 */
export interface ProtectedUpstream {
  url: string;
  /** Every Authorization header received, in order. */
  authorizations: string[];
  /** Every refusal, with its reason. */
  refusals: string[];
  close(): Promise<void>;
}

export async function startProtectedUpstream(issuer: string): Promise<ProtectedUpstream> {
  const keys = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const servers = new Set<McpServer>();
  const authorizations: string[] = [];
  const refusals: string[] = [];
  let url = '';
  const check = async (req: IncomingMessage): Promise<AuthInfo | string> => {
    const header = req.headers.authorization ?? '';
    authorizations.push(header);
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (token === undefined) return 'no bearer token';
    try {
      const { payload } = await jwtVerify(token, keys, { issuer, audience: url });
      return {
        token,
        clientId: typeof payload.client_id === 'string' ? payload.client_id : '',
        scopes: [],
        extra: { sub: payload.sub, aud: payload.aud, act: payload.act },
      };
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const http: Server = createServer((req, res) => {
    void (async () => {
      if (req.url?.startsWith('/.well-known/oauth-protected-resource')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ resource: url, authorization_servers: [issuer] }));
        return;
      }
      const auth = await check(req);
      if (typeof auth === 'string') {
        refusals.push(auth);
        const metadata = `${new URL(url).origin}/.well-known/oauth-protected-resource/mcp`;
        res.writeHead(401, { 'www-authenticate': `Bearer resource_metadata="${metadata}", error="invalid_token"` }).end();
        return;
      }
      const withAuth = Object.assign(req, { auth });
      const sessionId = req.headers['mcp-session-id'];
      const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      if (existing) return existing.handleRequest(withAuth, res);
      if (typeof sessionId === 'string') return void res.writeHead(404).end();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void sessions.set(id, transport),
      });
      const mcp = new McpServer({ name: 'protected', version: '1.0.0' });
      mcp.registerTool('whoami', { description: 'who the token says is calling' }, (extra) => ({
        content: [{ type: 'text' as const, text: JSON.stringify(extra.authInfo?.extra ?? {}) }],
      }));
      servers.add(mcp);
      await mcp.connect(transport);
      await transport.handleRequest(withAuth, res);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  return {
    url,
    authorizations,
    refusals,
    async close() {
      for (const mcp of servers) await mcp.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
