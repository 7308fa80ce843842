// The fault vocabulary on its own, so the ledger and the options can both use it without importing each other.

/**
 * What the fault server does with one request it receives.
 *
 * | kind | the request executes? | what the client sees |
 * | --- | --- | --- |
 * | `ok` | yes | the normal result |
 * | `delay` | yes, after `ms` | the normal result, late (a cancellation during the delay stops it: never executed) |
 * | `drop-before` | no | the connection drops (in-memory: closed; HTTP: socket destroyed; stdio: the process exits) |
 * | `drop-after` | **yes** | the connection drops instead of the response |
 * | `crash` | no | the server dies after receiving the request (stdio: process exits with code 1; HTTP: socket destroyed and every session forgotten; in-memory: closed) |
 * | `error` | no | a JSON-RPC error (default `-32603`) |
 * | `is-error` | no | a `tools/call` result with `isError: true` |
 * | `hang` | no | nothing, ever (until the client cancels; the ledger counts the cancellation) |
 * | `retry-after` | no | HTTP: status `429`/`503` with a `Retry-After` header; elsewhere (and in the HTTP body too): a JSON-RPC error `-32000` with `data: { retryAfter: seconds, retryAfterMs }` |
 * | `session-expired` | no | HTTP: `404` and the session is forgotten (the client must re-initialise); elsewhere it acts as `drop-before` |
 */
export type FaultKind =
  'ok' | 'delay' | 'drop-before' | 'drop-after' | 'crash' | 'error' | 'is-error' | 'hang' | 'retry-after' | 'session-expired';

/** Every {@link FaultKind}. */
export const FAULT_KINDS = [
  'ok',
  'delay',
  'drop-before',
  'drop-after',
  'crash',
  'error',
  'is-error',
  'hang',
  'retry-after',
  'session-expired',
] as const satisfies readonly FaultKind[];
