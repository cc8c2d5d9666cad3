import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { fetchVersion, openArtifactSource } from '../../src/store/index.js';
import { TRAIN_DEFAULTS } from '../../training/cli-options.js';
import { runTraining } from '../../training/pipeline.js';
import { trainingEnvironment } from '../../training/sagemaker/environment.js';
import {
  failureReason,
  jobOptions,
  lineReporter,
  MAX_FAILURE_CHARS,
  runTrainingJob,
  writeFailure,
} from '../../training/sagemaker/job.js';
import { sampleEvents, writeOptMl } from '../helpers/opt-ml.js';

/** SM_NUM_CPUS as SageMaker sets it: the machine's cores (training refuses more threads than that). */
const CPUS = availableParallelism();

const CREATED = new Date('2026-12-01T00:00:00Z');
const HYPERPARAMETERS = { factors: '8', iterations: '3', 'split-seed': '5' };

/** Reads the model a directory's latest.json names, verified. */
async function loadModel(root: string): Promise<{ version: string; items: string; params: unknown }> {
  const source = openArtifactSource(root);
  const read = await source.readPointer();
  if (!read.changed || !read.pointer) throw new Error(`no pointer at ${root}`);
  const fetched = await fetchVersion(source, read.pointer, false, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await source.close();
  return { version: fetched.version, items: fetched.manifest.items.sha256, params: fetched.manifest.params };
}

describe('Function: runTrainingJob', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'opt-ml-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('trains from the channels with the hyperparameters into /opt/ml/model, the report into output/data', async () => {
    // Prepare: events in 3 part files, video metadata, a checkpoint directory, 3 CPUs
    const events = await sampleEvents(10_000);
    const videos = await readFile(join(import.meta.dirname, '../../data/sample/videos.csv'), 'utf8');
    await writeOptMl(base, { hyperparameters: HYPERPARAMETERS, events, parts: 3, videos, checkpoints: true });
    await writeFile(join(base, 'whole.csv'), events);
    const where = trainingEnvironment({
      SAGEMAKER_BASE_DIR: base,
      SM_NUM_CPUS: String(CPUS),
      TRAINING_JOB_NAME: 'job-1',
    });
    const out = new PassThrough();
    let log = '';
    out.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });

    // Act
    const outcome = await runTrainingJob(where, lineReporter(out), { createdAt: CREATED });
    const local = await runTraining({
      ...(await jobOptions(where)).options,
      interactions: join(base, 'whole.csv'),
      out: join(base, 'local'),
      checkpointDir: undefined,
      evaluate: false,
      createdAt: CREATED,
    });

    // Assess
    const model = await loadModel(join(base, 'model'));
    expect(model).toEqual({
      version: outcome.artifact.manifest.version,
      items: local.artifact.manifest.items.sha256,
      params: {
        factors: 8,
        regularization: TRAIN_DEFAULTS.regularization,
        alpha: 1,
        iterations: 3,
        cgSteps: 3,
        threads: CPUS,
        seed: 42,
      },
    });
    expect(outcome.artifact.manifest.counts.videos).toBe(local.artifact.manifest.counts.videos);
    expect(await readdir(join(base, 'output', 'data'))).toEqual(['metrics.json', 'report.html']);
    const metrics = JSON.parse(await readFile(join(base, 'output', 'data', 'metrics.json'), 'utf8'));
    expect(metrics.version).toBe(model.version);
    expect(metrics.metrics.protocol.seed).toBe(5);
    expect(await readdir(join(base, 'checkpoints'))).toEqual(['all-data.ckpt', 'train-part.ckpt']);
    expect(log.split('\n')[0]).toBe(
      `Training job job-1: train --factors 8 --iterations 3 --split-seed 5 --threads ${CPUS} --checkpoint-dir ${join(base, 'checkpoints')}`,
    );
    expect(log).toMatch(/^ALS on all data: iteration 3\/3 loss=\d\.\d{6}e-\d+ seconds=\d+\.\d{3}$/m);
  });

  it('takes SM_HPS when there is no hyperparameters file, and leaves out videos without their channel', async () => {
    await writeOptMl(base, { events: await sampleEvents(2_000) });
    const where = trainingEnvironment({
      SAGEMAKER_BASE_DIR: base,
      SM_HPS: '{"iterations":2,"eval":"false"}',
    });

    const { options, args } = await jobOptions(where);

    expect(args).toEqual(['--iterations', '2', '--no-eval']);
    expect({
      videos: options.videos,
      evaluate: options.evaluate,
      out: options.out,
      checkpointDir: options.checkpointDir,
    }).toEqual({
      videos: undefined,
      evaluate: false,
      out: join(base, 'model'),
      checkpointDir: undefined,
    });
  });

  it('refuses a job without a training channel and hyperparameters commander rejects', async () => {
    const where = trainingEnvironment({ SAGEMAKER_BASE_DIR: base });
    await expect(jobOptions(where)).rejects.toThrow(
      `No training channel: ${join(base, 'input/data/training')} is not a directory (give the job an input channel named "training" with the events)`,
    );
    const layout = trainingEnvironment({ SAGEMAKER_BASE_DIR: base, SM_HPS: '{"layout":"parquet"}' });
    await expect(jobOptions(layout)).rejects.toThrow(
      new ConfigInvalidError(
        "hyperparameters: option '--layout <name>' argument 'parquet' is invalid. Allowed choices are events, movielens.",
      ),
    );
  });
});

describe('Function: failureReason', () => {
  it('folds a multi-line message into one line and keeps SageMaker’s 1024 characters', () => {
    const reason = failureReason(
      new Error('Too many bad rows.\n  line 3: bad value\n\n  line 9: missing id'),
    );
    const long = failureReason(new Error('x'.repeat(5000)));

    expect(reason).toBe('Too many bad rows. | line 3: bad value | line 9: missing id');
    expect(long).toHaveLength(MAX_FAILURE_CHARS);
    expect(failureReason('')).toBe('training failed');
  });
});

describe('Function: writeFailure', () => {
  it('writes <output>/failure, and reports instead of throwing when it cannot', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'failure-'));
    try {
      const written = await writeFailure(join(dir, 'output'), 'bad input');
      await writeFile(join(dir, 'file'), '');
      const blocked = await writeFailure(join(dir, 'file', 'output'), 'bad input');

      expect(written).toBeUndefined();
      expect(await readFile(join(dir, 'output', 'failure'), 'utf8')).toBe('bad input\n');
      expect(blocked).toMatch(/EEXIST|ENOTDIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
