import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig({
  ...packageBuild,
  entry: {
    index: 'src/index.ts',
    stdio: 'src/stdio/index.ts',
    prespawn: 'src/stdio/prespawn.ts',
    'oauth-discovery': 'src/oauth-discovery/index.ts',
  },
});
