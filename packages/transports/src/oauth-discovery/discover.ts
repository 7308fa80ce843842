import { checkUrl, guardedFetchJson, GuardedFetchError, type GuardedFetchOptions } from './guarded-fetch.js';

/** What an upstream's OAuth discovery found: where to get tokens for it. */
export interface UpstreamAuthorization {
  /** The upstream's resource identifier (its metadata's `resource`). */
  resource: string;
  /** The authorization server's issuer identifier. */
  issuer: string;
  /** Its token endpoint. */
  tokenEndpoint: string;
  /** Scopes the upstream advertises, if any. */
  scopesSupported?: string[] | undefined;
  /** Grant types the authorization server advertises (e.g. the token-exchange grant), if any. */
  grantTypesSupported?: string[] | undefined;
}

/** The `resource_metadata` parameter of a `WWW-Authenticate: Bearer ...` header, if any. */
export function resourceMetadataOf(wwwAuthenticate: string | undefined): string | undefined {
  return /\bresource_metadata="([^"]*)"/i.exec(wwwAuthenticate ?? '')?.[1];
}

/**
 * Follows an upstream's 401 to its authorization server: the `WWW-Authenticate` challenge's
 * `resource_metadata` (or the RFC 9728 well-known URL of the upstream), whose `resource` must be
 * the upstream itself (a document describing another resource is refused: RFC 9728 section 7.3),
 * then the first authorization server's RFC 8414 (or OpenID) metadata, whose `issuer` must match.
 * Every fetch goes through the SSRF guard.
 */
export async function discoverUpstreamAuthorization(
  upstreamUrl: string,
  wwwAuthenticate: string | undefined,
  options: GuardedFetchOptions = {},
): Promise<UpstreamAuthorization> {
  const upstream = new URL(upstreamUrl);
  upstream.hash = '';
  const metadataUrl = resourceMetadataOf(wwwAuthenticate) ?? wellKnown(upstream, 'oauth-protected-resource', true);
  const prm = asObject(await guardedFetchJson(metadataUrl, options), metadataUrl);
  if (typeof prm.resource !== 'string' || !sameResource(prm.resource, upstream))
    throw new GuardedFetchError(`${metadataUrl}: names resource ${JSON.stringify(prm.resource)}, not the upstream ${upstream.href}`);
  const servers = Array.isArray(prm.authorization_servers) ? prm.authorization_servers.filter((s) => typeof s === 'string') : [];
  const issuer = servers[0];
  if (issuer === undefined) throw new GuardedFetchError(`${metadataUrl}: no authorization_servers`);
  const as = await authorizationServerMetadata(issuer, options);
  return {
    resource: prm.resource,
    issuer,
    tokenEndpoint: as.tokenEndpoint,
    scopesSupported: strings(prm.scopes_supported),
    grantTypesSupported: as.grantTypes,
  };
}

async function authorizationServerMetadata(
  issuer: string,
  options: GuardedFetchOptions,
): Promise<{ tokenEndpoint: string; grantTypes: string[] | undefined }> {
  const id = new URL(issuer);
  const tried: string[] = [];
  for (const url of [wellKnown(id, 'oauth-authorization-server', true), wellKnown(id, 'openid-configuration', false)]) {
    let doc: Record<string, unknown>;
    try {
      doc = asObject(await guardedFetchJson(url, options), url);
    } catch (error) {
      // A refusal by the guard is final; a missing document sends us to the next well-known name.
      if (error instanceof GuardedFetchError && !/HTTP 404/.test(error.message)) throw error;
      tried.push(url);
      continue;
    }
    if (doc.issuer !== issuer) throw new GuardedFetchError(`${url}: names issuer ${JSON.stringify(doc.issuer)}, not ${issuer}`);
    if (typeof doc.token_endpoint !== 'string') throw new GuardedFetchError(`${url}: no token_endpoint`);
    checkUrl(new URL(doc.token_endpoint), options);
    return { tokenEndpoint: doc.token_endpoint, grantTypes: strings(doc.grant_types_supported) };
  }
  throw new GuardedFetchError(`no authorization server metadata for ${issuer} (tried ${tried.join(', ')})`);
}

/**
 * A well-known URL for `id`: RFC 8414/9728 insert the well-known segment before the path;
 * OpenID Connect Discovery appends it after the path.
 */
function wellKnown(id: URL, name: string, insert: boolean): string {
  const path = id.pathname === '/' ? '' : id.pathname.replace(/\/$/, '');
  return new URL(insert ? `/.well-known/${name}${path}` : `${path}/.well-known/${name}`, id.origin).href;
}

/** The metadata's resource is the upstream, or a prefix of it at a path boundary on the same origin. */
function sameResource(resource: string, upstream: URL): boolean {
  let r: URL;
  try {
    r = new URL(resource);
  } catch {
    return false;
  }
  if (r.origin !== upstream.origin || r.search !== '' || r.hash !== '') return false;
  const base = r.pathname.replace(/\/$/, '');
  const path = upstream.pathname.replace(/\/$/, '');
  return path === base || path.startsWith(`${base}/`);
}

function asObject(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new GuardedFetchError(`${where}: not a JSON object`);
  return value as Record<string, unknown>;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : undefined;
}
