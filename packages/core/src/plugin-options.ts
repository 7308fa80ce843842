import type { z } from 'zod';
import { PluginError } from './errors.js';

/**
 * Validates a plugin's options with a zod schema. Call it in `setup`, so a wrong option fails
 * `start()` with a {@link PluginError} (`PLUGIN_OPTIONS_INVALID`) that names the plugin, the option
 * path and what was expected: `[@mcp-bridge/retry] invalid options: attempts: expected number, got string`.
 *
 * @example
 * ```ts
 * const schema = z.strictObject({ attempts: z.number().int().min(1).default(3) });
 * export function retry(options: z.input<typeof schema> = {}): Plugin {
 *   return { name: '@mcp-bridge/retry', version, core: '^0.1.0', setup(api) {
 *     const opts = parsePluginOptions(api.plugin, schema, options);
 *   } };
 * }
 * ```
 */
export function parsePluginOptions<S extends z.ZodType>(plugin: string, schema: S, options: unknown): z.output<S> {
  // Parsed once, at start: zod's JIT (it compiles a fast path per object schema on first parse) costs
  // more than it could save here, ~10 ms of every gateway's start (bench/src/cold-start.ts).
  const result = schema.safeParse(options, { jitless: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue, options) }));
  throw new PluginError(
    'PLUGIN_OPTIONS_INVALID',
    plugin,
    `invalid options: ${issues.map((i) => `${i.path || '(options)'}: ${i.message}`).join('; ')}`,
    {
      data: { issues },
    },
  );
}

/** `retry.perTool["a.b"][0]`: dots for identifiers, brackets for indexes and odd keys. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** zod's "expected number, received string" reads as "expected number, got string" with the value shown. */
function describeIssue(issue: z.core.$ZodIssue, options: unknown): string {
  if (issue.code === 'invalid_type') {
    const value = valueAt(options, issue.path);
    return value === undefined
      ? `required (expected ${issue.expected})`
      : `expected ${issue.expected}, got ${typeName(value)} ${preview(value)}`;
  }
  if (issue.code === 'unrecognized_keys')
    return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function preview(value: unknown): string {
  if (typeof value === 'function') return '';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `(${text.slice(0, 37)}...)` : `(${text})`;
}
