import { stemmer } from 'stemmer';

// What plain keyword ranking lacks for tool catalogs: names are snake_case, camelCase or kebab-case
// compounds, and a user says "remove" where the tool says "delete". Words are split, lowercased,
// stop words dropped, synonyms folded onto one word of their group, then stemmed (Porter).

/** Words that carry no intent in a task ("please list all the files in my folder"). */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the to for of in on at by with from into onto about over under as is are was were be been being ' +
    'i me my mine we us our you your it its this that these those there their them they he she his her ' +
    'and or but if then so than too very just also please can could would should will shall may might must ' +
    'do does did done have has had having want wants need needs like some any each every which what who whom ' +
    'whose how when where why here up out via using use tool tools mcp server'
  ).split(' '),
);

/**
 * Synonym groups: every word of a group is indexed and searched as the group's first word, so a task
 * that says "remove" finds `delete_*` tools. Verbs of the usual tool vocabulary, then nouns whose
 * everyday word differs from the API's. Multi-word expansions (`pr` → pull request) are in {@link EXPANSIONS}.
 */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['search', 'find', 'lookup', 'look', 'seek', 'locate', 'discover', 'hunt'],
  ['create', 'make', 'add', 'new', 'build', 'insert', 'register', 'generate'],
  ['delete', 'remove', 'erase', 'drop', 'destroy', 'rm', 'trash', 'purge', 'discard', 'unlink', 'wipe', 'forget'],
  ['read', 'get', 'fetch', 'show', 'view', 'retrieve', 'display', 'load', 'see', 'cat', 'inspect', 'check'],
  ['list', 'enumerate', 'ls', 'browse', 'all'],
  ['update', 'edit', 'modify', 'change', 'patch', 'alter', 'amend', 'set', 'tweak'],
  ['write', 'save', 'store', 'put', 'persist', 'overwrite'],
  ['send', 'post', 'publish', 'notify', 'tell', 'say', 'message', 'dm'],
  ['navigate', 'go', 'visit', 'goto'],
  ['screenshot', 'capture', 'screengrab', 'screencap'],
  ['click', 'tap'],
  ['run', 'execute', 'exec', 'invoke', 'perform', 'trigger'],
  ['move', 'rename', 'relocate', 'mv'],
  ['directory', 'folder', 'dir'],
  ['repository', 'repo', 'project', 'codebase'],
  ['issue', 'ticket', 'bug'],
  ['comment', 'remark'],
  ['image', 'picture', 'photo', 'img', 'pic', 'drawing', 'artwork', 'illustration'],
  ['user', 'member', 'person', 'people', 'teammate', 'colleague', 'account'],
  ['channel', 'room'],
  ['reaction', 'emoji', 'react'],
  ['web', 'internet', 'online'],
  ['scrape', 'extract'],
  ['documentation', 'docs', 'doc', 'manual', 'reference'],
  ['database', 'db', 'sql', 'table', 'tables'],
  ['think', 'reason', 'reasoning', 'reflect', 'brainstorm'],
  ['directions', 'route', 'itinerary'],
  ['geocode', 'coordinates', 'latitude', 'longitude', 'lat', 'lng'],
  ['place', 'restaurant', 'restaurants', 'cafe', 'shop', 'business', 'venue'],
  ['log', 'logs', 'output'],
  ['entity', 'entities', 'node', 'nodes'],
  ['observation', 'fact', 'facts'],
  ['remember', 'memorize', 'memory', 'recall'],
  ['graph', 'knowledge'],
  ['branch', 'fork'],
  ['merge', 'combine', 'land'],
  ['wait', 'sleep', 'pause'],
  ['sum', 'total', 'plus', 'arithmetic'],
  ['echo', 'repeat', 'parrot'],
  ['page', 'webpage', 'website', 'site', 'url'],
  ['dialog', 'popup', 'alert', 'prompt'],
  ['key', 'keys', 'entry'],
  ['relation', 'relationship', 'link', 'connect', 'association'],
  ['distance', 'far', 'drive', 'driving', 'travel', 'commute'],
  ['elevation', 'altitude', 'height', 'high'],
  ['select', 'pick', 'choose', 'dropdown'],
  ['size', 'sizes', 'space', 'big', 'large', 'bytes'],
  ['status', 'progress', 'ci', 'state'],
];

/** Words that stand for several indexed words. */
const EXPANSIONS: Readonly<Record<string, readonly string[]>> = {
  pr: ['pull', 'request'],
  prs: ['pull', 'request'],
  mr: ['merge', 'request'],
  mrs: ['merge', 'request'],
  k8s: ['kubernetes'],
  dm: ['direct', 'message'],
  gh: ['github'],
  pg: ['postgres'],
  env: ['environment'],
};

/**
 * Splits text into lowercase words: on anything not a letter or digit, and inside identifiers at
 * camelCase and letter/digit boundaries (`getFileInfo` → get, file, info; `API-post-page` → api, post, page).
 */
export function splitWords(text: string): string[] {
  const spaced = text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase();
  return spaced.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
}

/** Folds words to their synonym group and stem; built once per set of extra synonym groups. */
export class Vocabulary {
  readonly #canonical = new Map<string, string>();
  readonly #cache = new Map<string, string[] | null>();

  /** `extra`: more synonym groups (first word is the group's), applied after the built-in ones. */
  constructor(extra: readonly (readonly string[])[] = []) {
    for (const group of [...SYNONYM_GROUPS, ...extra]) {
      const [head, ...rest] = group.map((w) => w.toLowerCase());
      if (head === undefined) continue;
      // Inflected forms fold too: "removing" and "remove" share the stem "remov".
      for (const word of [head, ...rest]) {
        this.#canonical.set(word, head);
        if (!this.#canonical.has(stemmer(word))) this.#canonical.set(stemmer(word), head);
      }
    }
  }

  /**
   * What one word is indexed and searched as: `null` for a stop word, else one or more stemmed
   * words. Memoised: the same few thousand words come back on every search.
   */
  terms(word: string): string[] | null {
    let out = this.#cache.get(word);
    if (out !== undefined) return out;
    out = this.#fold(word);
    if (this.#cache.size < 50_000) this.#cache.set(word, out);
    return out;
  }

  #fold(word: string): string[] | null {
    const lower = word.toLowerCase();
    if (STOP_WORDS.has(lower)) return null;
    const expanded = EXPANSIONS[lower] ?? [lower];
    const out = new Set<string>();
    for (const w of expanded) {
      const canonical = this.#canonical.get(w) ?? this.#canonical.get(stemmer(w)) ?? w;
      out.add(stemmer(canonical));
    }
    return [...out];
  }
}
