import { isToolError } from '@mcp-bridge/core';
import { Counter } from 'prom-client';
import type { MetricsKit } from './kit.js';

const PLUGIN = '@mcp-bridge/plugin-metrics';

/** Label value of calls made without an authenticated principal (anonymous gateway sessions, library calls). */
export const NO_PRINCIPAL = '(none)';
/** Label value of every principal past the first `principals` distinct ones: a label set must stay bounded. */
export const OTHER_PRINCIPALS = '(other)';

type Outcome = 'ok' | 'tool_error' | 'error';

/**
 * `principal_calls_total{principal, outcome}`: calls by authenticated principal (`ctx.principal`,
 * set by the gateway's auth: a JWT subject or a named token). Opt-in (`principals: N`): the first N
 * distinct principals get their own label value, later ones share `(other)`, so a gateway with
 * many users cannot grow the series without bound. Anonymous callers (random per-session handles)
 * are never labelled one by one: they are `(none)`.
 */
export function addPrincipalMetrics(kit: MetricsKit, max: number): void {
  const counts = new Map<string, Record<Outcome, number>>();
  const rowOf = (principal: string | undefined): Record<Outcome, number> => {
    let key = principal ?? NO_PRINCIPAL;
    let row = counts.get(key);
    if (row !== undefined) return row;
    // One slot is kept for `(none)` and one for `(other)`: at most max + 2 label values.
    if (principal !== undefined && counts.size - Number(counts.has(NO_PRINCIPAL)) - Number(counts.has(OTHER_PRINCIPALS)) >= max) {
      key = OTHER_PRINCIPALS;
      row = counts.get(key);
      if (row !== undefined) return row;
    }
    row = { ok: 0, tool_error: 0, error: 0 };
    counts.set(key, row);
    return row;
  };
  kit.api.use({
    name: `${PLUGIN}:principals`,
    phase: 'observe',
    order: 'before',
    async handle(ctx, next) {
      const row = rowOf(ctx.principal?.id);
      let result: unknown;
      try {
        result = await next();
      } catch (error) {
        row.error++;
        throw error;
      }
      if (isToolError(result)) row.tool_error++;
      else row.ok++;
      return result;
    },
  });
  const { prefix: p, registers } = kit;
  kit.make(
    `${p}principal_calls_total`,
    () =>
      new Counter({
        name: `${p}principal_calls_total`,
        help: `Calls through the bridge by authenticated principal and outcome; the first principals get their own label, later ones "${OTHER_PRINCIPALS}", unauthenticated "${NO_PRINCIPAL}".`,
        labelNames: ['principal', 'outcome'] as const,
        registers,
        collect() {
          this.reset();
          for (const [principal, row] of counts) {
            for (const outcome of ['ok', 'tool_error', 'error'] as const) {
              if (row[outcome] > 0) this.inc({ principal, outcome }, row[outcome]);
            }
          }
        },
      }),
  );
}
