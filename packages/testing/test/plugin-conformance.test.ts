import { describe, expect, it } from 'vitest';
// Core's source by relative path: @mcp-bridge/testing does not depend on core (core's tests use it).
import * as core from '../../core/src/index.js';
import { BridgeError, createDefaultPool, defaultHealthPolicy, firstHealthyBalancer, type Plugin } from '../../core/src/index.js';
import {
  describePluginConformance,
  inMemoryTestServer,
  runConformanceCheck,
  type ConformanceCheckName,
  type PluginFactory,
} from '../src/index.js';

const base = { version: '1.0.0', core: '^0.1.0' };

/** An observe-phase timer: the kind of plugin most authors write first. */
const times: string[] = [];
const timing = (): Plugin => ({
  name: 'good-timing',
  ...base,
  setup(api) {
    api.use({
      phase: 'observe',
      async handle(ctx, next) {
        const t = performance.now();
        try {
          return await next();
        } finally {
          times.push(`${ctx.method} ${performance.now() - t}`);
        }
      },
    });
  },
});

/** A plugin with a timer tied to close, a retrying middleware and a service: everything done right. */
const careful = (): Plugin => ({
  name: 'good-careful',
  ...base,
  setup(api) {
    const timer = setInterval(() => undefined, 10_000);
    api.onClose(() => clearInterval(timer));
    api.use({
      phase: 'retry',
      async handle(ctx, next) {
        try {
          return await next();
        } catch (error) {
          if (ctx.signal?.aborted || !BridgeError.isInstance(error)) throw error;
          return next();
        }
      },
    });
    api.use({
      phase: 'policy',
      handle(ctx, next) {
        if (ctx.method === 'tools/call' && ctx.params.name === 'forbidden') {
          return Promise.reject(new core.ValidationError('forbidden', { plugin: 'good-careful' }));
        }
        return next();
      },
    });
  },
});

/** Core's own default services, provided by a plugin: the suite holds core's defaults to the same rules. */
const coreDefaults = (): Plugin => ({
  name: 'core-default-services',
  ...base,
  provides: ['balancer', 'pool', 'health'],
  setup(api) {
    api.provide('balancer', firstHealthyBalancer);
    api.provide('pool', (host) => createDefaultPool(host));
    api.provide('health', defaultHealthPolicy);
  },
});

describePluginConformance(timing, { core, vitest: { describe, it } });
describePluginConformance(careful, { core, vitest: { describe, it } });
describePluginConformance(coreDefaults, { core, vitest: { describe, it } });
// Author-supplied servers without a hang or error tool: `abort` is skipped, the rest runs.
describePluginConformance(timing, {
  core,
  vitest: { describe, it },
  servers: () => ({ plain: inMemoryTestServer({ name: 'plain' }) }),
  tools: { ok: 'echo' },
  args: { text: 'hi' },
});

describe('no false alarms', () => {
  it("abort: the plugin's own background calls (probes) still running are not the aborted call", async () => {
    // Like a health checker: probes a slow tool on a timer, each probe bounded by its own timeout,
    // all cancelled on close. Its middleware is in flight for the probes when the aborted call settles.
    const probing = (): Plugin => ({
      name: 'good-probing',
      ...base,
      setup(api) {
        const closing = new AbortController();
        let busy = false;
        const timer = setInterval(() => {
          if (busy || api.host.state !== 'ready') return;
          const hang = api.host.tools().find((t) => t.name === 'hang');
          if (!hang) return;
          busy = true;
          void api.host
            .request(
              hang.server,
              'tools/call',
              { name: hang.upstreamName, arguments: { key: 'probe' } },
              { signal: closing.signal, timeout: 5_000 },
            )
            .catch(() => undefined)
            .finally(() => (busy = false));
        }, 10);
        api.onClose(() => {
          clearInterval(timer);
          closing.abort(new Error('closing'));
        });
        api.use({ phase: 'upstream', handle: (_ctx, next) => next() });
      },
    });
    const result = await runConformanceCheck('abort', probing, { core, settleMs: 400, abortWithinMs: 1000 });
    expect(result.problems).toEqual([]);
    expect(result.status).toBe('passed');
  });
});

async function problemsOf(check: ConformanceCheckName, factory: PluginFactory): Promise<readonly string[]> {
  const result = await runConformanceCheck(check, factory, { core, settleMs: 400, abortWithinMs: 1000 });
  expect(result.status).toBe('failed');
  return result.problems;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('each check fails on a plugin that breaks its rule', () => {
  it('metadata: missing or invalid name, version and core range', async () => {
    const noName = await problemsOf('metadata', () => ({ name: '', version: 'one', setup() {} }));
    expect(noName.join('\n')).toMatch(/name must be a non-empty string/);
    expect(noName.join('\n')).toMatch(/version must be a valid semver version \(got "one"\)/);
    expect(noName.join('\n')).toMatch(/core must name the @mcp-bridge\/core versions/);
    const badRange = await problemsOf('metadata', () => ({ name: 'x', version: '1.0.0', core: 'not a range', setup() {} }));
    expect(badRange).toEqual(['core must be a valid semver range (got "not a range")']);
    const unsatisfied = await problemsOf('metadata', () => ({ name: 'x', version: '1.0.0', core: '^9.0.0', setup() {} }));
    expect(unsatisfied[0]).toMatch(/"\^9.0.0" is not satisfied by the installed @mcp-bridge\/core 0\.1\./);
  });

  it('fresh-hosts: a plugin whose setup only works once', async () => {
    let used = false;
    const once = (): Plugin => ({
      name: 'bad-once',
      ...base,
      setup() {
        if (used) throw new Error('already set up');
        used = true;
      },
    });
    const problems = await problemsOf('fresh-hosts', once);
    expect(problems[0]).toMatch(/host 2 of 3: start\(\) failed: .*already set up/);
  });

  it('fresh-hosts: a plugin that shares one piece of state between hosts', async () => {
    const shared = { busy: false };
    const exclusive = (): Plugin => ({
      name: 'bad-shared',
      ...base,
      setup(api) {
        if (shared.busy) throw new Error('another bridge holds the port');
        shared.busy = true;
        api.onClose(() => void (shared.busy = false));
      },
    });
    const problems = await problemsOf('fresh-hosts', exclusive);
    expect(problems.join('\n')).toMatch(/concurrent host B: start\(\) failed: .*holds the port/);
  });

  it('fresh-hosts: a plugin object that keeps its state in the factory closure', async () => {
    const closure = (): Plugin => {
      let bridges = 0;
      return {
        name: 'bad-closure',
        ...base,
        setup(api) {
          if (++bridges > 1) throw new Error('this plugin object is already in use');
          api.onClose(() => void bridges--);
        },
      };
    };
    const problems = await problemsOf('fresh-hosts', closure);
    expect(problems).toEqual([expect.stringMatching(/concurrent host B: start\(\) failed: .*already in use/)]);
  });

  it('late-next: a middleware that answers first and calls next() later', async () => {
    const late = (): Plugin => ({
      name: 'bad-late',
      ...base,
      setup(api) {
        api.use({
          phase: 'cache',
          methods: ['tools/call'],
          async handle(_ctx, next) {
            setTimeout(() => void next().catch(() => undefined), 30);
            return { content: [] };
          },
        });
      },
    });
    const problems = await problemsOf('late-next', late);
    expect(problems[0]).toMatch(/middleware "bad-late" \(phase cache\) called next\(\) after it settled \(tools\/call\)/);
  });

  it('abort: a middleware that drops the caller signal', async () => {
    const deaf = (): Plugin => ({
      name: 'bad-deaf',
      ...base,
      setup(api) {
        api.use({ phase: 'retry', handle: (ctx, next) => next({ ...ctx, signal: undefined }) });
      },
    });
    const problems = await problemsOf('abort', deaf);
    expect(problems.join('\n')).toMatch(/still pending 1000 ms after abort\(\)/);
  });

  it('abort: a middleware that keeps working after the call was cancelled', async () => {
    const lingering = (): Plugin => ({
      name: 'bad-lingering',
      ...base,
      setup(api) {
        api.use({
          phase: 'observe',
          async handle(ctx, next) {
            try {
              return await next();
            } finally {
              if (ctx.signal?.aborted) await sleep(3_000);
            }
          },
        });
      },
    });
    const problems = await problemsOf('abort', lingering);
    expect(problems.join('\n')).toMatch(/still pending 1000 ms after abort\(\)/);
  });

  it('abort: an inner middleware that keeps working for the aborted call after the outer one settled', async () => {
    const split = (): Plugin => ({
      name: 'bad-split',
      ...base,
      setup(api) {
        // Outermost: rejects as soon as the caller aborts, without waiting for what runs below.
        api.use({
          phase: 'observe',
          handle: (ctx, next) =>
            new Promise((resolve, reject) => {
              ctx.signal?.addEventListener('abort', () => reject(ctx.signal!.reason), { once: true });
              next().then(resolve, reject);
            }),
        });
        // Below it: lingers after the cancellation.
        api.use({
          phase: 'retry',
          async handle(ctx, next) {
            try {
              return await next();
            } finally {
              if (ctx.signal?.aborted) await sleep(3_000);
            }
          },
        });
      },
    });
    const problems = await problemsOf('abort', split);
    expect(problems.join('\n')).toMatch(/1 middleware invocation\(s\) of the aborted call still running 400 ms after it settled/);
  });

  it('close-releases: an interval never cleared, and an unref-ed timeout', async () => {
    const leaked: NodeJS.Timeout[] = [];
    const leaky = (): Plugin => ({
      name: 'bad-leaky',
      ...base,
      setup() {
        leaked.push(
          setInterval(() => undefined, 60_000),
          setTimeout(() => undefined, 3_600_000).unref(),
        );
      },
    });
    try {
      const text = (await problemsOf('close-releases', leaky)).join('\n');
      expect(text).toMatch(/setInterval\(…, 60000\) created at .*plugin-conformance\.test\.ts/);
      expect(text).toMatch(/setTimeout\(…, 3600000\) created at/);
    } finally {
      for (const t of leaked) clearTimeout(t);
    }
  });

  it('close-releases: a server socket left listening', async () => {
    const { createServer } = await import('node:net');
    const servers: import('node:net').Server[] = [];
    const listening = (): Plugin => ({
      name: 'bad-socket',
      ...base,
      setup() {
        servers.push(createServer().listen(0, '127.0.0.1'));
      },
    });
    try {
      const problems = await problemsOf('close-releases', listening);
      expect(problems.join('\n')).toMatch(/active handles grew .*TCPServerWrap \+1/);
    } finally {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    }
  });

  it('errors: a middleware that replaces errors with plain ones', async () => {
    const wrapping = (): Plugin => ({
      name: 'bad-errors',
      ...base,
      setup(api) {
        api.use({
          phase: 'observe',
          async handle(_ctx, next) {
            try {
              return await next();
            } catch (error) {
              // eslint-disable-next-line preserve-caught-error -- the plugin under test drops the cause on purpose
              throw new Error(`wrapped: ${String(error)}`);
            }
          },
        });
      },
    });
    const text = (await problemsOf('errors', wrapping)).join('\n');
    expect(text).toMatch(/calling "fail" rejected with Error: wrapped: .*neither a BridgeError nor the upstream's JSON-RPC error/);
    expect(text).toMatch(/middleware "bad-errors" \(phase observe\) rejected tools\/call with Error: wrapped/);
  });

  it('errors: a thrown string', async () => {
    const stringly = (): Plugin => ({
      name: 'bad-string',
      ...base,
      setup(api) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a non-Error rejection is what this test is about
        api.use({ phase: 'policy', methods: ['tools/call'], handle: () => Promise.reject('nope') });
      },
    });
    const text = (await problemsOf('errors', stringly)).join('\n');
    expect(text).toMatch(/rejected tools\/call with a thrown string \(nope\)/);
  });
});
