import { dirname, join } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { packageBuild } from '../../tsup.base.js';
import { exampleServersBuild } from './tsup.example-servers.js';

/**
 * Third-party packages the executable carries inside dist/: pure JavaScript, needed on the paths
 * `serve`/`list`/`call`/`doctor` walk. Bundling them turns ~390 module files read at start into a
 * few chunks (see bench/src/cold-start.ts).
 */
const BUNDLED_DEPENDENCIES = ['@modelcontextprotocol/sdk', 'zod', 'commander', 'jsonc-parser', 'picocolors', 'yocto-spinner'];

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * zod exposes every message locale as `z.locales` (`export * as locales`): a namespace object, so
 * bundling keeps all ~45 of them (about 370 KB, a third of zod) though only English, which zod
 * imports on its own, is ever used here. Each process would parse them at start; this leaves
 * `z.locales.en` only.
 */
const zodEnglishOnly: EsbuildPlugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '../locales/index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from './en.js';\n`,
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

const cliBuild: Options = {
  ...packageBuild,
  // A CLI: ESM only (top-level await in the executables).
  format: ['esm'],
  // The example servers' build writes into dist/examples at the same time (tsup runs both configs at once).
  clean: ['!examples/**'],
  // Types for the library entry only: the executables export nothing.
  dts: { entry: { index: 'src/index.ts' } },
  entry: {
    index: 'src/index.ts',
    bin: 'src/bin.ts',
  },
  // One file tree instead of hundreds of modules: our packages (from their TypeScript sources, so
  // unused modules are left out) and pure-JS dependencies are bundled; what each command needs
  // only is split into chunks loaded by its dynamic import. Left outside: the optional plugins
  // (peer packages, loaded by name) and OpenTelemetry (loaded only when tracing is on, and shared
  // with the tracing plugin through the one @opentelemetry/api copy).
  // Tracing and metrics ship inside the CLI (`"tracing": true` works with plain npx); the other plugins are optional peers.
  external: [/^@mcp-bridge\/plugin-(?!tracing$|metrics$)/, /^@opentelemetry\//, /^prom-client(\/|$)/],
  noExternal: [
    /^@mcp-bridge\/(?!plugin-(?!tracing$|metrics$))/,
    ...BUNDLED_DEPENDENCIES.map((name) => new RegExp(`^${name.replace('/', '\\/')}(\\/|$)`)),
  ],
  splitting: true,
  esbuildPlugins: [zodEnglishOnly],
  esbuildOptions(options) {
    options.conditions = ['@mcp-bridge/source'];
  },
  // CommonJS inside the bundle (ajv, commander ...) calls require() for node builtins.
  banner: {
    js: "import { createRequire as __mcpBridgeRequire } from 'node:module';\nconst require = __mcpBridgeRequire(import.meta.url);",
  },
};

export default defineConfig([cliBuild, exampleServersBuild(cliBuild, [zodEnglishOnly])]);
