import { BridgeError, failureOf } from '@mcp-bridge/core';
import type { ServerListStatus } from '@mcp-bridge/core';

/**
 * What a client may be told about a failure. The bridge's own messages are written for the operator:
 * a connect failure quotes the command line or URL it ran (with whatever secrets were interpolated
 * into them), an HTTP upstream's error page is quoted as it came (it may echo the Authorization
 * header or the URL's query), a crashed server's stderr tail is appended. None of that may reach an
 * MCP client. For the failures of the plumbing (codes below), a client gets the server and the kind
 * of failure; the full text goes to the operator's log (the request log, `onError`). Answers of the
 * upstream itself (JSON-RPC errors, results) and the bridge's messages about the caller's own input
 * (validation, unknown names, access rules) pass unchanged.
 */
const PLUMBING = new Set(['UPSTREAM_UNAVAILABLE', 'TIMEOUT', 'CIRCUIT_OPEN', 'RETRY_EXHAUSTED', 'NO_UPSTREAM', 'BRIDGE_STATE']);

/** `data` fields a plumbing failure may show a client: names from the config's keys, numbers and flags. */
const PUBLIC_DATA = new Set([
  'server',
  'upstream',
  'method',
  'kind',
  'sent',
  'httpStatus',
  'timeoutMs',
  'attempts',
  'reason',
  'retryAfterMs',
  'tool',
]);

/** The message of `error` as a client may read it. */
export function publicMessage(error: unknown): string {
  if (!BridgeError.isInstance(error)) return error instanceof Error ? error.message : String(error);
  const e = error as BridgeError;
  if (e.code === 'NOT_FOUND' && typeof e.data?.tool === 'string') return unknownTool(e.data.tool, e.data.unlisted);
  if (!PLUMBING.has(e.code)) return e.message;
  return `[mcp-bridge] ${plumbingPhrase(e)}`;
}

/** The `data` of `error` as a client may read it (with its `code`), or undefined for errors that are not the bridge's. */
export function publicData(error: unknown): Record<string, unknown> | undefined {
  if (!BridgeError.isInstance(error)) return undefined;
  const e = error as BridgeError;
  if (!PLUMBING.has(e.code) && e.code !== 'NOT_FOUND') return { code: e.code, ...(e.data ?? {}) };
  const out: Record<string, unknown> = { code: e.code };
  for (const [key, value] of Object.entries(e.data ?? {})) {
    if (PUBLIC_DATA.has(key) && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) out[key] = value;
  }
  return out;
}

/** Core's catalog snapshot (code `SNAPSHOT`): the entries are those the server listed on an earlier run. */
const SNAPSHOT_PHRASE = 'listed from the snapshot of an earlier run: the server is still starting';

/** A merged list's per-server status as a client may read it: the kind of failure, not its text. */
export function publicListStatus(statuses: Record<string, ServerListStatus>): Record<string, ServerListStatus> {
  const out: Record<string, ServerListStatus> = {};
  for (const [server, s] of Object.entries(statuses)) {
    const { error, ...rest } = s;
    // A JSON-RPC error is the upstream's own answer to the list request; anything else is plumbing.
    out[server] =
      error !== undefined && s.code?.startsWith('JSONRPC_') === true
        ? s
        : { ...rest, ...(error === undefined ? {} : { error: s.code === 'SNAPSHOT' ? SNAPSHOT_PHRASE : statusPhrase(s.status) }) };
  }
  return out;
}

function plumbingPhrase(e: BridgeError): string {
  const data = e.data ?? {};
  const server = typeof data.server === 'string' ? `server "${data.server}"` : 'the server';
  switch (e.code) {
    case 'TIMEOUT':
      return `${server} did not answer in time${typeof data.timeoutMs === 'number' ? ` (${data.timeoutMs} ms)` : ''}`;
    case 'CIRCUIT_OPEN':
      return `${server} is failing: its circuit breaker is open, calls are refused for now`;
    case 'RETRY_EXHAUSTED': {
      const inner = e.cause === undefined ? 'it failed' : publicMessage(e.cause).replace(/^\[mcp-bridge\]( \[[^\]]+\])? /, '');
      return `${server}: gave up after ${typeof data.attempts === 'number' ? data.attempts : 'several'} attempts: ${inner}`;
    }
    case 'NO_UPSTREAM':
      return `${server} has no upstream that can take the call`;
    case 'BRIDGE_STATE':
      return 'the gateway is not serving calls right now';
    default: {
      const status = typeof data.httpStatus === 'number' ? ` (HTTP ${data.httpStatus})` : '';
      // Core's verdict says whether the request may have reached the server: a client deciding to resend needs that.
      return `${server} is unavailable${status}${failureOf(e).sent ? '; the call may have run' : '; the call was not sent'}`;
    }
  }
}

function unknownTool(tool: string, unlisted: unknown): string {
  const entries = unlisted !== null && typeof unlisted === 'object' ? Object.entries(unlisted as Record<string, unknown>) : [];
  const hint = entries.length ? `; servers not listed: ${entries.map(([s, st]) => `${s} (${String(st)})`).join(', ')}` : '';
  return `[mcp-bridge] no tool named "${tool}"${hint}`;
}

function statusPhrase(status: ServerListStatus['status']): string {
  switch (status) {
    case 'timeout':
      return 'the server did not answer in time';
    case 'unavailable':
      return 'the server is unavailable';
    case 'circuit-open':
      return 'the server is failing: its circuit breaker is open';
    case 'pending':
      return 'the server is still starting';
    default:
      return 'the server could not list';
  }
}
