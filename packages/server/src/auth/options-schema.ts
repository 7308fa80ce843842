import { z } from 'zod';

/** A URL the gateway fetches keys or metadata from: https, or http on a loopback host (a local test issuer). */
const secureUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(value)}` });
    return;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    ctx.addIssue({ code: 'custom', message: `must be an https URL (http only on localhost), got ${JSON.stringify(value)}` });
});

/** RFC 8707: an absolute URI without a fragment. */
const resourceUri = z.string().superRefine((value, ctx) => {
  try {
    if (new URL(value).hash !== '') ctx.addIssue({ code: 'custom', message: 'a resource URI must not have a fragment' });
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL ${JSON.stringify(value)}` });
  }
});

const scopes = z.array(
  z
    .string()
    .min(1)
    .regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is printable ASCII without spaces, quotes or backslashes'),
);

const algorithms = z
  .array(z.string().min(1))
  .min(1)
  .superRefine((list, ctx) => {
    for (const [i, alg] of list.entries())
      if (alg === 'none' || alg.startsWith('HS'))
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `${alg} is not allowed: a resource server verifies with the issuer's public keys`,
        });
  });

/** zod schema of `serveHttp`'s `auth` option (and the config file's `gateway.auth`). */
export const gatewayAuthSchema = z.strictObject({
  resource: resourceUri.optional(),
  resourceName: z.string().min(1).optional(),
  scopesSupported: scopes.optional(),
  jwt: z
    .strictObject({
      issuer: secureUrl,
      audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      jwksUri: secureUrl.optional(),
      algorithms: algorithms.optional(),
      clockToleranceSec: z.number().int().min(0).max(300).optional(),
      jwksCooldownMs: z.number().int().nonnegative().optional(),
      jwksTimeoutMs: z.number().int().positive().optional(),
      principalClaim: z.string().min(1).optional(),
      nameClaim: z.string().min(1).optional(),
      requiredScopes: scopes.optional(),
    })
    .optional(),
  tokens: z
    .record(z.string().min(1), z.union([z.string().min(1), z.strictObject({ token: z.string().min(1), scopes: scopes.optional() })]))
    .superRefine((tokens, ctx) => {
      const seen = new Map<string, string>();
      for (const [name, t] of Object.entries(tokens)) {
        const value = typeof t === 'string' ? t : t.token;
        const other = seen.get(value);
        if (other !== undefined)
          ctx.addIssue({ code: 'custom', path: [name], message: `same token as "${other}": a token must name one principal` });
        seen.set(value, name);
      }
    })
    .optional(),
});
