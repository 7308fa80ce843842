import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBridge, type Bridge, type BridgeOptions } from '@mcp-bridge/core';

/** The fixture server: its definitions are in `file`, and writing it sends list_changed. */
export const DRIFT_SERVER = fileURLToPath(new URL('./fixtures/drift-server.mjs', import.meta.url));

/** A tool definition of the fixture. */
export const tool = (name: string, description: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  description,
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
  ...extra,
});

/** A temporary directory removed after the test, holding the definitions file and the pin file. */
export class Scratch {
  dir = '';
  readonly cleanups: (() => Promise<unknown>)[] = [];

  async open(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), 'mcp-bridge-pins-'));
    this.cleanups.push(() => rm(this.dir, { recursive: true, force: true }));
    return this;
  }

  get defs(): string {
    return join(this.dir, 'defs.json');
  }

  get pins(): string {
    return join(this.dir, 'pins.json');
  }

  /** Writes the fixture's definitions. */
  async define(tools: Record<string, unknown>[], prompts: Record<string, unknown>[] = []): Promise<void> {
    await writeFile(this.defs, JSON.stringify({ tools, prompts }));
  }

  /** The server entry of the fixture. */
  server(): Record<string, unknown> {
    return { command: process.execPath, args: [DRIFT_SERVER], env: { DRIFT_FILE: this.defs } };
  }

  /** A started bridge over the fixture (as server `docs`), closed after the test. */
  async bridge(plugins: BridgeOptions['plugins'], extra: Partial<BridgeOptions> = {}): Promise<Bridge> {
    const bridge = createBridge({ servers: { docs: this.server() as never }, plugins, onError: () => undefined, ...extra });
    this.cleanups.unshift(() => bridge.close());
    await bridge.start();
    return bridge;
  }

  async close(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) await fn().catch(() => undefined);
  }
}

/** Resolves when `bridge` reports a changed tools list of `server` (after the fixture's list_changed). */
export function toolsChanged(bridge: Bridge, server = 'docs'): Promise<void> {
  return new Promise((resolve) => {
    const off = bridge.on('catalog:changed', (e) => {
      if (e.server === server && e.kinds.includes('tools')) {
        off();
        resolve();
      }
    });
  });
}
