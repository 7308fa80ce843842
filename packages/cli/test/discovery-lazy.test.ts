// The command line declares its `--no-<source>` flags and hides secrets without loading
// @mcp-bridge/discovery up front (see src/discovery-lazy.ts); these keep that copy honest.
import { discover, scrubSecrets as discoveryScrub, SOURCE_KINDS as DISCOVERY_SOURCE_KINDS } from '@mcp-bridge/discovery';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretScrubber, scrubSecrets, SOURCE_KINDS } from '../src/discovery-lazy.js';

describe('discovery-lazy', () => {
  it('SOURCE_KINDS is discovery’s list, in its order', () => {
    expect([...SOURCE_KINDS]).toEqual([...DISCOVERY_SOURCE_KINDS]);
  });

  it('scrubSecrets hides what discover() interpolated once loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-bridge-lazy-'));
    try {
      const file = join(dir, 'servers.json');
      writeFileSync(file, JSON.stringify({ mcpServers: { s: { command: 'node', env: { KEY: '${LAZY_TEST_SECRET}' } } } }));
      await discover({ cwd: dir, home: dir, env: { LAZY_TEST_SECRET: 'hunter2-lazy' }, configFile: file, sources: {} });
      await loadSecretScrubber();
      expect(discoveryScrub('key hunter2-lazy')).not.toContain('hunter2-lazy');
      expect(scrubSecrets('key hunter2-lazy')).toBe(discoveryScrub('key hunter2-lazy'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
