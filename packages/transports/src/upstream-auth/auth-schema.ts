import { z } from 'zod';

/** A token endpoint: https, or http on a loopback host (a local test authorization server). */
const tokenEndpoint = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `invalid URL '${value}'` });
    return;
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    ctx.addIssue({ code: 'custom', message: `must be an https URL (http only on localhost), got '${value}'` });
});

const nonEmpty = z.string().min(1, { error: 'must not be empty' });

/**
 * zod schema of an HTTP upstream's `auth` (per-principal credentials): exactly one of `tokenExchange`
 * and `perPrincipal`. One object with optional members rather than a union, so a bad field is
 * reported by its path (`auth.tokenExchange.clientId`), not as "no union member matched".
 */
export const upstreamAuthSchema = z
  .strictObject({
    tokenExchange: z
      .strictObject({
        tokenEndpoint,
        clientId: nonEmpty,
        clientSecret: nonEmpty,
        clientAuth: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
        resource: nonEmpty.optional(),
        audience: nonEmpty.optional(),
        scope: nonEmpty.optional(),
        timeoutMs: z.number().int().positive().optional(),
        renewBeforeSec: z.number().int().nonnegative().optional(),
      })
      .optional(),
    // An empty secret is what `${VAR}` gives for an unset variable: refuse it here, not at the first call.
    perPrincipal: z.record(nonEmpty, z.string().min(1, { error: 'is empty (is its ${VAR} set?)' })).optional(),
    gateway: z.string().min(1, { error: 'is empty (is its ${VAR} set?)' }).optional(),
  })
  .superRefine((auth, ctx) => {
    if ((auth.tokenExchange === undefined) === (auth.perPrincipal === undefined))
      ctx.addIssue({ code: 'custom', message: 'set exactly one of tokenExchange and perPrincipal' });
    if (auth.gateway !== undefined && auth.perPrincipal === undefined)
      ctx.addIssue({ code: 'custom', path: ['gateway'], message: 'only with perPrincipal (token exchange uses the client credentials)' });
  });
