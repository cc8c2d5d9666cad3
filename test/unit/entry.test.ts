import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main as containerMain } from '../../container/main.js';
import { main } from '../../training/sagemaker/entry.js';
import { writeOptMl } from '../helpers/opt-ml.js';

const HEADER = 'userId,videoId,interactionType,interactionValue,location,timestamp';

/** Runs the entry with captured output. */
async function run(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  err.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await main(argv, env, { out, err });
  return { code, stdout, stderr };
}

describe('Function: main (IMAGE train)', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'train-entry-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('writes the one-line reason to output/failure and exits 1 when the input is mostly bad', async () => {
    // Prepare: 1 good row of 4 in one part, the other part fine
    await writeOptMl(base, {
      hyperparameters: { iterations: '2' },
      events: `${HEADER}\nu1,v1,watch,1,US,2026-11-30 10:00:00\nu2,v2,watch,x,US,2026-11-30 10:00:00\nu3,v1,watch,y,US,2026-11-30 10:00:00\nu4,,watch,1,US,2026-11-30 10:00:00\n`,
      parts: 2,
    });

    // Act
    const result = await run([], { SAGEMAKER_BASE_DIR: base });

    // Assess
    const failure = await readFile(join(base, 'output', 'failure'), 'utf8');
    const training = join(base, 'input/data/training');
    expect(result.code).toBe(1);
    expect(failure).toBe(
      `Too many bad rows (limit 1%). ${training}: 3 of 4 rows bad (75%): bad-value 2, missing-video 1 | ${training}/part-00000.csv line 3: value "x" is not a non-negative number | u2,v2,watch,x,US,2026-11-30 10:00:00 | ${training}/part-00001.csv.gz line 2: value "y" is not a non-negative number | u3,v1,watch,y,US,2026-11-30 10:00:00 | ${training}/part-00001.csv.gz line 3: missing video id | u4,,watch,1,US,2026-11-30 10:00:00\n`,
    );
    expect(result.stderr).toContain(
      `train: error: Too many bad rows (limit 1%). ${training}: 3 of 4 rows bad`,
    );
    expect(result.stderr).toContain(`\n  ${training}/part-00000.csv line 3: value "x"`);
  });

  it('exits 2 with the reason in output/failure for an unknown hyperparameter', async () => {
    await writeOptMl(base, { hyperparameters: { epochs: '10' }, events: `${HEADER}\n` });

    const result = await run([], { SAGEMAKER_BASE_DIR: base });

    expect(result.code).toBe(2);
    expect(await readFile(join(base, 'output', 'failure'), 'utf8')).toMatch(
      /^unknown hyperparameter "epochs" \(known: /,
    );
  });

  it('exits 2 for a bad SM_* variable, and for arguments after train', async () => {
    const bad = await run([], {
      SAGEMAKER_BASE_DIR: base,
      SM_OUTPUT_DIR: join(base, 'out'),
      SM_MODEL_DIR: 'rel',
    });
    const extra = await run(['--factors', '8'], {});

    expect(bad).toEqual({
      code: 2,
      stdout: '',
      stderr: 'train: error: SM_MODEL_DIR must be an absolute path\n',
    });
    expect(await readFile(join(base, 'out', 'failure'), 'utf8')).toBe(
      'SM_MODEL_DIR must be an absolute path\n',
    );
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^train: unexpected arguments: --factors 8\nusage: train /);
  });
});

describe('Function: main (container, `train` command)', () => {
  it('hands `train` and its arguments to the training entry', async () => {
    const entry = new URL('../../container/server.ts', import.meta.url);
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const code = await containerMain(['train', 'now'], entry);

      expect({ code, written }).toEqual({
        code: 2,
        written: [
          'train: unexpected arguments: now\nusage: train    run a SageMaker training job (hyperparameters and channels under /opt/ml)\n',
        ],
      });
    } finally {
      process.stderr.write = write;
    }
  });
});
