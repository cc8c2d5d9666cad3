import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlsResult, trainAls } from '../../src/als/index.js';
import { csrFromTriples } from '../../src/core/csr.js';
import type { AlsParams, Csr } from '../../src/core/model-data.js';
import { createRng } from '../../src/core/random.js';
import { fitFileName, openFitCheckpoint, readCheckpoint } from '../../training/checkpoint.js';

const PARAMS: AlsParams = {
  factors: 8,
  regularization: 0.1,
  alpha: 2,
  iterations: 8,
  cgSteps: 3,
  threads: 1,
  seed: 7,
};
const LABEL = 'ALS on all data';

/** 120 users in 4 taste groups over 60 items, values 1..5. */
function matrix(seed = 3): Csr {
  const rng = createRng(seed);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let u = 0; u < 120; u++) {
    for (let n = 0; n < 10; n++) {
      r.push(u);
      c.push(rng() < 0.8 ? (u % 4) * 15 + Math.floor(rng() * 15) : Math.floor(rng() * 60));
      v.push(1 + Math.floor(rng() * 5));
    }
  }
  return csrFromTriples(120, 60, r, c, v);
}

const digest = (r: Pick<AlsResult, 'userFactors' | 'itemFactors' | 'losses'>): string =>
  createHash('sha256')
    .update(new Uint8Array(r.userFactors.buffer, r.userFactors.byteOffset, r.userFactors.byteLength))
    .update(new Uint8Array(r.itemFactors.buffer, r.itemFactors.byteOffset, r.itemFactors.byteLength))
    .update(JSON.stringify(r.losses))
    .digest('hex');

class Killed extends Error {}

/** A fit with checkpoints in `dir` that dies right after iteration `killAt` is saved (like a SIGKILL then). */
async function fitWithCheckpoints(
  dir: string,
  m: Csr,
  params: AlsParams,
  killAt?: number,
): Promise<{ result: AlsResult | undefined; note: string | undefined; started: number; ran: number[] }> {
  const checkpoint = await openFitCheckpoint(dir, LABEL, m, params);
  const ran: number[] = [];
  try {
    const result = await trainAls(m, params, {
      computeLoss: true,
      start: checkpoint.start,
      onIteration: async (info) => {
        ran.push(info.iteration);
        await checkpoint.save(info);
        if (info.iteration === killAt) throw new Killed(`killed after ${killAt}`);
      },
    });
    return { result, note: checkpoint.note, started: checkpoint.start?.iteration ?? 0, ran };
  } catch (error) {
    if (error instanceof Killed) return { result: undefined, note: checkpoint.note, started: 0, ran };
    throw error;
  }
}

describe('Function: openFitCheckpoint', () => {
  let dir: string;
  let reference: AlsResult;
  const m = matrix();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkpoint-'));
    reference = await trainAls(m, PARAMS, { computeLoss: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes a fit killed after iteration 3 and ends with the same bits as an uninterrupted fit', async () => {
    // Prepare
    const killed = await fitWithCheckpoints(dir, m, PARAMS, 3);

    // Act
    const resumed = await fitWithCheckpoints(dir, m, PARAMS);

    // Assess
    expect(killed.result).toBeUndefined();
    expect(killed.ran).toEqual([1, 2, 3]);
    expect({ started: resumed.started, ran: resumed.ran, note: resumed.note }).toEqual({
      started: 3,
      ran: [4, 5, 6, 7, 8],
      note: `Resuming from checkpoint ${join(dir, 'all-data.ckpt')}: iteration 3 of 8`,
    });
    expect(resumed.result?.losses).toEqual(reference.losses);
    expect(digest(resumed.result as AlsResult)).toBe(digest(reference));
    expect(await readdir(dir)).toEqual(['all-data.ckpt']);
  });

  it('resumes with two threads (shared memory factors) to the same bits', async () => {
    // Prepare
    const threads = { ...PARAMS, threads: 2 };
    await fitWithCheckpoints(dir, m, threads, 5);

    // Act
    const resumed = await fitWithCheckpoints(dir, m, threads);

    // Assess
    expect(resumed.ran).toEqual([6, 7, 8]);
    expect(digest(resumed.result as AlsResult)).toBe(digest(reference));
  });

  it('continues a finished fit to more iterations as if it had run them in one go', async () => {
    // Prepare
    await fitWithCheckpoints(dir, m, { ...PARAMS, iterations: 4 });

    // Act
    const longer = await fitWithCheckpoints(dir, m, PARAMS);

    // Assess
    expect(longer.ran).toEqual([5, 6, 7, 8]);
    expect(digest(longer.result as AlsResult)).toBe(digest(reference));
  });

  it('records the iteration, shape, losses and a sha256 the reader verifies', async () => {
    // Prepare
    await fitWithCheckpoints(dir, m, PARAMS, 2);

    // Act
    const read = await readCheckpoint(join(dir, 'all-data.ckpt'));

    // Assess
    expect(read.kind).toBe('found');
    if (read.kind !== 'found') return;
    expect({
      ...read.header,
      fingerprint: read.header.fingerprint.length,
      sha256: read.header.sha256.length,
    }).toEqual({
      format: 1,
      fit: LABEL,
      fingerprint: 64,
      iteration: 2,
      users: 120,
      items: 60,
      factors: 8,
      losses: reference.losses.slice(0, 2),
      sha256: 64,
    });
    expect(read.user).toHaveLength(120 * 8);
  });

  it('ignores a corrupt checkpoint, says why, and trains from the start to the same bits', async () => {
    // Prepare
    await fitWithCheckpoints(dir, m, PARAMS, 4);
    const file = join(dir, 'all-data.ckpt');
    const bytes = await readFile(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] as number) ^ 0xff;
    await writeFile(file, bytes);

    // Act
    const fresh = await fitWithCheckpoints(dir, m, PARAMS);

    // Assess
    expect({ ran: fresh.ran, note: fresh.note }).toEqual({
      ran: [1, 2, 3, 4, 5, 6, 7, 8],
      note: `Ignoring checkpoint ${file}: its factors do not match their sha256`,
    });
    expect(digest(fresh.result as AlsResult)).toBe(digest(reference));
  });

  it('ignores the checkpoint of other data or parameters and one past the iterations asked for', async () => {
    // Prepare
    await fitWithCheckpoints(dir, matrix(9), PARAMS, 4);
    const file = join(dir, 'all-data.ckpt');

    // Act
    const otherData = await fitWithCheckpoints(dir, m, PARAMS, 6);
    const fewer = await fitWithCheckpoints(dir, m, { ...PARAMS, iterations: 5 });

    // Assess
    expect(otherData.note).toBe(`Ignoring checkpoint ${file}: it belongs to other data or parameters`);
    expect(fewer.note).toBe(`Ignoring checkpoint ${file}: it is at iteration 6, past the 5 asked for`);
    expect(fewer.result?.losses).toEqual(reference.losses.slice(0, 5));
  });

  it('refuses files that are not checkpoints and removes temporary files a killed writer left', async () => {
    // Prepare
    const file = join(dir, 'all-data.ckpt');
    await writeFile(file, 'not a checkpoint');
    await writeFile(`${file}.tmp-123-abcd`, 'half written');

    // Act
    const checkpoint = await openFitCheckpoint(dir, LABEL, m, PARAMS);

    // Assess
    expect(checkpoint.note).toBe(`Ignoring checkpoint ${file}: not a checkpoint file`);
    expect(checkpoint.start).toBeUndefined();
    expect(await readdir(dir)).toEqual(['all-data.ckpt']);
    expect(await readCheckpoint(join(dir, 'missing.ckpt'))).toEqual({ kind: 'missing' });
  });
});

describe('Function: fitFileName', () => {
  it('names one file per fit label', () => {
    expect([fitFileName('ALS on all data'), fitFileName('ALS on train part'), fitFileName('???')]).toEqual([
      'all-data.ckpt',
      'train-part.ckpt',
      'fit.ckpt',
    ]);
  });
});
