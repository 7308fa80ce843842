#!/usr/bin/env node
// The `mcp-bridge` executable: runs the CLI and exits with its code.
import { run } from './program.js';

const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything run() opened is closed by now; a stray handle (a library's timer) must not keep the
// process alive, but stdout gets a moment to flush when it is a pipe.
setTimeout(() => process.exit(code), 1000).unref();
