import { defineConfig } from 'tsup';

// Sibling packages stay external so users get one copy of each (and branded errors still match).
const external = [/^@mcp-bridge\//];

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    // The two builds run side by side: keep the bin build's output.
    clean: ['!bin/**'],
    target: 'node20',
    // Keep `node:` specifiers so node-only imports stay visible (and greppable) in dist.
    removeNodeProtocol: false,
    // stdioTestServer locates dist/bin/stdio-server.js through import.meta.url, in the CJS build too.
    shims: true,
    external,
  },
  {
    // The stdio server a child process runs (`mcp-bridge-test-server`): ESM only, it uses top-level await.
    entry: { 'bin/stdio-server': 'src/bin/stdio-server.ts' },
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    // Keep `node:` specifiers so node-only imports stay visible (and greppable) in dist.
    removeNodeProtocol: false,
    external,
  },
]);
