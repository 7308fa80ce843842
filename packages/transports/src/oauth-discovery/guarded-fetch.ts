import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressRefusal, type AddressPolicy } from './address-policy.js';

/** Limits of one guarded fetch. */
export interface GuardedFetchOptions extends AddressPolicy {
  /** Redirects followed, at most. Default 1. */
  maxRedirects?: number | undefined;
  /** Largest body accepted, bytes. Default 64 KiB (a metadata document is a few hundred bytes). */
  maxBytes?: number | undefined;
  /** Whole request (every hop, body included), ms. Default 5 000. */
  timeoutMs?: number | undefined;
}

/** A request the guard refused or that broke a limit. */
export class GuardedFetchError extends Error {
  constructor(message: string) {
    super(`[mcp-bridge] outbound OAuth discovery: ${message}`);
    this.name = 'GuardedFetchError';
  }
}

/**
 * GETs a JSON document from a URL a remote party chose (an upstream's `WWW-Authenticate`, a metadata
 * document's `authorization_servers`), without letting that party aim the gateway at its own network:
 * https only (http only to loopback, and loopback only with `allowLoopback`); every address the name
 * resolves to is checked, and the connection goes to the checked address (no second DNS answer to
 * rebind to); redirects re-checked and limited; body size and total time bounded.
 */
export async function guardedFetchJson(url: string, options: GuardedFetchOptions = {}): Promise<unknown> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    checkUrl(target, options);
    const res = await get(target, options, signal);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location !== undefined) {
      res.resume();
      if (hop >= (options.maxRedirects ?? 1)) throw new GuardedFetchError(`${target.href}: too many redirects`);
      target = new URL(res.headers.location, target);
      continue;
    }
    const body = await readLimited(res, options.maxBytes ?? 64 * 1024, target.href);
    if (status !== 200) throw new GuardedFetchError(`${target.href}: HTTP ${status}`);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new GuardedFetchError(`${target.href}: not JSON`);
    }
  }
}

/** Throws when `url` is not one the guard would fetch (scheme, credentials, literal address). */
export function checkUrl(url: URL, policy: AddressPolicy): void {
  if (url.username !== '' || url.password !== '') throw new GuardedFetchError(`${url.origin}: URLs with credentials are refused`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'https:') {
    if (isIP(host) !== 0) refuseAddress(url, host, policy);
    return;
  }
  // Plain http only to a loopback server, which needs allowLoopback anyway: the test setting.
  const loopbackName = host === 'localhost' || (isIP(host) !== 0 && /loopback/.test(addressRefusal(host, {}) ?? ''));
  if (url.protocol !== 'http:' || !loopbackName || !policy.allowLoopback)
    throw new GuardedFetchError(`${url.origin}: only https URLs are fetched (http only to loopback with allowLoopback)`);
  if (isIP(host) !== 0) refuseAddress(url, host, policy);
}

function refuseAddress(url: URL, address: string, policy: AddressPolicy): void {
  const why = addressRefusal(address, policy);
  if (why !== undefined) throw new GuardedFetchError(`${url.origin}: ${why}`);
}

/** A DNS lookup that fails when any answer is an address the policy refuses; the socket then connects to a checked one. */
function checkedLookup(policy: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { all: true, family: options.family }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      for (const a of addresses) {
        const why = addressRefusal(a.address, policy);
        if (why !== undefined) return callback(new GuardedFetchError(`${hostname} resolves to ${why}`), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(new GuardedFetchError(`${hostname} has no address`), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

function get(url: URL, policy: AddressPolicy, signal: AbortSignal): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'GET', headers: { accept: 'application/json' }, lookup: checkedLookup(policy), signal }, resolve);
    req.once('error', (error) =>
      reject(
        error instanceof GuardedFetchError
          ? error
          : new GuardedFetchError(`${url.origin}: ${signal.aborted ? 'timed out' : error.message}`),
      ),
    );
    req.end();
  });
}

function readLimited(res: IncomingMessage, maxBytes: number, where: string): Promise<string> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(new GuardedFetchError(`${where}: body of ${declared} bytes is over the ${maxBytes}-byte limit`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        reject(new GuardedFetchError(`${where}: body over the ${maxBytes}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.once('error', (error) => reject(new GuardedFetchError(`${where}: ${error.message}`)));
  });
}
