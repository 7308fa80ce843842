import { createMcpHandler } from '@modelcontextprotocol/server';
import { binCommand, type BinCommand } from '../bin-command.js';
import { MAX_BODY_BYTES, sendJsonRpcError } from '../http-body.js';
import type { ModernEra } from './modern-options.js';
import { createModernConformanceServer, type ModernConformanceServerOptions } from './modern-conformance.js';
import { listenMcp, readBody, toWebRequest, writeWebResponse } from './node-fetch.js';

/**
 * How to spawn the v2 conformance fixture ({@link createModernConformanceServer}) as a child
 * process speaking MCP over stdio (the `mcp-bridge-modern-conformance-server` bin, through the
 * SDK's `serveStdio`): `era: 'modern-only'` answers `server/discover` and rejects `initialize`
 * (-32022); `'dual'` (default) serves either, pinned per connection.
 *
 * @throws TypeError for invalid options.
 * @example
 * const bridge = createBridge({ servers: { fixture: { ...modernConformanceServerCommand({ era: 'modern-only' }), protocol: '2026-07-28' } } });
 */
export function modernConformanceServerCommand(options: { era?: ModernEra; name?: string } = {}): BinCommand {
  createModernConformanceServer(options); // validates
  const args = [
    ...(options.era === undefined ? [] : ['--era', options.era]),
    ...(options.name === undefined ? [] : ['--name', options.name]),
  ];
  return binCommand('modern-conformance-server', args, 'modern conformance server');
}

/** Options of {@link startModernConformanceHttpServer}. */
export interface ModernConformanceHttpOptions extends ModernConformanceServerOptions {
  /** Port to listen on. Default 0 (a free port). */
  port?: number;
  /** Default `'127.0.0.1'`. */
  host?: string;
}

/** A running v2 conformance fixture over Streamable HTTP. */
export interface ModernConformanceHttpServer {
  /** The endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  era: ModernEra;
  /** Ends open streams (listen included) and the HTTP server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the v2 conformance fixture over Streamable HTTP at `/mcp` on a real `node:http` server,
 * through the SDK's `createMcpHandler`: 2026-07-28 requests per request, 2025-era ones statelessly
 * (`era: 'dual'`) or rejected with -32022 (`'modern-only'`). Resource updates and tool-list
 * changes go to `subscriptions/listen` streams.
 *
 * @throws TypeError for invalid options (before listening).
 * @example
 * const http = await startModernConformanceHttpServer({ era: 'modern-only' });
 * await client.connect(new StreamableHTTPClientTransport(new URL(http.url)));
 */
export async function startModernConformanceHttpServer(options: ModernConformanceHttpOptions = {}): Promise<ModernConformanceHttpServer> {
  const { port = 0, host = '127.0.0.1', ...fixtureOptions } = options;
  const fixture = createModernConformanceServer(fixtureOptions);
  const handler = createMcpHandler(fixture.factory, { legacy: fixture.era === 'dual' ? 'stateless' : 'reject', keepAliveMs: 0 });
  fixture.setNotifier(handler.notify);
  const { http, origin } = await listenMcp(
    async (req, res, origin) => {
      const body = req.method === 'POST' ? await readBody(req, MAX_BODY_BYTES) : undefined;
      if (req.method === 'POST' && body === undefined) return sendJsonRpcError(res, 413, -32000, 'Request body too large');
      await writeWebResponse(await handler.fetch(toWebRequest(req, res, body, origin)), res);
    },
    port,
    host,
  );
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/mcp`,
    era: fixture.era,
    close() {
      closing ??= (async () => {
        fixture.setNotifier(undefined);
        await handler.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}
