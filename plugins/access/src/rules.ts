import picomatch from 'picomatch';
import { hasScopes, type Principal } from '@mcp-bridge/core';
import type { RuleSet, Selector } from './options.js';

/** What a rule is checked against: a tool (upstream name) of a server, with the server's tags. */
export interface Subject {
  readonly server: string;
  /** Upstream tool name; undefined when checking a whole server (prompts, resources). */
  readonly tool: string | undefined;
  readonly tags: readonly string[];
}

/** A compiled selector. `serverWide` when it has no tool part: it then also covers prompts and resources. */
interface Matcher {
  readonly text: string;
  readonly serverWide: boolean;
  matches(subject: Subject): boolean;
}

const glob = (pattern: string): ((value: string) => boolean) => picomatch(pattern, { dot: true });

function compileSelector(selector: Selector): Matcher {
  if (typeof selector === 'string') {
    if (selector.startsWith('tag:')) {
      const tag = selector.slice(4);
      return { text: selector, serverWide: true, matches: (s) => s.tags.includes(tag) };
    }
    const slash = selector.indexOf('/');
    if (slash < 0) {
      const tool = glob(selector);
      return { text: selector, serverWide: false, matches: (s) => s.tool !== undefined && tool(s.tool) };
    }
    return compileSelector({ server: selector.slice(0, slash), tool: selector.slice(slash + 1) });
  }
  const server = selector.server === undefined ? undefined : glob(selector.server);
  // `server/*` selects the whole server, prompts and resources included.
  const wholeServer = selector.tool === undefined || selector.tool === '*' || selector.tool === '**';
  const tool = wholeServer ? undefined : glob(selector.tool!);
  const tags = selector.tags;
  return {
    text: JSON.stringify(selector),
    serverWide: wholeServer,
    matches: (s) =>
      (server === undefined || server(s.server)) &&
      (tool === undefined || (s.tool !== undefined && tool(s.tool))) &&
      (tags === undefined || tags.some((t) => s.tags.includes(t))),
  };
}

/** A verdict: allowed, or denied with the reason (the rule that denied). */
export type Verdict = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: Verdict = { allowed: true };

/** Compiled allow and deny lists. */
export class CompiledRules {
  readonly #allow: readonly Matcher[] | undefined;
  readonly #deny: readonly Matcher[];
  readonly #label: string;

  constructor(rules: RuleSet | undefined, label: string) {
    this.#allow = rules?.allow?.map(compileSelector);
    this.#deny = (rules?.deny ?? []).map(compileSelector);
    this.#label = label;
  }

  /**
   * A tool: denied when a deny rule matches, or when there is an allow list and none matches.
   * A whole server (`tool` undefined): denied only by a server-wide deny rule, since allow lists
   * name tools.
   */
  check(subject: Subject): Verdict {
    for (const rule of this.#deny) {
      if ((subject.tool !== undefined || rule.serverWide) && rule.matches(subject))
        return { allowed: false, reason: `denied by ${this.#label} rule ${rule.text}` };
    }
    if (subject.tool !== undefined && this.#allow && !this.#allow.some((rule) => rule.matches(subject))) {
      return { allowed: false, reason: `not in the ${this.#label} allow list` };
    }
    return ALLOWED;
  }
}

/** Global rules plus per-caller rules, with the caller globs compiled once. */
export class AccessPolicy {
  readonly #global: CompiledRules;
  readonly #callers: readonly { matches: (caller: string) => boolean; rules: CompiledRules }[];
  readonly #anonymous: CompiledRules;
  readonly #scoped: readonly { matcher: Matcher; scopes: readonly string[] }[];
  /** Callers seen so far → the rule sets that apply to them (callers are few; globs are not free). */
  readonly #byCaller = new Map<string, readonly CompiledRules[]>();

  constructor(
    global: RuleSet,
    callers: Record<string, RuleSet>,
    anonymous: RuleSet | undefined,
    requireScopes: Record<string, string[]> = {},
  ) {
    this.#scoped = Object.entries(requireScopes).map(([selector, scopes]) => ({ matcher: compileSelector(selector), scopes }));
    this.#global = new CompiledRules(global, 'global');
    this.#callers = Object.entries(callers).map(([pattern, rules]) => ({
      matches: glob(pattern),
      rules: new CompiledRules(rules, `caller "${pattern}"`),
    }));
    this.#anonymous = new CompiledRules(anonymous, 'anonymous');
  }

  /** The global rules only: what every caller may see (the catalog's lists). */
  global(subject: Subject): Verdict {
    return this.#global.check(subject);
  }

  /** Whether some rule depends on the caller (per-caller, anonymous or scope rules): lists then differ per caller. */
  get perCaller(): boolean {
    return this.#callers.length > 0 || this.#scoped.length > 0;
  }

  /** Global rules, then the rules of this caller (or the anonymous rules), then the scopes its principal must hold. */
  check(subject: Subject, caller: string | undefined, principal?: Principal): Verdict {
    const verdict = this.#global.check(subject);
    if (!verdict.allowed) return verdict;
    for (const rules of this.#rulesOf(caller)) {
      const v = rules.check(subject);
      if (!v.allowed) return v;
    }
    for (const { matcher, scopes } of this.#scoped) {
      if ((subject.tool !== undefined || matcher.serverWide) && matcher.matches(subject) && !hasScopes(principal, scopes))
        return { allowed: false, reason: `requires the scope(s) ${scopes.join(' ')} (rule ${matcher.text})` };
    }
    return ALLOWED;
  }

  #rulesOf(caller: string | undefined): readonly CompiledRules[] {
    if (caller === undefined) return [this.#anonymous];
    let rules = this.#byCaller.get(caller);
    if (!rules) {
      rules = this.#callers.filter((c) => c.matches(caller)).map((c) => c.rules);
      // Bounded: a gateway with a caller per session would otherwise grow this forever.
      if (this.#byCaller.size >= 10_000) this.#byCaller.clear();
      this.#byCaller.set(caller, rules);
    }
    return rules;
  }
}
