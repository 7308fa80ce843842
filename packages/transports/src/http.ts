import { SSEClientTransport, type SSEClientTransportOptions } from '@modelcontextprotocol/sdk/client/sse.js';
import {
  StreamableHTTPClientTransport,
  StreamableHTTPError,
  type StreamableHTTPClientTransportOptions,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPClientTransport as ModernHttpTransport } from '@modelcontextprotocol/client';
import { fetchWithoutListenerLimit } from './quiet-signal-fetch.js';
import { failLostStreams, NO_RECONNECTION } from './stream-loss.js';
import type { HttpServerConfig } from './types.js';
import {
  fetchWithCredentials,
  upstreamCredentials,
  type UpstreamAuthConfig,
  type UpstreamCredentials,
  type UpstreamPrincipal,
} from './upstream-auth/principal-credentials.js';

// One credentials object per configured `auth`, so exchanged tokens are cached across the upstream's connections.
const credentialsByAuth = new WeakMap<UpstreamAuthConfig, UpstreamCredentials>();

/** Who a connection acts for: its server name (for errors) and principal (undefined: the gateway itself). */
export interface ConnectionIdentity {
  server: string;
  principal: UpstreamPrincipal | undefined;
}

/** Headers for every request: the configured ones, plus `Authorization` from `bearerToken`. */
function headersOf(config: HttpServerConfig): Record<string, string> | undefined {
  const headers: Record<string, string> = { ...config.headers };
  if (config.bearerToken !== undefined) headers['Authorization'] = `Bearer ${config.bearerToken}`;
  return Object.keys(headers).length > 0 ? headers : undefined;
}

function sharedOptions(
  config: HttpServerConfig,
  who?: ConnectionIdentity,
): StreamableHTTPClientTransportOptions & SSEClientTransportOptions {
  const headers = headersOf(config);
  let fetchAs: typeof fetch | undefined;
  if (config.auth !== undefined) {
    let credentials = credentialsByAuth.get(config.auth);
    if (credentials === undefined) {
      credentials = upstreamCredentials(who?.server ?? config.url, config.url, config.auth);
      credentialsByAuth.set(config.auth, credentials);
    }
    fetchAs = fetchWithCredentials(credentials, who?.principal);
  }
  return {
    ...(headers ? { requestInit: { headers } } : {}),
    ...(config.authProvider ? { authProvider: config.authProvider } : {}),
    ...(fetchAs ? { fetch: fetchAs } : {}),
  };
}

/** {@link sharedOptions} for the SDK 1.x transports, whose one signal per transport every fetch adds a listener to (see quiet-signal-fetch.ts). */
function legacyOptions(
  config: HttpServerConfig,
  who?: ConnectionIdentity,
): StreamableHTTPClientTransportOptions & SSEClientTransportOptions {
  const options = sharedOptions(config, who);
  const quiet = fetchWithoutListenerLimit(options.fetch);
  return quiet === undefined ? options : { ...options, fetch: quiet };
}

/** The SDK Streamable HTTP client transport for a config entry. */
export function createStreamableHttpTransport(config: HttpServerConfig, who?: ConnectionIdentity): StreamableHTTPClientTransport {
  return new StreamableHTTPClientTransport(new URL(config.url), legacyOptions(config, who));
}

type ModernHttpOptions = NonNullable<ConstructorParameters<typeof ModernHttpTransport>[1]>;

/**
 * The SDK v2 Streamable HTTP client transport (2026-07-28: `Mcp-Method`/`Mcp-Name` headers, no
 * session) for a config entry, with the same headers, bearer token, OAuth provider and per-principal credentials.
 */
export function createModernHttpTransport(config: HttpServerConfig, who?: ConnectionIdentity): ModernHttpTransport {
  const { authProvider, ...rest } = sharedOptions(config, who);
  // The v2 OAuth provider interface is the 1.x one grown by optional members: the same object serves both.
  const transport = new ModernHttpTransport(new URL(config.url), {
    ...rest,
    reconnectionOptions: NO_RECONNECTION,
    ...(authProvider ? { authProvider: authProvider as unknown as ModernHttpOptions['authProvider'] } : {}),
  });
  failLostStreams(transport);
  return transport;
}

/**
 * The SDK legacy SSE client transport for a config entry.
 *
 * Only `requestInit` is set: in SDK 1.32 the transport builds the headers of the event-stream GET
 * from `requestInit.headers` as well as those of the POSTs, while a custom `eventSourceInit` would
 * just replace the SDK's own EventSource fetch (and with it the authProvider's Authorization header).
 */
export function createSseTransport(config: HttpServerConfig, who?: ConnectionIdentity): SSEClientTransport {
  return new SSEClientTransport(new URL(config.url), legacyOptions(config, who));
}

/**
 * Whether a failed Streamable HTTP initialize means "this is a legacy SSE server": the spec's
 * backwards-compatibility rule is a 4xx answer to the initialize POST (typically 404 or 405).
 * Auth and throttling answers are left out: falling back would only hide them behind an SSE error.
 */
export function shouldFallBackToSse(error: unknown): boolean {
  if (!(error instanceof StreamableHTTPError) || error.code === undefined) return false;
  return error.code >= 400 && error.code < 500 && ![401, 403, 408, 429].includes(error.code);
}

/**
 * Whether an error from a Streamable HTTP request says the server does not know the session: HTTP
 * 404 (the spec's answer for an expired or unknown `Mcp-Session-Id`), or HTTP 400 whose body names
 * the session (servers that answer a missing or invalid session id with Bad Request). Either way the
 * server refused the message before running it, so a request that failed this way did not execute
 * and may be sent again on a new session.
 *
 * @example
 * import { isUnknownSessionError } from '@mcp-bridge/transports';
 * try { await client.callTool(params) } catch (error) { if (isUnknownSessionError(error)) reconnectAndResend() }
 */
export function isUnknownSessionError(error: unknown): boolean {
  if (!(error instanceof StreamableHTTPError)) return false;
  if (error.code === 404) return true;
  return error.code === 400 && /session/i.test(error.message);
}

/** Whether an error of a live Streamable HTTP session means the server forgot the session. */
export function isSessionLost(error: unknown, transport: StreamableHTTPClientTransport): boolean {
  return transport.sessionId !== undefined && isUnknownSessionError(error);
}

/** The URL for messages: without credentials, query or fragment, which may hold secrets. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return url;
  }
}
