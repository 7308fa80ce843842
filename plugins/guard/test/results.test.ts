import { createBridge, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GUARD_META_KEY, guard, type GuardOptions } from '../src/index.js';

// Fake credentials built at run time, so this file itself holds none a scanner would flag.
const SLACK = ['xoxb', '123456789012', '1234567890123', 'abcdefghijABCDEFGHIJabcd'].join('-');
const NPM = ['npm', '_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
const GITHUB = ['ghp', '_', 'x7Yw3Kq9Lm2Np5Rs8Tv1Zb4Cd6Fg0Hj3Kl7M'].join('');

/** A real MCP server (SDK) whose `leak` tool returns secrets in every place a result can carry text. */
function leakyServer() {
  const calls: unknown[] = [];
  const server = () => {
    const mcp = new McpServer({ name: 'leaky', version: '1.0.0' });
    mcp.registerTool(
      'leak',
      {
        description: 'Returns a config with credentials in it.',
        inputSchema: { what: z.string() },
        outputSchema: { config: z.object({ token: z.string(), nested: z.array(z.string()) }), note: z.string() },
      },
      ({ what }) => {
        calls.push(what);
        return {
          content: [
            { type: 'text', text: `slack: ${SLACK}` },
            { type: 'resource', resource: { uri: 'file:///app/.npmrc', mimeType: 'text/plain', text: `//registry/:_authToken=${NPM}\n` } },
          ],
          structuredContent: { config: { token: GITHUB, nested: ['plain', `Bearer-less ${SLACK}`] }, note: 'nothing here' },
        };
      },
    );
    return mcp;
  };
  return { config: { type: 'in-memory' as const, server }, calls };
}

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function start(options: GuardOptions) {
  const leaky = leakyServer();
  const bridge = createBridge({ servers: { leaky: leaky.config }, plugins: [guard(options)] });
  open.push(bridge);
  const redacted: BridgeEvents['guard:redacted'][] = [];
  const refused: BridgeEvents['guard:refused'][] = [];
  bridge.on('guard:redacted', (e) => redacted.push(e));
  bridge.on('guard:refused', (e) => refused.push(e));
  await bridge.start();
  return { bridge, calls: leaky.calls, redacted, refused };
}

describe('secrets in results', () => {
  it('redacts text content, embedded resource text and structuredContent, and says where in _meta', async () => {
    const { bridge, redacted } = await start({ secrets: { results: 'redact' } });
    const result = await bridge.callTool('leak', { what: 'config' });
    const json = JSON.stringify(result);
    for (const secret of [SLACK, NPM, GITHUB]) expect(json).not.toContain(secret);
    expect(result.content).toEqual([
      { type: 'text', text: 'slack: [REDACTED:SLACK_TOKEN]' },
      {
        type: 'resource',
        resource: { uri: 'file:///app/.npmrc', mimeType: 'text/plain', text: '//registry/:_authToken=[REDACTED:NPM_ACCESS_TOKEN]\n' },
      },
    ]);
    expect(result.structuredContent).toEqual({
      config: { token: '[REDACTED:GITHUB_TOKEN]', nested: ['plain', 'Bearer-less [REDACTED:SLACK_TOKEN]'] },
      note: 'nothing here',
    });
    const pointers = (result._meta?.[GUARD_META_KEY] as { redacted: { pointer: string }[] }).redacted.map((r) => r.pointer);
    expect(pointers.sort()).toEqual(
      ['/content/0/text', '/content/1/resource/text', '/structuredContent/config/nested/1', '/structuredContent/config/token'].sort(),
    );
    expect(redacted).toHaveLength(1);
    expect(redacted[0]).toMatchObject({ server: 'leaky', tool: 'leak', where: 'result' });
  });

  it('off by default: the result passes untouched; per-tool off overrides a default', async () => {
    const plain = await start({});
    expect(JSON.stringify(await plain.bridge.callTool('leak', { what: 'x' }))).toContain(GITHUB);
    const off = await start({ secrets: { results: 'redact' }, tools: { leak: false } });
    expect(JSON.stringify(await off.bridge.callTool('leak', { what: 'x' }))).toContain(GITHUB);
  });

  it('a result longer than maxScanChars is withheld rather than passed unscanned', async () => {
    const { bridge, calls, refused } = await start({ secrets: { results: 'redact' }, maxScanChars: 20 });
    const result = await bridge.callTool('leak', { what: 'x' });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]!.text).toContain(
      '/content/0/text is longer than can be scanned for secrets (20 characters)',
    );
    expect(calls).toHaveLength(1);
    expect(refused).toMatchObject([{ where: 'result', rule: 'maxScanChars' }]);
  });
});
