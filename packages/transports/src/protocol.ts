import { z } from 'zod';

/** The MCP revision of the stateless era (`server/discover`, per-request `_meta`, no session). */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The last sessionful revision (`initialize`, `Mcp-Session-Id`), spoken by `@modelcontextprotocol/sdk` 1.x. */
export const LEGACY_PROTOCOL_VERSION = '2025-11-25';

/** What a server entry's `protocol` may say: negotiate (`auto`, the default) or pin one era. */
export const PROTOCOL_CHOICES = ['auto', LEGACY_PROTOCOL_VERSION, MODERN_PROTOCOL_VERSION] as const;

/** A server entry's `protocol` field. */
export type UpstreamProtocol = (typeof PROTOCOL_CHOICES)[number];

/** The era a connection speaks: `legacy` (2025, `initialize`, sessions) or `modern` (2026-07-28, stateless). */
export type ProtocolEra = 'legacy' | 'modern';

/** zod schema of the `protocol` field, with the wording of the rest of the config checks. */
export const protocolSchema = z.enum(PROTOCOL_CHOICES, {
  error: (issue) => `expected 'auto', '${LEGACY_PROTOCOL_VERSION}' or '${MODERN_PROTOCOL_VERSION}', got ${JSON.stringify(issue.input)}`,
});
