/** Environment variable counting how many mcp-bridge hosts started one another. */
export const DEPTH_VARIABLE = 'MCP_BRIDGE_DEPTH';

/**
 * The variables a stdio child inherits when its entry does not set them: the same list as the SDK's
 * `getDefaultEnvironment()` (a test keeps the two equal). Kept here rather than imported because the
 * SDK's `client/stdio.js` loads its zod schemas, and the CLI spawns its upstreams (see prespawn.ts)
 * before it loads anything that heavy.
 */
const INHERITED =
  process.platform === 'win32'
    ? [
        'APPDATA',
        'HOMEDRIVE',
        'HOMEPATH',
        'LOCALAPPDATA',
        'PATH',
        'PROCESSOR_ARCHITECTURE',
        'SYSTEMDRIVE',
        'SYSTEMROOT',
        'TEMP',
        'USERNAME',
        'USERPROFILE',
        'PROGRAMFILES',
      ]
    : ['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'];

/** The small safe part of this process's environment a child gets by default (no shell functions). */
export function defaultEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of INHERITED) {
    const value = process.env[key];
    // `() { ...` values are exported shell functions: never passed on.
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return env;
}

/**
 * A stdio child's environment: the SDK's small safe default (HOME, PATH, ...), then this host's
 * nesting depth plus one, then the entry's own `env`. The depth is how a gateway started by a
 * gateway (a config that lists mcp-bridge itself) knows it, and refuses to recurse.
 */
export function childEnvironment(env: Record<string, string> | undefined): Record<string, string> {
  const depth = Number(process.env[DEPTH_VARIABLE] ?? 0);
  return { ...defaultEnvironment(), [DEPTH_VARIABLE]: String((Number.isInteger(depth) && depth > 0 ? depth : 0) + 1), ...env };
}
