import { definePlugin, ValidationError, type CallContext, type Next, type Plugin, type PluginApi, type ToolEntry } from '@mcp-bridge/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pkg from '../package.json' with { type: 'json' };
import { DEFAULT_LIMITS } from './bounds.js';
import { SchemaCompiler, type CompiledSchema } from './compiler.js';
import { describeShape, formatIssues, toIssues, type ValidationIssue } from './messages.js';
import { validationOptionsSchema, type ResolvedValidationOptions, type ValidationLevel, type ValidationOptions } from './options.js';
import { errorResult, explain, stripUndefined, valueFault, type ValueFault } from './results.js';
import type { ValidationKind, ValidationStats, ValidationWarningEvent } from './types.js';

export { VALIDATION_META_KEY } from './types.js';
export type { ValidationControl, ValidationKind, ValidationRejectedEvent, ValidationStats, ValidationWarningEvent } from './types.js';

const PLUGIN_NAME = '@mcp-bridge/validation';

/** The resolved levels and schemas of one catalog entry. */
interface Plan {
  readonly input: ValidationLevel;
  readonly output: ValidationLevel;
  readonly coerce: boolean;
  inputSchema: CompiledSchema | undefined | null;
  outputSchema: CompiledSchema | undefined | null;
}

/**
 * Validates `tools/call` arguments against the tool's `inputSchema` before they are sent, and
 * `structuredContent` against `outputSchema` after. An invalid call is answered with an `isError`
 * result naming each field, rule, expected shape and given value, without reaching the upstream.
 * Schemas (JSON Schema 2020-12 by default, or the dialect `$schema` names) are compiled once per
 * catalog version, after a bounded scan that refuses hostile schemas. Occupies the `validate` phase.
 *
 * @example
 * ```ts
 * import { createBridge } from '@mcp-bridge/core';
 * import { validation } from '@mcp-bridge/validation';
 *
 * const bridge = createBridge({
 *   servers: { files: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] } },
 *   plugins: [validation({ output: 'lenient', servers: { legacy: 'off' } })],
 * });
 * bridge.on('validation:warning', (w) => console.warn(w.tool, w.message));
 * await bridge.start();
 * const result = await bridge.callTool('read_file', { path: 42 }); // isError: "/path: must be string ..."
 * ```
 */
export const validation: (options?: ValidationOptions) => Plugin = definePlugin({
  name: PLUGIN_NAME,
  version: pkg.version,
  core: '^0.1.0',
  options: validationOptionsSchema,
  setup(api, opts) {
    new ValidationPlugin(api, opts).install();
  },
});

class ValidationPlugin {
  readonly #api: PluginApi;
  readonly #opts: ResolvedValidationOptions;
  readonly #compiler: SchemaCompiler;
  /** Compiled schemas by server, upstream tool name and direction; a hit needs the same schema object. */
  readonly #compiled = new Map<string, { schema: unknown; compiled: CompiledSchema }>();
  /** Plans per catalog entry: a new catalog version brings new entries, so they renew themselves. */
  readonly #plans = new WeakMap<ToolEntry, Plan>();
  readonly #stats: ValidationStats = { compiled: 0, unsafeSchemas: 0, inputRejected: 0, outputRejected: 0, warnings: 0, coerced: 0 };

  constructor(api: PluginApi, opts: ResolvedValidationOptions) {
    this.#api = api;
    this.#opts = opts;
    this.#compiler = new SchemaCompiler({
      limits: { ...DEFAULT_LIMITS, ...stripUndefined(opts.limits) },
      unsafePatterns: opts.unsafePatterns,
      patternCheckMs: opts.patternCheckMs,
    });
  }

  install(): void {
    const api = this.#api;
    api.use({
      name: PLUGIN_NAME,
      phase: 'validate',
      methods: ['tools/call'],
      handle: (ctx, next) => this.#handle(ctx, next),
    });
    api.on('catalog:changed', ({ server, kinds }) => {
      if (!kinds.includes('tools')) return;
      const prefix = `${server}\u0000`;
      for (const key of this.#compiled.keys()) if (key.startsWith(prefix)) this.#compiled.delete(key);
      if (this.#opts.precompile) this.#precompile(server);
    });
    if (this.#opts.precompile) api.on('host:ready', () => this.#precompile(undefined));
    api.expose('validation', { stats: () => ({ ...this.#stats }) });
  }

  #precompile(server: string | undefined): void {
    for (const entry of this.#api.host.tools()) {
      if (server !== undefined && entry.server !== server) continue;
      const plan = this.#plan(entry);
      if (plan.input !== 'off') this.#inputOf(entry, plan);
      if (plan.output !== 'off') this.#outputOf(entry, plan);
    }
  }

  #handle(ctx: CallContext, next: Next): Promise<unknown> {
    const entry = ctx.tool;
    // A tool called by upstream name that the catalog does not list has no known schema.
    if (!entry || !entry.listed) return next();
    const plan = this.#plan(entry);
    if (plan.input !== 'off') {
      const refused = this.#checkInput(ctx, entry, plan);
      if (refused) return Promise.resolve(refused);
    }
    if (plan.output === 'off' || entry.tool.outputSchema === undefined) return next();
    const compiled = this.#outputOf(entry, plan);
    if (!compiled) return next();
    if (!compiled.ok) {
      if (this.#opts.onUnsafeSchema === 'refuse' && plan.output === 'strict')
        return Promise.resolve(this.#refuseSchema(ctx, entry, 'outputSchema', compiled.reason));
      return next();
    }
    return next().then((result) => this.#checkOutput(ctx, entry, plan, compiled, result as CallToolResult));
  }

  /** Validates (and maybe coerces) the arguments; returns the answer when the call must not be sent. */
  #checkInput(ctx: CallContext, entry: ToolEntry, plan: Plan): CallToolResult | undefined {
    const compiled = this.#inputOf(entry, plan);
    if (!compiled) return undefined;
    if (!compiled.ok)
      return this.#opts.onUnsafeSchema === 'refuse' && plan.input === 'strict'
        ? this.#refuseSchema(ctx, entry, 'inputSchema', compiled.reason)
        : undefined;
    const args = (ctx.params.arguments ?? {}) as unknown;
    let valid: boolean;
    try {
      valid = compiled.validate(args);
    } catch (error) {
      // A value too deep or too costly to validate is this call's problem (see valueFault); any other throw is the schema's.
      const fault = valueFault(error, args);
      if (fault) return this.#valueFault(ctx, entry, plan, fault);
      return this.#brokenAtRun(ctx, entry, plan, 'inputSchema', error);
    }
    if (valid) return undefined;
    if (plan.coerce) {
      const coercing = compiled.coercing();
      if (coercing) {
        // Ajv coerces in place: work on a copy, and send the copy only when it validates.
        let copy: unknown;
        let ok: boolean;
        try {
          copy = structuredClone(args);
          ok = coercing(copy);
        } catch {
          ok = false;
        }
        if (ok) {
          ctx.params = { ...ctx.params, arguments: copy };
          this.#stats.coerced++;
          return undefined;
        }
      }
    }
    const { issues, total } = toIssues(explain(compiled, args), this.#opts.maxErrors, this.#opts.maxValueChars);
    if (plan.input === 'lenient') {
      this.#warn({
        server: entry.server,
        tool: entry.name,
        kind: 'input',
        message: `arguments do not match the inputSchema (sent anyway):\n${formatIssues(issues, total)}`,
        issues,
        ctx,
      });
      return undefined;
    }
    const shape = describeShape(entry.tool.inputSchema, 400);
    const message =
      `Invalid arguments for tool "${entry.name}": ${total} problem${total === 1 ? '' : 's'}. The call was not sent to the server; fix the arguments and call again.\n` +
      formatIssues(issues, total) +
      (shape ? `\nExpected arguments: ${shape}` : '');
    this.#stats.inputRejected++;
    this.#rejected(ctx, entry, 'input', message, issues);
    return errorResult(message, { kind: 'input', tool: entry.name, server: entry.server, issues });
  }

  #checkOutput(
    ctx: CallContext,
    entry: ToolEntry,
    plan: Plan,
    compiled: Extract<CompiledSchema, { ok: true }>,
    result: CallToolResult,
  ): CallToolResult {
    if (!result || typeof result !== 'object' || result.isError) return result;
    let issues: ValidationIssue[];
    let total: number;
    if (result.structuredContent === undefined) {
      // MCP: a tool that declares an outputSchema MUST return structuredContent that conforms to it.
      issues = [
        {
          path: '',
          rule: 'outputSchema',
          message: 'the tool declares an outputSchema but returned no structuredContent',
          expected: 'structuredContent',
        },
      ];
      total = 1;
    } else {
      let valid: boolean;
      let fault: ValueFault | undefined;
      try {
        valid = compiled.validate(result.structuredContent);
      } catch (error) {
        // As for arguments: a result too deep or too costly to validate is the result's problem (see valueFault).
        fault = valueFault(error, result.structuredContent);
        if (!fault) {
          this.#brokenAtRun(ctx, entry, plan, 'outputSchema', error);
          return result;
        }
        valid = false;
      }
      if (valid) return result;
      if (fault) {
        issues = [{ path: '', rule: fault.rule, message: `structuredContent is ${fault.why}` }];
        total = 1;
      } else {
        ({ issues, total } = toIssues(explain(compiled, result.structuredContent), this.#opts.maxErrors, this.#opts.maxValueChars));
      }
    }
    const listed = formatIssues(
      issues.map((i) => ({ ...i, path: `/structuredContent${i.path}` })),
      total,
    );
    if (plan.output === 'lenient') {
      this.#warn({
        server: entry.server,
        tool: entry.name,
        kind: 'output',
        message: `structuredContent does not match the outputSchema (passed through):\n${listed}`,
        issues,
        ctx,
      });
      return result;
    }
    this.#stats.outputRejected++;
    const message = `Tool "${entry.name}" ran, but its result does not match its declared outputSchema, so the bridge rejected it:\n${listed}`;
    this.#rejected(ctx, entry, 'output', message, issues);
    if (this.#opts.outputFailure === 'error') {
      throw new ValidationError(
        `tool "${entry.name}" of server "${entry.server}": the result does not match its outputSchema: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
        {
          plugin: PLUGIN_NAME,
          data: { kind: 'output', server: entry.server, tool: entry.name, issues },
        },
      );
    }
    // The tool did run (side effects happened): keep its own content after the explanation.
    const answer = errorResult(message, { kind: 'output', tool: entry.name, server: entry.server, issues });
    answer.content.push(...(Array.isArray(result.content) ? result.content : []));
    return answer;
  }

  #plan(entry: ToolEntry): Plan {
    let plan = this.#plans.get(entry);
    if (plan) return plan;
    const o = this.#opts;
    const layers = [o.tools[entry.name] ?? o.tools[`${entry.server}/${entry.upstreamName}`], o.servers[entry.server]];
    const pick = <K extends 'input' | 'output' | 'coerce'>(
      key: K,
      fallback: ResolvedValidationOptions[K],
    ): ResolvedValidationOptions[K] => {
      for (const layer of layers) {
        if (layer === undefined) continue;
        if (typeof layer === 'string') {
          if (key !== 'coerce') return layer as ResolvedValidationOptions[K];
          continue;
        }
        const value = layer[key];
        if (value !== undefined) return value as ResolvedValidationOptions[K];
      }
      return fallback;
    };
    plan = {
      input: pick('input', o.input),
      output: pick('output', o.output),
      coerce: pick('coerce', o.coerce),
      inputSchema: undefined,
      outputSchema: undefined,
    };
    this.#plans.set(entry, plan);
    return plan;
  }

  #inputOf(entry: ToolEntry, plan: Plan): CompiledSchema | undefined {
    if (plan.inputSchema === undefined) plan.inputSchema = this.#compile(entry, 'inputSchema') ?? null;
    return plan.inputSchema ?? undefined;
  }

  #outputOf(entry: ToolEntry, plan: Plan): CompiledSchema | undefined {
    if (plan.outputSchema === undefined) plan.outputSchema = this.#compile(entry, 'outputSchema') ?? null;
    return plan.outputSchema ?? undefined;
  }

  #compile(entry: ToolEntry, which: 'inputSchema' | 'outputSchema'): CompiledSchema | undefined {
    const schema = entry.tool[which];
    if (schema === undefined) return undefined;
    const key = `${entry.server}\u0000${entry.upstreamName}\u0000${which}`;
    const cached = this.#compiled.get(key);
    if (cached && cached.schema === schema) return cached.compiled;
    const compiled = this.#compiler.compile(schema);
    this.#stats.compiled++;
    this.#compiled.set(key, { schema, compiled });
    if (!compiled.ok) {
      this.#stats.unsafeSchemas++;
      const action = this.#opts.onUnsafeSchema === 'refuse' ? 'its calls are refused' : 'it is not validated';
      this.#warn({
        server: entry.server,
        tool: entry.name,
        kind: 'schema',
        message: `${which} of tool "${entry.name}" is not used (${action}): ${compiled.reason}`,
      });
    } else if (compiled.droppedPatterns.length > 0) {
      this.#warn({
        server: entry.server,
        tool: entry.name,
        kind: 'schema',
        message: `${which} of tool "${entry.name}": ${compiled.droppedPatterns.length} unsafe "pattern" keyword(s) are not checked: ${compiled.droppedPatterns.map((p) => JSON.stringify(p.slice(0, 60))).join(', ')}`,
      });
    }
    return compiled;
  }

  /** Arguments too deep or too costly to validate: refused (strict) or sent with a warning (lenient), this call only. */
  #valueFault(ctx: CallContext, entry: ToolEntry, plan: Plan, fault: ValueFault): CallToolResult | undefined {
    const issues: ValidationIssue[] = [{ path: '', rule: fault.rule, message: `the arguments are ${fault.why}` }];
    if (plan.input === 'lenient') {
      this.#warn({
        server: entry.server,
        tool: entry.name,
        kind: 'input',
        message: `arguments ${fault.why} (sent anyway)`,
        issues,
        ctx,
      });
      return undefined;
    }
    const message = `Invalid arguments for tool "${entry.name}": they are ${fault.why}. The call was not sent to the server; send a flatter value.`;
    this.#stats.inputRejected++;
    this.#rejected(ctx, entry, 'input', message, issues);
    return errorResult(message, { kind: 'input', tool: entry.name, server: entry.server, issues });
  }

  /** A validator threw while running: the schema is unusable; it is replaced by the policy's answer. */
  #brokenAtRun(
    ctx: CallContext,
    entry: ToolEntry,
    plan: Plan,
    which: 'inputSchema' | 'outputSchema',
    error: unknown,
  ): CallToolResult | undefined {
    const reason = `validation failed to run: ${(error as Error)?.message ?? String(error)}`;
    const broken: CompiledSchema = { ok: false, reason };
    if (which === 'inputSchema') plan.inputSchema = broken;
    else plan.outputSchema = broken;
    this.#compiled.set(`${entry.server}\u0000${entry.upstreamName}\u0000${which}`, { schema: entry.tool[which], compiled: broken });
    this.#stats.unsafeSchemas++;
    this.#warn({
      server: entry.server,
      tool: entry.name,
      kind: 'schema',
      message: `${which} of tool "${entry.name}" is not used: ${reason}`,
      ctx,
    });
    const level = which === 'inputSchema' ? plan.input : plan.output;
    return this.#opts.onUnsafeSchema === 'refuse' && level === 'strict' && which === 'inputSchema'
      ? this.#refuseSchema(ctx, entry, which, reason)
      : undefined;
  }

  #refuseSchema(ctx: CallContext, entry: ToolEntry, which: 'inputSchema' | 'outputSchema', reason: string): CallToolResult {
    const message = `Tool "${entry.name}" cannot be called through this bridge: its ${which} was refused by validation (${reason}). The call was not sent.`;
    const issues: ValidationIssue[] = [{ path: '', rule: which, message: reason }];
    this.#stats.inputRejected++;
    this.#rejected(ctx, entry, 'schema', message, issues);
    return errorResult(message, { kind: 'schema', tool: entry.name, server: entry.server, issues });
  }

  #warn(event: ValidationWarningEvent): void {
    this.#stats.warnings++;
    if (this.#api.hasListeners('validation:warning')) this.#api.emit('validation:warning', event);
  }

  #rejected(ctx: CallContext, entry: ToolEntry, kind: ValidationKind, message: string, issues: readonly ValidationIssue[]): void {
    if (this.#api.hasListeners('validation:rejected'))
      this.#api.emit('validation:rejected', { ctx, server: entry.server, tool: entry.name, kind, message, issues });
  }
}
