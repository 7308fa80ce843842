#!/usr/bin/env node
// Bundled example server `notes`: a small in-memory notebook with tools, resources (a list and a
// template) and a prompt. State lives in the process; it starts with two notes so there is
// something to read.
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { noElicitation, runStdio } from './run-stdio.js';

interface Note {
  id: string;
  title: string;
  text: string;
}

const notes = new Map<string, Note>();
let nextId = 1;
function add(title: string, text: string): Note {
  const note = { id: String(nextId++), title, text };
  notes.set(note.id, note);
  return note;
}
add('Welcome', 'This note comes from the bundled `notes` example server of mcp-bridge.');
add('Shopping', 'Milk, bread, a new keyboard.');

const server = new McpServer(
  { name: 'mcp-bridge-example-notes', version: '0.1.0' },
  { capabilities: { tools: { listChanged: true }, resources: { listChanged: true }, prompts: {} }, jsonSchemaValidator: noElicitation },
);

server.registerTool(
  'add_note',
  {
    title: 'Add a note',
    description: 'Stores a note and returns its id.',
    inputSchema: { title: z.string().min(1).describe('Short title'), text: z.string().describe('Body of the note') },
    annotations: { readOnlyHint: false, idempotentHint: false },
  },
  ({ title, text }) => {
    const note = add(title, text);
    server.sendResourceListChanged();
    return { content: [{ type: 'text', text: `added note ${note.id}: ${note.title}` }], structuredContent: { id: note.id } };
  },
);

server.registerTool(
  'search_notes',
  {
    title: 'Search notes',
    description: 'Notes whose title or text contains the query (case-insensitive).',
    inputSchema: { query: z.string().describe('Text to look for') },
    annotations: { readOnlyHint: true, idempotentHint: true },
  },
  ({ query }) => {
    const q = query.toLowerCase();
    const found = [...notes.values()].filter((n) => n.title.toLowerCase().includes(q) || n.text.toLowerCase().includes(q));
    const text = found.length === 0 ? `no note matches "${query}"` : found.map((n) => `#${n.id} ${n.title}: ${n.text}`).join('\n');
    return { content: [{ type: 'text', text }] };
  },
);

server.registerTool(
  'delete_note',
  {
    title: 'Delete a note',
    description: 'Deletes a note by id. Deleting a note that does not exist is an error result.',
    inputSchema: { id: z.string().describe('Id of the note') },
    annotations: { destructiveHint: true, idempotentHint: true },
  },
  ({ id }) => {
    if (!notes.delete(id)) return { isError: true, content: [{ type: 'text', text: `no note with id "${id}"` }] };
    server.sendResourceListChanged();
    return { content: [{ type: 'text', text: `deleted note ${id}` }] };
  },
);

// Both example servers have an `about` tool: the gateway's catalog prefixes colliding names.
server.registerTool('about', { description: 'What this server is.', annotations: { readOnlyHint: true } }, () => ({
  content: [{ type: 'text', text: `notes example server: ${notes.size} notes in memory` }],
}));

server.registerResource('all-notes', 'notes://all', { title: 'All notes', mimeType: 'text/markdown' }, (uri) => ({
  contents: [{ uri: uri.href, mimeType: 'text/markdown', text: [...notes.values()].map((n) => `- #${n.id} ${n.title}`).join('\n') }],
}));

server.registerResource(
  'note',
  new ResourceTemplate('notes://note/{id}', {
    list: () => ({ resources: [...notes.values()].map((n) => ({ uri: `notes://note/${n.id}`, name: n.title, mimeType: 'text/plain' })) }),
    complete: { id: (value) => [...notes.keys()].filter((id) => id.startsWith(value)) },
  }),
  { title: 'One note', mimeType: 'text/plain' },
  (uri, { id }) => {
    const note = notes.get(String(id));
    if (!note) throw new Error(`no note with id "${String(id)}"`);
    return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: `${note.title}\n\n${note.text}` }] };
  },
);

server.registerPrompt(
  'summarize_notes',
  {
    title: 'Summarize notes',
    description: 'Asks the model to summarize every note.',
    argsSchema: { style: z.string().optional().describe('e.g. "bullet points"') },
  },
  ({ style }) => ({
    messages: [
      {
        role: 'user',
        content: {
          type: 'text',
          text: `Summarize these notes${style ? ` as ${style}` : ''}:\n${[...notes.values()].map((n) => `- ${n.title}: ${n.text}`).join('\n')}`,
        },
      },
    ],
  }),
);

await runStdio(server);
