import type { Plan } from './compile.js';
import { checkPath } from './paths.js';
import { redact, scanSecrets, type SecretFinding } from './secrets.js';
import { allStrings, PATH_NAME, pointerOf, someString, URL_NAME, valuesAt, valuesNamed, type FoundValue } from './targets.js';
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

/** Walks once (depth-first, pointers built only for a refusal): depth, string lengths, array lengths. */
function walk(
  value: unknown,
  keys: (string | number)[],
  maxString: number,
  maxArray: number,
  size: { bound: number },
): Refusal | undefined {
  // An upper bound of the value's JSON bytes: a string code unit is at most 6 bytes (\uXXXX), a number 25.
  size.bound += typeof value === 'string' ? 6 * value.length + 4 : 26;
  if (typeof value === 'string') {
    return value.length > maxString
      ? { rule: 'limits.maxStringLength', argument: pointerOf(keys), reason: `is ${value.length} characters long (at most ${maxString})` }
      : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (keys.length >= MAX_DEPTH)
    return { rule: 'limits.depth', argument: pointerOf(keys), reason: `is nested more than ${MAX_DEPTH} levels deep` };
  if (Array.isArray(value)) {
    if (value.length > maxArray)
      return { rule: 'limits.maxArrayLength', argument: pointerOf(keys), reason: `has ${value.length} items (at most ${maxArray})` };
    for (let i = 0; i < value.length; i++) {
      keys.push(i);
      const r = walk(value[i], keys, maxString, maxArray, size);
      keys.pop();
      if (r) return r;
    }
    return undefined;
  }
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    keys.push(k);
    size.bound += 6 * k.length + 4;
    const r = walk((value as Record<string, unknown>)[k], keys, maxString, maxArray, size);
    keys.pop();
    if (r) return r;
  }
  return undefined;
}

/** The size limits (core already bounds depth and size of whole requests; these are per tool). */
function measure(value: unknown, plan: Plan): Refusal | undefined {
  const limits = plan.limits;
  if (!limits) return undefined;
  const size = { bound: 0 };
  const refused = walk(value, [], limits.maxStringLength ?? Infinity, limits.maxArrayLength ?? Infinity, size);
  if (refused) return refused;
  // Serialising is the exact answer but costs more than the rest of the guard: only when the bound says it might be over.
  if (limits.maxArgumentBytes !== undefined && size.bound > limits.maxArgumentBytes) {
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
    if (rule.targets) {
      const values = gather(args, rule.targets, undefined);
      const long = tooLong(values, maxScanChars);
      if (long) return long;
      for (const v of values) if (rule.regex.test(v.value)) return { rule: 'deny', argument: v.pointer, reason: rule.message };
      continue;
    }
    let refused: Refusal | undefined;
    someString(args, (value, keys) => {
      if (value.length > maxScanChars) refused = tooLong([{ pointer: pointerOf(keys), value }], maxScanChars);
      else if (rule.regex.test(value)) refused = { rule: 'deny', argument: pointerOf(keys), reason: rule.message };
      return refused !== undefined;
    });
    if (refused) return refused;
  }
  return undefined;
}

/** The path and URL values of a call (found synchronously: most calls have none, and then no promise is made). */
function locations(args: unknown, plan: Plan): { paths: FoundValue[]; urls: FoundValue[] } {
  return {
    paths: plan.paths ? gather(args, plan.paths.targets, plan.paths.detect ? PATH_NAME : undefined) : [],
    urls: plan.urls ? gather(args, plan.urls.targets, plan.urls.detect ? URL_NAME : undefined) : [],
  };
}

async function checkLocations(plan: Plan, found: { paths: FoundValue[]; urls: FoundValue[] }): Promise<Refusal | undefined> {
  for (const v of found.paths) {
    const reason = await checkPath(v.value, plan.paths!.roots, plan.paths!.base);
    if (reason !== undefined) return { rule: 'paths', argument: v.pointer, reason: `${JSON.stringify(v.value)} ${reason}` };
  }
  for (const v of found.urls) {
    const reason = await checkUrl(v.value, plan.urls!.policy);
    if (reason !== undefined) return { rule: 'urls', argument: v.pointer, reason: `${JSON.stringify(v.value)} ${reason}` };
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
 * Checks a call's arguments against a plan, cheapest rules first: sizes, deny patterns, paths
 * (file system), URLs (DNS), secrets (secretlint). Returns the first refusal, or the arguments to
 * send (with secrets redacted under `redact`). Synchronous when nothing needs I/O (no path or URL
 * value in this call, no secret scan), so the common call makes no promise.
 */
export function checkArguments(args: unknown, plan: Plan, maxScanChars: number): ArgumentVerdict | Promise<ArgumentVerdict> {
  const refused = measure(args, plan) ?? checkDeny(args, plan, maxScanChars);
  if (refused) return { refused };
  const found = locations(args, plan);
  if (found.paths.length === 0 && found.urls.length === 0 && plan.secretsInArguments === 'off') return { args, redactions: [] };
  return checkSlow(args, plan, found, maxScanChars);
}

async function checkSlow(
  args: unknown,
  plan: Plan,
  found: { paths: FoundValue[]; urls: FoundValue[] },
  maxScanChars: number,
): Promise<ArgumentVerdict> {
  const refused = await checkLocations(plan, found);
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
