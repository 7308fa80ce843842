import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { isInputRequiredResult } from '@modelcontextprotocol/client';

/** One request embedded in an `input_required` result: `elicitation/create`, `sampling/createMessage` or `roots/list`. */
export interface EmbeddedRequest {
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/**
 * Asks whoever made the call (a gateway's downstream client through its `CallLink`, or the host's
 * own handlers) one embedded request; resolves with the bare result (`ElicitResult` ...).
 */
export type AskCaller = (request: EmbeddedRequest, options: { signal?: AbortSignal; timeout?: number }) => Promise<Record<string, unknown>>;

/** Rounds of `input_required` one call may take when the entry's `maxInputRounds` is not given. */
export const DEFAULT_MAX_INPUT_ROUNDS = 8;

/** The methods whose result may be `input_required` (2026-07-28 multi round-trip requests). */
export const INPUT_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** How one logical call runs its rounds. */
export interface InputRoundsOptions {
  ask: AskCaller | undefined;
  signal?: AbortSignal;
  /** Time for the whole call, every round and every question included (ms). */
  timeout?: number;
  maxRounds: number;
  /** For messages: `tools/call "deploy"`. */
  what: string;
}

/**
 * Sends a request and answers its `input_required` results until it completes: each embedded request
 * goes to the caller, then the request is re-sent with `inputResponses` and the opaque `requestState`
 * echoed verbatim. All rounds are one logical call: one deadline, one signal, one result (a retry or
 * cache above sees only that), at most `maxRounds` questions rounds.
 */
export async function sendWithInputRounds(
  send: (params: Record<string, unknown>, timeout: number | undefined) => Promise<unknown>,
  params: Record<string, unknown>,
  options: InputRoundsOptions,
): Promise<unknown> {
  const deadline = options.timeout === undefined ? undefined : Date.now() + options.timeout;
  const left = (): number | undefined => {
    if (deadline === undefined) return undefined;
    const ms = deadline - Date.now();
    if (ms <= 0) throw new McpError(ErrorCode.RequestTimeout, 'Request timed out', { timeout: options.timeout });
    return ms;
  };
  let current = params;
  for (let round = 0; ; round++) {
    const result = await send(current, left());
    if (!isInputRequiredResult(result)) return result;
    if (round >= options.maxRounds) {
      throw new McpError(
        ErrorCode.InternalError,
        `${options.what} still asked for input after ${options.maxRounds} rounds (maxInputRounds)`,
      );
    }
    const requests = Object.entries(result.inputRequests ?? {});
    const ask = options.ask;
    if (requests.length > 0 && ask === undefined) {
      const methods = [...new Set(requests.map(([, request]) => request.method))].join(', ');
      throw new McpError(
        ErrorCode.InvalidRequest,
        `${options.what} needs input from the caller (${methods}), but the caller cannot be asked`,
      );
    }
    const responses: Record<string, unknown> = {};
    for (const [key, request] of requests) {
      responses[key] = await ask!(request, { ...(options.signal ? { signal: options.signal } : {}), timeout: left() });
    }
    options.signal?.throwIfAborted();
    current = {
      ...params,
      ...(requests.length > 0 ? { inputResponses: responses } : {}),
      ...(result.requestState === undefined ? {} : { requestState: result.requestState }),
    };
  }
}
