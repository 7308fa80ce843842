import pkg from '../package.json' with { type: 'json' };

/** The version of this copy of `@mcp-bridge/server` (reported as the gateway's default serverInfo). */
export const SERVER_VERSION: string = pkg.version;
