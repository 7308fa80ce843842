#!/usr/bin/env node
// `node scripts/check-size.mjs [--max-lines 400] [--max-function 80] [--allow PATH ...] [ROOT ...]`
//
// House rule (DESIGN §3.5, §7): no source file over 400 lines, no function over 80. Reports every
// `.ts` file under packages/*/src and plugins/*/src (or the ROOTs given) that breaks either limit
// and exits 1 when any is found, so CI and the lead can run it on the whole tree.
//
// Functions are found with the TypeScript compiler API (declarations, expressions, arrow
// functions, methods, accessors, constructors), so a 300-line closure returned from a factory
// counts as the function it is. A function's length is counted from the line of its first token to
// the line of its last one, nested functions included (a function that holds a long closure is
// long too). `--allow PATH` (repeatable; a file or a folder prefix, relative to the repository
// root) skips paths another change owns, e.g. `--allow packages/core/src --allow packages/server/src`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Parses the command line; throws a message naming the bad argument. */
function parseArgs(argv) {
  const opts = { maxLines: 400, maxFunction: 80, allow: [], roots: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--max-lines') opts.maxLines = positive(arg, value());
    else if (arg === '--max-function') opts.maxFunction = positive(arg, value());
    else if (arg === '--allow') opts.allow.push(normalise(value()));
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else opts.roots.push(arg);
  }
  return opts;
}

function positive(name, text) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${text}"`);
  return n;
}

/** Repository-relative, forward slashes, no trailing slash: how paths are compared. */
function normalise(path) {
  const abs = path.startsWith('/') ? path : join(root, path);
  return relative(root, abs).split(sep).join('/').replace(/\/$/, '');
}

/** The default roots: every package's and plugin's src folder. */
function defaultRoots() {
  const roots = [];
  for (const group of ['packages', 'plugins']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const src = join(dir, name, 'src');
      if (existsSync(src)) roots.push(src);
    }
  }
  return roots;
}

function listTs(path, out) {
  const st = statSync(path);
  if (st.isFile()) {
    if (/\.(c|m)?tsx?$/.test(path) && !path.endsWith('.d.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    listTs(join(path, entry), out);
  }
  return out;
}

function isAllowed(rel, allow) {
  return allow.some((a) => rel === a || rel.startsWith(`${a}/`));
}

/** A readable name for a function-like node: its own name, or the variable/property it is assigned to. */
function functionName(node, sf) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  if (node.name) return node.name.getText(sf);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) {
    return parent.name.getText(sf);
  }
  return '<anonymous>';
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

/** Every finding of one file: its length, and each function over the limit. */
function checkFile(file, opts) {
  const text = readFileSync(file, 'utf8');
  const rel = normalise(file);
  const findings = [];
  // A trailing newline does not make another line (`wc -l` agrees).
  const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > opts.maxLines) findings.push(`${rel}: ${lines} lines (limit ${opts.maxLines})`);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (isFunctionLike(node) && node.body) {
      const first = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const last = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const length = last - first + 1;
      if (length > opts.maxFunction) {
        findings.push(`${rel}:${first + 1}: function ${functionName(node, sf)} is ${length} lines (limit ${opts.maxFunction})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return findings;
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`[check-size] ${err.message}`);
    process.exit(2);
  }
  if (opts.help) {
    console.log('usage: node scripts/check-size.mjs [--max-lines N] [--max-function N] [--allow PATH ...] [ROOT ...]');
    return;
  }
  const roots = opts.roots.length > 0 ? opts.roots.map((r) => join(root, normalise(r))) : defaultRoots();
  const files = [];
  for (const r of roots) {
    if (!existsSync(r)) {
      console.error(`[check-size] no such file or folder: ${normalise(r)}`);
      process.exit(2);
    }
    listTs(r, files);
  }
  const findings = files.filter((f) => !isAllowed(normalise(f), opts.allow)).flatMap((f) => checkFile(f, opts));
  for (const f of findings) console.log(f);
  if (findings.length > 0) {
    console.error(`[check-size] ${findings.length} finding(s) in ${files.length} files`);
    process.exit(1);
  }
  console.log(`[check-size] ${files.length} files within ${opts.maxLines} lines, functions within ${opts.maxFunction}`);
}

main();
