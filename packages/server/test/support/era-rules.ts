import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeServerConfig } from '@mcp-bridge/core';
import {
  modernStdioTestServer,
  readFaultLedgerFile,
  startFaultHttpServer,
  startHttpTestServer,
  startModernHttpTestServer,
  stdioFaultServer,
  stdioTestServer,
  testResourceUris,
  type FaultPlan,
  type TestLedger,
} from '@mcp-bridge/testing';
import type { UpstreamKindName } from './era-kinds.js';

/** Upstreams of one kind for the retry, cache and load-balancing rules. */
export interface RulesKind {
  /** `f`: `lookup` (read-only) drops before its first call, `create` (destructive) drops after it; `rep`: two replicas. */
  servers: Record<string, BridgeServerConfig>;
  /** Executions of a key, from the faulty server's execution ledger. */
  executions(key: string): number;
  /** How many times the faulty server applied a fault kind (proof the fault happened). */
  faults(kind: 'drop-before' | 'drop-after'): number;
  /** A resource of the replica group the cache may keep (for a modern upstream, its read carries a ttlMs hint). */
  cacheUri: string;
  /** How many distinct replicas answered, given the texts of `rep_whoami` results. */
  replicasUsed(whoamiTexts: string[]): number;
  /** A 2025-era HTTP replica group: the load balancer keeps a caller on one replica (its session). */
  callerPinned: boolean;
  close(): Promise<void>;
}

const TOOLS = { lookup: { readOnlyHint: true }, create: { destructiveHint: true } };
// The script position lives in the ledger file, so a stdio server respawned after a drop goes on with it.
const TOOL_FAULTS: Record<string, FaultPlan> = { lookup: { script: ['drop-before'] }, create: { script: ['drop-after'] } };
const REPLICA = { name: 'rep', toolPrefix: 'rep_', tools: ['whoami' as const], prompts: false };
// A modern result is cached only with a ttlMs hint (docs/protocol-eras.md, "Cache hints").
const HINTS = { 'resources/read': { ttlMs: 60_000, cacheScope: 'private' as const } };

/** Distinct processes among `whoami` answers (two stdio replicas are two processes). */
const distinctPids = (texts: string[]): number => new Set(texts.map((t) => (JSON.parse(t) as { pid: number }).pid)).size;
/** Replicas in this process whose ledger counts a `rep_whoami` (two HTTP replicas share a pid). */
const ledgersUsed = (ledgers: TestLedger[]): number => ledgers.filter((l) => l.calls('rep_whoami') > 0).length;

/**
 * Starts the rules upstreams of one kind. The legacy test server has no fault knobs: its faulty
 * server is the 2025 fault server (same `lookup`/`create` vocabulary and ledger); the modern test
 * server has them, so there `f` is a modern test server with `lookup` and `create` as extra tools.
 */
export async function startRulesKind(name: UpstreamKindName): Promise<RulesKind> {
  const [era, transport] = name.split(' ') as ['legacy' | 'dual' | 'modern-only', 'stdio' | 'http'];
  const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-era-rules-'));
  const ledgerFile = join(dir, 'faults.json');
  const common = {
    executions: (key: string) => readFaultLedgerFile(ledgerFile).keys[key]?.executions ?? 0,
    faults: (kind: 'drop-before' | 'drop-after') => readFaultLedgerFile(ledgerFile).faults[kind] ?? 0,
    cacheUri: testResourceUris('rep').readme,
  };
  const closers: (() => Promise<void>)[] = [() => Promise.resolve(rmSync(dir, { recursive: true, force: true }))];
  const close = async (): Promise<void> => void (await Promise.allSettled(closers.map((fn) => fn())));
  const faulty = { tools: TOOLS, toolFaults: TOOL_FAULTS, ledgerFile };
  const modernFaulty = {
    name: 'f',
    tools: false,
    resources: false,
    prompts: false,
    extraTools: ['lookup', 'create'],
    annotations: TOOLS,
    toolFaults: TOOL_FAULTS,
    ledgerFile,
  };
  if (transport === 'stdio') {
    const f = era === 'legacy' ? stdioFaultServer(faulty) : modernStdioTestServer({ ...modernFaulty, era });
    const rep = era === 'legacy' ? stdioTestServer(REPLICA) : modernStdioTestServer({ ...REPLICA, era, cacheHints: HINTS });
    return {
      ...common,
      servers: { f: { ...f, trusted: true }, rep: { ...rep, trusted: true, replicas: 2 } },
      replicasUsed: distinctPids,
      callerPinned: false,
      close,
    };
  }
  const f = era === 'legacy' ? await startFaultHttpServer(faulty) : await startModernHttpTestServer({ ...modernFaulty, era });
  closers.push(() => f.close());
  const reps = await Promise.all(
    [1, 2].map(() => (era === 'legacy' ? startHttpTestServer(REPLICA) : startModernHttpTestServer({ ...REPLICA, era, cacheHints: HINTS }))),
  );
  for (const r of reps) closers.push(() => r.close());
  return {
    ...common,
    servers: {
      f: { url: f.url, trusted: true },
      rep: { url: reps[0]!.url, trusted: true, replicas: reps.map((r) => ({ url: r.url })) },
    },
    replicasUsed: () => ledgersUsed(reps.map((r) => r.ledger)),
    callerPinned: era === 'legacy',
    close,
  };
}
