import { defineConfig } from 'tsup';

// Self-contained on purpose (no shared base): this folder is a template you copy out of the repository.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // The host is a peer: never bundle it, or your plugin would run against its own copy of core.
  external: [/^@mcp-bridge\//],
});
