// Inbound authentication of the HTTP gateway: static named tokens and an OAuth 2.1 resource server.
export { createAuthenticator } from './authenticator.js';
export type { Authenticator, AuthOutcome, GatewayAuthOptions, NamedToken } from './authenticator.js';
export { bearerChallenge } from './challenge.js';
export type { BearerChallenge } from './challenge.js';
export { createJwtVerifier, DEFAULT_ALGORITHMS } from './jwt-verifier.js';
export type { JwtAuthOptions, JwtVerdict, JwtVerifier } from './jwt-verifier.js';
export { protectedResourceMetadata, resourceMetadataPath, resourceMetadataUrl, RESOURCE_METADATA_PREFIX } from './metadata.js';
export type { ProtectedResourceMetadata } from './metadata.js';
export { gatewayAuthSchema } from './options-schema.js';
export { scopesOf } from './principal-mapping.js';
export type { ClaimMapping } from './principal-mapping.js';
