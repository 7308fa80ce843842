import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type {
  ClientCapabilities,
  ClientNotification,
  ClientRequest,
  Implementation,
  ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Client as ModernClient, DiscoverResult } from '@modelcontextprotocol/client';

// The era seam. Core, the pool and the gateway drive an upstream through the few `Client` (SDK 1.x)
// members they use: `request`, `notification`, `getServerCapabilities`, `getServerVersion`, `ping`,
// `transport`, `fallbackNotificationHandler` and `close`. A modern (2026-07-28) upstream is spoken to by
// the SDK v2 client; this subclass routes exactly those members to it, so the call path, plugins and
// catalog stay era-independent and dropping SDK 1.x later touches this package only. It is never
// connected through SDK 1.x: every inherited helper (`callTool`, `listTools` ...) ends in `request`.

type AnySchema = Parameters<Client['request']>[1];
type ModernRequest = Parameters<ModernClient['request']>;

/** An SDK 1.x-shaped client over a connected SDK v2 client that negotiated the modern era. */
export class ModernUpstreamClient extends Client {
  /** The SDK v2 client underneath (connected, modern era). */
  readonly modern: ModernClient;

  /** `capabilities`: the ones the v2 client advertises (handlers the host installs for them are accepted). */
  constructor(modern: ModernClient, clientInfo: Implementation, capabilities: ClientCapabilities) {
    super(clientInfo, { capabilities });
    this.modern = modern;
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

  override request<T extends AnySchema>(request: ClientRequest, resultSchema: T, options?: RequestOptions): ReturnType<Client['request']> {
    // SDK 1.x result schemas are zod 4 schemas, which are Standard Schemas: the v2 client validates with them as is.
    return this.modern.request(request as ModernRequest[0], resultSchema as unknown as ModernRequest[1], options) as ReturnType<
      Client['request']
    >;
  }

  override notification(notification: ClientNotification): Promise<void> {
    return this.modern.notification(notification);
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

  /**
   * The liveness probe. 2026-07-28 has no `ping`: a modern server proves it answers with
   * `server/discover` (cheap, side-effect free), so health checks keep calling `ping()`.
   */
  override async ping(options?: RequestOptions): Promise<{ _meta?: Record<string, unknown> }> {
    await this.modern.discover(options);
    return {};
  }

  override close(): Promise<void> {
    return this.modern.close();
  }
}
