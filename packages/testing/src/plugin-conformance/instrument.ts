import type { ConformanceCallContext, ConformanceMiddleware, ConformancePlugin } from './types.js';

/**
 * What the instrumented middleware of one bridge saw: handles still running, `next()` calls made
 * after the middleware had settled, and errors that were neither branded nor passed through.
 */
export class MiddlewareMonitor {
  /** Middleware invocations that have not settled yet. */
  inFlight = 0;
  /** Middleware the plugin registered (names). */
  readonly registered: string[] = [];
  readonly lateNext: string[] = [];
  readonly badErrors: string[] = [];
  /** Errors `next()` rejected with: a middleware may rethrow them as they are. */
  readonly #fromNext = new Set<unknown>();
  /**
   * Unsettled invocations per call (`ctx.id`): a plugin's own background calls (health probes, cache
   * refreshes) may rightly still run when a call the suite made has settled; only that call's count.
   */
  readonly #perCall = new Map<unknown, number>();
  /** The call (`ctx.id`) each caller signal started, as the outermost middleware saw it. */
  readonly #callOf = new WeakMap<AbortSignal, unknown>();

  constructor(private readonly isBranded: (value: unknown) => boolean) {}

  /**
   * A plugin the suite puts first on each bridge: its outermost middleware notes which call each
   * caller's signal started, before any plugin could derive another signal.
   */
  tagger(): ConformancePlugin {
    const callOf = this.#callOf;
    return {
      name: '@mcp-bridge/testing/conformance-tagger',
      version: '0.0.0',
      setup(api: never): void {
        (api as { use(mw: ConformanceMiddleware & { order?: string }): void }).use({
          name: '@mcp-bridge/testing/conformance-tagger',
          phase: 'observe',
          order: 'before',
          handle: (ctx, next) => {
            if (ctx.signal !== undefined && !callOf.has(ctx.signal)) callOf.set(ctx.signal, ctx.id);
            return next();
          },
        });
      },
    };
  }

  /**
   * Unsettled invocations of the call made with `signal`: 0 when that call never reached a
   * middleware (core refused it first). Every invocation when the core gives calls no `id`.
   */
  inFlightOf(signal: AbortSignal): number {
    if (!this.#callOf.has(signal)) return 0;
    return this.#perCall.get(this.#callOf.get(signal)) ?? 0;
  }

  /** Wraps a plugin so every middleware it registers reports to this monitor. */
  wrap(plugin: ConformancePlugin): ConformancePlugin {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const monitor = this;
    const setup = plugin.setup.bind(plugin) as (api: unknown) => unknown;
    return {
      ...plugin,
      setup(api: never): unknown {
        const proxy = new Proxy(api, {
          get(target, key, receiver) {
            const value: unknown = Reflect.get(target, key, receiver);
            if (key !== 'use' || typeof value !== 'function') return value;
            return (mw: ConformanceMiddleware) =>
              (value as (m: unknown) => unknown).call(target, monitor.#wrapMiddleware(mw, String(Reflect.get(target, 'plugin'))));
          },
        });
        return setup(proxy);
      },
    };
  }

  #wrapMiddleware(mw: ConformanceMiddleware, plugin: string): ConformanceMiddleware {
    // Hand core whatever the plugin gave (core validates it); only a real handle gets wrapped.
    if (!mw || typeof mw.handle !== 'function') return mw;
    const label = `middleware "${mw.name ?? plugin}" (phase ${String(mw.phase)})`;
    this.registered.push(label);
    const handle = mw.handle.bind(mw);
    return {
      ...mw,
      handle: (ctx, next) => {
        let settled = false;
        this.inFlight++;
        const call = ctx.id;
        this.#perCall.set(call, (this.#perCall.get(call) ?? 0) + 1);
        const done = (): void => {
          settled = true;
          this.inFlight--;
          const left = (this.#perCall.get(call) ?? 1) - 1;
          if (left > 0) this.#perCall.set(call, left);
          else this.#perCall.delete(call);
        };
        const watchedNext = (derived?: ConformanceCallContext): Promise<unknown> => {
          if (settled) this.lateNext.push(`${label} called next() after it settled (${ctx.method})`);
          const pending = next(derived);
          // Remember what next() failed with, without handling the plugin's promise for it.
          pending.then(undefined, (error: unknown) => void this.#fromNext.add(error));
          return pending;
        };
        let result: Promise<unknown>;
        try {
          result = Promise.resolve(handle(ctx, watchedNext));
        } catch (error) {
          result = Promise.reject(error);
        }
        return result.then(
          (value) => {
            done();
            return value;
          },
          (error: unknown) => {
            done();
            if (!this.isBranded(error) && !this.#fromNext.has(error) && error !== ctx.signal?.reason) {
              this.badErrors.push(
                `${label} rejected ${ctx.method} with ${describeError(error)}: not a BridgeError, nor an error it got from next()`,
              );
            }
            throw error;
          },
        );
      },
    };
  }
}

/** `TypeError: boom`, or the type of a thrown non-error. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 200)}`;
  return `a thrown ${error === null ? 'null' : typeof error} (${String(error).slice(0, 80)})`;
}
