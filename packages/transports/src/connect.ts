import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { z } from 'zod';
import { formatConfigIssue, parseServerConfig } from './config.js';
import { probeInPlace } from './probe-in-place.js';
import { MODERN_PROTOCOL_VERSION } from './protocol.js';
import { DeadlineExceeded, raceAbort, startDeadline, type Deadline } from './deadline.js';
import { closeOnce, type Established } from './established.js';
import { modernHandshake, negotiate, STDIO_PROBE_MS, type ModernHandshakeOptions } from './modern-connect.js';
import {
  createModernHttpTransport,
  createSseTransport,
  createStreamableHttpTransport,
  describeUrl,
  isSessionLost,
  shouldFallBackToSse,
} from './http.js';
import type { TransportKind } from './kinds.js';
import type {
  ConnectOptions,
  Connection,
  HttpServerConfig,
  InMemoryServerConfig,
  McpServerLike,
  ServerConfig,
  StdioServerConfig,
} from './types.js';

/** Limit on connect + initialize when `ConnectOptions.timeoutMs` is not given. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** `clientInfo` sent in `initialize` when `ConnectOptions.clientInfo` is not given. */
export const DEFAULT_CLIENT_INFO: Readonly<{ name: string; version: string }> = Object.freeze({
  name: 'mcp-bridge',
  version: '0.1.0',
});

/** How long `close()` waits for the DELETE that ends a Streamable HTTP session before giving up on it. */
const TERMINATE_SESSION_MS = 1_000;

/** stderr shown in a failed stdio connect's message: enough for a stack trace's top, not a flood. */
const STDERR_IN_ERROR_CHARS = 2_000;

const noop = (): void => undefined;

/** The modern handshake's options on stdio; `inPlace`: fall back to `initialize` on the probed process. */
type StdioModernOptions = ModernHandshakeOptions & { inPlace?: boolean };

/** The stdio transport as seen from the root entry (which must not import the node-only subpath, not even for types). */
type SpawnedTransport = Transport & { readonly exit: unknown };

const connectOptionsSchema = z.looseObject({
  clientInfo: z.looseObject({ name: z.string(), version: z.string() }).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
  signal: z
    .custom<AbortSignal>((value) => typeof value === 'object' && value !== null && 'aborted' in value && 'addEventListener' in value, {
      error: 'expected an AbortSignal',
    })
    .optional(),
  // Infinity is allowed (no limit), which z.number() would refuse.
  timeoutMs: z.custom<number>((value) => typeof value === 'number' && value > 0, { error: 'expected a positive number of ms' }).optional(),
  configure: z.custom<(client: Client) => void>((value) => typeof value === 'function', { error: 'expected a function' }).optional(),
});

/** Creates the client, lets the host configure it, then connects and initializes under the deadline. */
async function handshake(transport: Transport, options: ConnectOptions, deadline: Deadline, timeoutMs: number): Promise<Established> {
  const client = new Client(options.clientInfo ?? DEFAULT_CLIENT_INFO, { capabilities: options.capabilities ?? {} });
  options.configure?.(client);
  closeOnce(transport);
  // Set before client.connect, which chains it: observes death however it happens.
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  // The SDK client hands the negotiated version to `transport.setProtocolVersion` (the HTTP transports
  // send it as a header) and keeps it nowhere else: hold it here for every transport kind.
  let protocolVersion: string | undefined;
  const setProtocolVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version: string): void => {
    protocolVersion = version;
    setProtocolVersion?.(version);
  };
  // The SDK's own request timeout (60 s default) would cut a longer timeoutMs short.
  const connecting = client.connect(transport, { signal: deadline.signal, timeout: Math.min(timeoutMs, 2 ** 31 - 1) });
  connecting.catch(noop);
  try {
    await raceAbort(connecting, deadline.signal);
  } catch (error) {
    await transport.close();
    throw error;
  }
  return { client, transport, closed, protocolVersion, era: 'legacy' };
}

/** The message, plus the cause's when there is one: `fetch failed` alone does not say ECONNREFUSED. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? `${error.message}: ${error.cause.message}` : error.message;
}

/** Turns any connect failure into one plain Error naming the server, with the cause attached. */
function connectError(label: string, how: string, error: unknown, deadline: Deadline, details = ''): Error {
  const reason: unknown = deadline.signal.aborted ? deadline.signal.reason : undefined;
  if (reason instanceof DeadlineExceeded) {
    return new Error(`${label}: connect timed out after ${reason.ms} ms (${how})${details}`, { cause: error });
  }
  if (deadline.signal.aborted && error === reason) {
    return new Error(`${label}: connect aborted (${how})${details}`, { cause: reason });
  }
  // Errors that already name the server (spawn failures) pass as they are.
  if (error instanceof Error && error.message.startsWith(label)) return error;
  const status = error instanceof StreamableHTTPError && error.code !== undefined && error.code > 0 ? ` (HTTP ${error.code})` : '';
  return new Error(`${label}: could not connect (${how}): ${messageOf(error)}${status}${details}`, { cause: error });
}

/** The pieces a `Connection` is assembled from. */
interface ConnectionParts extends Established {
  server: string;
  kind: TransportKind;
  /** Runs before the transport closes (Streamable HTTP: end the session). */
  beforeClose?: () => Promise<void>;
  /** Runs after the transport closed (in-memory: close the server side). */
  afterClose?: () => Promise<void>;
  pid?: number;
  stderrTail?: () => string;
  endReason?: () => string | undefined;
}

function makeConnection(parts: ConnectionParts): Connection {
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  void parts.closed.then(markClosed);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await parts.beforeClose?.().catch(noop);
      await parts.transport.close().catch(noop);
      await parts.afterClose?.().catch(noop);
      markClosed();
    })());
  return {
    server: parts.server,
    kind: parts.kind,
    client: parts.client,
    ...(parts.protocolVersion === undefined ? {} : { protocolVersion: parts.protocolVersion }),
    era: parts.era,
    ...(parts.discover === undefined ? {} : { discover: parts.discover }),
    ...(parts.pid === undefined ? {} : { pid: parts.pid }),
    ...(parts.stderrTail === undefined ? {} : { stderrTail: parts.stderrTail }),
    ...(parts.endReason === undefined ? {} : { endReason: parts.endReason }),
    closed,
    close,
  };
}

async function connectStdio(
  server: string,
  label: string,
  config: StdioServerConfig,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
  modern?: StdioModernOptions,
): Promise<Connection> {
  // By package name, not by path: tsup keeps it external, so the root bundle stays free of node-only code.
  const { createStdioTransport } = await import('@mcp-bridge/transports/stdio');
  const transport = createStdioTransport(server, config);
  const how = `stdio: ${[config.command, ...(config.args ?? [])].join(' ').slice(0, 200)}`;
  try {
    const established = modern
      ? await stdioModern(transport, options, deadline, timeoutMs, modern)
      : await handshake(transport, options, deadline, timeoutMs);
    return makeConnection({
      ...established,
      server,
      kind: 'stdio',
      ...(transport.pid === undefined ? {} : { pid: transport.pid }),
      stderrTail: () => transport.stderrTail(),
      endReason: () => transport.lostReason ?? transport.sandboxExitReason,
    });
  } catch (error) {
    await transport.close();
    let details = '';
    const exit = transport.exit;
    if (exit && !exit.requested && transport.pid !== undefined) {
      const inside = exit.sandboxSignal ? ` (${exit.sandboxSignal} inside the sandbox)` : '';
      const step = modern ? 'server/discover' : 'initialize';
      details += `; the process exited with ${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}${inside}`} before ${step} completed`;
    }
    const tail = transport.stderrTail().trim();
    if (tail) details += `\nstderr (last ${STDERR_IN_ERROR_CHARS} chars):\n${tail.slice(-STDERR_IN_ERROR_CHARS)}`;
    throw connectError(label, how, error, deadline, details);
  }
}

/**
 * The modern handshake on a new stdio process; under `auto` (`modern.inPlace`) a server that is not
 * a modern one gets `initialize` on the same process (see {@link probeInPlace}), so the result may be
 * a 2025 connection. Throws when the process died during the probe (the caller spawns afresh).
 */
async function stdioModern(
  transport: SpawnedTransport,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
  modern: StdioModernOptions,
): Promise<Established> {
  if (!modern.inPlace) return modernHandshake(transport, options, deadline, timeoutMs, modern);
  const lease = probeInPlace(transport);
  try {
    const established = await modernHandshake(lease.probe, options, deadline, timeoutMs, modern);
    lease.keep();
    return { ...established, transport };
  } catch (error) {
    if (deadline.signal.aborted || transport.exit !== undefined) throw error;
    return handshake(lease.handOver(), options, deadline, timeoutMs);
  }
}

async function connectHttp(
  server: string,
  label: string,
  kind: 'streamable-http' | 'sse',
  config: HttpServerConfig,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
): Promise<Connection> {
  if (kind === 'sse') {
    const transport = createSseTransport(config, { server, principal: options.principal });
    try {
      const established = await handshake(transport, options, deadline, timeoutMs);
      return makeConnection({ ...established, server, kind: 'sse' });
    } catch (error) {
      throw connectError(label, `sse: ${describeUrl(config.url)}`, error, deadline);
    }
  }
  const transport = createStreamableHttpTransport(config, { server, principal: options.principal });
  let connection: Connection | undefined;
  // A 404 on a live session means the server dropped it (restart, expiry); the spec wants a new
  // initialize, which is a new Connection: close this one so `closed` tells the host to reconnect.
  transport.onerror = (error) => {
    if (connection && isSessionLost(error, transport)) void connection.close();
  };
  let established: Established;
  try {
    established = await handshake(transport, options, deadline, timeoutMs);
  } catch (error) {
    // No explicit type: the entry may point at a legacy HTTP+SSE server (the SDK's documented fallback).
    if (config.type === undefined && !deadline.signal.aborted && shouldFallBackToSse(error)) {
      return connectHttp(server, label, 'sse', config, options, deadline, timeoutMs);
    }
    throw connectError(label, `streamable-http: ${describeUrl(config.url)}`, error, deadline);
  }
  connection = makeConnection({
    ...established,
    server,
    kind: 'streamable-http',
    // The spec asks clients to end their session with DELETE; bounded, since a dead server must not stall close().
    beforeClose: async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        transport.terminateSession().catch(noop),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, TERMINATE_SESSION_MS))),
      ]);
      clearTimeout(timer);
    },
  });
  return connection;
}

/** A modern (2026-07-28) Streamable HTTP upstream: no session, so nothing to end on close and no session to lose. */
async function connectModernHttp(
  server: string,
  label: string,
  config: HttpServerConfig,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
  modern: ModernHandshakeOptions,
): Promise<Connection> {
  const transport = createModernHttpTransport(config, { server, principal: options.principal }) as unknown as Transport;
  try {
    const established = await modernHandshake(transport, options, deadline, timeoutMs, modern);
    return makeConnection({ ...established, server, kind: 'streamable-http' });
  } catch (error) {
    throw connectError(label, `streamable-http: ${describeUrl(config.url)}, ${MODERN_PROTOCOL_VERSION}`, error, deadline);
  }
}

async function connectInMemory(
  server: string,
  label: string,
  config: InMemoryServerConfig,
  options: ConnectOptions,
  deadline: Deadline,
  timeoutMs: number,
): Promise<Connection> {
  const how = 'in-memory';
  const source = config.server;
  const pending: Promise<McpServerLike> = typeof source === 'function' ? Promise.resolve().then(() => source()) : Promise.resolve(source);
  let mcpServer: McpServerLike;
  try {
    mcpServer = await raceAbort(pending, deadline.signal);
  } catch (error) {
    // A factory that finishes after the deadline must not leave its server running.
    pending.then((late) => late.close()).catch(noop);
    throw connectError(label, how, error, deadline);
  }
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  try {
    await raceAbort(mcpServer.connect(serverSide), deadline.signal);
    const established = await handshake(clientSide, options, deadline, timeoutMs);
    return makeConnection({ ...established, server, kind: 'in-memory', afterClose: () => mcpServer.close() });
  } catch (error) {
    await clientSide.close().catch(noop);
    await mcpServer.close().catch(noop);
    throw connectError(label, how, error, deadline);
  }
}

/**
 * Connects to one server and runs the MCP `initialize` handshake.
 *
 * The kind comes from the config (see `parseServerConfig`, which `connect` runs first): stdio
 * spawns the command in its own process group; `streamable-http` and `sse` use the SDK's HTTP
 * transports with the configured headers, bearer token or OAuth provider; a `url` without `type`
 * tries Streamable HTTP and falls back to SSE when the server answers the initialize POST with a
 * 4xx (other than 401/403/408/429); `in-memory` links an SDK server in this process (a factory is
 * called once per connect).
 *
 * `timeoutMs` (default 30 s) and `signal` bound the whole of connect + initialize; on any failure
 * whatever was opened is closed again (no process is left running) and the promise rejects with a
 * plain `Error` naming the server (and, for stdio, quoting the tail of its stderr).
 *
 * `options.configure(client)` runs before the client connects. When the SSE fallback is taken it
 * runs a second time, for the fresh client of the second attempt; the first client is discarded.
 *
 * @example
 * import { connect } from '@mcp-bridge/transports';
 *
 * const connection = await connect('fs', { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] });
 * const { tools } = await connection.client.listTools();
 * await connection.close();
 */
export async function connect(server: string, config: ServerConfig, options: ConnectOptions = {}): Promise<Connection> {
  const label = `MCP server "${server}"`;
  const checked = connectOptionsSchema.safeParse(options);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`${label}: invalid connect options: ${problems}`);
  }
  const parsed = parseServerConfig(server, config);
  if (!parsed.ok) {
    const problems = parsed.issues.map((issue) => formatConfigIssue({ ...issue, server: '' })).join('; ');
    throw new Error(`${label}: invalid config: ${problems}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const deadline = startDeadline(timeoutMs, options.signal);
  try {
    if (deadline.signal.aborted) throw connectError(label, parsed.kind, deadline.signal.reason, deadline);
    const protocol = (parsed.config as StdioServerConfig | HttpServerConfig).protocol ?? 'auto';
    const key = { config, principal: options.principal?.id ?? '', protocol };
    const maxInputRounds = (parsed.config as StdioServerConfig | HttpServerConfig).maxInputRounds;
    const rounds = maxInputRounds === undefined ? {} : { maxInputRounds };
    switch (parsed.kind) {
      case 'stdio': {
        const stdio = parsed.config as StdioServerConfig;
        return await negotiate(
          { ...key, probeTimeoutMs: Math.min(STDIO_PROBE_MS, timeoutMs / 2) },
          deadline,
          (how) => connectStdio(server, label, stdio, options, deadline, timeoutMs, { ...how, ...rounds, inPlace: protocol === 'auto' }),
          () => connectStdio(server, label, stdio, options, deadline, timeoutMs),
        );
      }
      case 'streamable-http': {
        const http = parsed.config as HttpServerConfig;
        return await negotiate(
          key,
          deadline,
          (how) => connectModernHttp(server, label, http, options, deadline, timeoutMs, { ...how, ...rounds }),
          () => connectHttp(server, label, 'streamable-http', http, options, deadline, timeoutMs),
        );
      }
      case 'sse':
        return await connectHttp(server, label, parsed.kind, parsed.config as HttpServerConfig, options, deadline, timeoutMs);
      case 'in-memory':
        return await connectInMemory(server, label, parsed.config as InMemoryServerConfig, options, deadline, timeoutMs);
    }
  } finally {
    deadline.dispose();
  }
}
