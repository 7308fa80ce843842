import path from 'node:path';
import type { ToolEntry } from '@mcp-bridge/core';
import { isSafePattern } from 'redos-detector';
import type { ResolvedGuardOptions, RuleSet, SecretAction } from './options.js';
import { expandHome, resolveRoots } from './paths.js';
import { compileTarget, type Target } from './targets.js';
import { compileUrlPolicy, type UrlPolicy } from './urls.js';

/** Compiled path rules. */
export interface PathPlan {
  readonly targets: readonly Target[];
  readonly detect: boolean;
  readonly roots: readonly string[];
  readonly base: string | undefined;
}

/** Compiled URL rules. */
export interface UrlPlan {
  readonly targets: readonly Target[];
  readonly detect: boolean;
  readonly policy: UrlPolicy;
}

/** A compiled deny pattern. */
export interface DenyPlan {
  readonly regex: RegExp;
  /** Undefined: every string value. */
  readonly targets: readonly Target[] | undefined;
  readonly message: string;
}

/** The compiled sections of one rule set (absent sections fall through to the next scope). */
export interface Sections {
  readonly paths?: PathPlan | undefined;
  readonly urls?: UrlPlan | undefined;
  readonly limits?: RuleSet['limits'];
  readonly deny?: readonly DenyPlan[] | undefined;
  readonly secrets?: { readonly arguments: SecretAction; readonly results: SecretAction } | undefined;
}

/** What applies to one tool: every section resolved (tool over server over defaults). */
export interface Plan {
  readonly paths: PathPlan | undefined;
  readonly urls: UrlPlan | undefined;
  readonly limits: RuleSet['limits'];
  readonly deny: readonly DenyPlan[];
  /** The deny patterns over every value (run in the one walk of the arguments). */
  readonly denyEverywhere: readonly DenyPlan[];
  readonly secretsInArguments: SecretAction;
  readonly secretsInResults: SecretAction;
  /** False when nothing in the arguments is checked (the request path skips the walk). */
  readonly checksArguments: boolean;
}

/** A bad rule: the message names the option path (`tools.read_file.deny[0].pattern: ...`). */
export class RuleError extends Error {}

function targets(specs: readonly string[], field: string): Target[] {
  return specs.map((spec, i) => {
    try {
      return compileTarget(spec);
    } catch (error) {
      throw new RuleError(`${field}[${i}]: ${(error as Error).message}`);
    }
  });
}

/**
 * redos-detector cannot combine case-insensitivity with unicode mode: such a pattern is analysed
 * without the `u` flag when it parses that way, else without `i` (case folding adds alternatives
 * of one character, which does not change whether repetitions nest or overlap).
 */
function analyse(regex: RegExp, pattern: string, field: string, timeout: number): ReturnType<typeof isSafePattern> {
  const config = { timeout, maxSteps: 20_000, dotAll: regex.dotAll, multiLine: regex.multiline };
  try {
    if (!regex.ignoreCase) return isSafePattern(pattern, { ...config, unicode: true });
    try {
      return isSafePattern(pattern, { ...config, caseInsensitive: true, unicode: false });
    } catch {
      return isSafePattern(pattern, { ...config, unicode: true });
    }
  } catch (error) {
    throw new RuleError(`${field}.pattern: /${pattern}/ could not be analysed for ReDoS: ${(error as Error).message}`, { cause: error });
  }
}

function compileDeny(rule: NonNullable<RuleSet['deny']>[number], field: string, patternCheckMs: number): DenyPlan {
  let regex: RegExp;
  try {
    regex = new RegExp(rule.pattern, `${rule.flags}u`);
  } catch (error) {
    throw new RuleError(`${field}.pattern: invalid regular expression: ${(error as Error).message}`);
  }
  // JavaScript regexes backtrack and cannot be interrupted: only patterns proven linear-ish run on arguments.
  const safe = analyse(regex, rule.pattern, field, patternCheckMs);
  if (!safe.safe)
    throw new RuleError(
      safe.error === 'hitMaxScore'
        ? `${field}.pattern: /${rule.pattern}/ can backtrack catastrophically (ReDoS); rewrite it without unbounded repetition that can overlap what surrounds it (e.g. \\s{1,8} instead of \\s+)`
        : `${field}.pattern: /${rule.pattern}/ could not be proven free of catastrophic backtracking (ReDoS) within the analysis budget (${patternCheckMs} ms, 20000 steps): simplify it or raise patternCheckMs`,
    );
  return {
    regex,
    targets: rule.arguments ? targets(rule.arguments, `${field}.arguments`) : undefined,
    message: rule.message ?? `matches the deny pattern /${rule.pattern}/${rule.flags}`,
  };
}

/** Compiles one scope's rule set; throws a {@link RuleError} naming `field` and the rule. */
export function compileSections(rules: RuleSet, field: string, patternCheckMs: number): Sections {
  const prefix = field ? `${field}.` : '';
  let paths: PathPlan | undefined;
  if (rules.paths) {
    const base = rules.paths.base === undefined ? undefined : expandHome(rules.paths.base);
    if (base !== undefined && !path.isAbsolute(base))
      throw new RuleError(`${prefix}paths.base: "${rules.paths.base}" must be an absolute path`);
    let roots: string[];
    try {
      roots = resolveRoots(rules.paths.roots, `${prefix}paths.roots`);
    } catch (error) {
      throw new RuleError((error as Error).message, { cause: error });
    }
    if (rules.paths.arguments.length === 0 && !rules.paths.detect)
      throw new RuleError(`${prefix}paths: name the path arguments ("arguments": ["path", "/nested/path"]) or set "detect": true`);
    paths = { targets: targets(rules.paths.arguments, `${prefix}paths.arguments`), detect: rules.paths.detect, roots, base };
  }
  let urls: UrlPlan | undefined;
  if (rules.urls) {
    if (rules.urls.arguments.length === 0 && !rules.urls.detect)
      throw new RuleError(`${prefix}urls: name the URL arguments ("arguments": ["url"]) or set "detect": true`);
    for (const [i, h] of (rules.urls.hosts ?? []).entries())
      if (!/^(\*\.)?[a-z0-9.:[\]-]+$/i.test(h)) throw new RuleError(`${prefix}urls.hosts[${i}]: "${h}" is not a host name or "*.domain"`);
    urls = {
      targets: targets(rules.urls.arguments, `${prefix}urls.arguments`),
      detect: rules.urls.detect,
      policy: compileUrlPolicy(rules.urls),
    };
  }
  return {
    paths,
    urls,
    limits: rules.limits,
    deny: rules.deny?.map((d, i) => compileDeny(d, `${prefix}deny[${i}]`, patternCheckMs)),
    secrets: rules.secrets,
  };
}

/** Every scope compiled at start, so a bad rule fails `start()` and calls only merge. */
export class Rules {
  readonly #defaults: Sections;
  readonly #servers = new Map<string, Sections | false>();
  readonly #tools = new Map<string, Sections | false>();
  readonly #plans = new Map<string, Plan | undefined>();
  #byEntry = new WeakMap<ToolEntry, Plan | undefined>();

  constructor(opts: ResolvedGuardOptions) {
    this.#defaults = compileSections(opts, '', opts.patternCheckMs);
    for (const [name, rules] of Object.entries(opts.servers))
      this.#servers.set(name, rules === false ? false : compileSections(rules, `servers[${JSON.stringify(name)}]`, opts.patternCheckMs));
    for (const [name, rules] of Object.entries(opts.tools))
      this.#tools.set(name, rules === false ? false : compileSections(rules, `tools[${JSON.stringify(name)}]`, opts.patternCheckMs));
  }

  /** The plan of a catalog entry, kept on the entry (a new catalog version brings new entries). */
  planOf(entry: ToolEntry): Plan | undefined {
    let plan = this.#byEntry.get(entry);
    if (plan === undefined && !this.#byEntry.has(entry)) {
      plan = this.plan(entry.server, entry.name);
      this.#byEntry.set(entry, plan);
    }
    return plan;
  }

  /** The plan of a tool (exposed name) of a server; undefined when the guard is off for it or has nothing to do. */
  plan(server: string, tool: string): Plan | undefined {
    const key = `${server}\u0000${tool}`;
    if (this.#plans.has(key)) return this.#plans.get(key);
    const plan = this.#build(server, tool);
    this.#plans.set(key, plan);
    return plan;
  }

  /** Forgets plans (the catalog changed: names may now mean other tools). */
  clear(): void {
    this.#plans.clear();
    this.#byEntry = new WeakMap();
  }

  #build(server: string, tool: string): Plan | undefined {
    const t = this.#tools.get(tool);
    const s = this.#servers.get(server);
    if (t === false || (s === false && t === undefined)) return undefined;
    // A server turned off drops the defaults too; its tools' own entries still apply.
    const scopes = (s === false ? [t] : [t, s, this.#defaults]).filter((x): x is Sections => x !== undefined);
    const pick = <K extends keyof Sections>(k: K): Sections[K] => scopes.find((x) => x[k] !== undefined)?.[k];
    const limits = pick('limits');
    const deny = pick('deny') ?? [];
    const secrets = pick('secrets');
    const plan: Plan = {
      paths: pick('paths'),
      urls: pick('urls'),
      limits,
      deny,
      denyEverywhere: deny.filter((d) => d.targets === undefined),
      secretsInArguments: secrets?.arguments ?? 'off',
      secretsInResults: secrets?.results ?? 'off',
      checksArguments: false,
    };
    const checksArguments = !!(plan.paths || plan.urls || limits || deny.length > 0 || plan.secretsInArguments !== 'off');
    if (!checksArguments && plan.secretsInResults === 'off') return undefined;
    return { ...plan, checksArguments };
  }
}
