import { createBridge, PluginError, type Bridge } from '@mcp-bridge/core';
import { inMemoryFaultServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { requestLog, type CallRecord, type RequestLogOptions } from '../src/index.js';

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

function bridgeWith(options: RequestLogOptions): Bridge {
  const fault = inMemoryFaultServer({
    name: 'notes',
    tools: { lookup: { readOnlyHint: true }, fail: {} },
    toolFaults: { fail: { rates: { error: 1 } } },
  });
  const bridge = createBridge({ servers: { notes: fault }, plugins: [requestLog(options)] });
  open.push(bridge);
  return bridge;
}

describe('requestLog', () => {
  it('writes one line per client call, with outcome and colours', async () => {
    const lines: string[] = [];
    const tag = (name: string) => (s: string) => `<${name}>${s}</${name}>`;
    const bridge = bridgeWith({
      write: (l) => lines.push(l),
      color: { dim: tag('dim'), red: tag('red'), green: tag('green'), yellow: tag('yellow') },
    });
    await bridge.start();
    await bridge.callTool('lookup', { key: 'a' });
    await expect(bridge.callTool('fail', { key: 'b' })).rejects.toThrow(/injected internal error/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^<dim>call<\/dim> tools\/call notes\/lookup <green>ok<\/green> <dim>\d+ms<\/dim>$/);
    expect(lines[1]).toMatch(/^<dim>call<\/dim> tools\/call notes\/fail <red>failed<\/red> <dim>\d+ms<\/dim>: .*injected internal error/);
  });

  it('passes each call as fields too, for structured logs', async () => {
    const records: CallRecord[] = [];
    const bridge = bridgeWith({ write: (_line, record) => records.push(record) });
    await bridge.start();
    await bridge.callTool('lookup', { key: 'a' });
    await expect(bridge.callTool('fail', { key: 'b' })).rejects.toThrow(/injected internal error/);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({ event: 'call', level: 'info', method: 'tools/call', target: 'notes/lookup', outcome: 'ok' });
    expect(records[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(records[1]).toMatchObject({
      event: 'call',
      level: 'warn',
      target: 'notes/fail',
      outcome: 'failed',
      error: expect.stringMatching(/injected internal error/),
    });
  });

  it('fails start() naming the plugin and the option when write is not a function', async () => {
    const bridge = bridgeWith({ write: 'stderr' } as unknown as RequestLogOptions);
    const error = await bridge.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PluginError.isInstance(error)).toBe(true);
    expect((error as PluginError).code).toBe('PLUGIN_OPTIONS_INVALID');
    expect((error as Error).message).toContain('mcp-bridge-cli/request-log');
    expect((error as Error).message).toMatch(/write: expected a function/);
  });

  it('fails start() on a colour that is not a function, and on an unknown option', async () => {
    const bad = bridgeWith({ write: () => undefined, color: { dim: 'grey' }, colour: true } as unknown as RequestLogOptions);
    const error = await bad.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PluginError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('color.dim: expected a function (s: string) => string');
    expect((error as Error).message).toContain('unknown option "colour"');
  });
});
