/**
 * The `jwks_uri` of an issuer: from its RFC 8414 authorization-server metadata, or its OpenID
 * configuration. Fetched once per verifier (the verifier memoizes it); an issuer with a path gets
 * the well-known segment inserted before the path (RFC 8414 section 3.1), OpenID appends it.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const candidates = [
    new URL(`/.well-known/oauth-authorization-server${path}`, url.origin).href,
    new URL(`${path}/.well-known/openid-configuration`, url.origin).href,
  ];
  const tried: string[] = [];
  for (const candidate of candidates) {
    try {
      const res = await fetch(candidate, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
      if (!res.ok) {
        tried.push(`${candidate}: HTTP ${res.status}`);
        continue;
      }
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // RFC 8414 section 3.3: the document must name the issuer it was fetched for.
      if (doc.issuer !== issuer) {
        tried.push(`${candidate}: names issuer ${JSON.stringify(doc.issuer)}`);
        continue;
      }
      if (typeof doc.jwks_uri === 'string') return doc.jwks_uri;
      tried.push(`${candidate}: no jwks_uri`);
    } catch (error) {
      tried.push(`${candidate}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`[mcp-bridge] [@mcp-bridge/server] auth.jwt: no jwks_uri found for issuer ${issuer} (${tried.join('; ')})`);
}
