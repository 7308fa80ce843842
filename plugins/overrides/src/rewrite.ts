import { DEFAULT_LIMITS, SchemaCompiler } from '@mcp-bridge/validation';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { OverrideConfigError } from './errors.js';
import type { ResolvedOverridesOptions } from './options.js';

type Override = ResolvedOverridesOptions['tools'][string];
type Values = Readonly<Record<string, unknown>>;

/** What a call to one overridden tool needs: precomputed when the server lists its tools, read on each call. */
export interface CallPlan {
  /** The upstream's own name (what is sent). */
  readonly upstreamName: string;
  readonly fixed: Values | undefined;
  /** Keys of `fixed`, for the check that a call does not send them. */
  readonly fixedKeys: readonly string[];
  readonly defaults: Values | undefined;
  readonly defaultKeys: readonly string[];
}

/** One server's overrides after a list: listed name → plan, and the names that no longer exist (hidden, renamed away). */
export interface ServerPlan {
  readonly byName: ReadonlyMap<string, CallPlan>;
  readonly gone: ReadonlySet<string>;
}

// Bounded like the validation plugin's: a hostile schema cannot make the check costly.
const compiler = new SchemaCompiler({ limits: DEFAULT_LIMITS, unsafePatterns: 'drop', patternCheckMs: 50 });

const where = (server: string, tool: string, field?: string, key?: string): string =>
  `tools["${server}/${tool}"]${field ? `.${field}` : ''}${key ? `.${key}` : ''}`;

/**
 * Rewrites one server's listed tools by their overrides, and returns the call plans. Throws an
 * {@link OverrideConfigError} naming the tool and field when an override does not fit the tool.
 */
export function rewriteList(
  server: string,
  tools: readonly Tool[],
  overrides: ReadonlyMap<string, Override>,
): { tools: Tool[]; plan: ServerPlan } {
  const byName = new Map<string, CallPlan>();
  const gone = new Set<string>();
  const out: Tool[] = [];
  const originals = new Set(tools.map((t) => t.name));
  for (const tool of tools) {
    const o = overrides.get(tool.name);
    if (!o) {
      out.push(tool);
      continue;
    }
    if (o.hide) {
      gone.add(tool.name);
      continue;
    }
    const name = o.name ?? tool.name;
    if (name !== tool.name) {
      if ((originals.has(name) && !overrides.get(name)?.name && !overrides.get(name)?.hide) || byName.has(name))
        throw new OverrideConfigError(
          `${where(server, tool.name, 'name')}: "${name}" is already the name of another tool of server "${server}"`,
        );
      gone.add(tool.name);
    }
    const inputSchema = rewriteSchema(server, tool, o);
    out.push({
      ...tool,
      name,
      ...(o.title !== undefined ? { title: o.title } : {}),
      ...(o.description !== undefined ? { description: o.description } : {}),
      inputSchema,
    });
    const fixedKeys = Object.keys(o.fixed ?? {});
    const defaultKeys = Object.keys(o.defaults ?? {});
    byName.set(name, {
      upstreamName: tool.name,
      fixed: fixedKeys.length ? o.fixed : undefined,
      fixedKeys,
      defaults: defaultKeys.length ? o.defaults : undefined,
      defaultKeys,
    });
  }
  for (const name of byName.keys()) gone.delete(name);
  return { tools: out, plan: { byName, gone } };
}

/** The listed inputSchema: fixed arguments removed, defaults declared, neither required any more. */
function rewriteSchema(server: string, tool: Tool, o: Override): Tool['inputSchema'] {
  const fixed = o.fixed ?? {};
  const defaults = o.defaults ?? {};
  const keys = [...Object.keys(fixed), ...Object.keys(defaults)];
  if (keys.length === 0) return tool.inputSchema;
  const schema = tool.inputSchema;
  const props = (schema.properties ?? {}) as Record<string, unknown>;
  for (const [field, values] of [
    ['fixed', fixed],
    ['defaults', defaults],
  ] as const) {
    for (const key of Object.keys(values)) {
      if (!Object.hasOwn(props, key)) {
        const known = Object.keys(props);
        throw new OverrideConfigError(
          `${where(server, tool.name, field, key)}: the tool has no argument "${key}" (its arguments: ${known.length ? known.join(', ') : 'none'})`,
        );
      }
    }
    checkValues(server, tool, field, values, props);
  }
  const properties: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (Object.hasOwn(fixed, key)) continue;
    properties[key] = Object.hasOwn(defaults, key) ? { ...(value as object), default: defaults[key] } : value;
  }
  const required = (schema.required ?? []).filter((k) => !keys.includes(k));
  const { required: _dropped, ...rest } = schema;
  return { ...rest, properties, ...(required.length > 0 ? { required } : {}) } as Tool['inputSchema'];
}

/** Checks configured values against the tool's own schema for those arguments (once per list, not per call). */
function checkValues(server: string, tool: Tool, field: 'fixed' | 'defaults', values: Values, props: Record<string, unknown>): void {
  const keys = Object.keys(values);
  if (keys.length === 0) return;
  const schema = tool.inputSchema as Record<string, unknown>;
  const subset: Record<string, unknown> = { type: 'object', properties: Object.fromEntries(keys.map((k) => [k, props[k]])) };
  // Keep what `$ref`s inside the properties may point at.
  for (const k of ['$schema', '$defs', 'definitions']) if (schema[k] !== undefined) subset[k] = schema[k];
  const compiled = compiler.compile(subset);
  // A schema the bounded compiler will not run is not checked here (the validation plugin will not run it either).
  if (!compiled.ok) return;
  if (compiled.validate(values)) return;
  const error = compiled.validate.errors?.[0];
  const path = (error?.instancePath ?? '').split('/').filter(Boolean);
  const key = path.shift() ?? keys[0]!;
  const inner = path.length ? ` at /${path.join('/')}` : '';
  throw new OverrideConfigError(
    `${where(server, tool.name, field, key)}: ${JSON.stringify(values[key])} does not match the tool's schema for "${key}"${inner}: ${error?.message ?? 'invalid'}`,
  );
}
