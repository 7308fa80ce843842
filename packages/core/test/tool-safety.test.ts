import { inMemoryTestServer } from '@mcp-bridge/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createBridge, type Bridge } from '../src/index.js';

/** A server whose `echo` says it is read-only and `add` says it is idempotent. */
const annotated = (name: string): ReturnType<typeof inMemoryTestServer> =>
  inMemoryTestServer({ name, annotations: { echo: { readOnlyHint: true }, add: { readOnlyHint: false, idempotentHint: true } } });

describe('ToolEntry.safety (trust is typed)', () => {
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('believes annotations only from a server whose every replica is trusted, once, in the catalog', async () => {
    bridge = createBridge({
      servers: {
        trusted: { ...annotated('trusted'), trusted: true },
        plain: annotated('plain'),
        mixed: { ...annotated('mixed'), replicas: [{ trusted: true }, { trusted: false }] },
      },
      onError: () => undefined,
    });
    await bridge.start();
    const safety = (name: string) => {
      const [server, tool] = name.split('_');
      return bridge!.tools().find((t) => t.server === server && t.upstreamName === tool)?.safety;
    };
    expect(safety('trusted_echo')).toEqual({ readOnly: true, idempotent: true, claimed: { readOnly: true, idempotent: true } });
    expect(safety('trusted_add')).toEqual({ readOnly: false, idempotent: true, claimed: { readOnly: false, idempotent: true } });
    expect(safety('plain_echo')).toEqual({ readOnly: false, idempotent: false, claimed: { readOnly: true, idempotent: true } });
    expect(safety('mixed_echo')).toMatchObject({ readOnly: false, idempotent: false });
  });

  it('reports a bad `trusted`, `settings` or `sessions` value for that entry; the others still start', async () => {
    bridge = createBridge({
      servers: {
        good: inMemoryTestServer({ name: 'good' }),
        bad: { ...inMemoryTestServer({ name: 'bad' }), trusted: 'yes', settings: { timeout: -1 } },
        lanes: { ...inMemoryTestServer({ name: 'lanes' }), sessions: 'per-user', maxSessionsPerUpstream: 0, sessionIdleMs: -5 },
      },
      onError: () => undefined,
    });
    await bridge.start();
    const bad = bridge.status().find((s) => s.name === 'bad');
    expect(bad?.state).toBe('invalid');
    expect(bad?.issues?.map((i) => i.path).sort()).toEqual(['settings.timeout', 'trusted']);
    const lanes = bridge.status().find((s) => s.name === 'lanes');
    expect(lanes?.issues?.map((i) => i.path).sort()).toEqual(['maxSessionsPerUpstream', 'sessionIdleMs', 'sessions']);
    expect(bridge.status().find((s) => s.name === 'good')?.state).not.toBe('invalid');
  });

  it('refuses per-caller credentials (auth) on upstream sessions shared between callers', async () => {
    const auth = { perPrincipal: { alice: 'secret-a' } };
    bridge = createBridge({
      servers: { shared: { url: 'https://files.example/mcp', auth, sessions: 'shared' }, own: { url: 'https://files.example/mcp', auth } },
      onError: () => undefined,
      startMode: 'background',
    });
    await bridge.start();
    const shared = bridge.status().find((s) => s.name === 'shared');
    expect(shared?.state).toBe('invalid');
    expect(shared?.issues).toEqual([
      expect.objectContaining({ path: 'sessions', message: expect.stringMatching(/must be "per-principal"/) }),
    ]);
    expect(bridge.status().find((s) => s.name === 'own')?.state).not.toBe('invalid');
  });
});
