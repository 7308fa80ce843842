import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '@mcp-bridge/core';

/**
 * Who opened an HTTP session, so that its id alone does not let anyone else use it. The id is a
 * bearer secret, but one that travels in every request and can leak (a proxy log, a shared screen):
 * a request that carries it must also come with the credential that opened the session.
 * - a named token (`tokens`): that token;
 * - a JWT (`auth.jwt`): its principal (any valid token of the same principal: tokens are refreshed);
 * - the shared `token`: any holder of it (the token is the only credential there is);
 * - the `caller` option (an identity your proxy sets in a header): that identity;
 * - no credential at all: the client's IP address. That is all an unauthenticated gateway can
 *   know; clients on one machine share it, so a gateway without auth must not be shared.
 */
export interface Owner {
  kind: 'token' | 'principal' | 'shared-token' | 'caller' | 'address';
  /** The credential's identity (token name, caller name or address). */
  value: string;
  /** The caller name this owner gives the session's calls (named token or `caller` option), if any. */
  caller?: string;
  /** The authenticated principal (named token or JWT), if any. */
  principal?: Principal;
}

/** The owner of a request: see {@link Owner} for the order. */
export function ownerOf(
  req: IncomingMessage,
  principal: Principal | undefined,
  sharedToken: boolean,
  callerOf: ((req: IncomingMessage) => string | undefined) | undefined,
): Owner {
  if (principal !== undefined)
    return { kind: principal.kind === 'jwt' ? 'principal' : 'token', value: principal.id, caller: principal.id, principal };
  const caller = callerOf?.(req) || undefined;
  if (caller !== undefined) return { kind: 'caller', value: caller, caller };
  if (sharedToken) return { kind: 'shared-token', value: '' };
  return { kind: 'address', value: normalAddress(req.socket.remoteAddress ?? '') };
}

/** The key of an owner's share of the gateway (sessions, requests, connections, bytes): one per credential identity. */
export function ownerKey(owner: Owner): string {
  return `${owner.kind}:${owner.value}`;
}

/** Why `given` may not use a session opened by `opener`, or undefined when it may. The message names neither. */
export function ownerMismatch(opener: Owner, given: Owner): string | undefined {
  if (opener.kind === given.kind && opener.value === given.value) return undefined;
  if (opener.kind === 'token' || given.kind === 'token') return 'Forbidden: this session was opened with another token';
  if (opener.kind === 'principal' || given.kind === 'principal') return 'Forbidden: this session was opened by another principal';
  if (opener.kind === 'address') return 'Forbidden: this session was opened from another address';
  return 'Forbidden: this session was opened by another caller';
}

/** A new session id: 128 random bits, base64url (22 characters). */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The caller name of a session opened without a named token or `caller`: a random handle that is
 * not the session id, so per-caller plugins (rate limits, cache partitions, logs, metrics labels)
 * tell sessions apart without ever writing the id where someone else could read it.
 */
export function anonymousCaller(): string {
  return `session-${randomBytes(6).toString('hex')}`;
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are one client. */
function normalAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
