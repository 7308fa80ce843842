import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ResolvedTestServerOptions } from './options.js';

/** Ids the items template completes. */
export const ITEM_IDS = ['1', '2', '3'];

/** The readme resource's text (shared by both test servers). */
export const readmeText = (name: string): string => `# ${name}\nA test MCP server from @mcp-bridge/testing.\n`;

/** An item's text (shared by both test servers). */
export const itemText = (id: string | string[] | undefined, name: string): string =>
  `item ${Array.isArray(id) ? id.join(',') : String(id)} of ${name}`;

/** The resource URIs of one test server. */
export interface TestResourceUris {
  /** `test://{name}/readme`: static text. */
  readme: string;
  /** `test://{name}/ledger`: the execution ledger as JSON. */
  ledger: string;
  /** `test://{name}/items/{id}`: the items template. */
  itemTemplate: string;
  /** The URI of one item of the template. */
  item(id: string): string;
}

/** The resource URIs of a test server named `name` (default `'test-server'`); the name is URI-encoded. */
export function testResourceUris(name = 'test-server'): TestResourceUris {
  const base = `test://${encodeURIComponent(name)}`;
  return {
    readme: `${base}/readme`,
    ledger: `${base}/ledger`,
    itemTemplate: `${base}/items/{id}`,
    item: (id) => `${base}/items/${encodeURIComponent(id)}`,
  };
}

/** Registers the readme and ledger resources and the items template. */
export function registerResources(mcp: McpServer, o: ResolvedTestServerOptions): void {
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
    {
      title: 'Ledger',
      description: 'Tool execution counters of this server (JSON), for out-of-process servers.',
      mimeType: 'application/json',
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(o.ledger) }] }),
  );

  mcp.registerResource(
    'item',
    new ResourceTemplate(uris.itemTemplate, {
      list: undefined,
      complete: { id: (value) => ITEM_IDS.filter((id) => id.startsWith(value)) },
    }),
    { title: 'Item', description: 'Any item by id.', mimeType: 'text/plain' },
    (uri, variables) => {
      return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: itemText(variables.id, o.name) }] };
    },
  );
}
