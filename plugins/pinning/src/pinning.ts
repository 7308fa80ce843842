import { definePlugin, type Plugin } from '@mcp-bridge/core';
import pkg from '../package.json' with { type: 'json' };
import type { PinKind } from './fingerprint.js';
import { pinningOptionsSchema, type PinningOptions } from './options.js';
import type { Drift } from './pin-book.js';
import { setupPinning, type DriftEvent } from './pinning-setup.js';
import type { PinStore } from './store.js';

/** What the plugin attaches to the bridge as `bridge.pins`. */
export interface PinControl {
  /** Where pins are kept. */
  readonly store: PinStore;
  /** Every definition that differs from its pin (or is new to a pinned server), awaiting approval. */
  drifts(): Drift[];
  /** A unified diff of a drift: pinned definition against the current one. */
  diff(drift: Drift): string;
  /**
   * Accepts the current definitions of a server's drifts (every one, or the one named, upstream name):
   * they become its pins. Blocked tools are served again at once; hidden ones are listed again at the
   * server's next list (`list_changed`, a reconnect, or `listTools({ refresh: true })`). Resolves with what was approved.
   */
  approve(server: string, name?: string, kind?: PinKind): Promise<Drift[]>;
}

declare module '@mcp-bridge/core' {
  interface BridgeExtensions {
    pins: PinControl;
  }
  interface BridgeEvents {
    /** A definition differs from its pin, or is new to a pinned server (once per new definition per process). */
    'pinning:drift': DriftEvent;
    /** A drift was approved: the current definition is the pin now. */
    'pinning:approved': DriftEvent;
    /** A pinned definition is no longer in its server's list (the pin is kept). */
    'pinning:removed': { server: string; kind: PinKind; name: string };
  }
}

/**
 * Pinning (drift detection), trust on first use: the definition of every tool, prompt and resource
 * template (name, title, description, schemas, annotations) is fingerprinted per upstream identity and
 * upstream name the first time a server is listed, and every later list is checked against it. A
 * changed definition is warned about, hidden or blocked (`onChange`) until approved with
 * `bridge.pins.approve()` or `mcp-bridge pins approve`; a new one on a pinned server follows `onNew`.
 *
 * Occupies the `policy` phase (`order: 'after'`, so it sees upstream names and definitions before any
 * rename or override); a call costs one map lookup while no drift blocks or hides.
 *
 * @example
 * ```ts
 * const bridge = createBridge({ servers, plugins: [pinning({ onChange: 'block', onNew: 'hide' })] });
 * await bridge.start();
 * for (const d of bridge.pins.drifts()) console.log(bridge.pins.diff(d));
 * ```
 */
export const pinning: (options?: PinningOptions) => Plugin = definePlugin({
  name: pkg.name,
  version: pkg.version,
  core: '^0.1.0',
  options: pinningOptionsSchema,
  async setup(api, opts) {
    await setupPinning(api, opts);
  },
});
