/** What is kept of a line longer than the limit: its first and last bytes, and its size. */
export interface OversizeLine {
  /** Length of the whole line in bytes (without the newline). */
  bytes: number;
  /** Its first bytes (at most `EDGE_BYTES`), as text. */
  head: string;
  /** Its last bytes (at most `EDGE_BYTES`), as text. */
  tail: string;
}

/** Bytes kept from each end of an oversize line: enough to find a JSON-RPC id next to `result`/`error`. */
const EDGE_BYTES = 512;

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines of at most `maxLineBytes` each. Unlike the SDK's `ReadBuffer`
 * (which throws once 10 MiB are buffered and then parses the rest of the line as garbage), a line
 * over the limit is skipped to its newline while only its two ends are kept, so the reader can say
 * which answer was lost. Chunks are kept as a list and joined once per line, not once per chunk.
 */
export class LineReader {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Set while skipping an oversize line: its head, the tail seen so far, and its size. */
  #skipping: { head: Buffer; tail: Buffer; bytes: number } | undefined;

  /** @param maxLineBytes Longest line accepted, in bytes. */
  constructor(maxLineBytes: number) {
    this.#max = maxLineBytes;
  }

  /**
   * Feeds one chunk; calls `onLine` with each complete line (without `\n`, nor a trailing `\r`) and
   * `onOversize` for each line that exceeded the limit, in stream order.
   */
  push(chunk: Buffer, onLine: (line: string) => void, onOversize: (line: OversizeLine) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#skipping) this.#skip(piece);
      else if (this.#size + piece.length > this.#max) this.#beginSkip(piece);
      else if (piece.length > 0) {
        this.#chunks.push(piece);
        this.#size += piece.length;
      }
      if (nl === -1) return;
      this.#endLine(onLine, onOversize);
      start = nl + 1;
    }
  }

  /** Forgets a partial line (the stream ended or the transport closed). */
  clear(): void {
    this.#chunks = [];
    this.#size = 0;
    this.#skipping = undefined;
  }

  #beginSkip(piece: Buffer): void {
    const all = Buffer.concat([...this.#chunks, piece]);
    this.#chunks = [];
    this.#size = 0;
    // Copies: the kept ends must not pin the huge chunks they were cut from.
    this.#skipping = { head: Buffer.from(all.subarray(0, EDGE_BYTES)), tail: Buffer.from(all.subarray(-EDGE_BYTES)), bytes: all.length };
  }

  #skip(piece: Buffer): void {
    const s = this.#skipping!;
    s.bytes += piece.length;
    s.tail = piece.length >= EDGE_BYTES ? Buffer.from(piece.subarray(-EDGE_BYTES)) : Buffer.concat([s.tail, piece]).subarray(-EDGE_BYTES);
  }

  #endLine(onLine: (line: string) => void, onOversize: (line: OversizeLine) => void): void {
    const skipped = this.#skipping;
    if (skipped) {
      this.#skipping = undefined;
      onOversize({ bytes: skipped.bytes, head: skipped.head.toString('utf8'), tail: skipped.tail.toString('utf8').replace(/\r$/, '') });
      return;
    }
    const line = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    this.#chunks = [];
    this.#size = 0;
    onLine(line.toString('utf8').replace(/\r$/, ''));
  }
}

const ID = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
/** `{"jsonrpc":"2.0","id":7,"result":` (id before the payload: Python SDK, most hand-written servers). */
const HEAD_ID = new RegExp(
  String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID}\s*,\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"(?:result|error)"\s*:`,
);
/** `{"result":` or `{"jsonrpc":"2.0","result":`: a response whose id comes last (the TypeScript SDK). */
const HEAD_RESPONSE = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"(?:result|error)"\s*:/;
/** `,"id":7}` closing the top-level object: exactly one brace, so not the id of a nested object. */
const TAIL_ID = new RegExp(String.raw`"id"\s*:\s*${ID}\s*\}\s*$`);

/**
 * The JSON-RPC id of an oversize line when it provably is a response (its `result`/`error` key
 * comes first, after `jsonrpc` and `id`), else undefined: a request or notification from the
 * server must never be mistaken for the answer to one of ours.
 */
export function responseIdOf(line: OversizeLine): string | number | undefined {
  const parse = (raw: string): string | number => (raw.startsWith('"') ? (JSON.parse(raw) as string) : Number(raw));
  const head = HEAD_ID.exec(line.head);
  if (head) return parse(head[1]!);
  if (!HEAD_RESPONSE.test(line.head)) return undefined;
  const tail = TAIL_ID.exec(line.tail);
  return tail ? parse(tail[1]!) : undefined;
}

/** Whether an oversize line starts like a response (`result` or `error` among its first keys). */
export function looksLikeResponse(line: OversizeLine): boolean {
  return HEAD_ID.test(line.head) || HEAD_RESPONSE.test(line.head);
}
