import pkg from '../package.json' with { type: 'json' };

/** The version of this copy of `@mcp-bridge/core`, checked against plugins' `core` ranges. */
export const CORE_VERSION: string = pkg.version;
