// Captures the tools/list output of a published MCP server (stdio) into test/fixtures/<out>.json.
// Usage: node scripts/capture-tools.mjs <out-name> <package@version> <bin-command...> [-- env KEY=VALUE ...]
// Runs the command in the current directory (install the package there first), speaks raw JSON-RPC
// (initialize, notifications/initialized, tools/list with pagination) and records the package and version.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [out, pkg, ...rest] = process.argv.slice(2);
const envStart = rest.indexOf('--');
const command = envStart === -1 ? rest : rest.slice(0, envStart);
const env = { ...process.env };
if (envStart !== -1) for (const kv of rest.slice(envStart + 1)) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);

const child = spawn(command[0], command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
let buffer = '';
const waiting = new Map();
child.stdout.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl).trim();
    buffer = buffer.slice(nl + 1);
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.id !== undefined && waiting.has(msg.id)) waiting.get(msg.id)(msg);
  }
});
child.stderr.on('data', () => {});
let id = 0;
const request = (method, params) =>
  new Promise((resolve, reject) => {
    const n = ++id;
    const timer = setTimeout(() => reject(new Error(`${method} timed out`)), 60_000);
    waiting.set(n, (msg) => {
      clearTimeout(timer);
      if (msg.error) reject(new Error(JSON.stringify(msg.error)));
      else resolve(msg.result);
    });
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: n, method, params }) + '\n');
  });

try {
  const init = await request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'capture-tools', version: '1.0.0' },
  });
  child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  const tools = [];
  let cursor;
  do {
    const page = await request('tools/list', cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  const file = fileURLToPath(new URL(`../test/fixtures/${out}.json`, import.meta.url));
  const fixture = {
    source: `captured from ${pkg} (stdio) with a raw JSON-RPC client (scripts/capture-tools.mjs)`,
    package: pkg,
    serverInfo: init.serverInfo,
    tools,
  };
  writeFileSync(file, JSON.stringify(fixture, null, 1) + '\n');
  console.log(`${out}: ${tools.length} tools`);
} catch (error) {
  console.error(`${out}: ${error.message}`);
  process.exitCode = 1;
} finally {
  child.kill();
}
