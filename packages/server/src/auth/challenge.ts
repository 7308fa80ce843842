/**
 * The `WWW-Authenticate: Bearer ...` challenge of an RFC 6750 resource server, with the RFC 9728
 * `resource_metadata` parameter that MCP clients follow to find the authorization server.
 */
export interface BearerChallenge {
  /** URL of the protected-resource metadata document (RFC 9728 section 5.1). */
  resourceMetadata?: string | undefined;
  /** `invalid_request`, `invalid_token` or `insufficient_scope`; absent when no credential was sent (RFC 6750 section 3.1). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  /** Human-readable reason (never the token or its claims). */
  description?: string | undefined;
  /** The scopes the request needs (with `insufficient_scope`, and as a hint on 401). */
  scope?: readonly string[] | undefined;
}

/** The header value: `Bearer realm="mcp-bridge", resource_metadata="...", error="...", ...`. */
export function bearerChallenge(c: BearerChallenge): string {
  const params: string[] = ['realm="mcp-bridge"'];
  if (c.resourceMetadata !== undefined) params.push(`resource_metadata=${quoted(c.resourceMetadata)}`);
  if (c.error !== undefined) params.push(`error=${quoted(c.error)}`);
  if (c.description !== undefined) params.push(`error_description=${quoted(c.description)}`);
  if (c.scope !== undefined && c.scope.length > 0) params.push(`scope=${quoted(c.scope.join(' '))}`);
  return `Bearer ${params.join(', ')}`;
}

/**
 * An RFC 7230 quoted-string. RFC 6750 limits error_description to printable ASCII without `"` and
 * `\`: anything else is replaced rather than escaped, so no client parser can be confused.
 */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}
