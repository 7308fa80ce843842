import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', stdio: 'src/stdio/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep `node:` specifiers so node-only imports stay visible (and greppable) in dist.
  removeNodeProtocol: false,
  // The root entry loads the stdio subpath lazily by package name, so it stays free of node-only imports.
  external: [/^@mcp-bridge\//],
});
