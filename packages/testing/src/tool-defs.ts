import { z } from 'zod';
import { abortableSleep } from './abortable-sleep.js';
import type { BuiltinToolName, ResolvedTestServerOptions } from './options.js';

/**
 * The test tools, defined once for both SDK majors: `tools.ts` registers them on a v1 `McpServer`
 * (2025-era test server), `modern/modern-tools.ts` on a v2 one (2026-07-28 test server). Only
 * the handler context differs between the SDKs, so the definitions see it through {@link ToolRun}.
 */

/** A tool result both SDKs accept (the test tools answer text, sometimes structured content). */
export interface TestToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** What a tool handler needs from its SDK's request context. */
export interface ToolRun {
  signal: AbortSignal;
  /** The caller's `progressToken`, when it sent one. */
  progressToken?: string | number;
  /** Sends a notification related to the current request. */
  notify(notification: { method: string; params: Record<string, unknown> }): Promise<void>;
  /** The transport session, when there is one (2025-era stateful HTTP). */
  sessionId?: string;
}

/** One test tool, SDK-neutral. Tracking (ledger) is done by the registering side. */
export interface TestToolDef {
  name: string;
  description: string;
  /** A zod raw shape; both SDKs accept it. */
  inputSchema?: Record<string, z.ZodType>;
  outputSchema?: Record<string, z.ZodType>;
  /** Key into `options.annotations` (the unprefixed tool name). */
  annotationsKey: string;
  run(args: Record<string, unknown>, run: ToolRun): TestToolResult | Promise<TestToolResult>;
}

/** Where `add_tool` puts the tools it adds: each server keeps them its own way. */
export interface DynamicToolHost {
  /** Registers an echo-like tool `fullName`; throws when the name is taken. */
  addEcho(fullName: string, annotationsKey: string): void;
}

/** A text result. */
export const text = (value: string): TestToolResult => ({ content: [{ type: 'text', text: value }] });

/** Arguments of `fail`. */
export const failArgs = {
  mode: z.enum(['isError', 'throw']).describe("'isError': an isError result; 'throw': a JSON-RPC error response"),
  message: z.string().optional().describe('Error message'),
  code: z.number().int().optional().describe("JSON-RPC error code for mode 'throw' (default -32603)"),
};
/** `fail`'s arguments as one schema (the throwing interception parses with it). */
export const failArgsSchema = z.object(failArgs);
/** The message `fail` uses when none is given. */
export const DEFAULT_FAIL_MESSAGE = 'fail: requested failure';
const DEFAULT_PROGRESS_DELAY_MS = 5;
/** JSON-RPC internal error, the default code of `fail {mode:'throw'}`. */
const INTERNAL_ERROR = -32603;

/**
 * The SDKs answer a thrown error with `{ code: error.code, message: error.message }`. A plain Error
 * keeps the message as given (the SDK error classes would prefix it).
 */
export function jsonRpcError(code: number | undefined, message: string | undefined): Error & { code: number } {
  return Object.assign(new Error(message ?? DEFAULT_FAIL_MESSAGE), { code: code ?? INTERNAL_ERROR });
}

/** An echo-like tool named `toolName`. */
export function echoDef(toolName: string, annotationsKey: string): TestToolDef {
  return {
    name: toolName,
    description: 'Returns its text unchanged (the cheap benchmark tool).',
    inputSchema: { text: z.string() },
    annotationsKey,
    run: ({ text: value }) => text(value as string),
  };
}

/** The built-in tools selected by `o.tools` and the extra echo-like tools, prefixed. */
export function testToolDefs(o: ResolvedTestServerOptions, host: DynamicToolHost): TestToolDef[] {
  const name = (base: string): string => o.toolPrefix + base;
  const all: Record<BuiltinToolName, () => TestToolDef> = {
    echo: () => echoDef(name('echo'), 'echo'),
    add: () => ({
      name: name('add'),
      description: 'Adds two numbers; the sum is also in structuredContent.',
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
      annotationsKey: 'add',
      run: ({ a, b }) => {
        const sum = (a as number) + (b as number);
        return { content: [{ type: 'text', text: String(sum) }], structuredContent: { sum } };
      },
    }),
    slow: () => ({
      name: name('slow'),
      description: 'Waits `ms` milliseconds, stopping early when the request is cancelled.',
      inputSchema: { ms: z.number().int().min(0).max(3_600_000) },
      annotationsKey: 'slow',
      run: async ({ ms }, r) => {
        await abortableSleep(ms as number, r.signal);
        return text(`slept ${String(ms)} ms`);
      },
    }),
    fail: () => ({
      name: name('fail'),
      description: "Fails on purpose: an isError result, or a JSON-RPC error with mode 'throw'.",
      inputSchema: failArgs,
      annotationsKey: 'fail',
      run: ({ mode, message, code }) => {
        // Only reached for 'throw' if the interception was bypassed; keep the contract anyway.
        if (mode === 'throw') throw jsonRpcError(code as number | undefined, message as string | undefined);
        return { ...text((message as string | undefined) ?? DEFAULT_FAIL_MESSAGE), isError: true };
      },
    }),
    progress: () => progressDef(name('progress')),
    add_tool: () => ({
      name: name('add_tool'),
      description: 'Registers a new echo-like tool named toolPrefix + name; the server then sends tools/list_changed.',
      inputSchema: { name: z.string().min(1).max(128) },
      annotationsKey: 'add_tool',
      run: ({ name: added }) => {
        const full = name(added as string);
        try {
          host.addEcho(full, added as string);
        } catch (error) {
          return { ...text(error instanceof Error ? error.message : String(error)), isError: true };
        }
        return text(`added ${full}`);
      },
    }),
    whoami: () => ({
      name: name('whoami'),
      description: 'Returns JSON {server, pid, sessionId?}: which server (and process, and session) answered.',
      annotationsKey: 'whoami',
      run: (_args, r) => text(JSON.stringify({ server: o.name, pid: process.pid, ...(r.sessionId ? { sessionId: r.sessionId } : {}) })),
    }),
  };
  const defs: TestToolDef[] = [];
  // Registration order matters to v1's throwing-fail interception only through the first tool; keep the historic order.
  for (const tool of ['echo', 'add', 'slow', 'fail', 'progress', 'add_tool', 'whoami'] as const)
    if (o.tools.has(tool)) defs.push(all[tool]());
  for (const extra of o.extraTools) defs.push(echoDef(name(extra), extra));
  return defs;
}

/** `progress`: one notifications/progress per step. */
function progressDef(toolName: string): TestToolDef {
  return {
    name: toolName,
    description:
      'Sends one notifications/progress per step (when the caller sent a progressToken), waiting delayMs (default 5) after each, then returns.',
    inputSchema: {
      steps: z.number().int().min(0).max(10_000),
      delayMs: z.number().int().min(0).max(60_000).optional(),
    },
    annotationsKey: 'progress',
    run: async (args, r) => {
      const steps = args.steps as number;
      const delayMs = (args.delayMs as number | undefined) ?? DEFAULT_PROGRESS_DELAY_MS;
      for (let step = 1; step <= steps; step++) {
        if (r.progressToken !== undefined) {
          await r.notify({
            method: 'notifications/progress',
            params: { progressToken: r.progressToken, progress: step, total: steps, message: `step ${step}/${steps}` },
          });
        }
        // Also after the last step: the SDK client drops a progress notification that it reads in
        // the same chunk as the response (the response removes the progress handler first).
        if (delayMs > 0) await abortableSleep(delayMs, r.signal);
      }
      return text(`completed ${steps} steps`);
    },
  };
}
