import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { UpstreamAuthConfig, UpstreamPrincipal } from './upstream-auth/principal-credentials.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { DiscoverResult } from '@modelcontextprotocol/client';
import type { ProtocolEra, UpstreamProtocol } from './protocol.js';

/** The four ways this package reaches a server. */
export type TransportKind = 'stdio' | 'streamable-http' | 'sse' | 'in-memory';

/**
 * A server launched as a child process and spoken to over its stdin/stdout — the `mcpServers`
 * shape of Claude Desktop, Claude Code, Cursor and VS Code.
 */
export interface StdioServerConfig {
  /** `'stdio'`, or absent: a `command` alone means stdio. */
  type?: 'stdio';
  /** Executable to run (looked up on `PATH`), e.g. `npx` or `/usr/bin/python3`. */
  command: string;
  /** Arguments passed to `command`. */
  args?: string[];
  /** Extra environment, merged over the small safe default environment (HOME, PATH, SHELL, TERM, USER, LOGNAME). */
  env?: Record<string, string>;
  /** Working directory of the child (default: the host's cwd). */
  cwd?: string;
  /** Size of the stderr ring buffer read by `Connection.stderrTail()` (default 65 536 bytes). */
  stderrBufferBytes?: number;
  /** Grace period for each shutdown step: stdin EOF, then SIGTERM, then SIGKILL (default 2 000 ms). */
  shutdownGraceMs?: number;
  /**
   * Longest message (one stdout line) read from the server, in bytes (default 10 MiB, the SDK's limit).
   * A larger answer fails its call at once with an error naming this option.
   */
  maxMessageBytes?: number;
  /**
   * Run the server inside a bubblewrap (`bwrap`) sandbox on Linux: no network, a read-only view of
   * the system, only the listed directories, resource limits. Where no sandbox can be had (no bwrap,
   * not Linux, user namespaces refused) the server is not started. See docs/sandbox.md.
   */
  sandbox?: SandboxConfig;
  /**
   * Which MCP era to speak: `'auto'` (default: `server/discover`, falling back to `initialize`),
   * `'2025-11-25'` (sessionful, no probe) or `'2026-07-28'` (stateless, no `initialize`).
   */
  protocol?: UpstreamProtocol;
  /** Most rounds of `input_required` (2026-07-28) one call may take before it fails (default 8). */
  maxInputRounds?: number;
  /** Fields this package does not know (`disabled`, `tags`, `alwaysAllow` ...) are kept as they are. */
  [extra: string]: unknown;
}

/** The `sandbox` of a stdio entry: what the server may reach, and how much it may use. */
export interface SandboxConfig {
  /** Share the host's network (default false: an empty network namespace, not even loopback to the host). */
  network?: boolean;
  /** Directories (or files) the server may read, mounted read-only at the same path. */
  read?: string[];
  /** Directories (or files) the server may read and write, mounted read-write at the same path. */
  write?: string[];
  /** Private writable memory per process (RLIMIT_DATA), in MiB; a process over it fails its allocations. */
  memoryMb?: number;
  /** CPU time per process (RLIMIT_CPU), in seconds; SIGXCPU then SIGKILL when used up. */
  cpuSeconds?: number;
  /** Processes and threads of the user (RLIMIT_NPROC; per user, not per sandbox; refused for root, which the kernel exempts). */
  pids?: number;
  /** Environment set inside the sandbox only, over the entry's `env` (e.g. `HOME: /tmp`). */
  env?: Record<string, string>;
}

/** A remote server reached over Streamable HTTP or the legacy HTTP+SSE transport. */
export interface HttpServerConfig {
  /**
   * `'streamable-http'` (alias `'http'`, `'streamableHttp'`) or `'sse'`. Absent: Streamable HTTP
   * first, falling back to SSE when the server refuses the initialize POST with a 4xx.
   */
  type?: 'streamable-http' | 'http' | 'sse';
  /** Endpoint URL (`http:` or `https:`). */
  url: string;
  /** Headers sent on every request (for SSE: on the event stream and on every POST). */
  headers?: Record<string, string>;
  /** Shorthand for `headers.Authorization = 'Bearer <token>'`. */
  bearerToken?: string;
  /** The SDK's OAuth client provider, passed through to the SDK transport untouched. */
  authProvider?: OAuthClientProvider;
  /**
   * Call the upstream as the caller: an RFC 8693 token exchange per principal, or a secret per
   * principal (see `UpstreamAuthConfig`). The connection's principal comes from `ConnectOptions.principal`.
   */
  auth?: UpstreamAuthConfig;
  /**
   * Which MCP era to speak: `'auto'` (default: `server/discover`, falling back to `initialize`),
   * `'2025-11-25'` (sessionful, no probe) or `'2026-07-28'` (stateless, no `initialize`).
   */
  protocol?: UpstreamProtocol;
  /** Most rounds of `input_required` (2026-07-28) one call may take before it fails (default 8). */
  maxInputRounds?: number;
  /** Fields this package does not know are kept as they are. */
  [extra: string]: unknown;
}

/**
 * The part of an SDK `McpServer` / `Server` that the in-memory connector needs. Structural, so
 * servers built against a different copy of the SDK still fit.
 */
export interface McpServerLike {
  /** Attaches the server to a transport (the server side of an in-memory pair). */
  connect(transport: Transport): Promise<void>;
  /** Detaches the server. */
  close(): Promise<void>;
}

/** A server living in the same process, linked through the SDK's `InMemoryTransport`. */
export interface InMemoryServerConfig {
  /** Always `'in-memory'`. */
  type: 'in-memory';
  /**
   * The server, or a factory called once per `connect()`. An SDK server can be attached to one
   * transport at a time, so use a factory when the same config is connected more than once.
   */
  server: McpServerLike | (() => McpServerLike | Promise<McpServerLike>);
  /** Fields this package does not know are kept as they are. */
  [extra: string]: unknown;
}

/** Any server entry; see `parseServerConfig` for how the kind is told apart. */
export type ServerConfig = StdioServerConfig | HttpServerConfig | InMemoryServerConfig;

/** Options of `connect()`. */
export interface ConnectOptions {
  /** Sent as `clientInfo` in `initialize` (default `DEFAULT_CLIENT_INFO`). */
  clientInfo?: { name: string; version: string };
  /** Capabilities the client advertises (default none). */
  capabilities?: ClientCapabilities;
  /** Aborts the connect and initialize; whatever was opened is closed again. */
  signal?: AbortSignal;
  /** Limit on connect + initialize together, in ms (default 30 000). */
  timeoutMs?: number;
  /**
   * Called with the client before it connects, so the host can install notification and request
   * handlers that must be in place before the first message arrives.
   */
  configure?: (client: Client) => void;
  /**
   * Who this connection acts for, for an HTTP upstream with `auth` (per-principal credentials):
   * each request carries that principal's credential. Undefined: the gateway itself (catalog lists).
   */
  principal?: UpstreamPrincipal;
}

/** A connected upstream. */
export interface Connection {
  /** The server's name, as given to `connect()`. */
  readonly server: string;
  /** The transport actually in use (`'sse'` when a URL without `type` fell back to SSE). */
  readonly kind: TransportKind;
  /**
   * The connected client. A 2025 connection is an SDK 1.x `Client`; a modern (2026-07-28) one is a
   * `ModernUpstreamClient`, the same surface over the SDK v2 client (the era stays behind this seam).
   */
  readonly client: Client;
  /** The protocol version in use: answered to `initialize`, or settled by `server/discover` (every transport kind). */
  readonly protocolVersion?: string;
  /** The era spoken: `legacy` (2025, `initialize`, a session) or `modern` (2026-07-28, stateless). */
  readonly era: ProtocolEra;
  /** The modern era's `server/discover` result (capabilities, versions, cache hints). */
  readonly discover?: DiscoverResult;
  /** Process id of the child (stdio only); it also leads the child's process group on POSIX. */
  readonly pid?: number;
  /** Last bytes the child wrote to stderr (stdio only); stderr is always drained into a bounded ring. */
  stderrTail?(): string;
  /**
   * Why the connection ended by itself, when the transport knows better than "the process exited"
   * (stdio: `process 123 closed its stdout but kept running`); undefined otherwise.
   */
  endReason?(): string | undefined;
  /**
   * Resolves when the connection is gone: closed by us, the process exited, or (Streamable HTTP)
   * the server dropped the session. Never rejects.
   */
  readonly closed: Promise<void>;
  /** Closes the connection; idempotent, never rejects. For stdio it resolves once the whole process group has ended. */
  close(): Promise<void>;
}
