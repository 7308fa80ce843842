import type { Options } from 'tsup';

/** Build settings every published package shares: ESM + CJS + types for Node 20. */
export const packageBuild: Options = {
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Keep `node:` specifiers so node-only imports stay visible (and greppable) in dist.
  removeNodeProtocol: false,
  // Sibling packages stay external: users get one copy of each (branded errors still match), and
  // transports' root loads its stdio subpath lazily by package name.
  external: [/^@mcp-bridge\//],
};
