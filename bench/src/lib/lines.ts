import type { Readable } from 'node:stream';

/** Calls `onLine` with each non-blank line of newline-delimited text read from `stream` (stdio JSON-RPC framing). */
export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
  });
}
