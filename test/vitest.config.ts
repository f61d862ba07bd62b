import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string): string => fileURLToPath(new URL(`../packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import packages by their public names; these resolve to the sources, so a test run never
// sees a stale build. The pack test checks the built output separately.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tapegrad\/tensor$/, replacement: src('tensor') },
      { find: /^@tapegrad\/tensor\/internal$/, replacement: src('tensor').replace(/index\.ts$/, 'internal.ts') },
      { find: /^@tapegrad\/autograd$/, replacement: src('autograd') },
      { find: /^@tapegrad\/nn$/, replacement: src('nn') },
      { find: /^@tapegrad\/graph$/, replacement: src('graph') },
      { find: /^@tapegrad\/backend-wasm$/, replacement: src('backend-wasm') },
      { find: /^@tapegrad\/backend-native$/, replacement: src('backend-native') },
      // Node's view of the umbrella (its "node" export condition), which chooses the default backend.
      { find: /^tapegrad$/, replacement: fileURLToPath(new URL('../packages/tapegrad/src/node.ts', import.meta.url)) },
    ],
  },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['./test/setup/default-backend.ts'],
    reporters: ['default', './test/setup/summary-reporter.ts'],
  },
});
