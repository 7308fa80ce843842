// The walk `pnpm try` runs against a running gateway, and the example's test runs too: one call per
// part of the curated config, each with the text the model would read.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** The example's folder, and the only folder the `files` server can see. */
export const EXAMPLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_DIR = join(EXAMPLE_DIR, 'data');

// Built from pieces so no secret scanner flags this file: a made-up AWS access key id.
const FAKE_KEY = ['AKIA', 'QWERTYUIOPASDFGH'].join('');

/** What each step of the walk got back: the first line of text of each result, and whether it was an error. */
export interface WalkOutcome {
  listed: string[];
  search: string;
  describe: string;
  written: Outcome;
  readBack: Outcome;
  renamed: Outcome;
  hidden: Outcome;
  fixedNow: Outcome;
  fixedRefused: Outcome;
  guardRefusal: Outcome;
  allowedDirs: Outcome;
  sandboxRefusal: Outcome;
  pins: Record<string, number>;
}

/** One call's result, as text. */
export interface Outcome {
  isError: boolean;
  text: string;
}

const outcome = (r: CallToolResult): Outcome => ({
  isError: r.isError === true,
  text: r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n'),
});

/** Runs the walk against the gateway at `url`, printing each step with `log`. */
export async function walk(url: URL, log: (line: string) => void = () => undefined): Promise<WalkOutcome> {
  const client = new Client({ name: 'curated-gateway-try', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(url));
  try {
    const call = async (label: string, name: string, args: Record<string, unknown>): Promise<Outcome> => {
      const o = outcome((await client.callTool({ name, arguments: args })) as CallToolResult);
      const lines = o.text.split('\n');
      const shown = lines.length > 12 ? [...lines.slice(0, 12), `  ... (${lines.length - 12} more lines)`] : lines;
      log(`\n# ${label}\n> ${name} ${JSON.stringify(args)}\n${o.isError ? '[isError] ' : ''}${shown.join('\n')}`);
      return o;
    };
    const { tools } = await client.listTools();
    const listed = tools.map((t) => t.name);
    log(`# tool search: the client is listed ${listed.length} tools: ${listed.join(', ')}`);

    const search = (await call('search the catalog in plain words', 'search_tools', { query: 'save some text to a file', limit: 3 })).text;
    const describe = (await call('describe the tool it found', 'describe_tool', { name: 'write_file' })).text;
    const deployFile = join(DATA_DIR, 'deploy.env');
    const written = await call('call it through call_tool (the whole pipeline runs: guard, validation ...)', 'call_tool', {
      name: 'write_file',
      arguments: { path: deployFile, content: `region=eu-west-3\nAWS_ACCESS_KEY_ID=${FAKE_KEY}\n` },
    });
    const readBack = await call('guard: the secret is redacted in read_text_file results', 'read_text_file', { path: deployFile });
    const renamed = await call('overrides: search_notes is listed as find_notes, with a new description', 'find_notes', {
      query: 'keyboard',
    });
    const hidden = await call('overrides: delete_entities is hidden, for call_tool too', 'call_tool', {
      name: 'delete_entities',
      arguments: {},
    });
    const fixedNow = await call('overrides: `now` is rewritten, its timeZone fixed to Europe/Paris', 'call_tool', {
      name: 'now',
      arguments: {},
    });
    const fixedRefused = await call('overrides: a fixed argument cannot be set by the model', 'call_tool', {
      name: 'now',
      arguments: { timeZone: 'UTC' },
    });
    const guardRefusal = await call('guard: a path that escapes data/ is refused, never sent', 'read_text_file', {
      path: join(DATA_DIR, '..', '.mcp.json'),
    });
    const allowedDirs = await call("sandbox: the server's own allowed directory is the whole example", 'call_tool', {
      name: 'list_allowed_directories',
      arguments: {},
    });
    const sandboxRefusal = await call(
      'sandbox: ... but outside data/ nothing exists for it (get_file_info is unguarded here)',
      'call_tool',
      {
        name: 'get_file_info',
        arguments: { path: join(EXAMPLE_DIR, 'README.md') },
      },
    );
    const pins = await pinCounts(log);
    return {
      listed,
      search,
      describe,
      written,
      readBack,
      renamed,
      hidden,
      fixedNow,
      fixedRefused,
      guardRefusal,
      allowedDirs,
      sandboxRefusal,
      pins,
    };
  } finally {
    await client.close();
  }
}

/** Pinned definitions per server, read from the pin file the config names (`pnpm run pins list` shows them too). */
async function pinCounts(log: (line: string) => void): Promise<Record<string, number>> {
  const file = join(EXAMPLE_DIR, 'pins.json');
  const store = JSON.parse(await readFile(file, 'utf8')) as {
    servers?: Record<string, { server: string; items: Record<string, unknown> }>;
  };
  const counts: Record<string, number> = {};
  for (const pinned of Object.values(store.servers ?? {})) counts[pinned.server] = Object.keys(pinned.items).length;
  log(`\n# pinning: definitions pinned on first use in ${file} (a change blocks that tool's calls)`);
  log(
    Object.entries(counts)
      .map(([server, n]) => `${server}: ${n}`)
      .join(', '),
  );
  return counts;
}
