import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALS_DEFAULTS } from '../../src/als/index.js';
import { InputInvalidError } from '../../src/core/errors.js';
import { runSparkImport, type SparkImportOptions, sparkIdOf } from '../../training/spark-import.js';
import { readSparkAls } from '../../training/spark-model.js';
import { parquetBytes, writeText } from '../helpers/parquet.js';
import { modelById } from '../helpers/read-back.js';
import { type SparkRows, sparkMetadata, sparkModelFiles, writeSparkModel } from '../helpers/spark-model.js';

const work = mkdtempSync(join(tmpdir(), 'spark-import-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function options(name: string, overrides: Partial<SparkImportOptions>): SparkImportOptions {
  return {
    sparkAls: join(work, name, 'model'),
    interactions: join(work, name, 'events.csv'),
    layout: 'interactions',
    out: join(work, name, 'out'),
    params: { ...ALS_DEFAULTS, regularization: 0.1, alpha: 2 },
    splitSeed: 42,
    maxBadRowsRatio: 0.01,
    retrain: true,
    evaluate: true,
    createdAt: new Date('2026-12-01T00:00:00Z'),
    ...overrides,
  };
}

const USERS: SparkRows = [
  [3, [0.5, -1, 0.25]],
  [1, [1, 0, 0]],
  [10, [0, 0, 2]],
  [2, [0, 1, 0.5]],
];
const ITEMS: SparkRows = [
  [200, [0.75, 0.5, -0.5]],
  [100, [1, 1, 1]],
  [300, [0, 0.125, 4]],
];

describe('Function: runSparkImport', () => {
  it('serves Spark factors under the events ids, with watch history and popularity from the events', async () => {
    // Prepare
    writeSparkModel(join(work, 'small', 'model'), sparkModelFiles(3, USERS, ITEMS));
    writeText(
      join(work, 'small', 'events.csv'),
      'userId,videoId,interactionValue\n1,100,1\n1,200,2\n2,100,1\n2,100,3\n3,300,1\n4,100,1\nu5,100,1\n2,999,1\n',
    );
    const lines: string[] = [];

    // Act
    const outcome = await runSparkImport(options('small', {}), { info: (line) => lines.push(line) });

    // Assess
    const byId = modelById(outcome.model);
    const pointer = JSON.parse(readFileSync(join(work, 'small', 'out', 'latest.json'), 'utf8'));
    const manifest = JSON.parse(readFileSync(join(work, 'small', 'out', pointer.manifest), 'utf8'));
    expect({
      factors: byId.factors,
      users: Object.fromEntries(Object.entries(byId.users).map(([id, u]) => [id, u])),
      popularity: Object.fromEntries(Object.entries(byId.videos).map(([id, v]) => [id, v.popularity])),
      itemFactors: byId.videos['300']?.factors,
      unmatched: outcome.unmatchedEvents,
      params: [manifest.params.factors, manifest.params.regularization, manifest.params.alpha],
      source: [
        manifest.metrics.trainedOn,
        manifest.metrics.sparkVersion,
        manifest.metrics.heldOutPairsSeenBySpark,
      ],
      evaluated: manifest.metrics.evaluated,
      report: existsSync(
        join(work, 'small', 'out', pointer.manifest.replace('manifest.json', 'report.html')),
      ),
      matchedLine: lines.some((l) =>
        l.includes('events left out: 2 on users and 1 on videos without Spark factors'),
      ),
    }).toEqual({
      factors: 3,
      users: {
        '1': {
          factors: [1, 0, 0],
          history: [
            ['100', 1],
            ['200', 2],
          ],
        },
        '10': { factors: [0, 0, 2], history: [] },
        '2': { factors: [0, 1, 0.5], history: [['100', 4]] },
        '3': { factors: [0.5, -1, 0.25], history: [['300', 1]] },
      },
      popularity: { '100': 2, '200': 1, '300': 1 },
      itemFactors: [0, 0.125, 4],
      unmatched: { users: 2, videos: 1 },
      params: [3, 0.1, 2],
      source: ['spark', '3.5.1', true],
      evaluated: false,
      report: true,
      matchedLine: true,
    });
  });

  it('evaluates the Spark factors on our held-out split, labelled held out when the job says so', async () => {
    // Prepare: 30 users x 12 videos, each user watching the 6 videos of its parity, and factors that
    // rank exactly those first: the held-out video is the best unseen one.
    const users: SparkRows = [];
    const items: SparkRows = Array.from({ length: 12 }, (_, v) => [1000 + v, [v % 2, 1 - (v % 2)]]);
    const events = ['userId,videoId,interactionValue'];
    for (let u = 0; u < 30; u++) {
      users.push([u + 1, [u % 2, 1 - (u % 2)]]);
      for (let k = 0; k < 6; k++) events.push(`${u + 1},${1000 + (u % 2) + 2 * k},1`);
    }
    writeSparkModel(join(work, 'eval', 'model'), sparkModelFiles(2, users, items, { partsPerSide: 3 }));
    writeText(join(work, 'eval', 'events.csv'), `${events.join('\n')}\n`);

    // Act
    const inSample = await runSparkImport(options('eval', {}));
    const heldOut = await runSparkImport(
      options('eval', { sparkHoldout: true, out: join(work, 'eval', 'out2') }),
    );

    // Assess
    const als = inSample.evaluation?.als.find((row) => row.k === 10);
    const pop = inSample.evaluation?.popularity.find((row) => row.k === 10);
    const manifest = (out: string) => {
      const pointer = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
      return JSON.parse(readFileSync(join(out, pointer.manifest), 'utf8')).metrics;
    };
    expect({
      users: als?.users,
      alsPrecision: als?.precision,
      alsBeatsPopular: (als?.ndcg ?? 0) > (pop?.ndcg ?? 1),
      labels: [
        manifest(join(work, 'eval', 'out')).heldOutPairsSeenBySpark,
        manifest(join(work, 'eval', 'out2')).heldOutPairsSeenBySpark,
      ],
      sameMetrics: heldOut.evaluation?.als[9]?.ndcg === als?.ndcg,
    }).toEqual({
      users: 30,
      alsPrecision: 1,
      alsBeatsPopular: true,
      labels: [true, false],
      sameMetrics: true,
    });
  });

  it('refuses events whose ids are not Spark integer ids, naming the assumption', async () => {
    // Prepare
    writeSparkModel(join(work, 'strings', 'model'), sparkModelFiles(3, USERS, ITEMS, { partsPerSide: 1 }));
    writeText(join(work, 'strings', 'events.csv'), 'userId,videoId,interactionValue\nu1,v100,1\nu2,v200,1\n');

    // Act
    const error = await rejection(runSparkImport(options('strings', {})));

    // Assess
    expect([error.constructor.name, error.message]).toEqual([
      'InputInvalidError',
      "No event matches the Spark model's ids: the importer expects the Spark job to have used the events' integer user and video ids (e.g. userId 123 is Spark id 123); first event ids: u1, v100",
    ]);
  });
});

describe('Function: readSparkAls', () => {
  it('reads every part of both sides in file order and infers the rank without metadata', async () => {
    // Prepare
    const dir = join(work, 'no-metadata');
    writeSparkModel(dir, sparkModelFiles(3, USERS, ITEMS, { metadata: false, partsPerSide: 2 }));

    // Act
    const spark = await readSparkAls(dir);

    // Assess
    expect({
      rank: spark.rank,
      metadata: spark.metadata,
      users: Array.from(spark.users.ids),
      items: Array.from(spark.items.ids),
      firstUser: Array.from(spark.users.factors.subarray(0, 3)),
    }).toEqual({
      rank: 3,
      metadata: undefined,
      users: [3, 1, 10, 2],
      items: [200, 100, 300],
      firstUser: [0.5, -1, 0.25],
    });
  });

  it.each([
    [
      'another class',
      { metadata: sparkMetadata(3, 'org.apache.spark.ml.feature.StringIndexerModel') },
      /describes org\.apache\.spark\.ml\.feature\.StringIndexerModel, not a Spark ALS model/,
    ],
    [
      'a rank the vectors do not have',
      { metadata: sparkMetadata(4) },
      /row 1: id 3 has 3 features, the model's rank is 4/,
    ],
    [
      'unreadable metadata',
      { metadata: 'not json' },
      /metadata\/part-00000 is not Spark model metadata \(JSON\)/,
    ],
  ])('refuses %s', async (name, files, message) => {
    // Prepare
    const dir = join(work, `bad-${name.replace(/ /g, '-')}`);
    writeSparkModel(dir, sparkModelFiles(3, USERS, ITEMS, files));

    // Act
    const error = await rejection(readSparkAls(dir));

    // Assess
    expect(error).toBeInstanceOf(InputInvalidError);
    expect(error.message).toMatch(message);
  });

  it('refuses repeated ids, vectors of two lengths and factor files in another schema', async () => {
    // Prepare
    const repeated = join(work, 'repeated');
    writeSparkModel(repeated, sparkModelFiles(3, [...USERS, [1, [0, 0, 0]]], ITEMS, { partsPerSide: 1 }));
    const mixed = join(work, 'mixed');
    writeSparkModel(
      mixed,
      sparkModelFiles(3, USERS, [[1, [1, 2]], ...ITEMS], { metadata: false, partsPerSide: 1 }),
    );
    const damaged = join(work, 'damaged');
    writeSparkModel(damaged, sparkModelFiles(3, USERS, ITEMS, { partsPerSide: 1 }));
    writeText(join(damaged, 'userFactors', 'part-00001.parquet'), 'not parquet at all');
    const other = join(work, 'other-schema');
    writeSparkModel(other, sparkModelFiles(3, USERS, ITEMS, { partsPerSide: 1 }));
    writeText(
      join(other, 'itemFactors', 'part-00001.parquet'),
      parquetBytes({ columns: [{ name: 'item', data: [1], type: 'INT32' }] }),
    );

    // Act
    const errors = await Promise.all(
      [repeated, mixed, damaged, other].map((dir) => rejection(readSparkAls(dir))),
    );

    // Assess
    expect(errors.every((e) => e instanceof InputInvalidError)).toBe(true);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/userFactors: id 1 has two factor rows$/),
      expect.stringMatching(
        /itemFactors\/part-00000-.* row 2: id 200 has 3 features, the model's rank is 2$/,
      ),
      expect.stringMatching(/userFactors\/part-00001\.parquet is not a readable Parquet file/),
      expect.stringMatching(
        /itemFactors\/part-00001\.parquet is not Spark ALS factors \(id: int, features: array<float>\); columns: item$/,
      ),
    ]);
  });
});

describe('Function: sparkIdOf', () => {
  it('maps canonical int32 text to Spark ids and nothing else', () => {
    expect(['0', '123', '-7', '2147483647', '2147483648', '007', 'u1', '1.0', ''].map(sparkIdOf)).toEqual([
      0,
      123,
      -7,
      2147483647,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
