import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALS_DEFAULTS } from '../../src/als/train.js';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { runTraining } from '../../training/pipeline.js';
import { checkAgainstData, preflight } from '../../training/preflight.js';
import type { TrainingOptions } from '../../training/run-options.js';
import { readData } from '../../training/stages.js';

const ORIGINAL = fileURLToPath(new URL('../../data/original/interactions.csv', import.meta.url));

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'preflight-'));
  await mkdir(join(work, 'a-directory'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function options(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return {
    interactions: ORIGINAL,
    layout: 'interactions',
    out: join(work, 'out'),
    params: { ...ALS_DEFAULTS, factors: 4, iterations: 2 },
    splitSeed: 42,
    maxBadRowsRatio: 0.01,
    retrain: true,
    evaluate: false,
    ...overrides,
  };
}

describe('Function: preflight', () => {
  it('returns the destinations when the inputs and the directory are usable', async () => {
    await expect(preflight(options())).resolves.toEqual([join(work, 'out')]);
  });

  it('refuses a missing input, a directory without part files and an unusable --out, naming the option', async () => {
    const file = join(work, 'file.txt');
    await writeFile(file, 'x');
    await expect(preflight(options({ interactions: join(work, 'none.csv') }))).rejects.toThrow(
      new ConfigInvalidError(`--interactions ${join(work, 'none.csv')} does not exist`),
    );
    await expect(preflight(options({ videos: join(work, 'a-directory') }))).rejects.toThrow(
      new ConfigInvalidError(
        `--videos ${join(work, 'a-directory')} holds no part files (names starting with _ or . are skipped, as Hadoop does)`,
      ),
    );
    await expect(preflight(options({ out: file }))).rejects.toThrow(
      `--out ${file} is a file, not a directory`,
    );
  });

  it('takes a directory of part files as an input', async () => {
    const parts = join(work, 'parts', 'dt=2026-11-30');
    await mkdir(parts, { recursive: true });
    await writeFile(join(parts, 'part-00000.csv'), await readFile(ORIGINAL));
    await expect(preflight(options({ interactions: join(work, 'parts') }))).resolves.toEqual([
      join(work, 'out'),
    ]);
  });
});

describe('Function: checkAgainstData', () => {
  it('allows as many factors as videos and refuses more, with the largest that fits', async () => {
    const data = await readData(options());
    expect(() => checkAgainstData(options({ params: { ...ALS_DEFAULTS, factors: 5 } }), data)).not.toThrow();
    expect(() => checkAgainstData(options({ params: { ...ALS_DEFAULTS, factors: 6 } }), data)).toThrow(
      new ConfigInvalidError('--factors 6 is more than the 5 videos in the data: use --factors 5 or fewer'),
    );
  });
});

describe('Function: runTraining', () => {
  it('stops on an unusable destination before it reads anything, and on too many factors before it trains', async () => {
    // A bad-rows input would fail with an InputInvalidError if it were read first.
    const bad = join(work, 'bad.csv');
    await writeFile(bad, 'userId,videoId,interactionType,interactionValue,location,timestamp\nu1,,x,y,z,w\n');
    await expect(runTraining(options({ interactions: bad, out: '/proc/models' }))).rejects.toThrow(
      "--out /proc/models is on the kernel's proc file system",
    );
    const info: string[] = [];
    await expect(
      runTraining(options({ params: { ...ALS_DEFAULTS, factors: 9 } }), {
        info: (line) => info.push(line),
        fitStart: () => info.push('fit'),
      }),
    ).rejects.toThrow('--factors 9 is more than the 5 videos');
    expect(info.filter((line) => line === 'fit')).toEqual([]);
  });
});
