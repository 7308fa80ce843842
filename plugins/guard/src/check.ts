import type { Plan } from './compile.js';
import { checkPath } from './paths.js';
import { redact, scanSecrets, type SecretFinding } from './secrets.js';
import { ArgumentScan, type Refusal } from './scan.js';
import { allStrings, valuesAt, type FoundValue, type Target } from './targets.js';
import { checkUrl } from './urls.js';

export { MAX_DEPTH, type Refusal } from './scan.js';

const NONE: readonly SecretFinding[] = Object.freeze([]);

/** The outcome of checking arguments: a refusal, or the arguments to send (redacted when secrets were found). */
export type ArgumentVerdict =
  { readonly refused: Refusal } | { readonly refused?: undefined; readonly args: unknown; readonly redactions: readonly SecretFinding[] };

function gather(args: unknown, targets: readonly Target[]): FoundValue[] {
  const out: FoundValue[] = [];
  for (const t of targets) valuesAt(args, t, out);
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

/** Deny patterns that name their arguments (those over every value run in the scan). */
function checkTargetedDeny(args: unknown, plan: Plan, maxScanChars: number): Refusal | undefined {
  for (const rule of plan.deny) {
    if (!rule.targets) continue;
    const values = gather(args, rule.targets);
    const long = tooLong(values, maxScanChars);
    if (long) return long;
    for (const v of values) if (rule.regex.test(v.value)) return { rule: 'deny', argument: v.pointer, reason: rule.message };
  }
  return undefined;
}

/** The exact JSON size, only when the scan's upper bound says it might be over (serialising costs more than the rest). */
function checkBytes(args: unknown, plan: Plan, bound: number): Refusal | undefined {
  const max = plan.limits?.maxArgumentBytes;
  if (max === undefined || bound <= max) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(args) ?? '', 'utf8');
  return bytes > max ? { rule: 'limits.maxArgumentBytes', argument: '', reason: `are ${bytes} bytes of JSON (at most ${max})` } : undefined;
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
  const scan = new ArgumentScan(plan, maxScanChars).run(args);
  const refused = scan.refused ?? checkBytes(args, plan, scan.bound) ?? checkTargetedDeny(args, plan, maxScanChars);
  if (refused) return { refused };
  const found = { paths: scan.paths, urls: scan.urls };
  if (plan.paths) for (const t of plan.paths.targets) valuesAt(args, t, found.paths);
  if (plan.urls) for (const t of plan.urls.targets) valuesAt(args, t, found.urls);
  if (found.paths.length === 0 && found.urls.length === 0 && plan.secretsInArguments === 'off') return { args, redactions: NONE };
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
  if (plan.secretsInArguments === 'off') return { args, redactions: NONE };
  const strings: FoundValue[] = [];
  allStrings(args, strings);
  const long = tooLong(strings, maxScanChars);
  if (long) return { refused: long };
  const findings = await scanSecrets(strings);
  if (findings.length === 0) return { args, redactions: NONE };
  if (plan.secretsInArguments === 'block') {
    const f = findings[0]!;
    return { refused: { rule: 'secrets', argument: f.pointer, reason: `contains what looks like a secret (${f.rule})` } };
  }
  return { args: redactAll(args, strings, findings), redactions: findings };
}
