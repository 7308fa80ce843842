/** Why the retry plugin stopped retrying a call. */
export type GiveUpReason =
  /** The failure is never retried (JSON-RPC semantic error, invalid result, caller's abort ...). */
  | 'not-retryable'
  /** The call may have executed and is not safe to repeat. */
  | 'unsafe'
  /** Every allowed attempt was used. */
  | 'attempts'
  /** The next attempt could not start before the call's deadline. */
  | 'deadline'
  /** The server's retry budget is spent. */
  | 'budget';
