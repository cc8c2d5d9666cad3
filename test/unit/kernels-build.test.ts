/**
 * The committed WebAssembly binaries are exactly what their C sources build to: src/kernels/build.sh
 * is run into a temporary folder and every generated module is compared byte for byte. CI installs
 * clang and lld (Debian packages) for this; without them the test fails and says what to install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const KERNELS = fileURLToPath(new URL('../../src/kernels/', import.meta.url));

describe('Script: src/kernels/build.sh', () => {
  it('rebuilds every committed kernel byte for byte from its C source', () => {
    const toolchain = spawnSync(
      'bash',
      ['-c', 'command -v clang && (command -v wasm-ld || command -v wasm-ld-14)'],
      { encoding: 'utf8' },
    );
    expect(toolchain.status, 'clang and wasm-ld are needed: apt-get install clang lld').toBe(0);
    const out = mkdtempSync(join(tmpdir(), 'kernels-'));
    try {
      execFileSync('bash', [join(KERNELS, 'build.sh'), out], { stdio: 'pipe' });
      for (const name of ['als-wasm.ts', 'dot-wasm.ts']) {
        expect(readFileSync(join(out, name), 'utf8'), `${name} differs from what its source builds to`).toBe(
          readFileSync(join(KERNELS, name), 'utf8'),
        );
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
