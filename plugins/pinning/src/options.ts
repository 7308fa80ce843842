import type { Keyv } from 'keyv';
import { z } from 'zod';

/** What happens to a changed (or new) definition: see the README. */
export const POLICIES = ['warn', 'hide', 'block'] as const;
/** What happens to a changed definition. */
export type DriftPolicy = (typeof POLICIES)[number];

const isKeyv = (value: unknown): value is Keyv =>
  typeof value === 'object' && value !== null && typeof (value as Keyv).get === 'function' && typeof (value as Keyv).set === 'function';

/** Options schema of {@link pinning}. */
export const pinningOptionsSchema = z
  .strictObject({
    /** A changed definition of a pinned tool, prompt or template: `warn`, `hide` or `block`. Default `block`. */
    onChange: z.enum(POLICIES).default('block'),
    /** A tool, prompt or template new to a server already pinned: `accept` (pin it silently), `warn`, `hide` or `block`. Default `warn`. */
    onNew: z.enum(['accept', ...POLICIES]).default('warn'),
    /** The pin file (JSON). Default: {@link defaultPinFile}. Ignored when `redis` or `keyv` is given. */
    file: z.string().min(1).optional(),
    /** Share pins between gateways in Redis: its URL (`redis://127.0.0.1:6379`). Needs `@keyv/redis` installed. */
    redis: z.string().url().optional(),
    /** Any keyv instance to keep pins in (programmatic use; a config file uses `redis`). */
    keyv: z.custom<Keyv>(isKeyv, 'expected a Keyv instance').optional(),
    /** Key prefix in `redis`/`keyv`. Default `mcp-bridge:pins:`. */
    prefix: z.string().default('mcp-bridge:pins:'),
    /** Also pin prompts and resource templates (tools always). Default true. */
    prompts: z.boolean().default(true),
    templates: z.boolean().default(true),
    /** Pin definitions on first use (and under `onNew: 'accept'`); false only checks against the pins (what `mcp-bridge pins list` and `diff` do). Default true. */
    record: z.boolean().default(true),
    /** Print drift warnings on stderr (besides the `pinning:*` events). Default true. */
    log: z.boolean().default(true),
  })
  .refine((o) => !(o.redis !== undefined && o.keyv !== undefined), { message: 'give either `redis` or `keyv`, not both', path: ['redis'] });

/** Options of {@link pinning}. */
export type PinningOptions = z.input<typeof pinningOptionsSchema>;
/** Options after parsing. */
export type ResolvedPinningOptions = z.output<typeof pinningOptionsSchema>;
