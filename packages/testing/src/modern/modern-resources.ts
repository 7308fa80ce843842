import { completable, ResourceTemplate, type McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { greetResult, GREET_NAMES } from '../prompts.js';
import { ITEM_IDS, itemText, readmeText, testResourceUris } from '../resources.js';
import type { ResolvedModernOptions } from './modern-options.js';
import type { ModernState } from './modern-state.js';

/** The counter resource of a modern test server named `name`: `bump_resource` changes it. */
export function modernCounterUri(name = 'test-server'): string {
  return `${testResourceUris(name).readme.slice(0, -'/readme'.length)}/counter`;
}

/**
 * The test server's resources (readme, ledger, the items template) and `greet` prompt on a v2
 * instance, plus the counter resource `bump_resource` changes. Same URIs and texts as the
 * 2025-era test server, so a suite can run against either.
 */
export function registerModernResources(mcp: McpServer, o: ResolvedModernOptions, state: ModernState, era: 'legacy' | 'modern'): void {
  const uris = testResourceUris(o.name);
  mcp.registerResource(
    'readme',
    uris.readme,
    { title: 'Readme', description: 'A static text resource.', mimeType: 'text/plain' },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: readmeText(o.name) }],
    }),
  );
  mcp.registerResource(
    'ledger',
    uris.ledger,
    // Never cacheable, whatever the server-wide hint: it changes with every call.
    {
      title: 'Ledger',
      description: 'Tool execution counters of this server (JSON).',
      mimeType: 'application/json',
      cacheHint: { ttlMs: 0, cacheScope: 'private' },
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(o.ledger) }] }),
  );
  mcp.registerResource(
    'counter',
    modernCounterUri(o.name),
    { title: 'Counter', description: 'A number bump_resource increments.', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: String(state.counter) }] }),
  );
  mcp.registerResource(
    'item',
    new ResourceTemplate(uris.itemTemplate, {
      list: undefined,
      complete: { id: (value) => ITEM_IDS.filter((id) => id.startsWith(value)) },
    }),
    { title: 'Item', description: 'Any item by id.', mimeType: 'text/plain' },
    (uri, variables) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: itemText(variables.id, o.name) }] }),
  );
  if (era === 'legacy') {
    // 2025-era clients subscribe per resource; updates then go to every live legacy instance (ModernState.bump).
    mcp.server.setRequestHandler('resources/subscribe', () => ({}));
    mcp.server.setRequestHandler('resources/unsubscribe', () => ({}));
  }
}

/** The `greet {who}` prompt (with completion of `who`), as on the 2025-era test server. */
export function registerModernPrompts(mcp: McpServer): void {
  mcp.registerPrompt(
    'greet',
    {
      title: 'Greet',
      description: 'A one-message prompt asking to greet someone.',
      argsSchema: z.object({ who: completable(z.string(), (value) => GREET_NAMES.filter((n) => n.startsWith(value))) }),
    },
    ({ who }) => greetResult(who),
  );
}
