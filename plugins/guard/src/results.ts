import type { SecretAction } from './options.js';
import { redactAll } from './check.js';
import { scanSecrets, type SecretFinding } from './secrets.js';
import { allStrings, type FoundValue } from './targets.js';

/** Name of the `_meta` entry on a result this plugin wrote or changed. */
export const GUARD_META_KEY = 'mcp-bridge/guard';

/** A tool result as far as the guard reads it. */
interface ToolResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

/** The `isError` answer given in the tool's place: text the model can act on, details in `_meta`. */
export function refusalResult(
  text: string,
  meta: { tool: string; server: string; rule: string; argument: string; where: 'arguments' | 'result' },
): { content: { type: 'text'; text: string }[]; isError: true; _meta: Record<string, unknown> } {
  return { content: [{ type: 'text', text }], isError: true, _meta: { [GUARD_META_KEY]: meta } };
}

/** The strings of a result that reach the model: text content, embedded resource text, structuredContent. */
export function resultStrings(result: ToolResult, maxScanChars: number): FoundValue[] | { tooLong: FoundValue } {
  const out: FoundValue[] = [];
  if (Array.isArray(result.content)) {
    result.content.forEach((item: unknown, i) => {
      if (typeof item !== 'object' || item === null) return;
      const c = item as { type?: unknown; text?: unknown; resource?: { text?: unknown } };
      if (typeof c.text === 'string') out.push({ pointer: `/content/${i}/text`, value: c.text });
      if (typeof c.resource?.text === 'string') out.push({ pointer: `/content/${i}/resource/text`, value: c.resource.text });
    });
  }
  if (result.structuredContent !== undefined) {
    const structured: FoundValue[] = [];
    allStrings(result.structuredContent, structured);
    for (const s of structured) out.push({ pointer: `/structuredContent${s.pointer}`, value: s.value });
  }
  const long = out.find((v) => v.value.length > maxScanChars);
  return long ? { tooLong: long } : out;
}

/** What became of a result: unchanged, redacted (with the findings), or withheld. */
export type ResultVerdict =
  | { readonly kind: 'clean' }
  | { readonly kind: 'redacted'; readonly result: unknown; readonly findings: readonly SecretFinding[] }
  | { readonly kind: 'withheld'; readonly rule: string; readonly pointer: string };

/**
 * Scans a result for secrets and applies `action`. A result too long to scan is withheld under
 * `block` and, under `redact`, also withheld: passing it unscanned would let a secret through.
 */
export async function screenResult(result: unknown, action: Exclude<SecretAction, 'off'>, maxScanChars: number): Promise<ResultVerdict> {
  if (typeof result !== 'object' || result === null) return { kind: 'clean' };
  const strings = resultStrings(result, maxScanChars);
  if (!Array.isArray(strings)) return { kind: 'withheld', rule: 'maxScanChars', pointer: strings.tooLong.pointer };
  const findings = await scanSecrets(strings);
  if (findings.length === 0) return { kind: 'clean' };
  if (action === 'block') return { kind: 'withheld', rule: findings[0]!.rule, pointer: findings[0]!.pointer };
  const redacted = redactAll(result, strings, findings) as ToolResult;
  const meta = { ...redacted._meta, [GUARD_META_KEY]: { redacted: findings.map((f) => ({ pointer: f.pointer, rule: f.rule })) } };
  return { kind: 'redacted', result: { ...redacted, _meta: meta }, findings };
}
