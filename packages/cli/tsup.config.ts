import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig({
  ...packageBuild,
  // A CLI and its bundled example servers: ESM only (top-level await in the executables).
  format: ['esm'],
  // Types for the library entry only: the executables export nothing.
  dts: { entry: { index: 'src/index.ts' } },
  entry: {
    index: 'src/index.ts',
    bin: 'src/bin.ts',
    'examples/notes': 'src/examples/notes.ts',
    'examples/clock': 'src/examples/clock.ts',
    'examples/flaky': 'src/examples/flaky.ts',
  },
});
