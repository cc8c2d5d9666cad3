import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALS_DEFAULTS } from '../../src/als/train.js';
import { InputInvalidError } from '../../src/core/errors.js';
import { videoPopularity } from '../../src/core/popularity.js';
import type { TrainingOptions, TrainingReporter } from '../../training/run-options.js';
import {
  destinationsOf,
  type Evaluated,
  evaluateOnHoldout,
  fitModel,
  type Holdout,
  packageArtifact,
  prepareHoldout,
  publishArtifact,
  readData,
  type TrainingData,
  tuneOnTrainPart,
} from '../../training/stages.js';

const ORIGINAL = fileURLToPath(new URL('../../data/original/interactions.csv', import.meta.url));
const ORIGINAL_VIDEOS = fileURLToPath(new URL('../../data/original/videos.csv', import.meta.url));

/** A reporter that records what it is told. */
function recorder(): TrainingReporter & { lines: string[]; fits: string[] } {
  const lines: string[] = [];
  const fits: string[] = [];
  return { lines, fits, info: (line) => lines.push(line), fitStart: (label) => fits.push(label) };
}

let work: string;
/** 12 users x 10 videos, each user with 6 to 9 pairs: every user holds some out. */
let grid: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stages-'));
  grid = join(work, 'grid.csv');
  const rows = ['userId,videoId,interactionType,interactionValue,location,timestamp'];
  for (let u = 0; u < 12; u++) {
    for (let n = 0; n < 6 + (u % 4); n++) {
      rows.push(`u${u},v${(u + n * 3) % 10},watch,${1 + (n % 3)},USA,2025-01-01 10:00:00`);
    }
  }
  await writeFile(grid, `${rows.join('\n')}\n`);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function options(overrides: Partial<TrainingOptions> = {}): TrainingOptions {
  return {
    interactions: grid,
    layout: 'interactions',
    out: join(work, 'out'),
    params: { ...ALS_DEFAULTS, factors: 4, iterations: 2 },
    splitSeed: 42,
    maxBadRowsRatio: 0.01,
    retrain: true,
    evaluate: true,
    createdAt: new Date('2025-01-01T10:20:00Z'),
    ...overrides,
  };
}

describe('Function: destinationsOf', () => {
  it('lists the local and S3 destinations and refuses a run with nowhere to publish', () => {
    expect(destinationsOf(options({ out: 'artifacts', s3: 's3://models/x' }))).toEqual([
      'artifacts',
      's3://models/x',
    ]);
    expect(() => destinationsOf(options({ out: undefined, s3: '' }))).toThrow(
      'runTraining needs an output directory or an S3 URI',
    );
    expect(() =>
      destinationsOf(options({ out: undefined, s3: 's3://models/x', sagemakerTarball: true })),
    ).toThrow('a SageMaker tarball needs an output directory');
  });
});

describe('Function: readData', () => {
  it('reads events and videos into the interaction matrix and per-video metadata', async () => {
    // Prepare
    const reporter = recorder();

    // Act
    const data = await readData(options({ interactions: ORIGINAL, videos: ORIGINAL_VIDEOS }), reporter);

    // Assess
    expect({
      shape: [data.interactions.matrix.rows, data.interactions.matrix.cols],
      events: data.events.count,
      metadata: data.metadata?.length,
      lines: reporter.lines.slice(1),
    }).toEqual({
      shape: [5, 5],
      events: 8,
      metadata: 5,
      lines: [
        '8 events -> 6 (user, video) pairs, 5 users x 5 videos',
        expect.stringMatching(
          /^Memory: [\d.]+ B\/interaction in id tables and event columns; RSS [\d,]+ MB now, [\d,]+ MB at peak \([\d.]+ B\/interaction\)$/,
        ),
        `${ORIGINAL_VIDEOS}: metadata for 5 of 5 videos`,
      ],
    });
  });
});

describe('Function: prepareHoldout', () => {
  it('is disabled by --no-eval, impossible without users of 5 pairs, else holds out pairs', async () => {
    // Prepare
    const original = await readData(options({ interactions: ORIGINAL }));
    const data = await readData(options());

    // Act
    const disabled = prepareHoldout(options({ evaluate: false }), data);
    const impossible = prepareHoldout(options(), original);
    const split = prepareHoldout(options(), data);

    // Assess
    expect(disabled).toEqual({ status: 'disabled' });
    expect(impossible).toEqual({
      status: 'impossible',
      reason: 'no user has the 5 or more interactions the holdout needs',
    });
    expect(split.status === 'split' && [split.split.testUsers, split.split.seed]).toEqual([12, 42]);
  });
});

describe('Function: prepareHoldout (time split)', () => {
  it("holds out each user's latest pairs, and needs timestamps for it", async () => {
    // Prepare
    const data = await readData(options());
    const untimed: TrainingData = {
      ...data,
      interactions: {
        ...data.interactions,
        lastTimestamp: new Float64Array(data.interactions.matrix.indices.length).fill(Number.NaN),
      },
    };
    const reporter = recorder();

    // Act
    const timed = prepareHoldout(options({ split: 'time' }), data, reporter);

    // Assess
    expect(timed.status === 'split' && [timed.split.kind, timed.split.testUsers]).toEqual(['time', 12]);
    expect(reporter.lines[0]).toMatch(/^Split \(time, seed 42\): /);
    expect(() => prepareHoldout(options({ split: 'time' }), untimed)).toThrow(
      new InputInvalidError(
        '--split time needs a timestamp on every event, and this input has none (give --timestamp-column)',
      ),
    );
  });
});

describe('Function: tuneOnTrainPart', () => {
  const tune = { trials: 6, objective: 'precision' as const };
  const timeless = (t: { seconds: number }) => ({ ...t, seconds: 0 });

  it('chooses the same settings when the held-out test pairs are poisoned: the test split is never read', async () => {
    // Prepare: the real holdout, and one whose test part says every user watched every video.
    const data = await readData(options());
    const holdout = prepareHoldout(options(), data);
    if (holdout.status !== 'split') throw new Error('expected a split');
    const { rows, cols } = holdout.split.test;
    const everything = {
      rows,
      cols,
      indptr: Int32Array.from({ length: rows + 1 }, (_, r) => r * cols),
      indices: Int32Array.from({ length: rows * cols }, (_, i) => i % cols),
      data: new Float32Array(rows * cols).fill(5),
    };
    const poisoned: Holdout = { status: 'split', split: { ...holdout.split, test: everything } };

    // Act
    const clean = await tuneOnTrainPart(options({ tune }), data, holdout);
    const dirty = await tuneOnTrainPart(options({ tune }), data, poisoned);
    const cleanScore = await evaluateOnHoldout(clean?.settings ?? options(), holdout);
    const dirtyScore = await evaluateOnHoldout(dirty?.settings ?? options(), poisoned);

    // Assess: same search, same choice; the poison does reach the final (once-only) test score.
    expect(dirty?.result.trials.map(timeless)).toEqual(clean?.result.trials.map(timeless));
    expect(dirty?.settings).toEqual(clean?.settings);
    expect(clean?.result.trials).toHaveLength(6);
    expect(dirtyScore?.evaluation.als[9]?.precision).not.toEqual(cleanScore?.evaluation.als[9]?.precision);
  });

  it('does nothing without --tune, and says why when there is no split to tune on', async () => {
    const data = await readData(options());
    const reporter = recorder();
    expect(await tuneOnTrainPart(options(), data, { status: 'disabled' })).toBeUndefined();
    expect(await tuneOnTrainPart(options({ tune }), data, { status: 'disabled' }, reporter)).toBeUndefined();
    expect(reporter.lines).toEqual(['Tuning skipped: evaluation is off.']);
  });
});

describe('Function: evaluateOnHoldout', () => {
  it('fits the train part and scores ALS and the baseline at k = 1..20', async () => {
    // Prepare
    const data = await readData(options());
    const holdout = prepareHoldout(options(), data);
    const reporter = recorder();

    // Act
    const evaluated = await evaluateOnHoldout(options(), holdout, reporter);
    const none = await evaluateOnHoldout(options(), { status: 'disabled' });

    // Assess
    expect(none).toBeUndefined();
    expect(reporter.fits).toEqual(['ALS on train part']);
    expect(evaluated?.evaluation.als.map((row) => row.k)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect(evaluated?.evaluation.popularity).toHaveLength(20);
    expect(evaluated?.model.losses).toHaveLength(2);
    expect(reporter.lines.join('\n')).toContain('precision (implicit)@10');
  });
});

describe('Function: fitModel', () => {
  let data: TrainingData;
  let holdout: Holdout;
  let evaluated: Evaluated | undefined;
  beforeAll(async () => {
    data = await readData(options());
    holdout = prepareHoldout(options(), data);
    evaluated = await evaluateOnHoldout(options(), holdout);
  });

  it('keeps the train-part model when retraining is off', async () => {
    const reporter = recorder();

    const fitted = await fitModel(options({ retrain: false }), data.interactions.matrix, evaluated, reporter);

    expect({
      same: fitted.model === evaluated?.model,
      trainedOn: fitted.trainedOn,
      fits: reporter.fits,
    }).toEqual({
      same: true,
      trainedOn: 'train part',
      fits: [],
    });
  });

  it('fits all data when retraining, or when there was no evaluation', async () => {
    const [retrain, unevaluated] = [recorder(), recorder()];

    const a = await fitModel(options(), data.interactions.matrix, evaluated, retrain);
    const b = await fitModel(options({ retrain: false }), data.interactions.matrix, undefined, unevaluated);

    expect([a.trainedOn, b.trainedOn, retrain.fits, unevaluated.fits]).toEqual([
      'all data',
      'all data',
      ['ALS on all data'],
      ['ALS on all data'],
    ]);
    expect(a.model.userFactors).toHaveLength(12 * 4);
    expect(Buffer.from(b.model.itemFactors.buffer)).toEqual(Buffer.from(a.model.itemFactors.buffer));
  });
});

describe('Function: packageArtifact', () => {
  it('stores distinct-user popularity, the evaluation and what the model was trained on', async () => {
    // Prepare
    const data = await readData(options());
    const holdout = prepareHoldout(options(), data);
    const evaluated = await evaluateOnHoldout(options(), holdout);
    const fitted = await fitModel(options({ retrain: false }), data.interactions.matrix, evaluated);

    // Act
    const packaged = await packageArtifact(options({ retrain: false }), data, { holdout, evaluated, fitted });

    // Assess
    const metrics = packaged.artifact.manifest.metrics as Record<string, unknown>;
    expect(packaged.model.popularity).toEqual(videoPopularity(data.interactions.matrix));
    expect(packaged.model.userFactors).toBe(fitted.model.userFactors);
    expect({ k: metrics.k, trainedOn: metrics.trainedOn, loss: metrics.lossPerIteration }).toEqual({
      k: 10,
      trainedOn: 'train part',
      loss: fitted.model.losses,
    });
    expect(packaged.report).toContain('<table id="summary">');
  });

  it("records the tuner's choice, the search and the weighting in the manifest and the report", async () => {
    // Prepare
    const run = options({
      tune: { trials: 4, objective: 'precision' },
      weighting: { scheme: 'bm25', k1: 100, b: 0.8 },
    });
    const data = await readData(run);
    const holdout = prepareHoldout(run, data);
    const tuned = await tuneOnTrainPart(run, data, holdout);
    const settings = tuned?.settings ?? run;
    const evaluated = await evaluateOnHoldout(settings, holdout);
    const fitted = await fitModel({ ...settings, retrain: true }, data.interactions.matrix, evaluated);

    // Act
    const packaged = await packageArtifact(run, data, { holdout, settings, tuned, evaluated, fitted });

    // Assess
    const { manifest } = packaged.artifact;
    const chosen = tuned?.result.best.settings;
    expect(manifest.params).toMatchObject({
      factors: chosen?.factors,
      regularization: chosen?.regularization,
      alpha: chosen?.alpha,
      iterations: chosen?.iterations,
    });
    expect(manifest.weighting ?? { scheme: 'none' }).toMatchObject({ scheme: chosen?.weighting });
    expect(manifest.tuning).toMatchObject({
      budget: { trials: 4 },
      chosen: { trial: tuned?.result.best.trial, settings: chosen },
      trials: expect.arrayContaining([expect.objectContaining({ trial: 1, phase: 'baseline' })]),
    });
    expect(manifest.tuning?.trials).toHaveLength(4);
    expect(packaged.report).toContain('<table id="tuning-trials">');
    expect(packaged.report).toContain('<figure class="chart" id="chart-tuning">');
    expect(packaged.report.match(/<tr class="chosen">/g)).toHaveLength(1);
  });

  it('says why there is no evaluation, in the manifest and the report', async () => {
    const data = await readData(options({ interactions: ORIGINAL }));
    const holdout = prepareHoldout(options(), data);
    const fitted = await fitModel(options(), data.interactions.matrix, undefined);

    const packaged = await packageArtifact(options(), data, { holdout, evaluated: undefined, fitted });
    const disabled = await packageArtifact(options(), data, {
      holdout: { status: 'disabled' },
      evaluated: undefined,
      fitted,
    });

    expect(packaged.artifact.manifest.metrics).toMatchObject({
      evaluated: false,
      reason: 'no user has the 5 or more interactions the holdout needs',
      trainedOn: 'all data',
    });
    expect(packaged.report).toContain('Evaluation skipped: no user has the 5 or more interactions');
    expect(disabled.artifact.manifest.metrics).toMatchObject({
      evaluated: false,
      reason: 'evaluation disabled (--no-eval)',
    });
    expect(disabled.report).not.toContain('Evaluation skipped: no user');
  });
});

describe('Function: publishArtifact', () => {
  it('publishes the artifact with report.html and writes the SageMaker tarball when asked', async () => {
    // Prepare
    const out = join(work, 'published');
    const run = options({ interactions: ORIGINAL, out, evaluate: false, sagemakerTarball: true });
    const data = await readData(run);
    const fitted = await fitModel(run, data.interactions.matrix, undefined);
    const packaged = await packageArtifact(run, data, {
      holdout: { status: 'disabled' },
      evaluated: undefined,
      fitted,
    });
    const reporter = recorder();

    // Act
    const result = await publishArtifact(run, [out], packaged, reporter);

    // Assess
    const version = packaged.artifact.manifest.version;
    expect(result.published.map((p) => p.version)).toEqual([version]);
    expect(await readFile(join(out, 'models', version, 'report.html'), 'utf8')).toBe(packaged.report);
    expect(result.tarball?.file).toBe(join(out, 'sagemaker', version, 'model.tar.gz'));
    expect(existsSync(result.tarball?.file ?? '')).toBe(true);
    expect(reporter.lines[0]).toMatch(new RegExp(`^Published ${version} to ${out} \\(report: `));
  });
});
