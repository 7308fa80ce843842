import * as core from '@mcp-bridge/core';
import { createBridge, NotFoundError, type Bridge, type Plugin } from '@mcp-bridge/core';
import { describePluginConformance, stdioTestServer } from '@mcp-bridge/testing';
import { validation } from '@mcp-bridge/validation';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { overrides, type OverridesOptions } from '../src/index.js';

describePluginConformance(() => overrides({ tools: { 'math/add': { fixed: { a: 1 } } } }), { core, vitest: { describe, it } });

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

/** A started bridge over a real stdio test server `math` (echo, add, whoami), with validation and the overrides. */
async function start(options: OverridesOptions, extra: Plugin[] = []): Promise<Bridge> {
  const bridge = createBridge({
    servers: { math: stdioTestServer({ tools: ['echo', 'add', 'whoami'], resources: false, prompts: false }) },
    plugins: [validation(), overrides(options), ...extra],
    onError: () => undefined,
  });
  open.push(bridge);
  await bridge.start();
  return bridge;
}

const text = (result: { content?: unknown }): string => (result.content as { text: string }[])[0]!.text;

describe('fixed and default arguments', () => {
  it('lists the rewritten schema and injects the values, which reach the server', async () => {
    const bridge = await start({ tools: { 'math/add': { fixed: { a: 100 }, defaults: { b: 1 }, description: 'Adds to one hundred' } } });
    const add = (await bridge.listTools()).tools.find((t) => t.name === 'add')!;
    expect(add.description).toBe('Adds to one hundred');
    expect(Object.keys(add.inputSchema.properties ?? {})).toEqual(['b']);
    expect((add.inputSchema.properties as Record<string, { default?: unknown }>).b!.default).toBe(1);
    expect(add.inputSchema.required ?? []).toEqual([]);

    expect(text(await bridge.callTool('add', { b: 5 }))).toBe('105');
    expect(text(await bridge.callTool('add', {}))).toBe('101');
  });

  it('a strict schema (additionalProperties: false): fixed values are injected after validation and reach the server', async () => {
    const strict = { command: process.execPath, args: [fileURLToPath(new URL('./fixtures/strict-server.mjs', import.meta.url))] };
    const bridge = createBridge({
      servers: { chat: strict },
      plugins: [validation(), overrides({ tools: { 'chat/send': { fixed: { channel: 'ops' }, defaults: { priority: 3 } } } })],
      onError: () => undefined,
    });
    open.push(bridge);
    await bridge.start();
    const send = (await bridge.listTools()).tools[0]!;
    expect(send.inputSchema).toEqual({
      type: 'object',
      properties: { text: { type: 'string', minLength: 1 }, priority: { type: 'integer', minimum: 1, maximum: 5, default: 3 } },
      required: ['text'],
      additionalProperties: false,
    });
    expect(JSON.parse(text(await bridge.callTool('send', { text: 'deploy done' })))).toEqual({
      tool: 'send',
      arguments: { text: 'deploy done', priority: 3, channel: 'ops' },
    });
    // The model's own arguments are still validated against the listed schema.
    const bad = await bridge.callTool('send', { text: '', priority: 9 });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/Invalid arguments for tool "send"/);
    // A fixed argument sent anyway is refused by the override, before validation.
    expect(text(await bridge.callTool('send', { text: 'x', channel: 'general' }))).toContain(
      '"channel" of tool "send" is set by the gateway',
    );
  });

  it('refuses a call that sends a fixed argument, without sending it', async () => {
    const bridge = await start({ tools: { 'math/add': { fixed: { a: 100 } } } });
    const result = await bridge.callTool('add', { a: 1, b: 2 });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('The argument "a" of tool "add" is set by the gateway and cannot be given');
  });

  it('validation still applies: a bad argument of the model is refused by the validation plugin', async () => {
    const bridge = await start({ tools: { 'math/add': { fixed: { a: 100 } } } });
    const result = await bridge.callTool('add', { b: 'five' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Invalid arguments for tool "add"/);
    expect(text(result)).toMatch(/b/);
  });
});

describe('rename, retitle, hide', () => {
  it('a renamed tool is callable by its new name only; a hidden tool is gone', async () => {
    const bridge = await start({
      tools: { 'math/echo': { name: 'say', title: 'Say something' }, 'math/whoami': { hide: true } },
    });
    const tools = (await bridge.listTools()).tools;
    expect(tools.map((t) => t.name).sort()).toEqual(['add', 'say']);
    expect(tools.find((t) => t.name === 'say')!.title).toBe('Say something');
    expect(text(await bridge.callTool('say', { text: 'hi' }))).toContain('hi');
    await expect(bridge.callTool('echo', { text: 'hi' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(bridge.callTool('math/echo', { text: 'hi' })).rejects.toThrow(/no tool named/);
    await expect(bridge.callTool('whoami', {})).rejects.toBeInstanceOf(NotFoundError);
    await expect(bridge.callTool('math/whoami', {})).rejects.toThrow(/no tool named/);
  });
});

describe('bad override config', () => {
  it('options: a key that is not server/tool, a hidden tool with other overrides, fixed and default at once', () => {
    const boot = (tools: OverridesOptions['tools']) => createBridge({ plugins: [overrides({ tools })], onError: () => undefined }).start();
    return Promise.all([
      expect(boot({ add: { hide: true } })).rejects.toThrow(/tools\.add.*keys are "server\/tool"/s),
      expect(boot({ 'm/add': { hide: true, description: 'x' } })).rejects.toThrow(/hide.*a hidden tool takes no other override/s),
      expect(boot({ 'm/add': { fixed: { a: 1 }, defaults: { a: 2 } } })).rejects.toThrow(/"a" is both fixed and defaulted/),
    ]);
  });

  it('an argument the tool does not have, or a value its schema refuses: the server list fails naming tool and field', async () => {
    const unknownArg = await start({ tools: { 'math/add': { fixed: { c: 1 } } } });
    const status = unknownArg.status().find((s) => s.name === 'math')!;
    expect(JSON.stringify(status)).toContain('tools[\\"math/add\\"].fixed.c: the tool has no argument \\"c\\" (its arguments: a, b)');
    expect(unknownArg.tools()).toEqual([]);

    const badValue = await start({ tools: { 'math/add': { defaults: { b: 'two' } } } });
    const error = await badValue.listTools({ refresh: true }).then((l) => JSON.stringify(l._meta));
    expect(error).toContain('tools[\\"math/add\\"].defaults.b: \\"two\\" does not match the tool\'s schema for \\"b\\"');
  });
});
