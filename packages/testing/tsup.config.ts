import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig([
  {
    ...packageBuild,
    entry: { index: 'src/index.ts' },
    // The two builds run side by side: keep the bin build's output.
    clean: ['!bin/**'],
    // stdioTestServer locates dist/bin/stdio-server.js through import.meta.url, in the CJS build too.
    shims: true,
  },
  {
    ...packageBuild,
    // The stdio server a child process runs (`mcp-bridge-test-server`): ESM only, it uses top-level await.
    entry: {
      'bin/stdio-server': 'src/bin/stdio-server.ts',
      'bin/fault-server': 'src/bin/fault-server.ts',
      'bin/conformance-server': 'src/bin/conformance-server.ts',
      'bin/modern-server': 'src/bin/modern-server.ts',
      'bin/modern-conformance-server': 'src/bin/modern-conformance-server.ts',
    },
    format: ['esm'],
    dts: false,
    clean: false,
  },
]);
