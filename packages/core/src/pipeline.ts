import { PHASES } from './types.js';
import type { CallContext, McpMethod, Middleware, ToolEntry } from './types.js';

/** One compiled step of the pipeline. */
export type Step = (ctx: CallContext) => Promise<unknown>;

/** A middleware as registered, with the position of its plugin for stable ordering. */
export interface RegisteredMiddleware {
  readonly middleware: Middleware;
  readonly plugin: string;
  /** Registration sequence across all plugins (plugin setup order, then call order). */
  readonly seq: number;
}

/** The core steps the pipeline is built around. */
export interface CoreSteps {
  /** Chooses `ctx.upstream` for the attempt (throws when none can take it). */
  pick(ctx: CallContext): void;
  /** Sends the request on the chosen upstream. */
  send: Step;
}

const ORDER_RANK = { before: 0, undefined: 1, after: 2 } as const;
const phaseRank = new Map(PHASES.map((p, i) => [p, i]));
const ROUTE = phaseRank.get('route')!;
const UPSTREAM = phaseRank.get('upstream')!;

/**
 * Compiles the pipeline of one method into nested steps, once, at start:
 * `observe → policy → validate → cache → retry → [attempt] route → [pick] upstream → send`.
 * Entering the route phase begins a new attempt (`ctx.attempt++`, `ctx.upstream` cleared), so a
 * retry that calls `next()` again gets a fresh pick. With no middleware the result is a single step.
 */
export function compileMethod(method: McpMethod, registered: readonly RegisteredMiddleware[], core: CoreSteps): Step {
  const chain = registered
    // A tool filter only makes sense for tools/call, so it implies that method.
    .filter(
      (r) =>
        (!r.middleware.methods || r.middleware.methods.includes(method)) && (r.middleware.tools === undefined || method === 'tools/call'),
    )
    .sort(
      (a, b) =>
        phaseRank.get(a.middleware.phase)! - phaseRank.get(b.middleware.phase)! ||
        ORDER_RANK[`${a.middleware.order}`] - ORDER_RANK[`${b.middleware.order}`] ||
        a.seq - b.seq,
    );
  const rank = (r: RegisteredMiddleware): number => phaseRank.get(r.middleware.phase)!;
  const outer = chain.filter((r) => rank(r) < ROUTE);
  const route = chain.filter((r) => rank(r) === ROUTE);
  const upstream = chain.filter((r) => rank(r) === UPSTREAM);

  const afterPick = wrapAll(upstream, core.send, method);
  let attempt: Step;
  if (route.length === 0) {
    attempt = (ctx) => {
      ctx.attempt++;
      ctx.upstream = undefined;
      try {
        core.pick(ctx);
      } catch (error) {
        return Promise.reject(error);
      }
      return afterPick(ctx);
    };
  } else {
    const routed = wrapAll(
      route,
      (ctx) => {
        try {
          if (ctx.upstream === undefined) core.pick(ctx);
        } catch (error) {
          return Promise.reject(error);
        }
        return afterPick(ctx);
      },
      method,
    );
    attempt = (ctx) => {
      ctx.attempt++;
      ctx.upstream = undefined;
      // A pinned call (a probe) enters `route` with its replica chosen: nothing there re-routes or hedges it.
      if (ctx.pin !== undefined) {
        try {
          core.pick(ctx);
        } catch (error) {
          return Promise.reject(error);
        }
      }
      return routed(ctx);
    };
  }
  return wrapAll(outer, attempt, method);
}

function wrapAll(list: readonly RegisteredMiddleware[], inner: Step, method: McpMethod): Step {
  let step = inner;
  for (let i = list.length - 1; i >= 0; i--) step = wrapOne(list[i]!.middleware, step, method);
  return step;
}

function wrapOne(mw: Middleware, next: Step, method: McpMethod): Step {
  const handle = mw.handle.bind(mw);
  // `next` always returns a promise, even when the step below throws synchronously, so a
  // middleware's `next().finally(...)` always runs.
  const safeNext = (ctx: CallContext): Promise<unknown> => {
    try {
      return next(ctx);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const filter = method === 'tools/call' ? toolFilter(mw.tools) : undefined;
  if (!filter) return (ctx) => handle(ctx, (derived) => safeNext(derived ?? ctx));
  return (ctx) => (ctx.tool && filter(ctx.tool) ? handle(ctx, (derived) => safeNext(derived ?? ctx)) : next(ctx));
}

function toolFilter(tools: Middleware['tools']): ((tool: ToolEntry) => boolean) | undefined {
  if (tools === undefined) return undefined;
  if (typeof tools === 'function') return tools;
  const names = new Set(tools);
  return (tool) => names.has(tool.name);
}
