import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RetryExhaustedError, type Bridge } from '@mcp-bridge/core';
import { readFaultLedgerFile, startFaultHttpServer, stdioFaultServer, type FaultHttpServer } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';
import { seeded, startBridge } from './helpers.js';

const TOOLS = { lookup: { readOnlyHint: true }, create: { destructiveHint: true } };
const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-retry-'));
let bridge: Bridge | undefined;
let http: FaultHttpServer | undefined;

afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
  await http?.close();
  http = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('over real stdio', () => {
  it('a crash mid-call: an unsafe tool is not resent; a read-only one is, on the respawned process, and runs once', async () => {
    const ledgerFile = join(dir, 'crash.json');
    // Requests: create(c1) crashes the process; lookup(r1) crashes it again; then everything is ok.
    const config = stdioFaultServer({ tools: TOOLS, ledgerFile, faults: { script: ['crash', 'crash'] } });
    ({ bridge } = await startBridge({
      servers: { child: { ...config, trusted: true } },
      reconnectMinMs: 10,
      plugins: [retry({ baseDelayMs: 20, maxDelayMs: 50, attempts: 5, random: seeded(1) })],
    }));
    const pid = bridge.connection(bridge.upstreams('child')[0]!)?.pid;
    await expect(bridge.callTool('create', { key: 'c1' })).rejects.toThrow(/closed the connection/);
    const result = await bridge.callTool('lookup', { key: 'r1' }, { timeout: 20_000 });
    expect(result.isError).toBeFalsy();
    const ledger = readFaultLedgerFile(ledgerFile);
    expect(ledger.keys['c1']).toMatchObject({ received: 1, executions: 0 });
    expect(ledger.keys['r1']).toMatchObject({ executions: 1 });
    expect(ledger.keys['r1']!.received).toBeGreaterThanOrEqual(2);
    expect(ledger.faults.crash).toBe(2);
    expect(bridge.connection(bridge.upstreams('child')[0]!)?.pid).not.toBe(pid);
  });

  it('a per-attempt timeout cancels the request in the child: notifications/cancelled arrives', async () => {
    const ledgerFile = join(dir, 'hang.json');
    ({ bridge } = await startBridge({
      servers: { child: { ...stdioFaultServer({ tools: TOOLS, ledgerFile, faults: { script: ['hang', 'hang'] } }), trusted: true } },
      plugins: [retry({ attemptTimeoutMs: 200, baseDelayMs: 10, random: seeded(2) })],
    }));
    await bridge.callTool('lookup', { key: 'h' });
    const deadline = Date.now() + 5_000;
    while (readFaultLedgerFile(ledgerFile).keys['h']?.cancelled !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readFaultLedgerFile(ledgerFile).keys['h']).toMatchObject({ received: 3, executions: 1, cancelled: 2 });
  });
});

describe('over real Streamable HTTP', () => {
  it('session expiry (404): the request never ran, so even an unsafe tool is resent, on a new session, and runs once', async () => {
    http = await startFaultHttpServer({ tools: TOOLS, faults: { script: ['session-expired'] } });
    ({ bridge } = await startBridge({
      servers: { remote: { type: 'streamable-http', url: http.url, trusted: true } },
      reconnectMinMs: 10,
      plugins: [retry({ baseDelayMs: 20, random: seeded(3) })],
    }));
    const sessions = http.sessionsCreated;
    const result = await bridge.callTool('create', { key: 's1' }, { timeout: 10_000 });
    expect(result.isError).toBeFalsy();
    expect(http.ledger.entry('s1')).toMatchObject({ received: 2, executions: 1 });
    expect(http.sessionsCreated).toBe(sessions + 1);
  });

  it('HTTP 429 with Retry-After: waits as asked, then resends', async () => {
    http = await startFaultHttpServer({ tools: TOOLS, faults: { script: [{ kind: 'retry-after', retryAfterMs: 300, status: 429 }] } });
    ({ bridge } = await startBridge({
      servers: { remote: { type: 'streamable-http', url: http.url, trusted: true } },
      plugins: [retry({ baseDelayMs: 1, random: seeded(4) })],
    }));
    const waits: number[] = [];
    bridge.on('retry:attempt', ({ delayMs }) => waits.push(delayMs));
    const t = performance.now();
    await bridge.callTool('create', { key: 'ra' });
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect(waits).toEqual([300]);
    expect(http.ledger.entry('ra')).toMatchObject({ received: 2, executions: 1 });
  });

  it('a dropped connection after executing: an unsafe tool gives up, a read-only one is resent', async () => {
    http = await startFaultHttpServer({ tools: TOOLS, faults: { script: ['drop-after', 'drop-after'] } });
    ({ bridge } = await startBridge({
      servers: { remote: { type: 'streamable-http', url: http.url, trusted: true } },
      // The SDK client does not fail a request whose response stream broke mid-way: it waits. The
      // per-attempt timeout ends (and cancels) such an attempt.
      plugins: [retry({ baseDelayMs: 5, attemptTimeoutMs: 1_000, random: seeded(5) })],
    }));
    const error = await bridge.callTool('create', { key: 'u' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RetryExhaustedError);
    expect(http.ledger.entry('u')).toMatchObject({ received: 1, executions: 1 });
    await bridge.callTool('lookup', { key: 'r' });
    expect(http.ledger.entry('r')).toMatchObject({ received: 2, executions: 2 });
  });
});
