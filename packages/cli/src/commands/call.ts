import { BridgeError, NotFoundError, ValidationError, type Bridge } from '@mcp-bridge/core';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { printJson, type CommandContext } from '../context.js';
import { CliError, EXIT, type ExitCode } from '../exit-codes.js';
import { messageOf, progress } from '../io.js';
import { configProblems, whySkipped } from '../config-report.js';
import { loadServers } from '../load.js';
import { openBridge } from '../open-bridge.js';
import { buildPlugins } from '../plugins.js';

/** Options of `call`. */
export interface CallOptions {
  args?: string;
  timeout: number;
  plugins?: string[] | false;
}

/**
 * Parses `--args`: a JSON object. Anything else is a {@link CliError} (exit 2) that says what is
 * wrong and where, before any server is started.
 */
export function parseToolArgs(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new CliError(`--args is not valid JSON: ${messageOf(error)} (example: --args '{"text":"hi"}')`, EXIT.USAGE);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(
      `--args must be a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      EXIT.USAGE,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * `mcp-bridge call SERVER/TOOL --args JSON` (or an exposed tool name): runs one tool call through
 * the same plugins `serve` uses and prints the result. Exit 0 on success, 1 when the tool returned
 * `isError`, 2 for usage errors (bad JSON, unknown server or tool), 3 when the call could not be made.
 */
export async function callCommand(ctx: CommandContext, target: string, options: CallOptions): Promise<ExitCode> {
  const args = parseToolArgs(options.args);
  const slash = target.indexOf('/');
  const server = slash > 0 ? target.slice(0, slash) : undefined;
  const spin = progress(ctx, 'reading configs');
  let bridge: Bridge | undefined;
  try {
    const loaded = await loadServers(ctx.io, ctx.options);
    for (const problem of configProblems(loaded)) ctx.log(ctx.err.yellow(problem));
    if (server !== undefined && !loaded.servers[server]) {
      // A configured server that was skipped says why (disabled, filtered out, a bad field), not "no server".
      const skipped = whySkipped(loaded, server);
      throw new CliError(skipped ?? `no server named "${server}" (known: ${Object.keys(loaded.servers).join(', ') || 'none'})`, EXIT.USAGE);
    }
    const { plugins } =
      options.plugins === false
        ? { plugins: [] }
        : await buildPlugins(loaded.settings.plugins, loaded.settings.file, {
            ...(options.plugins ? { only: options.plugins } : {}),
            ...(loaded.settings.pluginDefaults ? { defaultOptions: loaded.settings.pluginDefaults } : {}),
          });
    ({ bridge } = await openBridge(loaded, {
      plugins,
      ...(server !== undefined ? { only: [server] } : {}),
      connectTimeout: options.timeout,
      startTimeout: options.timeout,
      progress: spin,
      signal: ctx.signal,
      onError: () => undefined,
    }));
    // A server still starting may have the tool: the call then waits for its list within --timeout.
    const starting = bridge.status().some((s) => s.state === 'starting');
    if (server === undefined && !starting && !bridge.tools().some((t) => t.name === target)) {
      const names = bridge.tools().map((t) => t.name);
      const close = names.filter((n) => n.includes(target) || target.includes(n)).slice(0, 5);
      throw new CliError(
        `no tool named "${target}"${close.length ? ` (did you mean: ${close.join(', ')}?)` : ''}; run \`mcp-bridge list\` to see every tool`,
        EXIT.USAGE,
      );
    }
    spin.text(`calling ${target}`);
    let result: CallToolResult;
    try {
      result = await bridge.callTool(target, args, {
        timeout: options.timeout,
        signal: ctx.signal,
        onprogress: (p) => spin.text(`calling ${target}: ${p.message ?? ''} ${p.total ? `${p.progress}/${p.total}` : p.progress}`.trim()),
      });
    } catch (error) {
      throw classify(error, target);
    }
    spin.stop();
    if (ctx.options.json) printJson(ctx, result);
    else printResult(ctx, result);
    return result.isError === true ? EXIT.FAILURE : EXIT.OK;
  } finally {
    spin.stop();
    await bridge?.close();
  }
}

/** JSON-RPC codes that mean the caller asked wrongly (bad arguments, no such method): a usage error, not an outage. */
const USAGE_CODES: readonly number[] = [ErrorCode.InvalidParams, ErrorCode.MethodNotFound];

function classify(error: unknown, target: string): CliError {
  const message = `call ${target} failed: ${messageOf(error)}`;
  if (NotFoundError.isInstance(error) || ValidationError.isInstance(error)) return new CliError(message, EXIT.USAGE);
  if (error instanceof McpError && USAGE_CODES.includes(error.code)) return new CliError(message, EXIT.USAGE);
  const code = BridgeError.isInstance(error) ? (error as BridgeError).code : undefined;
  return new CliError(message, EXIT.UNAVAILABLE, code ? { code } : undefined);
}

function printResult(ctx: CommandContext, result: CallToolResult): void {
  // An error result is the tool's own failure: shown on stderr, so stdout only carries successes.
  const stream = result.isError ? ctx.io.stderr : ctx.io.stdout;
  const c = result.isError ? ctx.err : ctx.out;
  if (result.isError) stream.write(`${c.red('tool error:')} `);
  const parts: string[] = [];
  for (const block of result.content ?? []) {
    if (block.type === 'text') parts.push(block.text);
    else if (block.type === 'image' || block.type === 'audio')
      parts.push(c.dim(`[${block.type} ${block.mimeType}, ${Math.round((block.data.length * 3) / 4)} bytes]`));
    else if (block.type === 'resource')
      parts.push('text' in block.resource ? block.resource.text : c.dim(`[resource ${block.resource.uri}]`));
    else if (block.type === 'resource_link') parts.push(c.dim(`[resource link ${block.uri}]`));
  }
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent, null, 2));
  stream.write(`${parts.join('\n')}\n`);
}
