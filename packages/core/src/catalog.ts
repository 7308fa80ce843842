import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import type {
  NameRequest,
  Namer,
  PromptEntry,
  ResourceEntry,
  ResourceTemplateEntry,
  ServerListStatus,
  ToolEntry,
} from './types.js';

/** The four lists every server may contribute to the catalog. */
export type ListKind = 'tools' | 'prompts' | 'resources' | 'templates';

interface ServerLists {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  templates: ResourceTemplate[];
  status: Record<ListKind, ServerListStatus>;
}

/** Where a resource URI read through the bridge goes. */
export interface ResourceTarget {
  server: string;
  upstreamUri: string;
}

const pending = (): ServerListStatus => ({ status: 'pending' });

/**
 * The merged catalog: each server's lists as the upstream gave them, and the exposed view built
 * by the namer. Rebuilt per kind whenever one server's list changes; lookups are map hits.
 */
export class Catalog {
  readonly #namer: Namer;
  readonly #servers = new Map<string, ServerLists>();
  #tools: ToolEntry[] = [];
  #toolsByName = new Map<string, ToolEntry>();
  #prompts: PromptEntry[] = [];
  #promptsByName = new Map<string, PromptEntry>();
  #resources: ResourceEntry[] = [];
  #resourcesByUri = new Map<string, ResourceEntry>();
  #templates: { entry: ResourceTemplateEntry; matcher: UriTemplate; prefix: string }[] = [];
  /** Naming errors (policy `error`) per server and kind, reported in the status. */
  readonly #namingErrors = new Map<string, Partial<Record<ListKind, string>>>();

  constructor(namer: Namer) {
    this.#namer = namer;
  }

  /** Servers in the catalog, in config order. */
  servers(): string[] {
    return [...this.#servers.keys()];
  }

  addServer(server: string): void {
    if (this.#servers.has(server)) return;
    this.#servers.set(server, {
      tools: [],
      prompts: [],
      resources: [],
      templates: [],
      status: { tools: pending(), prompts: pending(), resources: pending(), templates: pending() },
    });
  }

  removeServer(server: string): void {
    if (!this.#servers.delete(server)) return;
    this.#namingErrors.delete(server);
    for (const kind of ['tools', 'prompts', 'resources', 'templates'] as const) this.#rebuild(kind);
  }

  /** Replace one server's list of one kind (after a successful fetch). */
  setList(server: string, kind: 'tools', items: Tool[]): void;
  setList(server: string, kind: 'prompts', items: Prompt[]): void;
  setList(server: string, kind: 'resources', items: Resource[]): void;
  setList(server: string, kind: 'templates', items: ResourceTemplate[]): void;
  setList(server: string, kind: ListKind, items: unknown[]): void {
    const lists = this.#servers.get(server);
    if (!lists) return;
    (lists as unknown as Record<ListKind, unknown[]>)[kind] = items;
    lists.status[kind] = { status: 'ok', updatedAt: Date.now() };
    this.#rebuild(kind);
  }

  /** Record a failed fetch. The previous list is kept (served as stale) so one bad refresh hides nothing. */
  setFailed(server: string, kind: ListKind, status: ServerListStatus): void {
    const lists = this.#servers.get(server);
    if (!lists) return;
    const hadList = lists.status[kind].updatedAt !== undefined;
    lists.status[kind] = hadList ? { ...status, status: 'stale', updatedAt: lists.status[kind].updatedAt! } : status;
  }

  /** Per-server status of one kind, as reported in `_meta`. */
  status(kind: ListKind): Record<string, ServerListStatus> {
    const out: Record<string, ServerListStatus> = {};
    for (const [server, lists] of this.#servers) {
      const naming = this.#namingErrors.get(server)?.[kind];
      out[server] = naming && lists.status[kind].status === 'ok' ? { ...lists.status[kind], status: 'error', code: 'NAME_COLLISION', error: naming } : lists.status[kind];
    }
    return out;
  }

  tools(): readonly ToolEntry[] {
    return this.#tools;
  }
  tool(name: string): ToolEntry | undefined {
    return this.#toolsByName.get(name);
  }
  /** Find a tool by its upstream name on a given server. */
  toolOf(server: string, upstreamName: string): ToolEntry | undefined {
    return this.#tools.find((t) => t.server === server && t.upstreamName === upstreamName);
  }
  prompts(): readonly PromptEntry[] {
    return this.#prompts;
  }
  prompt(name: string): PromptEntry | undefined {
    return this.#promptsByName.get(name);
  }
  resources(): readonly ResourceEntry[] {
    return this.#resources;
  }
  templates(): readonly ResourceTemplateEntry[] {
    return this.#templates.map((t) => t.entry);
  }

  /**
   * Where a URI goes: a listed resource, else the first template (server order) that matches it,
   * else `undefined`.
   */
  resolveResource(uri: string): ResourceTarget | undefined {
    const hit = this.#resourcesByUri.get(uri);
    if (hit) return { server: hit.server, upstreamUri: hit.upstreamUri };
    for (const t of this.#templates) {
      if (t.prefix && !uri.startsWith(t.prefix)) continue;
      if (t.matcher.match(uri)) return { server: t.entry.server, upstreamUri: uri.slice(t.prefix.length) };
    }
    return undefined;
  }

  /** Exposed URI of an upstream resource URI (for notifications such as `resources/updated`). */
  exposedUri(server: string, upstreamUri: string): string {
    const listed = this.#resources.find((r) => r.server === server && r.upstreamUri === upstreamUri);
    if (listed) return listed.uri;
    const template = this.#templates.find((t) => t.entry.server === server && t.prefix && t.matcher.match(`${t.prefix}${upstreamUri}`));
    return template ? `${template.prefix}${upstreamUri}` : upstreamUri;
  }

  #rebuild(kind: ListKind): void {
    const requests: NameRequest[] = [];
    const sources: { server: string; item: Tool | Prompt | Resource | ResourceTemplate }[] = [];
    for (const [server, lists] of this.#servers) {
      const items = lists[kind] as (Tool | Prompt | Resource | ResourceTemplate)[];
      // Deterministic order: servers in config order, then by upstream name.
      const sorted = [...items].sort((a, b) => compare(keyOf(kind, a), keyOf(kind, b)));
      for (const item of sorted) {
        requests.push({ server, name: keyOf(kind, item) });
        sources.push({ server, item });
      }
    }
    const names =
      kind === 'tools' || kind === 'prompts'
        ? this.#namer.names(kind === 'tools' ? 'tool' : 'prompt', requests)
        : this.#namer.uris(kind === 'resources' ? 'resource' : 'template', requests);

    for (const errors of this.#namingErrors.values()) delete errors[kind];
    const exposed: { server: string; upstream: string; name: string; item: Tool | Prompt | Resource | ResourceTemplate }[] = [];
    names.forEach((name, i) => {
      const { server, item } = sources[i]!;
      if (name instanceof Error) {
        const errors = this.#namingErrors.get(server) ?? {};
        errors[kind] = errors[kind] ? `${errors[kind]}; ${name.message}` : name.message;
        this.#namingErrors.set(server, errors);
        return;
      }
      if (name === undefined) return;
      exposed.push({ server, upstream: requests[i]!.name, name, item });
    });

    switch (kind) {
      case 'tools':
        this.#tools = exposed.map((e) => ({ name: e.name, server: e.server, upstreamName: e.upstream, tool: { ...(e.item as Tool), name: e.name } }));
        this.#toolsByName = new Map(this.#tools.map((t) => [t.name, t]));
        break;
      case 'prompts':
        this.#prompts = exposed.map((e) => ({ name: e.name, server: e.server, upstreamName: e.upstream, prompt: { ...(e.item as Prompt), name: e.name } }));
        this.#promptsByName = new Map(this.#prompts.map((p) => [p.name, p]));
        break;
      case 'resources':
        this.#resources = exposed.map((e) => ({ uri: e.name, server: e.server, upstreamUri: e.upstream, resource: { ...(e.item as Resource), uri: e.name } }));
        this.#resourcesByUri = new Map(this.#resources.map((r) => [r.uri, r]));
        break;
      case 'templates':
        this.#templates = exposed.map((e) => ({
          entry: { uriTemplate: e.name, server: e.server, upstreamUriTemplate: e.upstream, template: { ...(e.item as ResourceTemplate), uriTemplate: e.name } },
          matcher: new UriTemplate(e.name),
          prefix: e.name.endsWith(e.upstream) ? e.name.slice(0, e.name.length - e.upstream.length) : '',
        }));
        break;
    }
  }
}

function keyOf(kind: ListKind, item: Tool | Prompt | Resource | ResourceTemplate): string {
  if (kind === 'resources') return (item as Resource).uri;
  if (kind === 'templates') return (item as ResourceTemplate).uriTemplate;
  return (item as Tool | Prompt).name;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
