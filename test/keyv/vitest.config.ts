// Vitest runs only the official Keyv suite (@keyv/test-suite is written for Vitest);
// keyv-test-suite.test.ts starts it from `npm test`. Everything else runs under node:test.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/keyv/suite/*.vitest.ts'],
    pool: 'forks',
    fileParallelism: false,
    watch: false,
  },
});
