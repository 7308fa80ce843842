import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { toolSafety } from './tool-safety.js';
import type { Prompt, Resource, ResourceTemplate, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { NameRequest, Namer, PromptEntry, ResourceEntry, ResourceTemplateEntry, ServerListStatus, ToolEntry } from './types.js';

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

interface CompiledTemplate {
  entry: ResourceTemplateEntry;
  matcher: UriTemplate;
  /** What the exposed template adds in front of the upstream's (`server+`), or ''. */
  prefix: string;
}

/**
 * The merged catalog: each server's lists as the upstream gave them, and the exposed view built
 * by the namer. Rebuilt per kind whenever one server's list changes; lookups are map hits.
 */
export class Catalog {
  readonly #namer: Namer;
  readonly #servers = new Map<string, ServerLists>();
  #tools: ToolEntry[] = [];
  #toolsByName = new Map<string, ToolEntry>();
  #toolsByUpstream = new Map<string, ToolEntry>();
  #prompts: PromptEntry[] = [];
  #promptsByName = new Map<string, PromptEntry>();
  #resources: ResourceEntry[] = [];
  #resourcesByUri = new Map<string, ResourceEntry>();
  #resourcesByUpstream = new Map<string, ResourceEntry>();
  #templates: CompiledTemplate[] = [];
  #templatesByUri = new Map<string, ResourceTemplateEntry>();
  /**
   * Entries left out of the exposed view, per server and kind: names that collide under the `error`
   * policy, templates that do not parse. Reported in the status; never a reason to re-list.
   */
  readonly #entryErrors = new Map<string, Partial<Record<ListKind, { code: string; message: string }>>>();
  /** Servers whose entries are left out of the exposed view (see {@link Catalog.setHidden}). */
  readonly #hidden = new Set<string>();

  readonly #trusted: (server: string) => boolean;

  /** `trusted` says whether a server's annotations are believed (for {@link ToolEntry.safety}). */
  constructor(namer: Namer, trusted: (server: string) => boolean = () => false) {
    this.#namer = namer;
    this.#trusted = trusted;
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

  /**
   * Hide a server's entries from the exposed view, or show them again (its lists are kept). Returns
   * false when nothing changed. For a health plugin that hides servers that are down.
   */
  setHidden(server: string, hidden: boolean): boolean {
    if (!this.#servers.has(server) || this.#hidden.has(server) === hidden) return false;
    if (hidden) this.#hidden.add(server);
    else this.#hidden.delete(server);
    for (const kind of ['tools', 'prompts', 'resources', 'templates'] as const) this.#rebuild(kind);
    return true;
  }

  /** True when the server's entries are hidden (see {@link Catalog.setHidden}). */
  isHidden(server: string): boolean {
    return this.#hidden.has(server);
  }

  removeServer(server: string): void {
    this.#hidden.delete(server);
    if (!this.#servers.delete(server)) return;
    this.#entryErrors.delete(server);
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

  /** Per-server status of one kind, as reported in `_meta`: the last fetch, and entries left out. */
  status(kind: ListKind): Record<string, ServerListStatus> {
    const out: Record<string, ServerListStatus> = {};
    for (const [server, lists] of this.#servers) {
      const left = this.#entryErrors.get(server)?.[kind];
      out[server] =
        left && lists.status[kind].status === 'ok'
          ? { ...lists.status[kind], status: 'error', code: left.code, error: left.message }
          : lists.status[kind];
    }
    return out;
  }

  /** The outcome of the last fetch of one server's list, without entry errors. */
  fetchStatus(server: string, kind: ListKind): ServerListStatus | undefined {
    return this.#servers.get(server)?.status[kind];
  }

  tools(): readonly ToolEntry[] {
    return this.#tools;
  }
  tool(name: string): ToolEntry | undefined {
    return this.#toolsByName.get(name);
  }
  /** Find a tool by its upstream name on a given server. */
  toolOf(server: string, upstreamName: string): ToolEntry | undefined {
    return this.#toolsByUpstream.get(`${server}\u0000${upstreamName}`);
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
  /** A template by its exposed URI template. */
  template(uriTemplate: string): ResourceTemplateEntry | undefined {
    return this.#templatesByUri.get(uriTemplate);
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
      if (matches(t.matcher, uri)) return { server: t.entry.server, upstreamUri: uri.slice(t.prefix.length) };
    }
    return undefined;
  }

  /** Exposed URI of an upstream resource URI (for notifications such as `resources/updated`). */
  exposedUri(server: string, upstreamUri: string): string {
    const listed = this.#resourcesByUpstream.get(`${server}\u0000${upstreamUri}`);
    if (listed) return listed.uri;
    const template = this.#templates.find((t) => t.entry.server === server && t.prefix && matches(t.matcher, `${t.prefix}${upstreamUri}`));
    return template ? `${template.prefix}${upstreamUri}` : upstreamUri;
  }

  #rebuild(kind: ListKind): void {
    const requests: NameRequest[] = [];
    const sources: { server: string; item: Tool | Prompt | Resource | ResourceTemplate }[] = [];
    for (const [server, lists] of this.#servers) {
      if (this.#hidden.has(server)) continue;
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

    for (const errors of this.#entryErrors.values()) delete errors[kind];
    const leaveOut = (server: string, code: string, message: string): void => {
      const errors = this.#entryErrors.get(server) ?? {};
      const previous = errors[kind];
      errors[kind] = previous ? { code: previous.code, message: `${previous.message}; ${message}` } : { code, message };
      this.#entryErrors.set(server, errors);
    };
    const exposed: Exposed[] = [];
    names.forEach((name, i) => {
      const { server, item } = sources[i]!;
      if (name instanceof Error) {
        leaveOut(server, (name as { code?: string }).code ?? 'NAME_COLLISION', name.message);
        return;
      }
      if (name === undefined) return;
      exposed.push({ server, upstream: requests[i]!.name, name, item });
    });

    this.#store(kind, exposed, leaveOut);
  }

  /** Stores the exposed entries of one kind, with their lookup tables. */
  #store(kind: ListKind, exposed: Exposed[], leaveOut: LeaveOut): void {
    switch (kind) {
      case 'tools': {
        const trust = new Map<string, boolean>();
        const trusted = (server: string): boolean => trust.get(server) ?? (trust.set(server, this.#trusted(server)), trust.get(server)!);
        this.#tools = exposed.map((e) => {
          const tool = { ...(e.item as Tool), name: e.name };
          return {
            name: e.name,
            server: e.server,
            upstreamName: e.upstream,
            tool,
            listed: true,
            safety: toolSafety(tool, trusted(e.server)),
          };
        });
        this.#toolsByName = new Map(this.#tools.map((t) => [t.name, t]));
        this.#toolsByUpstream = new Map(this.#tools.map((t) => [`${t.server}\u0000${t.upstreamName}`, t]));
        break;
      }
      case 'prompts':
        this.#prompts = exposed.map((e) => ({
          name: e.name,
          server: e.server,
          upstreamName: e.upstream,
          prompt: { ...(e.item as Prompt), name: e.name },
        }));
        this.#promptsByName = new Map(this.#prompts.map((p) => [p.name, p]));
        break;
      case 'resources':
        this.#resources = exposed.map((e) => ({
          uri: e.name,
          server: e.server,
          upstreamUri: e.upstream,
          resource: { ...(e.item as Resource), uri: e.name },
        }));
        this.#resourcesByUri = new Map(this.#resources.map((r) => [r.uri, r]));
        this.#resourcesByUpstream = new Map(this.#resources.map((r) => [`${r.server}\u0000${r.upstreamUri}`, r]));
        break;
      case 'templates': {
        const templates = compileTemplates(exposed, leaveOut);
        this.#templates = templates;
        this.#templatesByUri = new Map(templates.map((t) => [t.entry.uriTemplate, t.entry]));
        break;
      }
    }
  }
}

/** The SDK's matcher throws on over-long input; a URI it cannot match simply does not match. */
function matches(matcher: UriTemplate, uri: string): boolean {
  try {
    return matcher.match(uri) !== null;
  } catch {
    return false;
  }
}

function keyOf(kind: ListKind, item: Tool | Prompt | Resource | ResourceTemplate): string {
  if (kind === 'resources') return (item as Resource).uri;
  if (kind === 'templates') return (item as ResourceTemplate).uriTemplate;
  return item.name;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An entry the namer exposed, with its upstream item. */
interface Exposed {
  server: string;
  upstream: string;
  name: string;
  item: Tool | Prompt | Resource | ResourceTemplate;
}

/** Records why a server's entry was left out. */
type LeaveOut = (server: string, code: string, message: string) => void;

/** Compiles exposed resource templates; a malformed one is left out alone. */
function compileTemplates(exposed: Exposed[], leaveOut: LeaveOut): CompiledTemplate[] {
  const templates: CompiledTemplate[] = [];
  for (const e of exposed) {
    let matcher: UriTemplate;
    try {
      matcher = new UriTemplate(e.name);
    } catch (error) {
      // One malformed template from one upstream must not take the others' templates down.
      leaveOut(
        e.server,
        'INVALID_ENTRY',
        `resource template ${JSON.stringify(e.upstream)} is not a valid URI template: ${(error as Error).message}`,
      );
      continue;
    }
    templates.push({
      entry: {
        uriTemplate: e.name,
        server: e.server,
        upstreamUriTemplate: e.upstream,
        template: { ...(e.item as ResourceTemplate), uriTemplate: e.name },
      },
      matcher,
      prefix: e.name.endsWith(e.upstream) ? e.name.slice(0, e.name.length - e.upstream.length) : '',
    });
  }
  return templates;
}
