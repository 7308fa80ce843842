import type { McpServer, RegisteredTool, ServerNotifier } from '@modelcontextprotocol/server';

/** A v2 instance currently connected, with the era it serves. */
interface LiveInstance {
  mcp: McpServer;
  era: 'legacy' | 'modern';
}

/**
 * What outlives one v2 instance: over HTTP every request gets a fresh instance, so the tools
 * `add_tool` added and the counter resource live here, and change events go out through the HTTP
 * entry's notifier (its `subscriptions/listen` bus). Over stdio one instance is pinned per
 * connection: changes are applied to the live instances, whose own change notifications the SDK's
 * stdio entry routes onto `subscriptions/listen` streams (modern) or sends as they are (2025 era).
 */
export class ModernState {
  /** Tools added by `add_tool`: full name → annotations key. */
  readonly dynamicTools = new Map<string, string>();
  readonly #live = new Set<LiveInstance>();
  /** Dynamic tools as registered on each live instance, to remove them again. */
  readonly #handles = new WeakMap<McpServer, Map<string, RegisteredTool>>();
  #counter = 0;
  #notifier: ServerNotifier | undefined;
  /** Registers a dynamic tool on one live instance (set by the server factory). */
  registerOn: (mcp: McpServer, full: string, key: string) => RegisteredTool | undefined = () => undefined;

  constructor(readonly counterUri: string) {}

  /** The counter resource's value. */
  get counter(): number {
    return this.#counter;
  }

  /** Instances connected right now (per-request HTTP instances close after their exchange). */
  get liveCount(): number {
    return this.#live.size;
  }

  /** Routes change events to an HTTP entry's notifier (undefined: to the live instances). */
  setNotifier(notifier: ServerNotifier | undefined): void {
    this.#notifier = notifier;
  }

  /** Tracks a connected instance until it closes. */
  track(mcp: McpServer, era: 'legacy' | 'modern'): void {
    const entry = { mcp, era };
    this.#live.add(entry);
    const previous = mcp.server.onclose;
    mcp.server.onclose = () => {
      this.#live.delete(entry);
      previous?.();
    };
  }

  /** Registers a dynamic tool on `mcp` and remembers the handle (for `remove_tool`). */
  registerDynamic(mcp: McpServer, full: string, key: string): void {
    const handle = this.registerOn(mcp, full, key);
    if (!handle) return;
    let handles = this.#handles.get(mcp);
    if (!handles) this.#handles.set(mcp, (handles = new Map<string, RegisteredTool>()));
    handles.set(full, handle);
  }

  /** `add_tool`: throws when the name is taken (the caller answers isError). */
  addTool(full: string, key: string): void {
    if (this.dynamicTools.has(full)) throw new Error(`Tool ${full} is already registered`);
    this.dynamicTools.set(full, key);
    if (!this.#notifier) for (const { mcp } of this.#live) this.registerDynamic(mcp, full, key); // each sends tools/list_changed itself
    this.#notifier?.toolsChanged();
  }

  /** `remove_tool`: false when no such added tool. */
  removeTool(full: string): boolean {
    if (!this.dynamicTools.delete(full)) return false;
    if (this.#notifier) this.#notifier.toolsChanged();
    else for (const { mcp } of this.#live) this.#handles.get(mcp)?.get(full)?.remove();
    return true;
  }

  /** `bump_resource`: increments the counter and reports the counter resource updated. */
  bump(): number {
    this.#counter++;
    if (this.#notifier) this.#notifier.resourceUpdated(this.counterUri);
    else for (const { mcp } of this.#live) void mcp.server.sendResourceUpdated({ uri: this.counterUri }).catch(() => undefined);
    return this.#counter;
  }
}
