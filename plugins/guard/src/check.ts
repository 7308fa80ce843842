import type { Plan } from './compile.js';
import { checkPath } from './paths.js';
import { redact, scanSecrets, type SecretFinding } from './secrets.js';
import { allStrings, PATH_NAME, URL_NAME, valuesAt, valuesNamed, type FoundValue } from './targets.js';
import { checkUrl } from './urls.js';

/** Deeper arguments are refused: they cannot be walked safely (and no tool schema needs them). */
export const MAX_DEPTH = 64;

/** Why a call is refused: the rule, the argument (JSON pointer) and the reason, for the model. */
export interface Refusal {
  /** `paths`, `urls`, `limits.maxStringLength`, `limits.maxArgumentBytes`, `limits.maxArrayLength`, `limits.depth`, `deny`, `secrets`, `maxScanChars`. */
  readonly rule: string;
  /** JSON pointer of the offending value (`''`: the arguments as a whole). */
  readonly argument: string;
  /** What is wrong with it. */
  readonly reason: string;
}

/** The outcome of checking arguments: a refusal, or the arguments to send (redacted when secrets were found). */
export type ArgumentVerdict =
  { readonly refused: Refusal } | { readonly refused?: undefined; readonly args: unknown; readonly redactions: readonly SecretFinding[] };

/** Walks once: the deepest level, the longest string and the longest array. */
function measure(value: unknown, plan: Plan): Refusal | undefined {
  const limits = plan.limits;
  const maxString = limits?.maxStringLength ?? Infinity;
  const maxArray = limits?.maxArrayLength ?? Infinity;
  let level: { v: unknown; p: string }[] = [{ v: value, p: '' }];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_DEPTH) return { rule: 'limits.depth', argument: level[0]!.p, reason: `is nested more than ${MAX_DEPTH} levels deep` };
    const next: { v: unknown; p: string }[] = [];
    for (const { v, p } of level) {
      if (typeof v === 'string') {
        if (v.length > maxString)
          return { rule: 'limits.maxStringLength', argument: p, reason: `is ${v.length} characters long (at most ${maxString})` };
      } else if (Array.isArray(v)) {
        if (v.length > maxArray)
          return { rule: 'limits.maxArrayLength', argument: p, reason: `has ${v.length} items (at most ${maxArray})` };
        for (let i = 0; i < v.length; i++) next.push({ v: v[i], p: `${p}/${i}` });
      } else if (typeof v === 'object' && v !== null) {
        for (const [k, c] of Object.entries(v)) next.push({ v: c, p: `${p}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}` });
      }
    }
    level = next;
  }
  if (limits?.maxArgumentBytes !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
    if (bytes > limits.maxArgumentBytes)
      return { rule: 'limits.maxArgumentBytes', argument: '', reason: `are ${bytes} bytes of JSON (at most ${limits.maxArgumentBytes})` };
  }
  return undefined;
}

function gather(args: unknown, targets: Plan['deny'][number]['targets'], detect: RegExp | undefined): FoundValue[] {
  const out: FoundValue[] = [];
  if (targets === undefined) allStrings(args, out);
  else for (const t of targets) valuesAt(args, t, out);
  if (detect) valuesNamed(args, detect, out);
  return out;
}

function tooLong(values: readonly FoundValue[], maxScanChars: number): Refusal | undefined {
  const long = values.find((v) => v.value.length > maxScanChars);
  return (
    long && {
      rule: 'maxScanChars',
      argument: long.pointer,
      reason: `is ${long.value.length} characters long, more than can be scanned (${maxScanChars})`,
    }
  );
}

function checkDeny(args: unknown, plan: Plan, maxScanChars: number): Refusal | undefined {
  for (const rule of plan.deny) {
    const values = gather(args, rule.targets, undefined);
    const long = tooLong(values, maxScanChars);
    if (long) return long;
    for (const v of values) if (rule.regex.test(v.value)) return { rule: 'deny', argument: v.pointer, reason: rule.message };
  }
  return undefined;
}

async function checkLocations(args: unknown, plan: Plan): Promise<Refusal | undefined> {
  if (plan.paths) {
    const { roots, base } = plan.paths;
    for (const v of gather(args, plan.paths.targets, plan.paths.detect ? PATH_NAME : undefined)) {
      const reason = await checkPath(v.value, roots, base);
      if (reason !== undefined) return { rule: 'paths', argument: v.pointer, reason: `${JSON.stringify(v.value)} ${reason}` };
    }
  }
  if (plan.urls) {
    for (const v of gather(args, plan.urls.targets, plan.urls.detect ? URL_NAME : undefined)) {
      const reason = await checkUrl(v.value, plan.urls.policy);
      if (reason !== undefined) return { rule: 'urls', argument: v.pointer, reason: `${JSON.stringify(v.value)} ${reason}` };
    }
  }
  return undefined;
}

/** Sets `value` at `pointer` in a copy-on-write clone of `root` (only the path to it is copied). */
function replaceAt(root: unknown, pointer: string, value: string): unknown {
  if (pointer === '') return value;
  const [head, ...rest] = pointer.slice(1).split('/');
  const key = head!.replace(/~1/g, '/').replace(/~0/g, '~');
  const tail = rest.length === 0 ? '' : `/${rest.join('/')}`;
  if (Array.isArray(root)) {
    const copy = [...(root as unknown[])];
    copy[Number(key)] = replaceAt(copy[Number(key)], tail, value);
    return copy;
  }
  const obj = root as Record<string, unknown>;
  return { ...obj, [key]: replaceAt(obj[key], tail, value) };
}

/** `value` with every finding redacted in place (copy-on-write: the caller's object is never changed). */
export function redactAll(value: unknown, strings: readonly FoundValue[], findings: readonly SecretFinding[]): unknown {
  let out = value;
  const byPointer = new Map<string, SecretFinding[]>();
  for (const f of findings) byPointer.set(f.pointer, [...(byPointer.get(f.pointer) ?? []), f]);
  for (const s of strings) {
    const found = byPointer.get(s.pointer);
    if (found) out = replaceAt(out, s.pointer, redact(s.value, found));
  }
  return out;
}

/**
 * Checks a call's arguments against a plan, cheapest rules first: sizes (and depth), deny
 * patterns, paths (file system), URLs (DNS), secrets (secretlint). Returns the first refusal, or
 * the arguments to send (with secrets redacted under `redact`).
 */
export async function checkArguments(args: unknown, plan: Plan, maxScanChars: number): Promise<ArgumentVerdict> {
  const refused = measure(args, plan) ?? checkDeny(args, plan, maxScanChars) ?? (await checkLocations(args, plan));
  if (refused) return { refused };
  if (plan.secretsInArguments === 'off') return { args, redactions: [] };
  const strings: FoundValue[] = [];
  allStrings(args, strings);
  const long = tooLong(strings, maxScanChars);
  if (long) return { refused: long };
  const findings = await scanSecrets(strings);
  if (findings.length === 0) return { args, redactions: [] };
  if (plan.secretsInArguments === 'block') {
    const f = findings[0]!;
    return { refused: { rule: 'secrets', argument: f.pointer, reason: `contains what looks like a secret (${f.rule})` } };
  }
  return { args: redactAll(args, strings, findings), redactions: findings };
}
