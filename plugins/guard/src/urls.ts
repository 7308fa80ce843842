import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressRefusal, type AddressPolicy } from '@mcp-bridge/transports/oauth-discovery';

/** Compiled URL rules of one tool. */
export interface UrlPolicy {
  readonly schemes: ReadonlySet<string>;
  /** Exact host names (lower case). */
  readonly hosts: ReadonlySet<string> | undefined;
  /** `*.example.com` entries as `.example.com`. */
  readonly suffixes: readonly string[];
  readonly address: AddressPolicy;
  readonly resolve: boolean;
}

/** Compiles URL rules (host patterns lower-cased; `*.x` kept as a suffix). */
export function compileUrlPolicy(rules: {
  schemes: readonly string[];
  hosts?: readonly string[] | undefined;
  allowPrivate: boolean;
  allowLoopback: boolean;
  resolve: boolean;
}): UrlPolicy {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  for (const h of rules.hosts ?? []) {
    const host = h.toLowerCase();
    if (host.startsWith('*.')) suffixes.push(host.slice(1));
    else exact.add(host);
  }
  return {
    schemes: new Set(rules.schemes),
    hosts: rules.hosts ? exact : undefined,
    suffixes,
    address: { allowPrivate: rules.allowPrivate, allowLoopback: rules.allowLoopback },
    resolve: rules.resolve,
  };
}

function hostAllowed(host: string, policy: UrlPolicy): boolean {
  if (!policy.hosts) return true;
  return policy.hosts.has(host) || policy.suffixes.some((s) => host.endsWith(s) && host.length > s.length);
}

/**
 * Checks a URL argument: `undefined` when allowed, else why not. The WHATWG parser normalises the
 * host first (so `http://2130706433/`, `http://0x7f.1/` and `http://[::ffff:127.0.0.1]/` are seen
 * as the loopback addresses they are); an IP literal is checked against the address policy; a
 * name is resolved with the system resolver and every address it returns must pass, so a name
 * pointing at 127.0.0.1 or 169.254.169.254 is refused like the address itself.
 */
export async function checkUrl(value: string, policy: UrlPolicy): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not an absolute URL';
  }
  const scheme = url.protocol.slice(0, -1);
  if (!policy.schemes.has(scheme)) return `uses the scheme "${scheme}:" (allowed: ${[...policy.schemes].map((s) => `${s}:`).join(', ')})`;
  // The URL parser keeps IPv6 literals in brackets and drops a trailing dot only for IPs.
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === '') return 'has no host';
  if (!hostAllowed(host, policy)) return `names the host "${host}", which is not an allowed host`;
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy.address);
    return refusal === undefined ? undefined : `points at ${refusal}`;
  }
  if (!policy.resolve) return undefined;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true, verbatim: true });
  } catch (error) {
    return `names the host "${host}", which could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  for (const { address } of addresses) {
    const refusal = addressRefusal(address, policy.address);
    if (refusal !== undefined) return `names the host "${host}", which resolves to ${refusal}`;
  }
  return undefined;
}
