import { createHash } from 'node:crypto';

/** What is pinned: a tool, a prompt or a resource template. */
export type PinKind = 'tool' | 'prompt' | 'template';

/** The fields of a definition that are pinned, per kind: what a model reads or what shapes a call. */
const PINNED_FIELDS: Record<PinKind, readonly string[]> = {
  tool: ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'],
  prompt: ['name', 'title', 'description', 'arguments'],
  template: ['name', 'title', 'description', 'uriTemplate', 'mimeType', 'annotations'],
};

/** The pinned part of a definition (other fields, `_meta` and `icons` included, are ignored). */
export function pinnedDefinition(kind: PinKind, item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS[kind]) if (item[field] !== undefined) out[field] = item[field];
  return out;
}

/**
 * JSON with object keys sorted at every depth, so two equal definitions give the same text whatever
 * order the server wrote their keys in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 of the canonical JSON of a pinned definition: a server cannot craft a collision. */
export function fingerprint(definition: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/** The top-level fields that differ between two pinned definitions, sorted (what a block error names). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k])).sort();
}

/** A pretty-printed definition with sorted keys: stable text for a diff. */
export function prettyDefinition(definition: Record<string, unknown> | undefined): string {
  if (definition === undefined) return '';
  return `${JSON.stringify(JSON.parse(canonicalJson(definition)), null, 2)}\n`;
}
