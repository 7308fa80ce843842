/**
 * Keeps the last `capacity` bytes written to it. Used for a child's stderr: the stream must
 * always be read (a full pipe blocks the child), but only the tail is worth keeping for error
 * messages.
 */
export class ByteRing {
  readonly #capacity: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #total = 0;

  /** @param capacity Bytes kept; 0 keeps nothing (the stream is still drained). */
  constructor(capacity: number) {
    this.#capacity = Math.max(0, Math.floor(capacity));
  }

  /** Bytes seen since creation, kept or not. */
  get totalBytes(): number {
    return this.#total;
  }

  /** Appends a chunk, dropping the oldest bytes beyond capacity. */
  push(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#capacity === 0) return;
    if (chunk.length >= this.#capacity) {
      // Copy so a huge chunk's backing memory is not retained by a small view.
      this.#chunks = [Buffer.from(chunk.subarray(chunk.length - this.#capacity))];
      this.#size = this.#capacity;
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > this.#capacity) {
      const first = this.#chunks[0]!;
      const excess = this.#size - this.#capacity;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#size -= first.length;
      } else {
        this.#chunks[0] = first.subarray(excess);
        this.#size -= excess;
      }
    }
  }

  /** The kept bytes as UTF-8, without a character cut in half at the front. */
  toString(): string {
    let bytes = Buffer.concat(this.#chunks, this.#size);
    if (this.#total > this.#size) {
      // The front may start inside a multi-byte character: skip its continuation bytes.
      let start = 0;
      while (start < bytes.length && start < 3 && (bytes[start]! & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('utf8');
  }
}
