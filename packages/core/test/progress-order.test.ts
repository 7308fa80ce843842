import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/same-chunk-progress.mjs', import.meta.url));

describe('progress that arrives in the same read as the result', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('reaches onprogress, every notification, before the call resolves (the bare SDK client drops them)', async () => {
    bridge = createBridge({ servers: { s: { command: process.execPath, args: [FIXTURE] } } });
    await bridge.start();
    for (let i = 0; i < 20; i++) {
      const progress: number[] = [];
      const result = await bridge.callTool('burst', {}, { onprogress: (p) => progress.push(p.progress) });
      expect(result.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(progress).toEqual([1, 2, 3]);
    }
  });
});
