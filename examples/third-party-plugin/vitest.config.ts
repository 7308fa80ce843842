import { defineConfig } from 'vitest/config';

// The conformance suite and the packaging test start real bridges and npm: more than vitest's 5 s default.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
