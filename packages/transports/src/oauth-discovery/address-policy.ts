import { BlockList, isIP } from 'node:net';

/** Which kinds of address an outbound OAuth discovery request may reach. */
export interface AddressPolicy {
  /** Loopback (127.0.0.0/8, ::1): only for tests against local servers. Default false. */
  allowLoopback?: boolean | undefined;
  /** Private, shared and link-local ranges (10/8, 172.16/12, 192.168/16, 100.64/10, 169.254/16, fc00::/7, fe80::/10). Default false. */
  allowPrivate?: boolean | undefined;
}

function list(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix, type] of ranges) b.addSubnet(net, prefix, type);
  return b;
}

const LOOPBACK = list([
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
]);
// Link-local holds the cloud metadata endpoints (169.254.169.254, fd00:ec2::254 is in fc00::/7).
const PRIVATE = list([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
]);
// Never a server: "this network", multicast, reserved, broadcast, unspecified, IPv6 multicast.
const NEVER = list([
  ['0.0.0.0', 8, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
]);

/** Why `address` may not be reached under `policy`, or undefined when it may. */
export function addressRefusal(address: string, policy: AddressPolicy): string | undefined {
  let ip = address.replace(/^\[|\]$/g, '');
  // An IPv4-mapped IPv6 address is the IPv4 address (::ffff:127.0.0.1 is loopback).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) ip = mapped[1]!;
  const family = isIP(ip);
  if (family === 0) return `${address} is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(ip, type)) return `${address} is not a routable address`;
  if (LOOPBACK.check(ip, type) && !policy.allowLoopback) return `${address} is a loopback address`;
  if (PRIVATE.check(ip, type) && !policy.allowPrivate) return `${address} is a private or link-local address`;
  return undefined;
}
