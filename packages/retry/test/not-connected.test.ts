import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import type { Bridge } from '@mcp-bridge/core';
import { readFaultLedgerFile, stdioFaultServer } from '@mcp-bridge/testing';
import { retry } from '../src/index.js';
import { seeded, startBridge } from './helpers.js';

const TOOLS = { create: { destructiveHint: true } };
const dir = mkdtempSync(join(tmpdir(), 'review-nc-'));
let bridge: Bridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('a call routed to a stdio connection that is already closing never leaves the bridge, and says so (sent: false), so even an unsafe tool is resent', async () => {
  const ledgerFile = join(dir, 'l.json');
  ({ bridge } = await startBridge({
    servers: { child: { ...stdioFaultServer({ tools: TOOLS, ledgerFile }), trusted: true } },
    reconnectMinMs: 10,
    plugins: [retry({ baseDelayMs: 5, maxDelayMs: 10, attempts: 3, random: seeded(1) })],
  }));
  const up = bridge.upstreams('child')[0]!;
  const conn = bridge.connection(up)!;
  const resent: unknown[] = [];
  bridge.on('retry:attempt', ({ error }) => resent.push((error as { data?: { sent?: unknown } }).data?.sent));
  // The pool (lifetime drain, idle close, release) or the child's exit starts closing the transport;
  // the connection stays the slot's connection until `closed` resolves.
  void conn.close();
  await new Promise((r) => setImmediate(r));
  // Whether a later attempt finds the new connection depends on how long the old one takes to close:
  // what is certain is that no attempt reached the server, and each one was known not to.
  await bridge.callTool('create', { key: 'k1' }).catch((e: unknown) => e);
  const ledger = readFaultLedgerFile(ledgerFile);
  expect(ledger.keys['k1']?.executions ?? 0).toBeLessThanOrEqual(1);
  expect(resent.length).toBeGreaterThanOrEqual(1);
  expect(resent.every((sent) => sent === false)).toBe(true);
});
