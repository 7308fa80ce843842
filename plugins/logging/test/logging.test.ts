import * as core from '@mcp-bridge/core';
import { createBridge, type Bridge, type Plugin } from '@mcp-bridge/core';
import { describePluginConformance, inMemoryFaultServer } from '@mcp-bridge/testing';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { logging, REDACTED, type LoggingOptions } from '../src/index.js';

/** A pino logger writing parsed lines into an array. */
function capture(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

// The default logger (a pino of its own on stderr), quiet enough not to flood the test output.
describePluginConformance(() => logging({ level: 'error' }), { core, vitest: { describe, it } });
// Everything on: every line is built, with full arguments.
describePluginConformance(() => logging({ logger: capture().logger, arguments: 'full' }), { core, vitest: { describe, it } });

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function start(options: LoggingOptions, plugins: Plugin[] = []) {
  const up = inMemoryFaultServer({ toolFaults: { upsert: { script: ['error', 'is-error'] } } });
  const bridge = createBridge({ servers: { up }, plugins: [...plugins, logging(options)] });
  open.push(bridge);
  await bridge.start();
  return bridge;
}

const calls = (lines: Record<string, unknown>[]) => lines.filter((l) => l.method === 'tools/call');

describe('logging', () => {
  it('writes one structured line per call, with argument names only by default', async () => {
    const { logger, lines } = capture('info');
    const bridge = await start({ logger });
    await bridge.callTool('lookup', { key: 'k1', text: 'private words' }, { caller: 'alice' });
    const [line] = calls(lines);
    expect(line).toMatchObject({
      level: 30,
      name: 'mcp-bridge',
      msg: 'tools/call lookup ok',
      method: 'tools/call',
      server: 'up',
      upstream: 'up',
      tool: 'lookup',
      caller: 'alice',
      attempts: 1,
      outcome: 'ok',
      argKeys: ['key', 'text'],
    });
    expect(typeof line!.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('private words');
    // Lifecycle events, and the host's own list refreshes only at debug.
    expect(lines.find((l) => l.event === 'host:ready')).toMatchObject({ servers: ['up'], msg: 'bridge ready with 1 server(s)' });
    expect(lines.find((l) => l.event === 'connect:after')).toMatchObject({ server: 'up' });
    expect(lines.some((l) => l.method === 'tools/list')).toBe(false);
  });

  it("logs how the caller was authenticated (its principal's kind), never its claims", async () => {
    const { logger, lines } = capture('info');
    const bridge = await start({ logger });
    const principal = { id: 'alice', kind: 'jwt' as const, scopes: ['mcp'], claims: { email: 'alice@example.com' } };
    await bridge.callTool('lookup', { key: 'k2' }, { caller: 'alice', principal });
    expect(calls(lines)[0]).toMatchObject({ caller: 'alice', principal: 'jwt' });
    expect(JSON.stringify(lines)).not.toContain('alice@example.com');
  });

  it('redacts secret keys and secret-looking values, and applies rules per tool', async () => {
    const { logger, lines } = capture('info');
    const bridge = await start({
      logger,
      rules: [
        { match: 'up/lookup', arguments: 'full', redactKeys: ['ssn'] },
        { match: 'up/create', arguments: 'omit' },
      ],
    });
    await bridge.callTool('lookup', {
      key: 'k',
      text: 'use Bearer abcdefghijklmnop and ghp_abcdefghijklmnopqrstuvwxyz123456',
      password: 'hunter2',
      nested: { API_KEY: 'sk-abcdefghijklmnopqrstuv', ssn: '078-05-1120', list: [{ secret: 's' }, 'fine'] },
    });
    await bridge.callTool('create', { key: 'c', text: 'not logged at all' });
    await bridge.callTool('upsert', { key: 'u' }).catch(() => undefined);
    const [lookup, create] = calls(lines);
    expect(lookup!.args).toEqual({
      key: 'k',
      text: `use ${REDACTED} and ${REDACTED}`,
      password: REDACTED,
      nested: { API_KEY: REDACTED, ssn: REDACTED, list: [{ secret: REDACTED }, 'fine'] },
    });
    expect(create).not.toHaveProperty('args');
    expect(create).not.toHaveProperty('argKeys');
    const text = JSON.stringify(lines);
    for (const secret of ['hunter2', 'abcdefghijklmnop', 'sk-abc', '078-05-1120', 'not logged']) expect(text).not.toContain(secret);
  });

  it('logs failures and error results at the error level with the error code', async () => {
    const { logger, lines } = capture('info');
    const bridge = await start({ logger, errorLevel: 'error' });
    await expect(bridge.callTool('upsert', { key: 'e' })).rejects.toMatchObject({ name: 'McpError' });
    const result = await bridge.callTool('upsert', { key: 'ie' });
    expect(result.isError).toBe(true);
    const [failed, isError] = calls(lines);
    expect(failed).toMatchObject({
      level: 50,
      outcome: 'error',
      msg: 'tools/call upsert failed',
      error: { name: 'McpError', code: -32603 },
    });
    expect(isError).toMatchObject({ level: 50, outcome: 'is-error', msg: 'tools/call upsert returned an error result' });
    // A tool the catalog does not list, called by `server/tool`: logged under that name.
    expect((await bridge.callTool('up/nope', {})).isError).toBe(true);
    expect(calls(lines)[2]).toMatchObject({ outcome: 'is-error', tool: 'up/nope' });
  });

  it("logs the host's list refreshes at catalogLevel", async () => {
    const { logger, lines } = capture('debug');
    const bridge = await start({ logger });
    await bridge.listTools({ refresh: true });
    expect(lines.filter((l) => l.method === 'tools/list').map((l) => l.level)).toEqual([20, 20]);
  });

  it('with the level off a call reads nothing: the arguments are never touched', async () => {
    // Counts enumerations of the arguments object (what building a log line does).
    const counted = () => {
      let reads = 0;
      const args = new Proxy({ key: 'k', text: 't' }, { ownKeys: (t) => (reads++, Reflect.ownKeys(t)) });
      return { args, reads: () => reads };
    };
    const run = async (plugins: Plugin[]) => {
      const up = inMemoryFaultServer();
      const bridge = createBridge({ servers: { up }, plugins });
      open.push(bridge);
      await bridge.start();
      const probe = counted();
      await bridge.callTool('lookup', probe.args);
      return probe.reads();
    };
    const baseline = await run([]);
    const silent = capture('silent');
    expect(await run([logging({ logger: silent.logger })])).toBe(baseline);
    expect(await run([logging({ level: 'silent' })])).toBe(baseline);
    // Successful calls at info, logger at warn: still nothing read.
    expect(await run([logging({ logger: capture('warn').logger })])).toBe(baseline);
    expect(silent.lines).toEqual([]);
    // The probe works: with the level on, the plugin reads the argument names once.
    expect(await run([logging({ logger: capture('info').logger })])).toBe(baseline + 1);
  });

  it('exposes the logger for the application', async () => {
    const { logger, lines } = capture('info');
    const bridge = await start({ logger, events: false });
    bridge.logger.info({ custom: true }, 'from the app');
    expect(lines).toEqual([expect.objectContaining({ name: 'mcp-bridge', custom: true, msg: 'from the app' })]);
  });

  it('bad options fail start() naming the plugin and the option', async () => {
    const bridge = createBridge({ plugins: [logging({ level: 'loud' as never, rules: [{ match: 'x/*', arguments: 'some' as never }] })] });
    open.push(bridge);
    await expect(bridge.start()).rejects.toMatchObject({
      code: 'PLUGIN_OPTIONS_INVALID',
      message: expect.stringMatching(/\[@mcp-bridge\/plugin-logging\] invalid options: level: .*; rules\[0\]\.arguments: /),
    });
  });
});
