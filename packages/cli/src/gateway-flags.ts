import { Option } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

// The `serve` flags that set the HTTP gateway's limits and deadlines: the same fields as the
// `gateway` section of a config file (validated in gateway-settings.ts). Nothing here may import
// zod or the server: `--help` loads this file.

/** One flag: the gateway option it sets, and its help. */
interface GatewayFlag {
  key: GatewayFlagKey;
  flag: string;
  help: string;
}

/** Gateway options a `serve` flag can set. */
export type GatewayFlagKey =
  | 'requestTimeout'
  | 'sessionIdleMs'
  | 'sessionInitMs'
  | 'maxSessions'
  | 'maxSessionsPerCaller'
  | 'maxRequestsPerCaller'
  | 'maxRequests'
  | 'maxConnectionsPerCaller'
  | 'maxConnections'
  | 'maxBufferedBytesPerCaller'
  | 'maxBufferedBytes'
  | 'bodyTimeoutMs'
  | 'sendTimeoutMs';

export const GATEWAY_FLAGS: readonly GatewayFlag[] = [
  { key: 'requestTimeout', flag: '--request-timeout <ms>', help: "the gateway's deadline for each call, in ms (default 60000)" },
  { key: 'sessionIdleMs', flag: '--session-idle-ms <ms>', help: 'HTTP: close a session idle this long (default 30 minutes)' },
  { key: 'sessionInitMs', flag: '--session-init-ms <ms>', help: 'HTTP: close a session never initialized after this long (default 20000)' },
  { key: 'maxSessions', flag: '--max-sessions <n>', help: 'HTTP: sessions at once; a full table ends its longest-idle one (default 1000)' },
  {
    key: 'maxSessionsPerCaller',
    flag: '--max-sessions-per-caller <n>',
    help: "HTTP: sessions per caller; past it the caller's own longest-idle one ends (default 100)",
  },
  {
    key: 'maxRequestsPerCaller',
    flag: '--max-requests-per-caller <n>',
    help: 'HTTP: requests in progress per caller, 429 past it (default 256)',
  },
  { key: 'maxRequests', flag: '--max-requests <n>', help: 'HTTP: requests in progress in all, 503 past it (default 2048)' },
  { key: 'maxConnectionsPerCaller', flag: '--max-connections-per-caller <n>', help: 'HTTP: open connections per caller (default 256)' },
  { key: 'maxConnections', flag: '--max-connections <n>', help: 'HTTP: open connections in all (default 4096)' },
  {
    key: 'maxBufferedBytesPerCaller',
    flag: '--max-buffered-bytes-per-caller <n>',
    help: 'HTTP: bytes of bodies and unread answers a caller may hold (default 64 MiB)',
  },
  { key: 'maxBufferedBytes', flag: '--max-buffered-bytes <n>', help: 'HTTP: the same, in all (default 512 MiB)' },
  { key: 'bodyTimeoutMs', flag: '--body-timeout-ms <ms>', help: 'HTTP: a request body not received in this time gets 408 (default 30000)' },
  {
    key: 'sendTimeoutMs',
    flag: '--send-timeout-ms <ms>',
    help: 'HTTP: drop an answer its client does not read for this long (default 30000)',
  },
];

/** The flags as commander options. */
export function gatewayFlagOptions(): Option[] {
  return GATEWAY_FLAGS.map(({ flag, help }) => new Option(flag, help).argParser((v) => positiveCount(v, flag.split(' ')[0]!)));
}

/** The gateway options the given flags set (commander names them in camelCase, as the keys). */
export function gatewayFlagValues(opts: Record<string, unknown>): Partial<Record<GatewayFlagKey, number>> {
  const out: Partial<Record<GatewayFlagKey, number>> = {};
  for (const { key } of GATEWAY_FLAGS) if (typeof opts[key] === 'number') out[key] = opts[key];
  return out;
}

function positiveCount(value: string, flag: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n <= 0 || !Number.isSafeInteger(n))
    throw new CliError(`${flag} needs a positive whole number, got "${value}"`, EXIT.USAGE);
  return n;
}
