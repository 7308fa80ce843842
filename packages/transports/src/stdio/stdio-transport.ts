import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { deferred, messageOf, within } from './settle.js';
import { LineReader, looksLikeResponse, responseIdOf, type OversizeLine } from './line-reader.js';
import { trackGroup, untrackGroup } from './live-groups.js';
import { reapGroup, signalGroup, waitForProcessExit } from './process-group.js';
import { adoptPrespawned } from './prespawn.js';
import { ByteRing } from './ring-buffer.js';
import { describeSandboxExit, sandboxInitPid, signalInsideSandbox } from './sandbox.js';
import { spawnError, spawnStdioChild } from './spawn-child.js';
import type { StdioServerConfig } from '../types.js';

/** Bytes of stderr kept for `stderrTail()` unless configured otherwise (64 KiB). */
export const DEFAULT_STDERR_BUFFER_BYTES = 64 * 1024;

/** Wait per shutdown step (stdin EOF, then SIGTERM, then SIGKILL) unless configured otherwise. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2_000;

/** Longest stdout line (one JSON-RPC message) accepted unless configured otherwise: 10 MiB, the SDK's own limit. */
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/**
 * A child's stdout ended but the child did not exit within this time: it closed stdout and kept
 * running, which no answer can ever come through again. (Normally 'exit' follows at once.)
 */
const STDOUT_EOF_EXIT_MS = 100;

/**
 * After the child exits, how long to wait for its stdout to be read to the end. Bounded because a
 * grandchild may hold the pipe open; it is killed with the rest of the group anyway.
 */
const STDOUT_DRAIN_MS = 250;

/** Options of `StdioTransport`. */
export type StdioTransportOptions = Pick<
  StdioServerConfig,
  'command' | 'args' | 'env' | 'cwd' | 'stderrBufferBytes' | 'shutdownGraceMs' | 'maxMessageBytes' | 'sandbox'
> & {
  /** Server name used in error messages (default: the command). */
  server?: string;
};

/** How the child ended: `code` for a normal exit, `signal` when it was killed. */
export interface StdioExit {
  /** Exit code, or null when killed by a signal or never started. */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** True when the exit followed a `close()` call; false when the child ended on its own (or was killed from outside). */
  requested: boolean;
  /** Sandboxed only: the signal that ended the server inside the sandbox (bwrap exits with 128 + its number). */
  sandboxSignal?: NodeJS.Signals;
}

/**
 * MCP client transport over a child process's stdin/stdout, implementing the SDK `Transport`.
 *
 * Differs from the SDK's `StdioClientTransport` where a host with many long-lived servers needs it:
 * - the child leads its own process group (POSIX), and shutdown ends the whole group, so wrappers
 *   such as `npx` or `sh -c` leave no grandchildren behind;
 * - stderr is always piped and drained into a bounded ring (`stderrTail()`), so a chatty server
 *   never blocks on a full pipe and its last words are at hand for error messages;
 * - a stdout line that is not JSON-RPC is reported through `onerror` and skipped, not fatal;
 * - `close()` is idempotent and resolves only once the process (and its group) has ended.
 *
 * @example
 * const transport = new StdioTransport({ server: 'fs', command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '.'] });
 * await client.connect(transport);
 * // ...
 * await transport.close();
 */
export class StdioTransport implements Transport {
  /** Called once when the transport is gone: closed, or the child exited. */
  onclose?: Transport['onclose'];
  /** Non-fatal problems: unparseable stdout lines, stream errors. */
  onerror?: Transport['onerror'];
  /** Each JSON-RPC message read from the child's stdout. */
  onmessage?: Transport['onmessage'];

  readonly #options: StdioTransportOptions;
  readonly #label: string;
  readonly #graceMs: number;
  readonly #lines: LineReader;
  readonly #maxMessageBytes: number;
  readonly #stderr: ByteRing;
  readonly #exited = deferred<void>();
  readonly #ioClosed = deferred<void>();
  #child: ChildProcess | undefined;
  /** Sandboxed: the pid of the sandbox's init, once bwrap has told it. */
  #sandboxInit: () => number | undefined = () => undefined;
  #started: Promise<void> | undefined;
  #exit: StdioExit | undefined;
  #finished: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #closeNotified = false;
  /** Set when the connection ended on stdout (EOF, unreadable answer) while the child still ran. */
  #stdoutLost: string | undefined;

  /** Creates the transport; nothing is spawned until `start()` (which `Client.connect` calls). */
  constructor(options: StdioTransportOptions) {
    this.#options = options;
    this.#label = `MCP server "${options.server ?? options.command}"`;
    this.#graceMs = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#stderr = new ByteRing(options.stderrBufferBytes ?? DEFAULT_STDERR_BUFFER_BYTES);
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#lines = new LineReader(this.#maxMessageBytes);
  }

  /** Process id of the child once spawned; on POSIX also the id of its process group. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How the child ended, once it has. */
  get exit(): StdioExit | undefined {
    return this.#exit;
  }

  /** Why the connection ended while the child still ran (`process 123 closed its stdout but is still running`), if it did. */
  get lostReason(): string | undefined {
    return this.#stdoutLost;
  }

  /**
   * Why a sandboxed server ended by itself (`process 123 (sandboxed) died of SIGSEGV inside the
   * sandbox, e.g. at its memoryMb limit`): a limit kills without a word on stderr, so say it here.
   */
  get sandboxExitReason(): string | undefined {
    const exit = this.#exit;
    const pid = this.#child?.pid;
    if (!this.#options.sandbox || !exit || exit.requested || pid === undefined) return undefined;
    return describeSandboxExit(pid, this.#options.sandbox, exit);
  }

  /** The last bytes (at most `stderrBufferBytes`) the child wrote to stderr, as text. */
  stderrTail(): string {
    return this.#stderr.toString();
  }

  /** Spawns the child; resolves once it runs, rejects with a clear error when it cannot start. */
  start(): Promise<void> {
    if (this.#started) return Promise.reject(new Error(`${this.#label}: transport already started`));
    if (this.#closing) return Promise.reject(new Error(`${this.#label}: transport already closed`));
    this.#started = this.#spawn();
    return this.#started;
  }

  #spawn(): Promise<void> {
    const { command, args = [], env, cwd, sandbox } = this.#options;
    // A child the CLI started early for this very command (prespawn.ts) is taken over as it is.
    const adopted = adoptPrespawned({ command, args, env, cwd, sandbox });
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = adopted?.child ?? spawnStdioChild({ command, args, env, cwd, sandbox });
      } catch (error) {
        this.#onExit(null, null);
        reject(spawnError(this.#label, this.#options, error));
        return;
      }
      for (const chunk of adopted?.stderr ?? []) this.#stderr.push(chunk);
      this.#child = child;
      if (sandbox !== undefined) this.#sandboxInit = sandboxInitPid(child);
      // Tracked (and told to the reaper) at once: the 'spawn' event comes a turn later, and a host
      // killed in between would leave a group nobody knows about. A pid means the fork happened.
      // (An adopted child is tracked already.)
      if (child.pid !== undefined && !adopted) trackGroup(child.pid);
      let spawned = adopted?.spawned ?? false;
      if (spawned) resolve();
      else {
        child.once('spawn', () => {
          spawned = true;
          resolve();
        });
      }
      child.on('error', (error) => {
        if (spawned) this.#report(error);
        else {
          if (child.pid !== undefined) untrackGroup(child.pid);
          reject(spawnError(this.#label, this.#options, error));
          this.#onExit(null, null);
        }
      });
      child.once('exit', (code, signal) => this.#onExit(code, signal));
      child.once('close', () => this.#ioClosed.resolve());
      child.stdout!.on('data', (chunk: Buffer) => this.#onStdout(chunk));
      child.stderr!.on('data', (chunk: Buffer) => this.#stderr.push(chunk));
      child.stdout!.on('error', (error) => this.#report(error));
      child.stdout!.once('end', () => this.#onStdoutEnd());
      child.stderr!.on('error', () => {
        // Only ever a broken pipe after the child died; its tail is kept already.
      });
      child.stdin!.on('error', (error: NodeJS.ErrnoException) => {
        // EPIPE means the child is gone or closed stdin; the exit path reports that.
        if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') this.#report(error);
      });
    });
  }

  #report(error: Error): void {
    this.onerror?.(error);
  }

  #onStdout(chunk: Buffer): void {
    if (this.#closeNotified) return;
    this.#lines.push(
      chunk,
      (line) => this.#onLine(line),
      (line) => this.#onOversize(line),
    );
  }

  #onLine(line: string): void {
    if (this.#closeNotified || line.trim() === '') return;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch (error) {
      // Servers that log to stdout are common; one stray line must not cost the session.
      this.#report(new Error(`${this.#label}: skipped a stdout line that is not JSON-RPC: ${messageOf(error)}`, { cause: error }));
      return;
    }
    this.onmessage?.(message);
  }

  /**
   * A message over `maxMessageBytes` was skipped. When it is provably the answer to one of our
   * requests, that request fails now with an error saying so (instead of waiting out its timeout);
   * an answer whose id cannot be read ends the connection, which fails every call in flight at once.
   */
  #onOversize(line: OversizeLine): void {
    if (this.#closeNotified) return;
    const what = `a message of ${line.bytes} bytes exceeds maxMessageBytes (${this.#maxMessageBytes}); raise "maxMessageBytes" in the server's config to accept it`;
    const id = responseIdOf(line);
    this.#report(new Error(`${this.#label}: ${what}; ${id !== undefined ? `failed request ${JSON.stringify(id)}` : 'dropped it'}`));
    if (id !== undefined) {
      this.onmessage?.({
        jsonrpc: '2.0',
        id,
        error: {
          code: ErrorCode.InternalError,
          message: `${this.#label}: answer dropped: ${what}`,
          data: { bytes: line.bytes, maxMessageBytes: this.#maxMessageBytes },
        },
      });
    } else if (looksLikeResponse(line)) {
      this.#lostStdout('sent an answer too large to read whose request cannot be told');
    }
  }

  /** stdout reached its end. Normally the child is exiting; one that keeps running can never answer again. */
  #onStdoutEnd(): void {
    if (this.#exit || this.#closing) return;
    setTimeout(() => {
      if (!this.#exit && !this.#closing) this.#lostStdout('closed its stdout but is still running');
    }, STDOUT_EOF_EXIT_MS).unref();
  }

  /** The connection is over though the child runs: report it, fail what waits (onclose), and end the child. */
  #lostStdout(why: string): void {
    this.#report(new Error(`${this.#label} ${why}; ending it`));
    this.#stdoutLost = `process ${this.#child?.pid ?? '?'} ${why}`;
    this.#notifyClose();
    void this.close();
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exit) return;
    const sandboxSignal = this.#options.sandbox === undefined ? undefined : signalInsideSandbox(code);
    this.#exit = {
      code,
      signal,
      requested: this.#closing !== undefined && this.#stdoutLost === undefined,
      ...(sandboxSignal === undefined ? {} : { sandboxSignal }),
    };
    this.#exited.resolve();
    this.#finished = this.#finish();
  }

  /** After the child exited: read stdout to its end, end leftovers of the group, then report the close. */
  async #finish(): Promise<void> {
    const child = this.#child;
    const pgid = child?.pid;
    const reaping = pgid !== undefined ? reapGroup(pgid, this.#graceMs) : Promise.resolve();
    // The sandbox's processes are outside bwrap's group: ended by bwrap's death, but a moment later.
    const init = this.#sandboxInit();
    const boxed = init !== undefined ? waitForProcessExit(init, 1000) : Promise.resolve(true);
    if (child) {
      await within(this.#ioClosed.promise, STDOUT_DRAIN_MS);
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
      (child.stdio[3] as Readable | null | undefined)?.destroy(); // a sandbox's --info-fd pipe
    }
    this.#lines.clear();
    this.#notifyClose();
    await Promise.all([reaping, boxed]);
    if (pgid !== undefined) untrackGroup(pgid);
    // libuv frees the process handle in the close phase of the loop turn after 'exit'; the check
    // phase of the following turn is past it, so close() leaves no handle behind.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  }

  #notifyClose(): void {
    if (this.#closeNotified) return;
    this.#closeNotified = true;
    this.onclose?.();
  }

  #signal(signal: NodeJS.Signals): void {
    const child = this.#child;
    if (child?.pid === undefined) return;
    if (!signalGroup(child.pid, signal)) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Ends the child: closes its stdin and waits `shutdownGraceMs` for it to exit, then SIGTERMs
   * its whole process group, then SIGKILLs it after another grace. Idempotent; resolves (never
   * rejects) once the child and what is left of its group have ended.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (this.#started) await this.#started.catch(() => undefined);
    const child = this.#child;
    if (!child || child.pid === undefined) {
      // Never started, or failed to spawn: nothing runs, but the contract still wants onclose.
      await this.#finished;
      this.#notifyClose();
      return;
    }
    if (!this.#exit) {
      try {
        child.stdin?.end();
      } catch {
        // stdin already broken: the signals below still work
      }
      if (!(await within(this.#exited.promise, this.#graceMs))) {
        this.#signal('SIGTERM');
        if (!(await within(this.#exited.promise, this.#graceMs))) {
          this.#signal('SIGKILL');
          await this.#exited.promise;
        }
      }
    }
    await this.#finished;
  }

  /** Writes one message to the child's stdin, waiting for the pipe to drain when it is full. */
  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#exit || this.#closing || !stdin.writable) {
      // Nothing was written: the code tells core so (`data.sent: false`), and a retry may resend any call.
      throw Object.assign(new Error(`${this.#label}: not connected`), { code: 'ERR_NOT_CONNECTED' });
    }
    if (stdin.write(serializeMessage(message))) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        stdin.off('drain', onDrain);
        stdin.off('close', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = (): void => settle();
      const onClose = (): void => settle(new Error(`${this.#label}: stdin closed before the message was written`));
      stdin.once('drain', onDrain);
      stdin.once('close', onClose);
    });
  }
}
