import { gatewayConfigSchema, type GatewayConfig } from '@mcp-bridge/server';
import { CliError, EXIT } from './exit-codes.js';
import type { GatewayFlagKey } from './gateway-flags.js';
import type { Loaded } from './load.js';

/**
 * The gateway settings of `serve`: the `gateway` section of the config file (validated: a bad or
 * unknown field is a usage error naming the file and the field), with the flags over it.
 *
 * @example
 * ```json
 * { "mcpServers": { ... }, "gateway": { "requestTimeout": 120000, "maxSessionsPerCaller": 20 } }
 * ```
 */
export function gatewaySettings(loaded: Loaded, flags: Partial<Record<GatewayFlagKey, number>> = {}): GatewayConfig {
  const section = loaded.settings.gateway;
  if (section === undefined) return { ...flags };
  const result = gatewayConfigSchema.safeParse(section);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `gateway${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`).join('; ');
    throw new CliError(`invalid config file ${loaded.settings.file ?? '(config)'}: ${issues}`, EXIT.USAGE);
  }
  return { ...result.data, ...flags };
}
