import * as core from '@mcp-bridge/core';
import { createBridge, type Bridge, type BridgeEvents } from '@mcp-bridge/core';
import { describePluginConformance, inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { GUARD_META_KEY, guard, type GuardOptions } from '../src/index.js';

describePluginConformance(
  () =>
    guard({
      urls: { arguments: ['url'] },
      limits: { maxStringLength: 100_000 },
      deny: [{ pattern: 'rm -rf' }],
      secrets: { arguments: 'block', results: 'redact' },
    }),
  { core, vitest: { describe, it } },
);

// Fake credentials built at run time, so this file itself holds none a scanner would flag.
const AWS_KEY_ID = ['AKIA', 'QWERTYUIOPASDFGH'].join('');
const GITHUB_TOKEN = ['ghp', '_', 'x7Yw3Kq9Lm2Np5Rs8Tv1Zb4Cd6Fg0Hj3Kl7M'].join('');
const PEM = [
  ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' '),
  'MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2dNC6yh1k3VVzAX8Y9R7HhMnA1vQ',
  'Zb4Cd6Fg0Hj3Kl7MnQWERTYuiopASDFghjklZXCVbnm1234567890abcdefABCDEF',
  ['-----END', 'RSA PRIVATE KEY-----'].join(' '),
].join('\n');

const open: Bridge[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((b) => b.close()));
});

async function start(options: GuardOptions) {
  const up = inMemoryTestServer({ extraTools: ['fetch_url', 'store', 'note'] });
  const bridge = createBridge({ servers: { up }, plugins: [guard(options)] });
  open.push(bridge);
  const refused: BridgeEvents['guard:refused'][] = [];
  const redacted: BridgeEvents['guard:redacted'][] = [];
  bridge.on('guard:refused', (e) => refused.push(e));
  bridge.on('guard:redacted', (e) => redacted.push(e));
  await bridge.start();
  return { bridge, ledger: up.ledger, refused, redacted };
}

const textOf = (r: { content: unknown }) => (r.content as { text: string }[])[0]!.text;

describe('URL confinement', () => {
  const urls: GuardOptions = { tools: { fetch_url: { urls: { arguments: ['text'] } } } };

  it('refuses metadata, loopback and private addresses (literal and encoded) without sending; a public address passes', async () => {
    const { bridge, ledger, refused } = await start(urls);
    for (const [url, why] of [
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a private or link-local address'],
      ['http://127.0.0.1:6379/', '127.0.0.1 is a loopback address'],
      ['http://10.1.2.3/admin', '10.1.2.3 is a private or link-local address'],
      ['http://2130706433/', '127.0.0.1 is a loopback address'], // decimal form, normalised by the URL parser
      ['http://[::ffff:127.0.0.1]/', 'is a loopback address'],
      ['http://[fe80::1]/', 'fe80::1 is a private or link-local address'],
      ['file:///etc/passwd', 'uses the scheme "file:" (allowed: https:, http:)'],
      ['not a url', 'is not an absolute URL'],
    ]) {
      const result = await bridge.callTool('fetch_url', { text: url });
      expect(result.isError, url).toBe(true);
      expect(textOf(result)).toContain(`refused by the guard (rule: urls): argument "/text" ${JSON.stringify(url)}`);
      expect(textOf(result)).toContain(why);
    }
    expect(ledger.calls('fetch_url')).toBe(0);
    expect(refused).toHaveLength(8);
    const ok = await bridge.callTool('fetch_url', { text: 'https://93.184.215.14/index.html' });
    expect(ok.isError).toBeFalsy();
    expect(ledger.calls('fetch_url')).toBe(1);
  });

  it('resolves host names and checks every address: a name resolving to loopback is refused', async () => {
    const { bridge, ledger } = await start(urls);
    const result = await bridge.callTool('fetch_url', { text: 'http://localhost:8080/' });
    expect(textOf(result)).toContain('names the host "localhost", which resolves to');
    expect(textOf(result)).toContain('is a loopback address');
    expect(ledger.calls('fetch_url')).toBe(0);
  });

  it('allowed hosts: exact names and *.domain; loopback only when allowed', async () => {
    const { bridge, ledger } = await start({
      tools: { fetch_url: { urls: { arguments: ['text'], hosts: ['localhost', '*.example.test'], allowLoopback: true } } },
    });
    expect((await bridge.callTool('fetch_url', { text: 'http://localhost:8080/x' })).isError).toBeFalsy();
    expect(textOf(await bridge.callTool('fetch_url', { text: 'https://evil.test/' }))).toContain(
      'names the host "evil.test", which is not an allowed host',
    );
    // The bare domain is not a subdomain of itself.
    expect(textOf(await bridge.callTool('fetch_url', { text: 'https://example.test/' }))).toContain('not an allowed host');
    expect(ledger.calls('fetch_url')).toBe(1);
  });
});

describe('secrets (secretlint recommended rules)', () => {
  it('blocks a fake AWS key, GitHub token and PEM private key in arguments, naming the argument and the rule; never sent', async () => {
    const { bridge, ledger, refused } = await start({ secrets: { arguments: 'block' } });
    for (const [value, rule] of [
      [`use ${AWS_KEY_ID} for the upload`, '@secretlint/secretlint-rule-aws/AWSAccessKeyID'],
      [`token=${GITHUB_TOKEN}`, '@secretlint/secretlint-rule-github/GITHUB_TOKEN'],
      [PEM, '@secretlint/secretlint-rule-privatekey/PrivateKey'],
    ] as const) {
      const result = await bridge.callTool('store', { text: value });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe(
        `Call to tool "store" refused by the guard (rule: secrets): argument "/text" contains what looks like a secret (${rule}). ` +
          'The call was not sent to the server; change the arguments and call again.',
      );
      // The refusal never repeats the secret.
      expect(textOf(result)).not.toContain(value.slice(4, 20));
    }
    expect(ledger.calls('store')).toBe(0);
    expect(refused.map((e) => e.rule)).toEqual(['secrets', 'secrets', 'secrets']);
    expect((await bridge.callTool('store', { text: 'nothing secret here' })).isError).toBeFalsy();
    expect(bridge.guard.stats()).toEqual({ checked: 4, refused: 3, redactedArguments: 0, redactedResults: 0, withheldResults: 0 });
  });

  it('redacts arguments before sending, and redacts results (text content) from the upstream', async () => {
    const { bridge, ledger, redacted } = await start({
      tools: { store: { secrets: { arguments: 'redact' } }, echo: { secrets: { arguments: 'off', results: 'redact' } } },
    });
    // Arguments: the upstream receives the redacted text (echo-like tools return what they got).
    const stored = await bridge.callTool('store', { text: `key ${GITHUB_TOKEN} end` });
    expect(textOf(stored)).toBe('key [REDACTED:GITHUB_TOKEN] end');
    expect(ledger.calls('store')).toBe(1);
    // Results: the upstream does get the secret (arguments are not scanned for echo), the model does not.
    const echoed = await bridge.callTool('echo', { text: `a ${AWS_KEY_ID}\n${PEM}\nz` });
    expect(textOf(echoed)).toBe('a [REDACTED:AWSAccessKeyID]\n[REDACTED:PrivateKey]\nz');
    expect(echoed._meta?.[GUARD_META_KEY]).toEqual({
      redacted: [
        { pointer: '/content/0/text', rule: '@secretlint/secretlint-rule-aws/AWSAccessKeyID' },
        { pointer: '/content/0/text', rule: '@secretlint/secretlint-rule-privatekey/PrivateKey' },
      ],
    });
    expect(redacted.map((e) => [e.tool, e.where])).toEqual([
      ['store', 'arguments'],
      ['echo', 'result'],
    ]);
    expect(JSON.stringify(redacted.map((e) => e.findings))).not.toContain(AWS_KEY_ID);
  });

  it('withholds a result with a secret under results: block (the tool ran)', async () => {
    const { bridge, ledger, refused } = await start({ tools: { echo: { secrets: { results: 'block' } } } });
    const result = await bridge.callTool('echo', { text: GITHUB_TOKEN });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(
      'The result of tool "echo" was withheld by the guard: /content/0/text contains what looks like a secret',
    );
    expect(textOf(result)).not.toContain(GITHUB_TOKEN);
    expect(ledger.calls('echo')).toBe(1);
    expect(refused).toMatchObject([{ where: 'result', rule: 'secrets', argument: '/content/0/text' }]);
  });
});

describe('sizes and deny patterns', () => {
  it('refuses long strings, big arguments and long arrays, naming the argument; never sent', async () => {
    const { bridge, ledger } = await start({ limits: { maxStringLength: 10, maxArgumentBytes: 200, maxArrayLength: 3 } });
    const cases: [Record<string, unknown>, string][] = [
      [{ text: 'x'.repeat(11) }, 'argument "/text" is 11 characters long (at most 10)'],
      [{ text: 'ok', list: [1, 2, 3, 4] }, 'argument "/list" has 4 items (at most 3)'],
      [
        {
          text: 'ok',
          more: Array.from({ length: 3 }, () => ({ a: 'y'.repeat(10), b: 'z'.repeat(10), c: 'w'.repeat(10), d: 'v'.repeat(10) })),
        },
        'the arguments are',
      ],
    ];
    for (const [args, why] of cases) {
      const result = await bridge.callTool('echo', args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(why);
    }
    expect(textOf(await bridge.callTool('echo', cases[2]![0]))).toMatch(
      /\(rule: limits\.maxArgumentBytes\): the arguments are \d+ bytes of JSON \(at most 200\)/,
    );
    expect(ledger.calls('echo')).toBe(0);
    expect(textOf(await bridge.callTool('echo', { text: 'short' }))).toBe('short');
  });

  it('deny patterns on chosen arguments or every value, with their own message', async () => {
    const { bridge, ledger } = await start({
      deny: [
        { pattern: '\\brm\\s{1,8}-rf\\b', flags: 'i', message: 'looks like a destructive shell command' },
        { pattern: '^DROP ', arguments: ['/query/sql'] },
      ],
    });
    const result = await bridge.callTool('note', { text: 'then RM   -rf /' });
    expect(textOf(result)).toContain('(rule: deny): argument "/text" looks like a destructive shell command');
    const nested = await bridge.callTool('note', { text: 'ok', query: { sql: 'DROP TABLE users' } });
    expect(textOf(nested)).toContain('argument "/query/sql" matches the deny pattern /^DROP /');
    expect(ledger.calls('note')).toBe(0);
    // The second pattern applies to /query/sql only.
    expect((await bridge.callTool('note', { text: 'DROP everything' })).isError).toBeFalsy();
  });
});

describe('configuration errors name the rule and the field', () => {
  const startError = async (options: unknown) => {
    const bridge = createBridge({ servers: { up: inMemoryTestServer() }, plugins: [guard(options as GuardOptions)] });
    open.push(bridge);
    return bridge.start().then(
      () => undefined,
      (error: unknown) => error as core.PluginError,
    );
  };

  it.each([
    [{ deny: [{ pattern: '(a+)+$' }] }, 'deny[0].pattern: /(a+)+$/ can backtrack catastrophically (ReDoS)'],
    [
      {
        deny: [
          { pattern: 'x', flags: 'i' },
          { pattern: 'rm\\s+-rf', flags: 'i' },
        ],
      },
      'deny[1].pattern: /rm\\s+-rf/ can backtrack catastrophically (ReDoS); rewrite it',
    ],
    [{ deny: [{ pattern: '(' }] }, 'deny[0].pattern: invalid regular expression'],
    [
      { tools: { t: { paths: { roots: ['/no/such/dir/anywhere'], detect: true } } } },
      'tools["t"].paths.roots[0]: "/no/such/dir/anywhere" cannot be resolved',
    ],
    [{ paths: { roots: ['relative/dir'], detect: true } }, 'paths.roots[0]: "relative/dir" must be an absolute path'],
    [{ paths: { roots: ['/tmp'] } }, 'paths: name the path arguments'],
    [{ urls: { arguments: ['/a/~2'] } }, 'urls.arguments[0]: "/a/~2" is not a JSON pointer'],
    [{ urls: { arguments: ['url'], hosts: ['bad host'] } }, 'urls.hosts[0]: "bad host" is not a host name'],
    [{ secrets: { arguments: 'mask' } }, 'secrets.arguments'],
    [{ limits: { maxStringLength: -1 } }, 'limits.maxStringLength'],
    [{ servers: { up: { nope: true } } }, 'unknown option "nope"'],
  ])('%j', async (options, message) => {
    const error = await startError(options);
    expect(error?.code).toBe('PLUGIN_OPTIONS_INVALID');
    expect(error?.message).toContain('[@mcp-bridge/plugin-guard] invalid options: ');
    expect(error?.message).toContain(message);
  });
});
