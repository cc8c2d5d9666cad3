import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration files start real servers (moto, HTTP) and the machine has two cores: one file at a time.
    fileParallelism: false,
    coverage: {
      provider: 'v8',
      // What runs in the test process; the container's threads and spawned processes report no coverage.
      include: ['src/**/*.ts', 'training/**/*.ts', 'handlers/**/*.ts'],
      exclude: ['src/kernels/*-wasm.ts', 'src/**/index.ts'],
      reporter: ['text-summary'],
      // Measured on the whole suite (unit + integration); a drop below these fails `npm test`.
      thresholds: { statements: 85, branches: 80, functions: 85, lines: 85 },
    },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
