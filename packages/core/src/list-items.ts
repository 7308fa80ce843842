import { PromptSchema, ResourceSchema, ResourceTemplateSchema, ResultSchema, ToolSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ListKind } from './catalog.js';

/**
 * What the terminal accepts as the answer of a list method: any result whose list field is an
 * array. Items are checked one by one afterwards ({@link checkListItems}); with the SDK's strict
 * `ListToolsResultSchema`, one malformed tool made the whole answer invalid and the server lost
 * every tool, silently.
 */
function lenientList(field: string): typeof ResultSchema {
  return ResultSchema.extend({ [field]: z.array(z.unknown()), nextCursor: z.string().optional() }) as unknown as typeof ResultSchema;
}

/** Lenient result schemas of the list methods, by method. */
export const LENIENT_LIST_SCHEMAS: Readonly<Record<string, typeof ResultSchema>> = {
  'tools/list': lenientList('tools'),
  'prompts/list': lenientList('prompts'),
  'resources/list': lenientList('resources'),
  'resources/templates/list': lenientList('resourceTemplates'),
};

const ITEM_SCHEMAS: Record<ListKind, z.ZodType> = {
  tools: ToolSchema,
  prompts: PromptSchema,
  resources: ResourceSchema,
  templates: ResourceTemplateSchema,
};

/** One list entry that was repaired or dropped. */
export interface ListItemWarning {
  kind: ListKind;
  /** The entry's name (its `uri` for resources), or `#index` when it has none. */
  name: string;
  /** What was wrong, e.g. `inputSchema.type: missing, set to "object"`. */
  problem: string;
  action: 'repaired' | 'dropped';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Repairs that cannot change what a tool accepts: a JSON Schema without `type` at its root whose
 * shape is an object's (properties/required, or nothing at all) means `type: "object"` in every
 * client that reads it, and a missing input schema means "no arguments". Published servers ship
 * both (GitLab's MCP server lists tools whose schemas lack `type`).
 */
function repairTool(tool: Record<string, unknown>): string[] {
  const fixes: string[] = [];
  if (tool.inputSchema === undefined) {
    tool.inputSchema = { type: 'object' };
    fixes.push('inputSchema: missing, set to {"type":"object"}');
  }
  for (const key of ['inputSchema', 'outputSchema'] as const) {
    const schema = tool[key];
    if (isObject(schema) && schema.type === undefined) {
      tool[key] = { type: 'object', ...schema };
      fixes.push(`${key}.type: missing, set to "object"`);
    }
  }
  return fixes;
}

function nameOf(item: unknown, index: number): string {
  if (isObject(item)) {
    if (typeof item.name === 'string' && item.name) return item.name;
    if (typeof item.uri === 'string' && item.uri) return item.uri;
    if (typeof item.uriTemplate === 'string' && item.uriTemplate) return item.uriTemplate;
  }
  return `#${index}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(entry)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Checks each entry of one server's list against the SDK's schema: a valid entry is kept as it is,
 * a safely repairable one is repaired, any other is dropped alone. Returns the kept entries and one
 * warning per repaired or dropped entry, so a single bad definition never costs the server its list.
 */
export function checkListItems(kind: ListKind, items: readonly unknown[]): { items: unknown[]; warnings: ListItemWarning[] } {
  const schema = ITEM_SCHEMAS[kind];
  const kept: unknown[] = [];
  const warnings: ListItemWarning[] = [];
  items.forEach((item, index) => {
    const direct = schema.safeParse(item);
    if (direct.success) {
      kept.push(direct.data);
      return;
    }
    const name = nameOf(item, index);
    const copy = isObject(item) ? { ...item } : item;
    const fixes = kind === 'tools' && isObject(copy) ? repairTool(copy) : [];
    const checked = schema.safeParse(copy);
    if (fixes.length > 0 && checked.success) {
      kept.push(checked.data);
      warnings.push({ kind, name, problem: fixes.join('; '), action: 'repaired' });
      return;
    }
    warnings.push({ kind, name, problem: checked.success ? 'invalid' : describeIssues(checked.error), action: 'dropped' });
  });
  return { items: kept, warnings };
}
