import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep `node:` specifiers so node-only imports stay visible (and greppable) in dist.
  removeNodeProtocol: false,
  // Sibling packages stay external so users get one copy of each (and branded errors still match).
  external: [/^@mcp-bridge\//],
});
