/**
 * `mcp-bridge`: the command line of mcp-bridge — `serve`, `list`, `call`, `doctor` — and the
 * pieces it is built from, for embedding.
 *
 * @example
 * ```ts
 * import { run } from 'mcp-bridge';
 * process.exitCode = await run(process.argv.slice(2));
 * ```
 * @packageDocumentation
 */
export { run } from './program.js';
export type { RunOptions } from './program.js';
export { CliError, EXIT } from './exit-codes.js';
export type { ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';
export { EXAMPLE_SERVER_NAMES, exampleServerCommand, exampleServers } from './example-servers.js';
export type { ExampleServerConfig, ExampleServerName } from './example-servers.js';
export { buildPlugins, KNOWN_PLUGINS } from './plugins.js';
export type { BuildPluginsOptions, KnownPlugin, ModuleLoader, PluginRef, PluginReport, PluginsSection } from './plugins.js';
export { cliInstallKind, installHint } from './plugin-resolve.js';
export type { CliInstall } from './plugin-resolve.js';
export type { ResolveContext } from './third-party-plugin.js';
export { requestLog } from './request-log.js';
export type { CallRecord, RequestLogOptions } from './request-log.js';
export { parseToolArgs } from './commands/call.js';
export { DEFAULT_HTTP_PORT } from './commands/serve.js';
export type { ListedServer, ListedTool, ListJson } from './commands/list.js';
export type { DoctorJson, DoctorServer } from './commands/doctor.js';
export { CLI_VERSION } from './version.js';
