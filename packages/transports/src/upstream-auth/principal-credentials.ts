import { createTokenExchanger, type TokenExchangeOptions, type TokenExchanger } from './token-exchange.js';

/**
 * Who an upstream connection acts for: the principal's id, and (for token exchange) the caller's
 * current validated token. A getter, not a value: a long session outlives the token it opened with.
 */
export interface UpstreamPrincipal {
  readonly id: string;
  subjectToken(): string | undefined;
}

/**
 * How an HTTP upstream learns who is calling (`auth` of its config entry):
 * - `tokenExchange`: an RFC 8693 exchange of the caller's token for one whose audience is this upstream;
 * - `perPrincipal`: a secret per principal id (write `${VAR}` in the config file: it comes from the environment).
 * Either way the gateway's inbound token is never sent on.
 */
export type UpstreamAuthConfig =
  | { tokenExchange: TokenExchangeOptions }
  | {
      perPrincipal: Record<string, string>;
      /** The secret for calls no caller makes (the catalog's lists at start). Default none: those calls are refused. */
      gateway?: string | undefined;
    };

/** Answers "which Authorization header does this principal's request carry at this upstream". */
export interface UpstreamCredentials {
  authorization(principal: UpstreamPrincipal | undefined): Promise<string>;
}

/** A refusal to call an upstream for a caller it has no credential for. */
export class UpstreamCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UpstreamCredentialError';
  }
}

/** The credentials of one upstream (`server` names it in errors). One exchanger per upstream, so its cache is per principal and upstream. */
export function upstreamCredentials(server: string, url: string, auth: UpstreamAuthConfig): UpstreamCredentials {
  const refuse = (why: string): never => {
    throw new UpstreamCredentialError(`[mcp-bridge] server "${server}": ${why}`);
  };
  if ('perPrincipal' in auth) {
    const secrets = new Map(Object.entries(auth.perPrincipal));
    return {
      authorization: (principal) => {
        if (principal === undefined) {
          if (auth.gateway !== undefined && auth.gateway !== '') return Promise.resolve(`Bearer ${auth.gateway}`);
          return refuse('calls as the caller (auth.perPrincipal) and has no auth.gateway secret for calls without one');
        }
        const secret = secrets.get(principal.id);
        if (secret === undefined || secret === '') return refuse(`has no credential for principal "${principal.id}" (auth.perPrincipal)`);
        return Promise.resolve(`Bearer ${secret}`);
      },
    };
  }
  const exchanger: TokenExchanger = createTokenExchanger(auth.tokenExchange, url);
  return {
    authorization: async (principal) => {
      // No caller (the catalog's own lists): the gateway asks as itself, with its client credentials.
      if (principal === undefined) return `Bearer ${await exchanger.gatewayToken()}`;
      const subject = principal.subjectToken();
      if (subject === undefined)
        return refuse(`principal "${principal.id}" has no OAuth token to exchange (auth.tokenExchange needs JWT callers)`);
      return `Bearer ${await exchanger.tokenFor(principal.id, subject)}`;
    },
  };
}

/**
 * A fetch for the SDK's HTTP transports that sets each request's Authorization header from the
 * upstream's credentials for this connection's principal (renewed tokens included).
 */
export function fetchWithCredentials(
  credentials: UpstreamCredentials,
  principal: UpstreamPrincipal | undefined,
  base: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', await credentials.authorization(principal));
    return base(input, { ...init, headers });
  };
}
