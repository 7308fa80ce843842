import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { waitUntil } from '../wait-until.js';
import type { FaultKind } from './fault-kinds.js';

/** What the fault server saw of one logical call (one `key`). */
export interface FaultLedgerEntry {
  /** The tool (or method) the key was used with last. */
  tool: string;
  /** Requests for this key that reached the server, whatever happened to them. */
  received: number;
  /** Times the tool really executed (its side effect happened). */
  executions: number;
  /** `notifications/cancelled` the server received for requests of this key. */
  cancelled: number;
}

/** A JSON copy of a ledger: what `fault_ledger`, the ledger file and `snapshot()` give. */
export interface FaultLedgerSnapshot {
  /** Per logical call key (requests without a `key` are keyed `<tool>`). */
  keys: Record<string, FaultLedgerEntry>;
  /** Per tool (or method), the same counters summed. */
  tools: Record<string, Omit<FaultLedgerEntry, 'tool'>>;
  /** How many times each fault kind was applied. */
  faults: Partial<Record<FaultKind, number>>;
}

/**
 * The fault server's execution ledger: for every logical call (the `key` a test passes in the
 * tool's arguments) how many requests arrived, how many times the tool really executed, and how
 * many cancellations arrived. The zero-duplicate test of a retry policy is
 * `ledger.maxExecutions() <= 1`.
 *
 * @example
 * const fault = inMemoryFaultServer({ faults: { rates: { 'drop-after': 0.2 } } });
 * // ... bridge.callTool('create', { key: 'call-1' }) ...
 * fault.ledger.executions('call-1'); // 0 or 1, never 2
 */
export class FaultLedger {
  #keys = new Map<string, FaultLedgerEntry>();
  #tools = new Map<string, Omit<FaultLedgerEntry, 'tool'>>();
  #faults: Partial<Record<FaultKind, number>> = {};
  readonly #listeners = new Set<() => void>();
  readonly #file: string | undefined;

  /**
   * @param file write the ledger to this file after every change (cross-process reading). An
   * existing ledger in the file is continued: a respawned stdio server keeps counting where the
   * crashed one stopped (and its fault script goes on from there, see `FaultEngine`).
   */
  constructor(file?: string) {
    this.#file = file;
    if (!file) return;
    if (existsSync(file)) {
      const previous = readFaultLedgerFile(file);
      this.#keys = new Map(Object.entries(previous.keys).map(([k, e]) => [k, { ...e }]));
      this.#tools = new Map(Object.entries(previous.tools).map(([k, e]) => [k, { ...e }]));
      this.#faults = { ...previous.faults };
    }
    this.#flush();
  }

  /** Times the tool really executed for `key`. */
  executions(key: string): number {
    return this.#keys.get(key)?.executions ?? 0;
  }

  /** Requests for `key` that reached the server. */
  received(key: string): number {
    return this.#keys.get(key)?.received ?? 0;
  }

  /** Cancellations received for requests of `key`. */
  cancelled(key: string): number {
    return this.#keys.get(key)?.cancelled ?? 0;
  }

  /** The counters of one key, or undefined when nothing arrived for it. */
  entry(key: string): FaultLedgerEntry | undefined {
    const e = this.#keys.get(key);
    return e ? { ...e } : undefined;
  }

  /** Counters summed per tool. */
  tool(tool: string): Omit<FaultLedgerEntry, 'tool'> {
    return { ...(this.#tools.get(tool) ?? { received: 0, executions: 0, cancelled: 0 }) };
  }

  /** Times a fault kind was applied. */
  faults(kind: FaultKind): number {
    return this.#faults[kind] ?? 0;
  }

  /** The most executions any key had, optionally among keys whose tool passes `filter`. */
  maxExecutions(filter?: (tool: string) => boolean): number {
    let max = 0;
    for (const e of this.#keys.values()) if ((!filter || filter(e.tool)) && e.executions > max) max = e.executions;
    return max;
  }

  /** Requests received over every key. */
  get totalReceived(): number {
    let n = 0;
    for (const t of this.#tools.values()) n += t.received;
    return n;
  }

  /** Executions over every key. */
  get totalExecutions(): number {
    let n = 0;
    for (const t of this.#tools.values()) n += t.executions;
    return n;
  }

  /** A JSON copy (also what `JSON.stringify(ledger)` gives). */
  snapshot(): FaultLedgerSnapshot {
    return {
      keys: Object.fromEntries([...this.#keys].map(([k, e]) => [k, { ...e }])),
      tools: Object.fromEntries([...this.#tools].map(([k, e]) => [k, { ...e }])),
      faults: { ...this.#faults },
    };
  }

  toJSON(): FaultLedgerSnapshot {
    return this.snapshot();
  }

  /** Forgets everything. */
  reset(): void {
    this.#keys = new Map();
    this.#tools = new Map();
    this.#faults = {};
    this.#changed();
  }

  /** Resolves once `predicate(this)` holds (checked now and after every change); rejects after `timeoutMs` (default 5000). */
  waitFor(predicate: (ledger: FaultLedger) => boolean, options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 5000;
    return waitUntil(
      this.#listeners,
      () => predicate(this),
      timeoutMs,
      () => `fault ledger condition not met within ${timeoutMs} ms: ${JSON.stringify(this.snapshot().tools)}`,
    );
  }

  /** Records a request that arrived, and the fault applied to it. Used by the fault server. */
  recordReceived(key: string, tool: string, fault: FaultKind): void {
    this.#entry(key, tool).received++;
    this.#toolEntry(tool).received++;
    this.#faults[fault] = (this.#faults[fault] ?? 0) + 1;
    this.#changed();
  }

  /** Records one real execution; returns the key's execution count. Used by the fault server. */
  recordExecution(key: string, tool: string): number {
    const e = this.#entry(key, tool);
    e.executions++;
    this.#toolEntry(tool).executions++;
    this.#changed();
    return e.executions;
  }

  /** Records a cancellation that arrived. Used by the fault server. */
  recordCancelled(key: string, tool: string): void {
    this.#entry(key, tool).cancelled++;
    this.#toolEntry(tool).cancelled++;
    this.#changed();
  }

  #entry(key: string, tool: string): FaultLedgerEntry {
    let e = this.#keys.get(key);
    if (!e) this.#keys.set(key, (e = { tool, received: 0, executions: 0, cancelled: 0 }));
    e.tool = tool;
    return e;
  }

  #toolEntry(tool: string): Omit<FaultLedgerEntry, 'tool'> {
    let t = this.#tools.get(tool);
    if (!t) this.#tools.set(tool, (t = { received: 0, executions: 0, cancelled: 0 }));
    return t;
  }

  #changed(): void {
    if (this.#file) this.#flush();
    if (this.#listeners.size === 0) return;
    for (const listener of [...this.#listeners]) listener();
  }

  #flush(): void {
    // Write-then-rename: a reader never sees half a file, even if the process dies mid-write.
    const tmp = `${this.#file!}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.snapshot()));
    renameSync(tmp, this.#file!);
  }
}

/**
 * Reads a ledger written through the `ledgerFile` option (by a child process, maybe a dead one).
 * @throws Error naming the file when it is missing or not a ledger.
 */
export function readFaultLedgerFile(file: string): FaultLedgerSnapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new Error(`[mcp-bridge] [@mcp-bridge/testing] cannot read the fault ledger file ${file}`, { cause });
  }
  const parsed = JSON.parse(text) as FaultLedgerSnapshot;
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.keys !== 'object') {
    throw new Error(`[mcp-bridge] [@mcp-bridge/testing] ${file} is not a fault ledger`);
  }
  return parsed;
}
