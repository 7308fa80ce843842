import type { Principal } from '@mcp-bridge/core';

/**
 * Who a downstream session is, when the gateway authenticated a principal: the principal (its id is
 * the session's caller) and, for a JWT principal, its latest valid token, the subject token of an
 * upstream's token exchange. The token is read through a function so a long session uses the one
 * its client sent last, and it is never put on a call context.
 */
export interface SessionIdentity {
  readonly principal: Principal;
  subjectToken(): string | undefined;
}
