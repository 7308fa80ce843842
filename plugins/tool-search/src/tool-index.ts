import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { Bm25 } from './bm25.js';
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

/** The indexed fields of a tool, in {@link BOOST} order. */
type Doc = readonly [name: string, title: string, description: string, args: string, serverWords: string];

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

/** Field weights (name, title, description, args, server words): a word in the name says more than one deep in a long description. */
const BOOST = [3, 2, 1, 0.6, 1.5];
/** Score factor of a tool whose server the task names. */
const SERVER_INTENT = 3;

/**
 * The ranked catalog: BM25 ({@link Bm25}) over names, titles, descriptions, argument names and the
 * server, with what plain keyword ranking lacks for tools: identifiers split, synonyms folded, stems,
 * field boosts, prefix and fuzzy matching, and a boost for the tools of a server the task names.
 */
export class ToolIndex {
  readonly #vocabulary: Vocabulary;
  readonly #aliases: Readonly<Record<string, readonly string[]>>;
  #search: Bm25;
  /** The indexed tools, by document number. */
  #docs: IndexableTool[] = [];
  #tools = new Map<string, IndexableTool>();
  /** Folded word → servers it names. */
  #serverWords = new Map<string, Set<string>>();

  constructor(options: ToolIndexOptions = {}) {
    this.#vocabulary = new Vocabulary(options.synonyms);
    this.#aliases = options.serverAliases ?? {};
    this.#search = this.#bm25([]);
  }

  /** Number of indexed tools. */
  get size(): number {
    return this.#tools.size;
  }

  /** Replaces the indexed tools (the catalog changed). */
  rebuild(tools: readonly IndexableTool[]): void {
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
    const docs = [...byName.values()];
    this.#search = this.#bm25(docs.map((t) => this.#doc(t, namedBy.get(t.server) ?? [])));
    this.#docs = docs;
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
    const docs = this.#docs;
    const ranked = this.#search.search(
      splitWords(text),
      intended.size === 0 ? () => 1 : (d) => (intended.has(docs[d]!.server) ? SERVER_INTENT : 1),
      server === undefined && visible === undefined
        ? undefined
        : (d) => (server === undefined || docs[d]!.server === server) && (visible === undefined || visible(docs[d]!.name)),
      query.limit,
    );
    return ranked.docs.map((d, i) => {
      const t = docs[d]!;
      return { name: t.name, server: t.server, score: ranked.scores[i]!, tool: t.tool };
    });
  }

  /** Split words go in; the vocabulary folds them (stop words, synonyms, stems) into terms. */
  #bm25(docs: readonly Doc[]): Bm25 {
    const vocabulary = this.#vocabulary;
    return new Bm25(
      docs.map((doc) => doc.map(splitWords)),
      BOOST,
      (word) => vocabulary.terms(word),
    );
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
    return [
      t.tool.name,
      t.tool.title ?? t.tool.annotations?.title ?? '',
      t.tool.description ?? '',
      args.join(' '),
      `${t.server} ${words.join(' ')}`,
    ];
  }
}
