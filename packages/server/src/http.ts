import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bridge } from '@mcp-bridge/core';
import { WILDCARD } from './http-checks.js';
import { HttpGatewayServer } from './http-gateway.js';
import { reject } from './http-io.js';
import { parseOptions, type HttpGatewayOptions } from './options.js';
import type { GatewayLoad } from './http-limits.js';
import { releaseRouter, routerForStartedBridge } from './router.js';

/** A running Streamable HTTP gateway. */
export interface HttpGateway {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Open MCP sessions. */
  sessionCount(): number;
  /** What the gateway holds right now (sessions by caller, requests, connections, buffered bytes): for metrics and operators. */
  load(): GatewayLoad;
  /**
   * Stops: no new connections or requests (refused unread), calls already accepted run on for up to
   * `drainMs` to their answer, any still running then are answered with an error that says they may
   * have run; then every session and the listener close. The bridge stays open: the caller owns it.
   */
  close(): Promise<void>;
}

/**
 * Serves a bridge as one MCP server over Streamable HTTP (stateful sessions). Listens on
 * 127.0.0.1 by default, checks the Host and Origin headers (DNS-rebinding protection: 403), asks
 * for a bearer token when `token` is set (401), closes sessions idle for `sessionIdleMs`, answers
 * `GET /healthz` (the process is up) and `GET /readyz` (the bridge is ready; per-server state).
 * Starts the bridge when it is `new` (waits for it when it is starting); never closes it.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } } });
 * const gateway = await serveHttp(bridge, { port: 3000 });
 * console.log(`MCP endpoint: ${gateway.url}`);
 * // later
 * await gateway.close();
 * await bridge.close();
 * ```
 */
export async function serveHttp(bridge: Bridge, options?: HttpGatewayOptions): Promise<HttpGateway> {
  const o = parseOptions('serveHttp', options);
  const gateway = new HttpGatewayServer(bridge, o);
  const { onError, host, path, sessions } = gateway;

  // Listen first (a port in use fails before any upstream is spawned; /healthz answers while they
  // start); MCP requests wait for the bridge's start.
  const http = createServer((req, res) => {
    gateway.handle(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) reject(res, 500, 'Internal error');
      else res.end();
    });
  });

  // Sockets past the connection cap (plus room for the 503 that names it) are refused unread, before any request is parsed.
  http.maxConnections = gateway.limits.caps.maxConnections + 64;

  await new Promise<void>((resolve, reject_) => {
    http.once('error', reject_);
    http.listen(o.port ?? 0, host, () => {
      http.off('error', reject_);
      resolve();
    });
  });
  gateway.routerReady = routerForStartedBridge(bridge, onError);
  try {
    gateway.router = await gateway.routerReady;
  } catch (error) {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    throw error;
  }
  gateway.startTimers();

  const port = (http.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : WILDCARD.includes(host) ? '127.0.0.1' : host;
  gateway.listening(port, `http://${urlHost}:${port}${path}`);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}${path}`,
    port,
    sessionCount: () => sessions.size,
    load: () => gateway.load(),
    close: () =>
      (closing ??= (async () => {
        gateway.stop();
        const listenerClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        await gateway.endAll();
        http.closeAllConnections();
        await listenerClosed;
        releaseRouter(gateway.router);
      })()),
  };
}
