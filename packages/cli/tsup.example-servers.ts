import type { Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * Modules the SDK's server side imports at start but the bundled example servers never run:
 * - `validation/ajv-provider.js`: Ajv with every format (~250 KB, its CommonJS init runs at import)
 *   for the default elicitation validator; the examples pass their own (`noElicitation`), so the
 *   SDK never constructs it;
 * - `zod-to-json-schema` and `zod/v3`: tool and prompt schemas written with zod v3; the examples use
 *   zod v4, which the SDK converts with zod's own `toJSONSchema`.
 * Each stub throws if it is reached after all, naming what is missing, instead of failing silently.
 */
const UNUSED_SDK_MODULES: { filter: RegExp; importer: RegExp; contents: string }[] = [
  {
    filter: /[\\/]validation[\\/]ajv-provider\.js$/,
    importer: /@modelcontextprotocol[\\/]sdk[\\/]/,
    contents: `export class AjvJsonSchemaValidator { constructor() { throw new Error(${JSON.stringify(unused('the Ajv validator'))}); } }`,
  },
  {
    filter: /^zod-to-json-schema$/,
    importer: /@modelcontextprotocol[\\/]sdk[\\/]/,
    contents: `export function zodToJsonSchema() { throw new Error(${JSON.stringify(unused('zod v3 schemas'))}); }`,
  },
  {
    filter: /^zod\/v3$/,
    importer: /@modelcontextprotocol[\\/]sdk[\\/]/,
    contents: `export function object() { throw new Error(${JSON.stringify(unused('zod v3 schemas'))}); }`,
  },
];

function unused(what: string): string {
  return `[mcp-bridge] ${what}: left out of the bundled example servers (packages/cli/tsup.example-servers.ts)`;
}

const stubUnusedSdkModules: EsbuildPlugin = {
  name: 'stub-unused-sdk-modules',
  setup(build) {
    UNUSED_SDK_MODULES.forEach(({ filter, importer }, index) => {
      build.onResolve({ filter }, (args) =>
        importer.test(args.importer) ? { path: String(index), namespace: 'unused-sdk-module' } : undefined,
      );
    });
    build.onLoad({ filter: /.*/, namespace: 'unused-sdk-module' }, (args) => ({
      contents: UNUSED_SDK_MODULES[Number(args.path)]!.contents,
      loader: 'js',
    }));
  },
};

/**
 * The bundled example servers (`serve --examples` spawns all three at once): each one file with
 * everything it needs, nothing shared with the CLI's chunks (which carry the client side, Ajv and
 * the gateway), so a server parses only its own code. What they load at start is CPU every
 * `serve --stdio --examples` pays three times over on its way to the first `tools/list`
 * (bench/src/cold-start.ts).
 */
export function exampleServersBuild(base: Options, plugins: EsbuildPlugin[]): Options {
  return {
    ...base,
    format: ['esm'],
    dts: false,
    clean: false,
    entry: {
      'examples/notes': 'src/examples/notes.ts',
      'examples/clock': 'src/examples/clock.ts',
      'examples/flaky': 'src/examples/flaky.ts',
    },
    external: [],
    noExternal: [/./],
    splitting: false,
    esbuildPlugins: [...plugins, stubUnusedSdkModules],
  };
}
