import { defineConfig } from 'vitest/config';

/** `npm run test:image`: builds and runs the real container image (needs podman or docker; slow). */
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    // The first build installs dependencies inside the image: minutes on a busy 2-core machine.
    hookTimeout: 900_000,
  },
});
