import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBridge, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GUARD_META_KEY, guard, type GuardOptions } from '../src/index.js';

// server-filesystem is started with the whole temp dir allowed (inside/ and outside/), the guard with
// inside/ only: whatever is refused below, the server itself would have done.
const require = createRequire(import.meta.url);
const serverBin = join(require.resolve('@modelcontextprotocol/server-filesystem/package.json'), '..', 'dist/index.js');

let dir: string;
let inside: string;
let outside: string;
const open: Bridge[] = [];

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'guard-paths-')));
  inside = join(dir, 'inside');
  outside = join(dir, 'outside');
  await mkdir(inside);
  await mkdir(outside);
  await writeFile(join(inside, 'ok.txt'), 'fine');
  await writeFile(join(outside, 'secret.txt'), 'top secret');
  await symlink(outside, join(inside, 'escape')); // a directory symlink pointing out
  await symlink(join(outside, 'secret.txt'), join(inside, 'alias.txt')); // a file symlink pointing out
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(options: GuardOptions = { paths: { roots: [inside], detect: true } }) {
  const plugins = options === undefined ? [] : [guard(options)];
  const bridge = createBridge({ servers: { files: { command: process.execPath, args: [serverBin, dir] } }, plugins });
  open.push(bridge);
  const refused: BridgeEvents['guard:refused'][] = [];
  bridge.on('guard:refused', (e) => refused.push(e));
  await bridge.start();
  return { bridge, refused };
}

const textOf = (r: { content: unknown }) => (r.content as { text: string }[])[0]!.text;

describe('path confinement through server-filesystem (a real child process)', () => {
  it('an allowed path passes; a ../ escape is refused with a result naming the argument and the rule, and never runs', async () => {
    const { bridge, refused } = await start();
    const ok = await bridge.callTool('read_text_file', { path: join(inside, 'ok.txt') });
    expect(ok.isError).toBeFalsy();
    expect(textOf(ok)).toBe('fine');
    // Creating a file that does not exist yet inside a root is allowed (longest existing prefix resolved).
    const created = await bridge.callTool('write_file', { path: join(inside, 'sub-new.txt'), content: 'new' });
    expect(created.isError).toBeFalsy();
    expect(existsSync(join(inside, 'sub-new.txt'))).toBe(true);

    const escape = join(inside, '..', 'outside', 'written.txt');
    const result = await bridge.callTool('write_file', { path: `${inside}/../outside/written.txt`, content: 'x' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe(
      `Call to tool "write_file" refused by the guard (rule: paths): argument "/path" "${inside}/../outside/written.txt" resolves to "${escape}", outside the allowed roots. ` +
        'The call was not sent to the server; change the arguments and call again.',
    );
    expect(result._meta?.[GUARD_META_KEY]).toEqual({
      tool: 'write_file',
      server: 'files',
      rule: 'paths',
      argument: '/path',
      where: 'arguments',
    });
    // Never sent: the server would have written it (its own allowed directory is the parent).
    expect(existsSync(escape)).toBe(false);
    expect(refused).toMatchObject([{ tool: 'write_file', server: 'files', rule: 'paths', argument: '/path', where: 'arguments' }]);
  });

  it('symlink escapes are refused: a directory link, a file link, and a new file under a linked directory', async () => {
    const { bridge } = await start();
    for (const [tool, args] of [
      ['read_text_file', { path: join(inside, 'escape', 'secret.txt') }],
      ['read_text_file', { path: join(inside, 'alias.txt') }],
      ['write_file', { path: join(inside, 'escape', 'planted.txt'), content: 'x' }],
      // `escape/..` is outside physically (the parent of the link's target) though `inside` lexically.
      ['list_directory', { path: join(inside, 'escape') + '/..' }],
    ] as const) {
      const result = await bridge.callTool(tool, args);
      expect(result.isError, `${tool} ${args.path}`).toBe(true);
      expect(textOf(result)).toContain('(rule: paths): argument "/path"');
      expect(textOf(result)).toContain('outside the allowed roots');
    }
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false);
    // Control: without the guard, the server reads through the link.
    const bare = await start({});
    expect(textOf(await bare.bridge.callTool('read_text_file', { path: join(inside, 'alias.txt') }))).toBe('top secret');
  });

  it('arrays of paths, ~, relative paths and an explicit base; explicit argument names and JSON pointers', async () => {
    const { bridge } = await start();
    const many = await bridge.callTool('read_multiple_files', { paths: [join(inside, 'ok.txt'), join(outside, 'secret.txt')] });
    expect(textOf(many)).toContain('argument "/paths/1"');
    const moved = await bridge.callTool('move_file', { source: join(inside, 'ok.txt'), destination: join(outside, 'moved.txt') });
    expect(textOf(moved)).toContain('argument "/destination"');
    expect(existsSync(join(inside, 'ok.txt'))).toBe(true);
    const relative = await bridge.callTool('read_text_file', { path: 'ok.txt' });
    expect(textOf(relative)).toContain('is a relative path (only absolute paths are allowed: no base directory is configured)');
    const home = await bridge.callTool('read_text_file', { path: '~/.ssh/id_rsa' });
    expect(home.isError).toBe(true);
    expect(textOf(home)).toContain('outside the allowed roots');

    // With a base, relative paths resolve against it (the upstream's working directory) and still cannot climb out.
    const based = await start({ tools: { read_text_file: { paths: { roots: [inside], arguments: ['path'], base: inside } } } });
    expect(textOf(await based.bridge.callTool('read_text_file', { path: join(inside, 'ok.txt') }))).toBe('fine');
    expect(textOf(await based.bridge.callTool('read_text_file', { path: '../outside/secret.txt' }))).toContain('outside the allowed roots');
    // Only read_text_file is guarded here: other tools pass (the server's own limits apply).
    const other = await based.bridge.callTool('get_file_info', { path: join(outside, 'secret.txt') });
    expect(other.isError).toBeFalsy();
  });
});
