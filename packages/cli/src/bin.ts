#!/usr/bin/env node
// The `mcp-bridge` executable: runs the CLI and exits with its code.
import { ignoreBrokenPipe } from './io.js';
import { run } from './program.js';

// `mcp-bridge list | head -1`: the reader leaving is not a crash.
ignoreBrokenPipe(process.stdout);
ignoreBrokenPipe(process.stderr);
const code = await run(process.argv.slice(2));
process.exitCode = code;
// Everything run() opened is closed by now; a stray handle (a library's timer) must not keep the
// process alive, but stdout gets a moment to flush when it is a pipe.
setTimeout(() => process.exit(code), 1000).unref();
