/**
 * `@mcp-bridge/transports/oauth-discovery`: outbound OAuth discovery (an upstream's 401 → its
 * protected-resource metadata → its authorization server) behind an SSRF guard. Node-only (DNS,
 * sockets), hence a subpath of its own.
 *
 * @example
 * import { discoverUpstreamAuthorization } from '@mcp-bridge/transports/oauth-discovery';
 * const { tokenEndpoint } = await discoverUpstreamAuthorization(upstreamUrl, res.headers.get('www-authenticate') ?? undefined);
 *
 * @module
 */
export { addressRefusal, type AddressPolicy } from './address-policy.js';
export { checkUrl, guardedFetchJson, GuardedFetchError, type GuardedFetchOptions } from './guarded-fetch.js';
export { discoverUpstreamAuthorization, resourceMetadataOf, type UpstreamAuthorization } from './discover.js';
