/** One session in a {@link PoolSnapshot}. */
export interface PoolSessionSnapshot {
  /** Pool-unique session number. */
  id: number;
  /** `connecting`, `ready`, or `draining` (past its lifetime, finishing its calls). */
  state: 'connecting' | 'ready' | 'draining';
  /** Process id (stdio). */
  pid?: number;
  /** Calls running on it. */
  inFlight: number;
  /** Time since it became ready (0 while connecting), ms. */
  ageMs: number;
  /** Time since its last call ended (or it became ready), ms. */
  idleMs: number;
}

/** Pool state of one upstream. */
export interface PoolUpstreamSnapshot {
  server: string;
  upstream: string;
  kind: string;
  sessions: PoolSessionSnapshot[];
  /** Calls holding a bulkhead slot (running, or waiting for a session to connect). */
  running: number;
  /** Calls waiting for a bulkhead slot. */
  pending: number;
  maxConcurrent: number;
  maxPending: number;
  /** Sessions opened to replace one that crashed or failed, since start. */
  restarts: number;
  /** Failed starts (or early deaths) in a row. */
  failures: number;
  /** True once `failures` reached the crash-loop threshold (until a session lives `minUptimeMs`). */
  crashLoop: boolean;
  /** Time until a new session may be started (0: now), ms. */
  nextStartInMs: number;
  lastError?: string;
}

/** `bridge.pool()`: the pool state per upstream id. */
export type PoolSnapshot = Record<string, PoolUpstreamSnapshot>;
