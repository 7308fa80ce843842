import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** A line longer than this (characters) without a newline is not a message: the client is sending garbage. */
const MAX_LINE_LENGTH = 10 * 1024 * 1024;

/**
 * The server side of MCP over stdio (newline-delimited JSON-RPC), for the gateway's one client.
 *
 * Why not the SDK's `StdioServerTransport`: it copies its whole read buffer on every chunk
 * (`Buffer.concat`), and validates every line against the JSON-RPC union schema with zod before the
 * protocol validates it again; and it writes every message with its own `write`, a synchronous
 * syscall on a Linux pipe. Here lines are split on a decoded string, the protocol's own checks are
 * the only ones (a line that is not JSON is reported and skipped, as before), and the messages sent
 * in one turn of the event loop leave in one `writev` when the turn ends (`process.nextTick` runs
 * after the current microtasks, so no message waits for a later event).
 */
export class StdioSessionTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  readonly #in: Readable;
  readonly #out: Writable;
  readonly #decoder = new StringDecoder('utf8');
  #pending = '';
  #corked = false;
  #started = false;
  #closed = false;

  constructor(stdin: Readable, stdout: Writable) {
    this.#in = stdin;
    this.#out = stdout;
  }

  // The SDK's Transport interface wants a promise; async turns a throw into the rejection callers expect.
  // eslint-disable-next-line @typescript-eslint/require-await
  async start(): Promise<void> {
    if (this.#started) throw new Error('StdioSessionTransport already started');
    this.#started = true;
    this.#in.on('data', this.#onData);
    this.#in.on('error', this.#onError);
  }

  readonly #onError = (error: Error): void => {
    this.onerror?.(error);
  };

  readonly #onData = (chunk: Buffer | string): void => {
    let text = this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 /* \r */ ? nl - 1 : nl;
      const line = text.slice(start, end);
      start = nl + 1;
      if (line.trim() === '') continue;
      this.#deliver(line);
      if (this.#closed) return;
    }
    text = start === 0 ? text : text.slice(start);
    if (text.length > MAX_LINE_LENGTH) {
      this.#pending = '';
      this.onerror?.(new Error(`stdin: a line of more than ${MAX_LINE_LENGTH} characters without a newline; dropped`));
      return;
    }
    this.#pending = text;
  };

  #deliver(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      this.onerror?.(
        new Error(`stdin: not a JSON-RPC message (${error instanceof Error ? error.message : String(error)}): ${line.slice(0, 200)}`),
      );
      return;
    }
    // The protocol checks the shape (request, notification or response) and reports what is neither.
    this.onmessage?.(message as JSONRPCMessage);
  }

  send(message: JSONRPCMessage): Promise<void> {
    const out = this.#out;
    if (!this.#corked && !out.writableEnded) {
      this.#corked = true;
      out.cork();
      process.nextTick(this.#uncork);
    }
    return new Promise((resolve) => {
      if (out.write(`${JSON.stringify(message)}\n`)) resolve();
      else out.once('drain', resolve);
    });
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#out.uncork();
  };

  // The SDK's Transport interface wants a promise; async turns a throw into the rejection callers expect.
  // eslint-disable-next-line @typescript-eslint/require-await
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#in.off('data', this.#onData);
    this.#in.off('error', this.#onError);
    // Paused only when nobody else reads it (the SDK's transport does the same).
    if (this.#in.listenerCount('data') === 0) this.#in.pause();
    this.#pending = '';
    this.onclose?.();
  }
}
