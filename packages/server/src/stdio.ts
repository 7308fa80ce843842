import { randomBytes } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import type { Bridge } from '@mcp-bridge/core';
import { parseOptions, type StdioGatewayOptions } from './options.js';
import { releaseRouter, routerForStartedBridge } from './router.js';
import { createSession } from './session.js';
import { connectSession } from './served.js';
import { StdioSessionTransport } from './stdio-transport.js';

/** A running stdio gateway. */
export interface StdioGateway {
  /** Resolves when the client goes away (stdin ends) or the gateway is closed. */
  closed: Promise<void>;
  /** Stops serving. The bridge stays open: the caller owns it. */
  close(): Promise<void>;
}

/**
 * Serves a bridge as one MCP server over stdio, for one client (a desktop app that spawned this
 * process). Starts the bridge when it is `new` (waits for it when it is starting); never closes it. Nothing but MCP messages may be
 * written to stdout while it runs: log to stderr.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers });
 * const gateway = await serveStdio(bridge);
 * await gateway.closed; // the client closed our stdin
 * await bridge.close();
 * ```
 */
export async function serveStdio(bridge: Bridge, options?: StdioGatewayOptions): Promise<StdioGateway> {
  const o = parseOptions('serveStdio', options);
  const onError = o.onError ?? ((e: unknown) => console.error(e));
  const router = await routerForStartedBridge(bridge, onError);
  const stdin = (o.stdin ?? process.stdin) as Readable;
  const stdout = (o.stdout ?? process.stdout) as Writable;
  const session = createSession(router, `stdio-${randomBytes(16).toString('base64url')}`, o);
  const transport = new StdioSessionTransport(stdin, stdout);
  // The client's roots are asked with its first call, and reach upstreams on sessions bound to them (docs/sessions.md).

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      // Let `closing` be set first: server.close() closes the transport, whose onclose calls close() again.
      await Promise.resolve();
      await session.server.close().catch(onError);
      await router.removeSession(session.id);
      releaseRouter(router);
      resolveClosed();
    })());
  const onEnd = (): void => void close();
  stdin.once('end', onEnd);
  stdin.once('close', onEnd);
  transport.onclose = onEnd;

  await connectSession(bridge, session, transport, 'pipe');
  return { closed, close };
}
