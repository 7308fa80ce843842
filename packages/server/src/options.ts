import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { GatewayAuthOptions } from './auth/authenticator.js';
import { gatewayAuthSchema } from './auth/options-schema.js';

/** Options every gateway accepts. */
export interface GatewayOptions {
  /** Name and version the gateway reports to its clients at `initialize`. Default `{ name: 'mcp-bridge', version }`. */
  serverInfo?: { name: string; version: string };
  /** Instructions sent to clients at `initialize`. */
  instructions?: string;
  /** Errors nobody awaits (a notification that could not be delivered, a failed upstream subscription cleanup). Default `console.error`. */
  onError?: (e: unknown) => void;
  /**
   * The gateway's deadline for each call a client makes (tools, resources, prompts, completions), ms:
   * past it the call is cancelled upstream and the client gets a timeout error. Default: the
   * bridge's `requestTimeout` (60 000 ms unless configured there).
   */
  requestTimeout?: number;
}

/** Options of {@link serveHttp}. */
export interface HttpGatewayOptions extends GatewayOptions {
  /** TCP port; `0` picks a free one. Default `0`. */
  port?: number;
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Path of the MCP endpoint. Default `'/mcp'`. */
  path?: string;
  /** When set, inbound clients must send `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /**
   * Named bearer tokens, caller name → token: a client must send one of them (or `token`), and the
   * name of the one that opened a session becomes the `caller` of every call and list it makes (per-caller
   * rules, rate limits, cache partitions). A session's later requests must carry the same token (403
   * otherwise). Default none.
   */
  tokens?: Record<string, string>;
  /**
   * Inbound authentication with principals: an OAuth 2.1 resource server (`jwt`: bearer JWTs of an
   * issuer, checked against its JWKS; RFC 9728 metadata at `/.well-known/oauth-protected-resource`)
   * and static named tokens (`tokens`, with scopes). A request's principal becomes the `caller` (its
   * id) and `principal` (scopes, claims) of its session's calls and lists; a session is bound to it.
   * See docs/auth.md. Default none.
   */
  auth?: GatewayAuthOptions;
  /**
   * Who a new session's client is, from its `initialize` HTTP request (e.g. a header set by your
   * authenticating proxy): the session's `caller`. Used when no named token applies; `undefined` or
   * `''` falls back to a random per-session handle (`session-…`, never the session id itself, which is a
   * secret). The session is bound to it: a later request with that session id must give the same caller
   * (403 otherwise). Only trust headers your own proxy sets. Default: the per-session handle.
   */
  caller?: (req: IncomingMessage) => string | undefined;
  /**
   * Host header values accepted (hostname, or `hostname:port`). Default when listening on a loopback
   * address: `localhost`, `127.0.0.1`, `[::1]`; on another address: that address plus those. On a
   * wildcard address (`0.0.0.0`, `::`) with no list, the Host header is not checked.
   */
  allowedHosts?: string[];
  /** Origin header values accepted (`scheme://host[:port]`). Default: origins whose hostname is an allowed host. A request without Origin passes. */
  allowedOrigins?: string[];
  /**
   * A response stream quiet for this long gets a keep-alive comment, and a call whose answer takes
   * this long starts streaming (SSE) instead of waiting to answer in one JSON body, so clients and
   * proxies do not time out on response headers. Default 15 000 ms.
   */
  keepAliveMs?: number;
  /** A session with no request for this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
  /** A session whose client never sent `notifications/initialized` is closed after this long, ms. Default 20 000. */
  sessionInitMs?: number;
  /**
   * On `close()`, how long calls already accepted may run on to their answer, ms (default 5_000;
   * 0: none). New requests are refused meanwhile (404: never run); calls still running after it are
   * answered with an error that says they may have run (JSON-RPC -32603), never with 404.
   */
  drainMs?: number;
  /**
   * At most this many sessions at once. A new one beyond it ends the longest-idle session (one that
   * never sent `notifications/initialized` first; never one with a request in progress); only when
   * every session is busy does it get 503. Default 1000.
   */
  maxSessions?: number;
  /**
   * At most this many sessions per caller (the session owner: named token, `caller` identity, or the
   * client's address without auth). A caller past it loses its own longest-idle session, never
   * another caller's. Default 100.
   */
  maxSessionsPerCaller?: number;
  /** Requests in progress per caller; past it a request gets 429 with `Retry-After`. Default 256. */
  maxRequestsPerCaller?: number;
  /** Requests in progress in the whole gateway; past it 503 with `Retry-After`. Default 2048. */
  maxRequests?: number;
  /** Open connections per caller (counted from their first request); past it 429 and the connection is closed. Default 256. */
  maxConnectionsPerCaller?: number;
  /** Open connections in the whole gateway; past it 503 (and sockets beyond it are refused unread). Default 4096. */
  maxConnections?: number;
  /**
   * Bytes a caller may hold in the gateway's memory: request bodies being read plus answers written
   * but not yet read by its client. Past it new requests get 429, a body being read is refused (and
   * its connection closed), and the caller's stalled answers are dropped. Default 64 MiB.
   */
  maxBufferedBytesPerCaller?: number;
  /** The same, for the whole gateway (503 past it). Default 512 MiB. */
  maxBufferedBytes?: number;
  /** A request body not received in full within this long gets 408 and its connection is closed (slowloris). Default 30 000 ms. */
  bodyTimeoutMs?: number;
  /**
   * An answer whose client reads none of it for this long is dropped: its connection is closed, its
   * memory freed, and the calls it was still to answer are cancelled upstream. Default 30 000 ms.
   */
  sendTimeoutMs?: number;
  /**
   * Extra `node:http` handlers by exact path, e.g. `{ '/metrics': bridge.metrics.handler }`. They get
   * the same Host/Origin checks and bearer `token` as the MCP endpoint; `/healthz`, `/readyz` and
   * the MCP path cannot be replaced. Default none.
   */
  routes?: Record<string, (req: IncomingMessage, res: ServerResponse) => unknown>;
}

/** Options of {@link serveStdio}. */
export interface StdioGatewayOptions extends GatewayOptions {
  /** Where requests come from. Default `process.stdin`. */
  stdin?: NodeJS.ReadableStream;
  /** Where responses go. Default `process.stdout`. */
  stdout?: NodeJS.WritableStream;
}

const gatewaySchema = z.object({
  serverInfo: z.object({ name: z.string().min(1), version: z.string().min(1) }).optional(),
  instructions: z.string().optional(),
  onError: z.function().optional(),
  requestTimeout: z.number().int().positive().optional(),
});

const positive = z.number().int().positive().optional();

/** The session table and per-caller caps of the HTTP gateway (also what the CLI's config `gateway` section accepts). */
export const httpLimitsSchema = z.object({
  sessionIdleMs: positive,
  sessionInitMs: positive,
  maxSessions: positive,
  maxSessionsPerCaller: positive,
  maxRequestsPerCaller: positive,
  maxRequests: positive,
  maxConnectionsPerCaller: positive,
  maxConnections: positive,
  maxBufferedBytesPerCaller: positive,
  maxBufferedBytes: positive,
  bodyTimeoutMs: positive,
  sendTimeoutMs: positive,
});

/**
 * The gateway settings a config file may hold (the CLI's `gateway` section): the limits, the
 * per-call deadline and the drain and keep-alive times. Unknown fields are errors, so a typo is not silently ignored.
 */
export const gatewayConfigSchema = httpLimitsSchema
  .extend({
    requestTimeout: positive,
    drainMs: z.number().int().nonnegative().optional(),
    keepAliveMs: positive,
    // The config file's `gateway.auth` (docs/auth.md): the OAuth resource server and named tokens.
    auth: gatewayAuthSchema.optional(),
  })
  .strict();

/** What {@link gatewayConfigSchema} accepts. */
export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

const httpSchema = gatewaySchema.extend(httpLimitsSchema.shape).extend({
  port: z.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).optional(),
  path: z.string().startsWith('/').optional(),
  token: z.string().min(1).optional(),
  tokens: z
    .record(z.string().min(1), z.string().min(1))
    .superRefine((tokens, ctx) => {
      const seen = new Map<string, string>();
      for (const [name, value] of Object.entries(tokens)) {
        const other = seen.get(value);
        if (other !== undefined)
          ctx.addIssue({ code: 'custom', path: [name], message: `same token as "${other}": a token must name one caller` });
        seen.set(value, name);
      }
    })
    .optional(),
  auth: gatewayAuthSchema.optional(),
  caller: z
    .custom<(req: IncomingMessage) => string | undefined>((v) => typeof v === 'function', 'expected a function (req) => caller')
    .optional(),
  allowedHosts: z.array(z.string().min(1)).optional(),
  allowedOrigins: z.array(z.string().min(1)).optional(),
  drainMs: z.number().int().nonnegative().optional(),
  keepAliveMs: z.number().int().positive().optional(),
  routes: z
    .record(
      z.string().startsWith('/'),
      z.custom<(req: IncomingMessage, res: ServerResponse) => unknown>(
        (v) => typeof v === 'function',
        'expected a request handler function',
      ),
    )
    .optional(),
});

const stdioSchema = gatewaySchema.extend({
  stdin: z
    .custom<NodeJS.ReadableStream>((v) => typeof (v as { on?: unknown } | undefined)?.on === 'function', 'a readable stream')
    .optional(),
  stdout: z
    .custom<NodeJS.WritableStream>((v) => typeof (v as { write?: unknown } | undefined)?.write === 'function', 'a writable stream')
    .optional(),
});

/** Validates options; a bad one throws a TypeError naming the function, the field and what was expected. */
export function parseOptions<T>(fn: 'serveHttp' | 'serveStdio', options: T | undefined): T {
  const schema = fn === 'serveHttp' ? httpSchema : stdioSchema;
  const result = schema.passthrough().safeParse(options ?? {});
  if (result.success) return (options ?? {}) as T;
  const issues = result.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
  throw new TypeError(`[mcp-bridge] [@mcp-bridge/server] ${fn}: invalid options: ${issues}`);
}
