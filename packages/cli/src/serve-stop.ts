import { PassThrough, type Readable } from 'node:stream';
import { signalLiveGroups } from '@mcp-bridge/transports/stdio';

/**
 * How long `serve` gives its orderly shutdown (plugins, sessions, every upstream's stdin EOF →
 * SIGTERM → SIGKILL ladder) before it SIGKILLs the upstream process groups still running: clients
 * kill what they spawn within a few seconds, and the gateway must be gone, children included,
 * within 5 s of a stop.
 */
export const SHUTDOWN_DEADLINE_MS = 3_500;

/** Why `serve` stops: the caller's signal, or the end of stdin (stdio mode). */
export interface ServeStop {
  /** Aborted on SIGINT/SIGTERM (the command's signal) or, over stdio, when stdin ends; also while starting. */
  signal: AbortSignal;
  /** What stopped it, once stopped. */
  reason(): string | undefined;
  /** The stream the stdio gateway must read instead of stdin (nothing read before it is lost). */
  input: Readable | undefined;
  /** Call when the run is over: cancels the shutdown deadline and lets go of stdin. */
  dispose(): void;
}

/**
 * Watches for the end of a `serve` run from its very start. Over stdio, stdin is piped through a
 * PassThrough: its end is seen at once, even while upstreams are still being spawned (a client
 * that gives up on a slow start closes our stdin), and what the client sent meanwhile waits in the
 * PassThrough for the gateway. From the stop on, the orderly shutdown has
 * {@link SHUTDOWN_DEADLINE_MS}; then every upstream process group still running is SIGKILLed.
 */
export function watchServeStop(
  signal: AbortSignal,
  stoppedBy: () => string | undefined,
  stdin: NodeJS.ReadableStream | undefined,
  log: (text: string) => void,
): ServeStop {
  const controller = new AbortController();
  let why: string | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const stop = (reason: string): void => {
    if (controller.signal.aborted) return;
    why = reason;
    deadline = setTimeout(() => {
      const killed = signalLiveGroups('SIGKILL');
      if (killed > 0)
        log(`shutdown took over ${SHUTDOWN_DEADLINE_MS} ms: killed ${killed} upstream process group${killed === 1 ? '' : 's'}`);
    }, SHUTDOWN_DEADLINE_MS);
    controller.abort(new Error(`stopped: ${reason}`));
  };
  const onAbort = (): void => stop(stoppedBy() ?? 'signal');
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const source = stdin as Readable | undefined;
  const pass = source ? new PassThrough() : undefined;
  const ended = (): void => stop('stdin closed');
  if (source && pass) {
    source.pipe(pass);
    source.once('end', ended);
    source.once('close', ended);
    source.on('error', ended); // EIO/EPIPE on a stdin whose writer died: the client is gone
  }
  return {
    signal: controller.signal,
    reason: () => why,
    input: pass,
    dispose: () => {
      clearTimeout(deadline);
      signal.removeEventListener('abort', onAbort);
      if (!source || !pass) return;
      source.off('end', ended).off('close', ended).off('error', ended);
      source.unpipe(pass);
      // A paused stdin no longer keeps the process alive: it exits as soon as the run is over.
      source.pause();
    },
  };
}
