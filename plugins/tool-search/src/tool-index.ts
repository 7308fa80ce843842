import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import MiniSearch, { type SearchResult } from 'minisearch';
import { splitWords, Vocabulary } from './text.js';

/** What the index needs of a catalog entry (a `ToolEntry` fits). */
export interface IndexableTool {
  /** The exposed name: what search returns and the client calls. */
  readonly name: string;
  /** The logical server that provides it. */
  readonly server: string;
  /** The tool as exposed. */
  readonly tool: Tool;
}

/** One search result. */
export interface ToolHit {
  readonly name: string;
  readonly server: string;
  readonly score: number;
  readonly tool: Tool;
}

/** Options of a {@link ToolIndex}. */
export interface ToolIndexOptions {
  /** More synonym groups (the first word of each is the group's). */
  synonyms?: readonly (readonly string[])[];
  /** More words naming a server, by server name: a task using one boosts that server's tools. */
  serverAliases?: Readonly<Record<string, readonly string[]>>;
}

/** Options of one search. */
export interface ToolQuery {
  /** Results wanted (best first). */
  limit: number;
  /** Only this server's tools. */
  server?: string | undefined;
  /** Only tools this returns true for (the caller's visible tools). */
  visible?: ((name: string) => boolean) | undefined;
}

interface Doc {
  id: string;
  server: string;
  name: string;
  title: string;
  description: string;
  args: string;
  serverWords: string;
}

/**
 * Words that name well-known servers in tasks, by a word of the server's configured name: a server
 * named `github` or `github-enterprise` gets the `github` aliases. Servers are named by whoever
 * configures the gateway, so the server name's own words count too (see {@link ToolIndex}).
 */
const KNOWN_SERVER_WORDS: Readonly<Record<string, readonly string[]>> = {
  github: ['github', 'gh'],
  gitlab: ['gitlab'],
  kubernetes: ['kubernetes', 'k8s', 'kubectl', 'kube', 'cluster', 'pod', 'pods', 'deployment', 'helm', 'namespace'],
  postgres: ['postgres', 'postgresql', 'pg', 'sql', 'database'],
  redis: ['redis'],
  memory: ['memory', 'remember', 'knowledge', 'graph', 'memorize'],
  filesystem: ['filesystem', 'file', 'files', 'disk', 'folder', 'directory', 'local'],
  playwright: ['playwright', 'browser', 'webpage', 'website'],
  puppeteer: ['puppeteer', 'browser', 'webpage', 'website'],
  maps: ['maps', 'map', 'google'],
  slack: ['slack'],
  notion: ['notion'],
  brave: ['brave'],
  firecrawl: ['firecrawl', 'scrape', 'crawl'],
  tavily: ['tavily'],
  context7: ['context7', 'documentation', 'docs', 'library'],
  everart: ['everart', 'art'],
  thinking: ['think', 'thinking', 'reasoning'],
  aws: ['aws', 'amazon', 'bedrock'],
};

/** Server-name words too generic to say which server a task means ("brave-search", "aws-kb-retrieval"). */
const GENERIC_SERVER_WORDS: ReadonlySet<string> = new Set(['search', 'server', 'mcp', 'retrieval', 'kb', 'api', 'sequential', 'google']);

/** Field weights: a word in the name says more than one deep in a long description. */
const BOOST = { name: 3, title: 2, serverWords: 1.5, description: 1, args: 0.6 };
/** Score factor of a tool whose server the task names. */
const SERVER_INTENT = 3;

/**
 * The ranked catalog: BM25 (MiniSearch) over names, titles, descriptions, argument names and the
 * server, with what plain keyword ranking lacks for tools: identifiers split, synonyms folded, stems,
 * field boosts, prefix and fuzzy matching, and a boost for the tools of a server the task names.
 */
export class ToolIndex {
  readonly #vocabulary: Vocabulary;
  readonly #aliases: Readonly<Record<string, readonly string[]>>;
  #search: MiniSearch<Doc>;
  #tools = new Map<string, IndexableTool>();
  /** Every indexed (folded) word. */
  #terms = new Set<string>();
  /** Folded word → servers it names. */
  #serverWords = new Map<string, Set<string>>();

  constructor(options: ToolIndexOptions = {}) {
    this.#vocabulary = new Vocabulary(options.synonyms);
    this.#aliases = options.serverAliases ?? {};
    this.#search = this.#empty();
  }

  /** Number of indexed tools. */
  get size(): number {
    return this.#tools.size;
  }

  /** Replaces the indexed tools (the catalog changed). */
  rebuild(tools: readonly IndexableTool[]): void {
    const search = this.#empty();
    const byName = new Map<string, IndexableTool>();
    const serverWords = new Map<string, Set<string>>();
    const namedBy = new Map<string, string[]>();
    for (const t of tools) byName.set(t.name, t);
    for (const t of byName.values()) {
      if (namedBy.has(t.server)) continue;
      const words = this.#wordsOf(t.server);
      namedBy.set(t.server, words);
      for (const w of words)
        for (const f of this.#vocabulary.terms(w) ?? []) serverWords.set(f, (serverWords.get(f) ?? new Set()).add(t.server));
    }
    const docs = [...byName.values()].map((t) => this.#doc(t, namedBy.get(t.server) ?? []));
    search.addAll(docs);
    const terms = new Set<string>();
    for (const doc of docs) {
      for (const text of [doc.name, doc.title, doc.description, doc.args, doc.serverWords]) {
        for (const word of splitWords(text)) for (const term of this.#vocabulary.terms(word) ?? []) terms.add(term);
      }
    }
    this.#search = search;
    this.#terms = terms;
    this.#tools = byName;
    this.#serverWords = serverWords;
  }

  /** The indexed tool of that exposed name. */
  get(name: string): IndexableTool | undefined {
    return this.#tools.get(name);
  }

  /** The best matches for a free-text task, best first. */
  search(text: string, query: ToolQuery): ToolHit[] {
    const intended = this.#intendedServers(text);
    const { server, visible } = query;
    const results: SearchResult[] = this.#search.search(text, {
      filter:
        server === undefined && visible === undefined
          ? undefined
          : (r) => (server === undefined || r.server === server) && (visible === undefined || visible(r.id as string)),
      boostDocument: intended.size === 0 ? undefined : (_id, _term, stored) => (intended.has(stored?.server as string) ? SERVER_INTENT : 1),
    });
    const hits: ToolHit[] = [];
    for (const r of results) {
      if (hits.length >= query.limit) break;
      const t = this.#tools.get(r.id as string);
      if (t !== undefined) hits.push({ name: t.name, server: t.server, score: r.score, tool: t.tool });
    }
    return hits;
  }

  #empty(): MiniSearch<Doc> {
    const vocabulary = this.#vocabulary;
    return new MiniSearch<Doc>({
      fields: ['name', 'title', 'description', 'args', 'serverWords'],
      storeFields: ['server'],
      tokenize: splitWords,
      processTerm: (term) => vocabulary.terms(term),
      searchOptions: {
        boost: BOOST,
        // Prefix and fuzzy matching only for words the catalog does not have (a typo, a cut word):
        // a known word matches exactly, which keeps the common search cheap and precise.
        prefix: (term) => term.length >= 4 && !this.#terms.has(term),
        fuzzy: (term) => (term.length >= 5 && !this.#terms.has(term) ? 0.25 : false),
        maxFuzzy: 2,
        weights: { prefix: 0.4, fuzzy: 0.3 },
      },
    });
  }

  /** The words that name a server: its own name's words, known aliases, configured aliases. */
  #wordsOf(server: string): string[] {
    const own = splitWords(server).filter((w) => !GENERIC_SERVER_WORDS.has(w));
    const words = new Set<string>(own);
    for (const w of own) for (const alias of KNOWN_SERVER_WORDS[w] ?? []) words.add(alias);
    for (const alias of this.#aliases[server] ?? []) for (const w of splitWords(alias)) words.add(w);
    return [...words];
  }

  #intendedServers(text: string): Set<string> {
    const servers = new Set<string>();
    if (this.#serverWords.size === 0) return servers;
    for (const word of splitWords(text)) {
      for (const f of this.#vocabulary.terms(word) ?? []) for (const s of this.#serverWords.get(f) ?? []) servers.add(s);
    }
    return servers;
  }

  #doc(t: IndexableTool, words: readonly string[]): Doc {
    const schema = t.tool.inputSchema as { properties?: Record<string, unknown> } | undefined;
    const args = Object.keys(schema?.properties ?? {});
    return {
      id: t.name,
      server: t.server,
      name: t.tool.name,
      title: t.tool.title ?? t.tool.annotations?.title ?? '',
      description: t.tool.description ?? '',
      args: args.join(' '),
      serverWords: `${t.server} ${words.join(' ')}`,
    };
  }
}
