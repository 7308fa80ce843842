import { hostname as machineHostname, networkInterfaces } from 'node:os';

/** Loopback names every gateway answers to by default. */
export const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];
/** Addresses that mean "every interface". */
export const WILDCARD = ['0.0.0.0', '::', '[::]'];

/** Which Host headers a gateway accepts, and the entries they were built from. */
export interface HostRule {
  allows(header: string | undefined): boolean;
  /** The accepted entries, lower case: `hostname` (any port) or `hostname:port`. */
  entries: readonly string[];
}

/**
 * Which Host headers pass: see `HttpGatewayOptions.allowedHosts`. With no list, the loopback names
 * plus the address listened on; on a wildcard address, plus every address of this machine and its
 * host name (a gateway on 0.0.0.0 still refuses `Host: evil.example` — DNS rebinding works on any bind).
 */
export function hostRule(host: string, allowed: readonly string[] | undefined): HostRule {
  const entries = (allowed ?? defaultAllowedHosts(host)).map((h) => h.toLowerCase());
  const full = new Set(entries);
  const seen = new Map<string, boolean>();
  return {
    entries,
    allows: (header) => {
      if (!header) return false;
      // Every request asks about the same few Host values: parse each once.
      let ok = seen.get(header);
      if (ok === undefined) {
        const h = header.toLowerCase();
        const name = hostnameOf(h);
        // An entry without a port allows any port; an entry with one allows that port only.
        ok = full.has(h) || (name !== undefined && full.has(name));
        if (seen.size >= 256) seen.clear();
        seen.set(header, ok);
      }
      return ok;
    },
  };
}

/**
 * The Host names a gateway listening on `host` accepts when given no list: the loopback names plus
 * the address listened on; on a wildcard address, every address of this machine and its host name.
 * Add to it (rather than replace it) to accept one more name.
 *
 * @example
 * ```ts
 * serveHttp(bridge, { host: '0.0.0.0', token, allowedHosts: [...defaultAllowedHosts('0.0.0.0'), 'mcp.example.com'] });
 * ```
 */
export function defaultAllowedHosts(host: string): string[] {
  return WILDCARD.includes(host) ? [...LOOPBACK, ...machineNames()] : [...LOOPBACK, bracketed(host)];
}

/** Whether an address to listen on is reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Which Origin headers pass, compared as whole origins (scheme, host and port), never by host name
 * alone: a page on `http://localhost:5173` is another site than a gateway on `localhost:7800`. The
 * default is the gateway's own origins: each allowed host on the port listened on (or its own port,
 * for an entry that has one), over http or https, plus the default ports for entries without one (a
 * gateway behind a TLS proxy). The opaque origin `null` (file://, sandboxed frames) never passes.
 */
export function originRule(hosts: HostRule, port: number, allowed: readonly string[] | undefined): (origin: string) => boolean {
  const set = new Set<string>();
  if (allowed) for (const o of allowed) add(set, o);
  else {
    for (const entry of hosts.entries) {
      const hasPort = /:\d+$/.test(entry) && !/^\[[^\]]*\]$/.test(entry);
      for (const scheme of ['http', 'https']) {
        add(set, `${scheme}://${hasPort ? entry : `${entry}:${port}`}`);
        if (!hasPort) add(set, `${scheme}://${entry}`);
      }
    }
  }
  return (origin) => {
    const normal = originOf(origin);
    return normal !== undefined && set.has(normal);
  };
}

function add(set: Set<string>, origin: string): void {
  const normal = originOf(origin);
  if (normal !== undefined) set.add(normal);
}

/** `scheme://host[:port]` with the default port dropped and the host lower-cased; undefined for an opaque or bad origin. */
function originOf(text: string): string | undefined {
  try {
    const origin = new URL(text).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The host name of a Host header value. */
export function hostnameOf(hostHeader: string): string | undefined {
  try {
    return new URL(`http://${hostHeader}`).hostname;
  } catch {
    return undefined;
  }
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Every address of this machine's interfaces, and its host name. */
function machineNames(): string[] {
  const names = [machineHostname()];
  for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.push(bracketed(i.address));
  return names;
}
