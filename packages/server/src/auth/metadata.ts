/**
 * RFC 9728 protected-resource metadata: the document a client fetches (after a 401) to learn which
 * authorization servers issue tokens for this gateway and which scopes it knows.
 */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
  resource_name?: string;
}

/** The well-known prefix of RFC 9728 section 3. */
export const RESOURCE_METADATA_PREFIX = '/.well-known/oauth-protected-resource';

/**
 * The metadata path for a resource URI: the well-known prefix inserted before the resource's path
 * (RFC 9728 section 3.1), e.g. `https://gw.example/mcp` → `/.well-known/oauth-protected-resource/mcp`.
 */
export function resourceMetadataPath(resource: string): string {
  const path = new URL(resource).pathname;
  return path === '/' ? RESOURCE_METADATA_PREFIX : `${RESOURCE_METADATA_PREFIX}${path}`;
}

/** The absolute URL of the metadata document of `resource` (the `resource_metadata` of the challenge). */
export function resourceMetadataUrl(resource: string): string {
  return new URL(resourceMetadataPath(resource), resource).href;
}

/** Which request paths serve the document: the path-suffixed one, and the bare prefix clients fall back to. */
export function isResourceMetadataPath(pathname: string, resource: string): boolean {
  return pathname === RESOURCE_METADATA_PREFIX || pathname === resourceMetadataPath(resource);
}

/** The document itself. */
export function protectedResourceMetadata(options: {
  resource: string;
  authorizationServers: string[];
  scopesSupported?: string[] | undefined;
  resourceName?: string | undefined;
}): ProtectedResourceMetadata {
  return {
    resource: options.resource,
    authorization_servers: options.authorizationServers,
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported === undefined ? {} : { scopes_supported: options.scopesSupported }),
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
  };
}
