// A child process of `pnpm bench gateway`: serves the echo test server one of three ways over one
// transport, so the bench process (the client) is the same for every variant.
//
//   node gateway-child.ts <sdk|proxy|gateway> <stdio|http>
//
//   sdk      the bare SDK server (McpServer with the echo tool)
//   proxy    a naive pass-through proxy: a low-level SDK Server whose tools/list and tools/call
//            handlers forward to an SDK Client connected (in memory) to the echo server
//   gateway  mcp-bridge: a bridge over the same in-memory echo server, served by @mcp-bridge/server
//   gateway-legacyup / gateway-modernup  the same gateway over an echo upstream in this process over
//            Streamable HTTP on 127.0.0.1: the 2025-11-25 test server (SDK 1.x) or the 2026-07-28
//            modern-only test server (SDK v2), the era pinned (a modern upstream cannot be in memory);
//            the upstream runs in its own process (`upstream-legacy|modern http`), so the gateway's CPU
//            time per call is the bridge's own
//   gateway-legacyeq / gateway-moderneq <url>  the same gateway over the equal-cost echo at <url>
//            (lib/equal-cost-echo.ts, no SDK, both eras at the same cost per call; started once by the
//            bench, shared by both), the era pinned; exits with an error unless the era was negotiated
//   gateway-jwt  the same gateway as an OAuth resource server (`auth.jwt`, HTTP only): keys from a
//            JWKS served over HTTP by this process (RS256, as an authorization server would), and
//            the signed token for the client printed after the URL (`<url> <token>`)
//
// Over HTTP it prints its URL as the first stdout line; over stdio stdout is the protocol.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBridge, type BridgeServerConfig } from '@mcp-bridge/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { serveHttp, serveStdio } from '@mcp-bridge/server';
import { createTestServer, startHttpTestServer, startModernHttpTestServer } from '@mcp-bridge/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  isInitializeRequest,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { spawnEchoUpstream } from './echo-upstream.js';

type Mode =
  | 'sdk'
  | 'proxy'
  | 'gateway'
  | 'gateway-jwt'
  | 'gateway-legacyup'
  | 'gateway-modernup'
  | 'gateway-legacyeq'
  | 'gateway-moderneq'
  | 'upstream-legacy'
  | 'upstream-modern';
const [mode, transport, equalCostUrl] = process.argv.slice(2) as [Mode, 'stdio' | 'http', string | undefined];
const echoServer = (): McpServer => createTestServer({ name: 'bench', tools: ['echo'], resources: false, prompts: false });

/** One upstream client for the whole proxy (as a naive proxy would hold), over an in-memory pair. */
async function upstreamClient(): Promise<Client> {
  const server = echoServer();
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'naive-proxy', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

function proxyServer(upstream: Client): Server {
  const proxy = new Server({ name: 'naive-proxy', version: '1.0.0' }, { capabilities: { tools: {} } });
  proxy.setRequestHandler(ListToolsRequestSchema, (request) => upstream.listTools(request.params));
  proxy.setRequestHandler(CallToolRequestSchema, (request) => upstream.callTool(request.params) as Promise<CallToolResult>);
  return proxy;
}

/** Streamable HTTP for SDK servers: one server per session, as the SDK's examples do. */
async function sdkHttp(newServer: () => { connect(t: Transport): Promise<void> }): Promise<string> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  };
  const http = createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'] as string | undefined;
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      if (id) {
        const t = sessions.get(id);
        if (!t) return void res.writeHead(404).end();
        return t.handleRequest(req, res, body);
      }
      if (!isInitializeRequest(body)) return void res.writeHead(400).end();
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, t),
      });
      await newServer().connect(t);
      await t.handleRequest(req, res, body);
    })().catch((error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
}

/** The gateway's upstream entry: the echo server in memory, or over HTTP in either protocol era (its own process). */
async function upstreamEntry(m: Mode): Promise<Record<string, unknown>> {
  if (m === 'gateway') return { type: 'in-memory', server: () => echoServer() };
  if (m === 'gateway-legacyeq' || m === 'gateway-moderneq') {
    if (!equalCostUrl) throw new Error(`${m} needs the equal-cost echo's URL as its third argument`);
    return { url: equalCostUrl, protocol: m === 'gateway-moderneq' ? '2026-07-28' : '2025-11-25' };
  }
  const modern = m === 'gateway-modernup';
  return { url: (await spawnEchoUpstream(modern ? 'modern' : 'legacy')).url, protocol: modern ? '2026-07-28' : '2025-11-25' };
}

/** A JWKS endpoint with one RS256 key, and a token it signed for `audience` (the bench's client presents it). */
async function issuer(audience: string): Promise<{ issuer: string; jwksUri: string; token: string }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  const keys = createServer(
    (_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })),
  );
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
  const token = await new SignJWT({ scope: 'mcp' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
    .setIssuer(origin)
    .setAudience(audience)
    .setSubject('bench-user')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  return { issuer: origin, jwksUri: `${origin}/jwks`, token };
}

if (mode === 'gateway-jwt') {
  const bridge = createBridge({ servers: { bench: { type: 'in-memory', server: () => echoServer() } } });
  await bridge.start();
  const resource = 'https://bench.example/mcp';
  const keys = await issuer(resource);
  const gateway = await serveHttp(bridge, { port: 0, auth: { resource, jwt: { issuer: keys.issuer, jwksUri: keys.jwksUri } } });
  process.stdout.write(`${gateway.url} ${keys.token}\n`);
} else if (mode === 'gateway' || mode.startsWith('gateway-')) {
  // BENCH_SESSIONS (`shared`, `auto` ...) sets the server's `sessions` (docs/sessions.md); unset: the default.
  const sessions = process.env.BENCH_SESSIONS ? { sessions: process.env.BENCH_SESSIONS } : {};
  // Validated by createBridge at run time (a plain record here: in memory or HTTP).
  const bridge = createBridge({ servers: { bench: { ...(await upstreamEntry(mode)), ...sessions } as BridgeServerConfig } });
  await bridge.start();
  const expected = {
    'gateway-legacyup': '2025-11-25',
    'gateway-legacyeq': '2025-11-25',
    'gateway-modernup': '2026-07-28',
    'gateway-moderneq': '2026-07-28',
  }[mode as string];
  const negotiated = bridge.status()[0]?.upstreams[0]?.protocolVersion;
  if (expected !== undefined && negotiated !== expected)
    throw new Error(`${mode}: the upstream negotiated ${negotiated} (expected ${expected})`);
  if (transport === 'stdio') {
    const gateway = await serveStdio(bridge);
    await gateway.closed;
    await bridge.close();
    process.exit(0);
  }
  const gateway = await serveHttp(bridge, { port: 0 });
  process.stdout.write(`${gateway.url}\n`);
} else if (mode === 'upstream-legacy' || mode === 'upstream-modern') {
  const echo = { name: 'bench', tools: ['echo'], resources: false, prompts: false } as const;
  const up =
    mode === 'upstream-modern' ? await startModernHttpTestServer({ ...echo, era: 'modern-only' }) : await startHttpTestServer(echo);
  process.stdout.write(`${up.url}\n`);
} else if (mode === 'proxy') {
  const upstream = await upstreamClient();
  if (transport === 'stdio') await proxyServer(upstream).connect(new StdioServerTransport());
  else process.stdout.write(`${await sdkHttp(() => proxyServer(upstream))}\n`);
} else {
  if (transport === 'stdio') await echoServer().connect(new StdioServerTransport());
  else process.stdout.write(`${await sdkHttp(echoServer)}\n`);
}
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
