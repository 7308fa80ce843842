import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/** Names the `greet` prompt completes. */
export const GREET_NAMES = ['world', 'alice', 'bob'];

/** The `greet` prompt's result (shared by both test servers). */
export function greetResult(who: string): { description: string; messages: { role: 'user'; content: { type: 'text'; text: string } }[] } {
  return { description: `Greet ${who}`, messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${who}.` } }] };
}

/** Registers the `greet {who}` prompt (with completion of `who`). */
export function registerPrompts(mcp: McpServer): void {
  mcp.registerPrompt(
    'greet',
    {
      title: 'Greet',
      description: 'A one-message prompt asking to greet someone.',
      argsSchema: { who: completable(z.string(), (value) => GREET_NAMES.filter((n) => n.startsWith(value))) },
    },
    ({ who }) => greetResult(who),
  );
}
