import { Option, type Command } from 'commander';
import { CliError, EXIT } from './exit-codes.js';

// `serve`'s OAuth resource-server flags. Nothing here may import zod or the server: `--help` loads
// this file. The values are checked by serveHttp's option schema (a bad issuer URL is named there).

/** What the OAuth flags ask for. */
export interface OAuthFlags {
  /** `--oauth-issuer`: the authorization server whose JWTs are accepted. */
  issuer: string;
  /** `--oauth-audience`: the gateway's resource URI, the audience tokens must carry. */
  audience?: string;
  /** `--oauth-scope` (repeatable): scopes every token must hold. */
  scopes: string[];
}

/** Adds the OAuth flags to `serve`. */
export function withOAuthFlags(cmd: Command): Command {
  for (const option of oauthFlagOptions()) cmd.addOption(option);
  return cmd;
}

/** The flags as commander options. */
function oauthFlagOptions(): Option[] {
  return [
    new Option('--oauth-issuer <url>', 'accept OAuth bearer JWTs of this issuer (checked against its JWKS); see docs/auth.md'),
    new Option('--oauth-audience <uri>', "the gateway's resource URI: the audience tokens must carry (default: the URL it serves)"),
    new Option('--oauth-scope <scope>', 'a scope every token must hold (repeatable)').argParser((v: string, prev: string[] | undefined) => [
      ...(prev ?? []),
      v,
    ]),
  ];
}

/** The OAuth flags given, or undefined; `--oauth-audience`/`--oauth-scope` without `--oauth-issuer` is a usage error. */
export function oauthFlagValues(opts: Record<string, unknown>): OAuthFlags | undefined {
  const issuer = typeof opts.oauthIssuer === 'string' ? opts.oauthIssuer : undefined;
  const audience = typeof opts.oauthAudience === 'string' ? opts.oauthAudience : undefined;
  const scopes = Array.isArray(opts.oauthScope) ? (opts.oauthScope as string[]) : [];
  if (issuer === undefined) {
    if (audience !== undefined || scopes.length > 0)
      throw new CliError('--oauth-audience and --oauth-scope need --oauth-issuer', EXIT.USAGE);
    return undefined;
  }
  return { issuer, ...(audience !== undefined ? { audience } : {}), scopes };
}

/** serveHttp's `auth` for the flags, over the config file's `gateway.auth` (the flags win field by field). */
export function authOption(
  flags: OAuthFlags | undefined,
  fromConfig: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (flags === undefined) return fromConfig;
  const jwt: Record<string, unknown> = { ...((fromConfig?.jwt as Record<string, unknown> | undefined) ?? {}), issuer: flags.issuer };
  if (flags.scopes.length > 0) jwt.requiredScopes = flags.scopes;
  return { ...(fromConfig ?? {}), ...(flags.audience !== undefined ? { resource: flags.audience } : {}), jwt };
}

/** `serve`'s `oauth` option from the parsed flags (nothing when none was given). */
export function oauthOption(opts: Record<string, unknown>): { oauth?: OAuthFlags } {
  const oauth = oauthFlagValues(opts);
  return oauth === undefined ? {} : { oauth };
}
