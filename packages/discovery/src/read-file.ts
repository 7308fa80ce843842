import { readFile } from 'node:fs/promises';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';

/** A config file that parsed: its text, syntax tree (for line numbers) and value. */
export interface ParsedFile {
  file: string;
  root: Node;
  value: Record<string, unknown>;
  /** Offsets where each line starts, for offset → line. */
  lineStarts: number[];
}

/** Outcome of reading one file. */
export type ReadResult =
  { status: 'missing' } | { status: 'invalid'; error: string; line?: number; column?: number } | { status: 'loaded'; parsed: ParsedFile };

/**
 * Reads and parses a config file as JSONC (comments and trailing commas allowed, as VS Code does;
 * plain JSON is a subset). Never throws: a missing file, an unreadable one and a syntax error each
 * come back as a status, the syntax error with its line and column.
 */
export async function readConfigFile(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing' };
    return { status: 'invalid', error: `cannot read: ${(error as Error).message}` };
  }
  return parseConfigText(file, text);
}

/** {@link readConfigFile} for text already in hand. */
export function parseConfigText(file: string, text: string): ReadResult {
  // A byte order mark is legal at the start of a file some Windows editors write.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineStarts = lineStartsOf(body);
  const errors: ParseError[] = [];
  const root = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first || !root) {
    const offset = first?.offset ?? 0;
    const { line, column } = position(lineStarts, offset);
    const what = first ? describeParseError(printParseErrorCode(first.error)) : 'empty file';
    return { status: 'invalid', error: `invalid JSON at line ${line}, column ${column}: ${what}`, line, column };
  }
  if (root.type !== 'object') {
    return { status: 'invalid', error: `expected a JSON object at the top level, got ${root.type}`, line: 1, column: 1 };
  }
  return { status: 'loaded', parsed: { file, root, value: getNodeValue(root) as Record<string, unknown>, lineStarts } };
}

/** 1-based line of the node at `path`: the line of its key when it is a property value. */
export function lineOf(parsed: ParsedFile, path: (string | number)[]): number | undefined {
  const node = findNodeAtLocation(parsed.root, path);
  if (!node) return undefined;
  const anchor = node.parent?.type === 'property' ? node.parent : node;
  return position(parsed.lineStarts, anchor.offset).line;
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

function position(lineStarts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lineStarts[lo]! + 1 };
}

/** `CommaExpected` → `comma expected`. */
function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
