import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

const NAMES = ['world', 'alice', 'bob'];

/** Registers the `greet {who}` prompt (with completion of `who`). */
export function registerPrompts(mcp: McpServer): void {
  mcp.registerPrompt(
    'greet',
    {
      title: 'Greet',
      description: 'A one-message prompt asking to greet someone.',
      argsSchema: { who: completable(z.string(), (value) => NAMES.filter((n) => n.startsWith(value))) },
    },
    ({ who }) => ({
      description: `Greet ${who}`,
      messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${who}.` } }],
    }),
  );
}
