import type { DenyPlan, Plan } from './compile.js';
import { PATH_NAME, pointerOf, URL_NAME, type FoundValue } from './targets.js';

/** Deeper arguments are refused: they cannot be walked safely (core bounds whole requests at 64 too). */
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

/**
 * One depth-first walk over a call's arguments doing every synchronous check at once: size limits,
 * deny patterns over every value, and collecting the values of path-like and URL-like argument
 * names (the `detect` heuristics). Pointers are built only for what is reported, so the common
 * call (small arguments, nothing wrong) allocates almost nothing.
 */
export class ArgumentScan {
  refused: Refusal | undefined;
  /** Values under path-like names (detect), when the plan asks. */
  readonly paths: FoundValue[] = [];
  /** Values under URL-like names (detect), when the plan asks. */
  readonly urls: FoundValue[] = [];
  /** An upper bound of the arguments' JSON bytes: a string code unit is at most 6 bytes (\uXXXX), a number 25. */
  bound = 0;
  readonly #keys: (string | number)[] = [];
  readonly #maxString: number;
  readonly #maxArray: number;
  readonly #deny: readonly DenyPlan[];
  readonly #pathName: RegExp | undefined;
  readonly #urlName: RegExp | undefined;

  constructor(
    plan: Plan,
    readonly maxScanChars: number,
  ) {
    this.#maxString = Math.min(plan.limits?.maxStringLength ?? Infinity, plan.denyEverywhere.length > 0 ? maxScanChars : Infinity);
    this.#maxArray = plan.limits?.maxArrayLength ?? Infinity;
    this.#deny = plan.denyEverywhere;
    this.#pathName = plan.paths?.detect ? PATH_NAME : undefined;
    this.#urlName = plan.urls?.detect ? URL_NAME : undefined;
  }

  /** Walks `value`; afterwards `refused` holds the first refusal, if any. */
  run(value: unknown): this {
    this.#visit(value);
    return this;
  }

  #refuse(rule: string, reason: string): true {
    this.refused = { rule, argument: pointerOf(this.#keys), reason };
    return true;
  }

  #string(value: string): boolean {
    this.bound += 6 * value.length + 4;
    if (value.length > this.#maxString)
      return value.length > this.maxScanChars && this.#deny.length > 0
        ? this.#refuse('maxScanChars', `is ${value.length} characters long, more than can be scanned (${this.maxScanChars})`)
        : this.#refuse('limits.maxStringLength', `is ${value.length} characters long (at most ${this.#maxString})`);
    for (const rule of this.#deny) if (rule.regex.test(value)) return this.#refuse('deny', rule.message);
    return false;
  }

  /** Returns true to stop (a refusal). */
  #visit(value: unknown): boolean {
    if (typeof value === 'string') return this.#string(value);
    this.bound += 26;
    if (typeof value !== 'object' || value === null) return false;
    const keys = this.#keys;
    if (keys.length >= MAX_DEPTH) return this.#refuse('limits.depth', `is nested more than ${MAX_DEPTH} levels deep`);
    if (Array.isArray(value)) {
      if (value.length > this.#maxArray)
        return this.#refuse('limits.maxArrayLength', `has ${value.length} items (at most ${this.#maxArray})`);
      for (let i = 0; i < value.length; i++) {
        keys.push(i);
        const stop = this.#visit(value[i]);
        keys.pop();
        if (stop) return true;
      }
      return false;
    }
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      const child = record[k];
      this.bound += 6 * k.length + 4;
      keys.push(k);
      if (this.#pathName?.test(k)) this.#collect(child, this.paths);
      if (this.#urlName?.test(k)) this.#collect(child, this.urls);
      const stop = this.#visit(child);
      keys.pop();
      if (stop) return true;
    }
    return false;
  }

  #collect(value: unknown, out: FoundValue[]): void {
    if (typeof value === 'string') out.push({ pointer: pointerOf(this.#keys), value });
    else if (Array.isArray(value))
      value.forEach((v, i) => {
        if (typeof v === 'string') out.push({ pointer: `${pointerOf(this.#keys)}/${i}`, value: v });
      });
  }
}
