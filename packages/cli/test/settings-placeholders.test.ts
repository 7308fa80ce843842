import { describe, expect, it } from 'vitest';
import { expandPathPlaceholders } from '../src/settings-placeholders.js';

describe('path placeholders in the plugins section', () => {
  it('expands the path builtins in every string, deep in objects and lists', () => {
    const section = {
      guard: { servers: { files: { paths: { roots: ['${workspaceFolder}/data', '${userHome}/notes'] } } } },
      pinning: { file: '${ workspaceFolder }${/}pins.json', onChange: 'block' },
      named: '${workspaceFolderBasename}',
      other: [1, true, null],
    };
    expect(expandPathPlaceholders(section, '/srv/app', '/home/me')).toEqual({
      guard: { servers: { files: { paths: { roots: ['/srv/app/data', '/home/me/notes'] } } } },
      pinning: { file: '/srv/app/pins.json', onChange: 'block' },
      named: 'app',
      other: [1, true, null],
    });
  });

  it('leaves environment variables and unknown placeholders as written (plugin options are not secret-masked)', () => {
    expect(expandPathPlaceholders({ redis: '${REDIS_URL}', key: '${input:x}', home: '${userHome}' }, '/srv/app', undefined)).toEqual({
      redis: '${REDIS_URL}',
      key: '${input:x}',
      home: '${userHome}',
    });
  });
});
