import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  type ClientCapabilities,
  type ClientNotification,
  type ClientRequest,
  type Implementation,
  type LoggingLevel,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import { ResponseStreamLostError, STREAM_LOST_MARK } from './stream-loss.js';
import { DEFAULT_MAX_INPUT_ROUNDS, INPUT_METHODS, sendWithInputRounds, type AskCaller } from './input-rounds.js';
import { callWithTasks, LEGACY_TASK_METHODS, legacyTaskRequest } from './task-calls.js';
import { CallToolRoute, isHeaderMismatch } from './call-tool-route.js';
import {
  ProtocolError,
  SdkError,
  SdkErrorCode,
  withInputRequired,
  type Client as ModernClient,
  type DiscoverResult,
  type McpSubscription,
} from '@modelcontextprotocol/client';

// The era seam. Core, the pool and the gateway drive an upstream through the few `Client` (SDK 1.x)
// members they use: `request`, `notification`, `getServerCapabilities`, `getServerVersion`, `ping`,
// `transport`, `fallbackNotificationHandler` and `close`. A modern (2026-07-28) upstream is spoken to by
// the SDK v2 client; this subclass routes exactly those members to it, so the call path, plugins and
// catalog stay era-independent and dropping SDK 1.x later touches this package only. It is never
// connected through SDK 1.x: every inherited helper (`callTool`, `listTools` ...) ends in `request`.

type AnySchema = Parameters<Client['request']>[1];
type ModernRequest = Parameters<ModernClient['request']>;
type Answer = ReturnType<Client['request']>;

/** The per-request `_meta` key that carries the log level the caller wants (2026-07-28). */
export const LOG_LEVEL_META_KEY = 'io.modelcontextprotocol/logLevel';

/** `request` with the log level in its `_meta` (a copy; a level the caller put there itself wins). */
function withLogLevel(request: ClientRequest, level: LoggingLevel): ClientRequest {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const meta = (params['_meta'] ?? {}) as Record<string, unknown>;
  return { ...request, params: { ...params, _meta: { [LOG_LEVEL_META_KEY]: level, ...meta } } } as ClientRequest;
}

/**
 * The SDK 1.x error for an SDK v2 one, so the failure verdict (core's `failure.ts`) reads both eras
 * alike: upstream JSON-RPC errors stay `McpError`s with their code, the local timeout and closed
 * connection keep their 1.x codes (and `data.timeout`), "Not connected" stays provably unsent.
 */
export function legacyError(error: unknown): unknown {
  if (ProtocolError.isInstance(error)) {
    const data = error.data as Record<string, unknown> | undefined;
    if (data?.[STREAM_LOST_MARK] === true) return new ResponseStreamLostError(`${error.message}: it may have run`, { cause: error });
    return new McpError(error.code, error.message, error.data);
  }
  if (!SdkError.isInstance(error)) return error;
  switch (error.code) {
    case SdkErrorCode.RequestTimeout:
      return new McpError(ErrorCode.RequestTimeout, error.message, error.data);
    case SdkErrorCode.ConnectionClosed:
      return new McpError(ErrorCode.ConnectionClosed, error.message, error.data);
    case SdkErrorCode.NotConnected:
      return new Error('Not connected', { cause: error });
    default:
      return error;
  }
}

const rethrowLegacy = (error: unknown): never => {
  throw legacyError(error);
};

const noop = (): void => undefined;

/** A `subscriptions/listen` stream that ended unexpectedly is opened again after this long. */
export const RELISTEN_MS = 1_000;

type SubscriptionFilter = Parameters<ModernClient['listen']>[0];

/**
 * Request options the host may add for a modern upstream: `askCaller` answers `input_required`
 * (core passes the call's `CallLink.ask`); without it, the handlers installed on this client with
 * `setRequestHandler` answer, as they would a 2025 server's requests.
 */
export type UpstreamRequestOptions = RequestOptions & { askCaller?: AskCaller };

type OwnHandler = (request: unknown, extra: unknown) => Promise<Record<string, unknown>>;

/** An SDK 1.x-shaped client over a connected SDK v2 client that negotiated the modern era. */
export class ModernUpstreamClient extends Client {
  /** The SDK v2 client underneath (connected, modern era). */
  readonly modern: ModernClient;
  #logLevel: LoggingLevel | undefined;
  /** Resource URIs the host subscribed to: part of the `subscriptions/listen` filter. */
  readonly #subscribed = new Set<string>();
  #subscription: McpSubscription | undefined;
  /** The latest (re)listen; each waits for the one before, so filters apply in order. */
  #listening: Promise<void> = Promise.resolve();
  #closing = false;

  /** `capabilities`: the ones the v2 client advertises (handlers the host installs for them are accepted). */
  readonly #maxInputRounds: number;
  /** What this client advertises: the per-request capabilities a tasks opt-in extends. */
  readonly #capabilities: ClientCapabilities;
  /** Which tools are called without the v2 client's `callTool` (see call-tool-route.ts). */
  readonly #callToolRoute = new CallToolRoute();

  constructor(
    modern: ModernClient,
    clientInfo: Implementation,
    capabilities: ClientCapabilities,
    maxInputRounds = DEFAULT_MAX_INPUT_ROUNDS,
  ) {
    super(clientInfo, { capabilities });
    this.modern = modern;
    this.#maxInputRounds = maxInputRounds;
    this.#capabilities = capabilities;
    // Core's progress ordering (deliverProgressFirst) reads the table of requests awaiting progress
    // from the client it is given: let it see the v2 client's, which is where progress handlers live.
    const progress = (modern as unknown as { _progressHandlers?: unknown })._progressHandlers;
    if (progress instanceof Map) (this as unknown as { _progressHandlers: unknown })._progressHandlers = progress;
    // Notifications (list changes and resource updates from `subscriptions/listen`, progress aside)
    // reach whatever the host installed on this client, as they do on a 2025 connection.
    modern.fallbackNotificationHandler = (notification) => this.fallbackNotificationHandler?.(notification) ?? Promise.resolve();
  }

  /** The `server/discover` result the era was chosen with (also the `prior` for later connects). */
  get discoverResult(): DiscoverResult | undefined {
    return this.modern.getDiscoverResult();
  }

  /** The v2 client's transport while connected (undefined once closed, as on SDK 1.x). */
  override get transport(): Transport | undefined {
    return this.modern.transport;
  }

  override request<T extends AnySchema>(request: ClientRequest, resultSchema: T, options?: RequestOptions): Answer {
    if (request.method === 'logging/setLevel') {
      // No session holds a level in 2026-07-28: keep it here and send it with every request instead.
      this.#logLevel = request.params.level;
      return Promise.resolve({}) as Answer;
    }
    // 2026-07-28 has no `ping`: `server/discover` is the cheap, side-effect-free proof of life (health probes send `ping`).
    if (request.method === 'ping') return this.modern.discover(options).then(() => ({}), rethrowLegacy) as Answer;
    // `subscriptions/listen` replaces `resources/subscribe`: the URI joins the listen filter.
    if (request.method === 'resources/subscribe') return this.subscribeResource(request.params, options) as Answer;
    if (request.method === 'resources/unsubscribe') return this.unsubscribeResource(request.params, options) as Answer;
    if (this.#logLevel !== undefined) request = withLogLevel(request, this.#logLevel);
    // Through the v2 client's own `listTools`: it keeps the list, from which `callTool` mirrors `x-mcp-header` arguments as `Mcp-Param-*` headers.
    if (request.method === 'tools/list' && request.params?.cursor === undefined) {
      return this.modern.listTools(request.params, { ...options, cacheMode: 'refresh' }).then((result) => {
        this.#callToolRoute.learn(result);
        return result;
      }, rethrowLegacy) as Answer;
    }
    if (INPUT_METHODS.has(request.method)) return this.#withInput(request, resultSchema, options);
    if (LEGACY_TASK_METHODS.has(request.method)) return this.#taskRequest(request, options);
    // SDK 1.x result schemas are zod 4 schemas, which are Standard Schemas: the v2 client validates with them as is.
    return this.modern
      .request(request as ModernRequest[0], resultSchema as unknown as ModernRequest[1], options)
      .catch(rethrowLegacy) as Answer;
  }

  /** A request that may answer `input_required`: the v2 client in manual mode, the rounds answered here (see input-rounds.ts). */
  #withInput(request: ClientRequest, resultSchema: AnySchema, options: UpstreamRequestOptions | undefined): Answer {
    const { askCaller, ...rest } = options ?? {};
    const schema = withInputRequired(resultSchema as unknown as ModernRequest[1]);
    const params = (request.params ?? {}) as Record<string, unknown>;
    const name =
      typeof params['name'] === 'string' ? ` "${params['name']}"` : typeof params['uri'] === 'string' ? ` "${params['uri']}"` : '';
    const ask = askCaller ?? this.#ownAsk();
    const what = `${request.method}${name}`;
    const toolCall = request.method === 'tools/call';
    const rounds = (first: Record<string, unknown>): Promise<unknown> =>
      sendWithInputRounds(
        (round, timeout) => {
          const how = { ...rest, ...(timeout === undefined ? {} : { timeout }), allowInputRequired: true } as ModernRequest[2];
          const callTool = (): Promise<unknown> => this.modern.callTool(round as Parameters<ModernClient['callTool']>[0], how);
          // `callTool` adds the `Mcp-Param-*` headers of the tool's `x-mcp-header` arguments (SEP-2243); a tool without any skips its per-call work.
          if (toolCall && !this.#callToolRoute.plain(params['name'])) return callTool();
          const sent = this.modern.request({ ...request, params: round } as ModernRequest[0], schema, how);
          if (!toolCall) return sent;
          // Refused before it ran: the tool declares headers since it was listed; `callTool` refreshes the list and sends them.
          return sent.catch((error: unknown) => {
            if (!isHeaderMismatch(error)) throw error;
            this.#callToolRoute.forget(params['name']);
            return callTool();
          });
        },
        first,
        {
          ask,
          ...(rest.signal ? { signal: rest.signal } : {}),
          ...(rest.timeout === undefined ? {} : { timeout: rest.timeout }),
          maxRounds: this.#maxInputRounds,
          what,
        },
      );
    if (!toolCall) return rounds(params).catch(rethrowLegacy) as Answer;
    // A tools/call may become a task (SEP-2663) where the upstream offers them: see task-calls.ts.
    const tasks = { client: this.modern, capabilities: this.#capabilities, ask, maxRounds: this.#maxInputRounds, what };
    return callWithTasks(params, rounds, {
      ...tasks,
      ...(rest.signal ? { signal: rest.signal } : {}),
      ...(rest.timeout === undefined ? {} : { timeout: rest.timeout }),
    }).catch(rethrowLegacy) as Answer;
  }

  /** A 2025-era task request (an explicit task handle's), translated for the SEP-2663 extension: see task-calls.ts. */
  #taskRequest(request: ClientRequest, options: UpstreamRequestOptions | undefined): Answer {
    const { askCaller, signal, timeout } = options ?? {};
    return legacyTaskRequest(request.method, (request.params ?? {}) as Record<string, unknown>, {
      client: this.modern,
      capabilities: this.#capabilities,
      ask: askCaller ?? this.#ownAsk(),
      maxRounds: this.#maxInputRounds,
      ...(signal ? { signal } : {}),
      ...(timeout === undefined ? {} : { timeout }),
    }).catch(rethrowLegacy) as Answer;
  }

  /** The handlers the host installed on this client (`setRequestHandler`), as an {@link AskCaller}; undefined when there are none. */
  #ownAsk(): AskCaller | undefined {
    const handlers = (this as unknown as { _requestHandlers?: Map<string, OwnHandler> })._requestHandlers;
    if (!(handlers instanceof Map)) return undefined;
    let next = 0;
    return async (request, { signal }) => {
      const handler = handlers.get(request.method);
      if (handler === undefined) {
        throw new McpError(
          ErrorCode.InvalidRequest,
          `the upstream needs input from the caller (${request.method}), but the caller cannot be asked (no handler)`,
        );
      }
      const id = `input-${next++}`;
      const extra = {
        signal: signal ?? new AbortController().signal,
        requestId: id,
        sendNotification: () => Promise.resolve(),
        sendRequest: () => Promise.reject(new Error('not supported')),
      };
      return handler({ jsonrpc: '2.0', id, method: request.method, params: request.params ?? {} }, extra);
    };
  }

  override notification(notification: ClientNotification): Promise<void> {
    return this.modern.notification(notification).catch(rethrowLegacy);
  }

  override getServerCapabilities(): ServerCapabilities | undefined {
    return this.modern.getServerCapabilities();
  }

  override getServerVersion(): Implementation | undefined {
    return this.modern.getServerVersion();
  }

  override getInstructions(): string | undefined {
    return this.modern.getInstructions();
  }

  /** The liveness probe: `server/discover` (see `request`). */
  override async ping(options?: RequestOptions): Promise<{ _meta?: Record<string, unknown> }> {
    await this.modern.discover(options).catch(rethrowLegacy);
    return {};
  }

  /**
   * Opens the `subscriptions/listen` stream (2026-07-28) for the list changes the server announces and
   * the subscribed resources: its notifications reach `fallbackNotificationHandler`, as unsolicited
   * ones do on a 2025 connection, so the catalog refreshes and resource updates reach subscribers alike.
   */
  listen(): Promise<void> {
    this.#listening = this.#listening.then(() => this.#relisten()).catch(noop);
    return this.#listening;
  }

  async #relisten(): Promise<void> {
    if (this.#closing) return;
    const filter = this.#filter();
    const previous = this.#subscription;
    this.#subscription = undefined;
    if (Object.keys(filter).length > 0) {
      // The new stream first, then the old one closes: no update falls between the two.
      const subscription = await this.modern.listen(filter);
      this.#subscription = subscription;
      void subscription.closed.then((why) => {
        if (why !== 'remote' || this.#subscription !== subscription || this.#closing) return;
        setTimeout(() => void this.listen(), RELISTEN_MS).unref();
      });
    }
    await previous?.close().catch(noop);
  }

  #filter(): SubscriptionFilter {
    const caps = this.modern.getServerCapabilities();
    return {
      ...(caps?.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps?.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps?.resources?.listChanged ? { resourcesListChanged: true } : {}),
      ...(this.#subscribed.size > 0 ? { resourceSubscriptions: [...this.#subscribed] } : {}),
    };
  }

  override async subscribeResource(params: { uri: string }, _options?: RequestOptions): Promise<Record<string, never>> {
    this.#subscribed.add(params.uri);
    await this.listen();
    return {};
  }

  override async unsubscribeResource(params: { uri: string }, _options?: RequestOptions): Promise<Record<string, never>> {
    if (this.#subscribed.delete(params.uri)) await this.listen();
    return {};
  }

  override async close(): Promise<void> {
    this.#closing = true;
    await this.#subscription?.close().catch(noop);
    await this.modern.close();
  }
}
