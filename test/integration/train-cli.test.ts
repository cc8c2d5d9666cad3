import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchedVersion, fetchVersion, openArtifactSource } from '../../src/store/index.js';
import { DEFAULT_THREADS, TRAIN_DEFAULTS } from '../../training/cli-options.js';
import { buildInteractions } from '../../training/features.js';
import { readEvents } from '../../training/read-events.js';
import { splitHoldout, testSetDigest } from '../../training/split.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { artifactById } from '../helpers/read-back.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ORIGINAL = join(ROOT, 'data/original/interactions.csv');
const ORIGINAL_VIDEOS = join(ROOT, 'data/original/videos.csv');
const SAMPLE = join(ROOT, 'data/sample/interactions.csv');
const ML100K = join(ROOT, '../shared/data/ml-100k/u.data');
const TSX = join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `tsx training/cli.ts ...args` as a real process (what `npm run train -- ...args` runs); an
 * `undefined` in `env` removes that variable.
 */
function train(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [name, value] of Object.entries(env)) if (value === undefined) delete childEnv[name];
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['training/cli.ts', ...args], { cwd: ROOT, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

const SMALL = ['--factors', '8', '--iterations', '3'];
/** The original sample has 5 videos, so at most 5 factors. */
const TINY = ['--factors', '4', '--iterations', '3'];

describe('CLI: npm run train', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'train-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('trains the original 5-user sample into --out with latest.json, report.html and a SageMaker tarball', async () => {
    // Act
    const out = join(dir, 'original');
    const run = await train([
      '--interactions',
      ORIGINAL,
      '--videos',
      ORIGINAL_VIDEOS,
      '--out',
      out,
      '--sagemaker-tarball',
      ...TINY,
    ]);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const pointer = await readJson(join(out, 'latest.json'));
    const manifest = await readJson(join(out, String(pointer.manifest)));
    expect(pointer).toEqual({
      version: manifest.version,
      manifest: `models/${manifest.version}/manifest.json`,
    });
    expect(manifest.counts).toEqual({ users: 5, videos: 5, factors: 4, interactions: 6, events: 8 });
    expect(manifest.params).toEqual({
      factors: 4,
      regularization: 0.1,
      alpha: 1,
      iterations: 3,
      cgSteps: 3,
      threads: DEFAULT_THREADS,
      seed: 42,
    });
    // Five users with at most 3 videos each: nobody has the 5 pairs the holdout needs, and the manifest says so.
    expect(manifest.metrics).toMatchObject({
      evaluated: false,
      reason: 'no user has the 5 or more interactions the holdout needs',
      trainedOn: 'all data',
    });
    expect((manifest.metrics as { lossPerIteration: number[] }).lossPerIteration).toHaveLength(3);
    const report = await readFile(join(out, `models/${manifest.version}/report.html`), 'utf8');
    expect(report).toContain('Evaluation skipped: no user has the 5 or more interactions');
    expect(run.stdout).toContain(`Published ${manifest.version} to ${out}`);
    expect(existsSync(join(out, 'sagemaker', String(manifest.version), 'model.tar.gz'))).toBe(true);
  });

  it('evaluates the shipped sample against the popularity baseline and stores the metrics', async () => {
    // Act
    const out = join(dir, 'sample');
    const run = await train(['--interactions', SAMPLE, '--out', out, '--no-retrain', '--quiet', ...SMALL]);

    // Assess
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const pointer = await readJson(join(out, 'latest.json'));
    const manifest = await readJson(join(out, String(pointer.manifest)));
    const metrics = manifest.metrics as {
      k: number;
      als: Record<string, number>;
      popularity: Record<string, number>;
      protocol: { seed: number; testPairs: number };
      atK: { k: number[] };
      trainedOn: string;
    };
    expect(metrics.k).toBe(10);
    expect(metrics.trainedOn).toBe('train part');
    expect(metrics.protocol.seed).toBe(42);
    expect(metrics.protocol.testPairs).toBeGreaterThan(0);
    expect(metrics.atK.k).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(Object.keys(metrics.als).sort()).toEqual([
      'auc',
      'coverage',
      'map',
      'ndcg',
      'plainPrecision',
      'precision',
      'recall',
    ]);
    // The sample has latent taste groups: even a 3-iteration, 8-factor model beats most-popular.
    expect(metrics.als.precision).toBeGreaterThan(metrics.popularity.precision ?? 1);
    const report = await readFile(join(out, `models/${manifest.version}/report.html`), 'utf8');
    expect(report).toContain('<figure class="chart" id="chart-precision"><svg');
    expect(report).toContain('aria-label="k: 10; precision (implicit): ');
    expect(report).toContain('; series: most popular"');
    expect(report).toContain('<figure class="chart" id="chart-loss"><svg');
  });

  it('refuses a mostly bad file with exit code 1 and one message naming the bad lines', async () => {
    // Prepare: 2 good rows, 2 bad ones (non-numeric value on line 3, wrong column count on line 5).
    const file = join(dir, 'bad.csv');
    await writeFile(
      file,
      [
        'userId,videoId,interactionType,interactionValue,location,timestamp',
        'u1,v1,watch,1,USA,2025-01-01 10:00:00',
        'u1,v2,watch,lots,USA,2025-01-01 10:00:00',
        'u2,v1,watch,1,USA,2025-01-01 10:00:00',
        'u2,v2,watch',
        '',
      ].join('\n'),
    );

    // Act
    const run = await train(['--interactions', file, '--out', join(dir, 'bad-out'), ...SMALL]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^train: error: .*Too many bad rows/);
    expect(run.stderr).toContain('line 3');
    expect(run.stderr).toContain('line 5');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'bad-out'))).toBe(false);
  });

  it('refuses a bad option with exit code 2 and a message naming it', async () => {
    const run = await train(['--interactions', ORIGINAL, '--factors', 'many', '--out', join(dir, 'x')]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: 'train: error: --factors must be a number\n',
    });
  });

  it('prints its version', async () => {
    const run = await train(['--version']);
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `${version}\n` });
  });

  it('prints help, numeric defaults as numbers', async () => {
    const run = await train(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`--factors <n> +latent factors \\(default: ${TRAIN_DEFAULTS.factors}\\)`),
    );
    expect(run.stdout).toContain('(default: 0.01)');
    expect(run.stdout).not.toMatch(/default: "\d/);
    for (const option of [
      '--interactions',
      '--s3',
      '--factors',
      '--no-retrain',
      '--no-eval',
      '--sagemaker-tarball',
    ]) {
      expect(run.stdout).toContain(option);
    }
  });
});

describe('CLI: npm run train checks options and destinations before any work', () => {
  let dir: string;
  let badRows: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'train-pre-'));
    // Reading this file would stop the run with exit 1 (too many bad rows): a refusal with exit 2 and a
    // message about the destination shows the destination was checked before the input was read.
    badRows = join(dir, 'bad.csv');
    await writeFile(
      badRows,
      'userId,videoId,interactionType,interactionValue,location,timestamp\nu1,v1,watch,x,US,y\n',
    );
    await writeFile(join(dir, 'a-file'), 'not a directory');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [
      '/proc/x',
      "--out /proc/x is on the kernel's proc file system, which holds no files: choose a directory on disk",
    ],
    ['A_FILE', '--out A_FILE is a file, not a directory'],
    ['A_FILE/models', '--out A_FILE/models cannot be created: A_FILE is a file, not a directory'],
  ])('refuses --out %s before reading the input', async (out, message) => {
    const file = join(dir, 'a-file');
    const run = await train(['--interactions', badRows, '--out', out.replace('A_FILE', file)]);
    expect({ code: run.code, stderr: run.stderr, stdout: run.stdout }).toEqual({
      code: 2,
      stderr: `train: error: ${message.replaceAll('A_FILE', file)}\n`,
      stdout: '',
    });
  });

  it('refuses a missing --videos file before reading the events', async () => {
    const run = await train(['--interactions', badRows, '--videos', join(dir, 'nope.csv'), '--out', dir]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr: `train: error: --videos ${join(dir, 'nope.csv')} does not exist\n`,
    });
  });

  it('refuses --s3 without a region or without credentials before reading the input', async () => {
    // Prepare: no region and no credentials anywhere the SDK looks (and no instance metadata probe).
    const bare = {
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    };

    // Act
    const noRegion = await train(['--interactions', badRows, '--s3', 's3://models/x'], bare);
    const noCredentials = await train(['--interactions', badRows, '--s3', 's3://models/x'], {
      ...bare,
      AWS_REGION: 'eu-west-1',
    });

    // Assess
    expect({ code: noRegion.code, stderr: noRegion.stderr }).toEqual({
      code: 2,
      stderr:
        'train: error: --s3 s3://models/x: no AWS region is configured (set AWS_REGION, or a region in the AWS profile)\n',
    });
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toMatch(
      /^train: error: --s3 s3:\/\/models\/x: no AWS credentials found \(.+\)\n$/,
    );
  });

  it('refuses --threads above the cores and --factors above the videos', async () => {
    const threads = await train(['--interactions', ORIGINAL, '--threads', '99', '--out', dir]);
    const factors = await train(['--interactions', ORIGINAL, '--factors', '6', '--out', join(dir, 'f')]);
    expect({ code: threads.code, stderr: threads.stderr }).toEqual({
      code: 2,
      stderr: `train: error: --threads 99 is more than the ${availableParallelism()} cores of this machine (extra threads only wait for a core: 99 ran 60x slower than 2)\n`,
    });
    expect({ code: factors.code, stderr: factors.stderr }).toEqual({
      code: 2,
      stderr: 'train: error: --factors 6 is more than the 5 videos in the data: use --factors 5 or fewer\n',
    });
    expect(existsSync(join(dir, 'f'))).toBe(false);
  });
});

describe('CLI: npm run train -- --s3', () => {
  let moto: Moto;
  let dir: string;
  beforeAll(async () => {
    moto = await startMoto();
    dir = await mkdtemp(join(tmpdir(), 'train-s3-'));
  });
  afterAll(async () => {
    await moto.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a bucket that does not exist before reading the input', async () => {
    const run = await train(
      ['--interactions', join(ROOT, 'test/fixtures/events/bad-rows.csv'), '--s3', 's3://no-such-bucket/x'],
      {
        ...moto.env,
        AWS_S3_FORCE_PATH_STYLE: 'true',
      },
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({
      code: 2,
      stderr:
        'train: error: --s3 s3://no-such-bucket/x: bucket no-such-bucket does not exist (create it first, e.g. aws s3 mb s3://no-such-bucket)\n',
    });
  });

  it('publishes to S3 and the store reads back the same model as the local copy', async () => {
    // Prepare
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'models' }));
    const out = join(dir, 'local');

    // Act
    const run = await train(
      [
        '--interactions',
        ORIGINAL,
        '--videos',
        ORIGINAL_VIDEOS,
        '--out',
        out,
        '--s3',
        's3://models/recommender',
        ...TINY,
      ],
      { ...moto.env, AWS_S3_FORCE_PATH_STYLE: 'true' },
    );
    const latest = async (uri: string): Promise<FetchedVersion> => {
      const source = openArtifactSource(uri, { s3 });
      const read = await source.readPointer();
      if (!read.changed || !read.pointer) throw new Error(`no pointer at ${uri}`);
      return fetchVersion(source, read.pointer, false, {
        allocateItems: (bytes) => new Uint8Array(bytes),
        preloadUsersBytes: Number.POSITIVE_INFINITY,
      });
    };
    const [remote, local] = await Promise.all([latest('s3://models/recommender'), latest(out)]);
    const users = ['u001', 'u002', 'u003', 'u004', 'u005'];
    const usersOf = (v: FetchedVersion): Uint8Array =>
      v.users.kind === 'memory' ? v.users.bytes : new Uint8Array();

    // Assess: no error on stderr, the same model both ways.
    expect(run.stderr).not.toContain('error');
    expect(run.code).toBe(0);
    expect(remote.version).toBe(local.version);
    expect(remote.manifest).toEqual(local.manifest);
    expect(Buffer.from(remote.items).equals(Buffer.from(local.items))).toBe(true);
    expect(Buffer.from(usersOf(remote)).equals(Buffer.from(usersOf(local)))).toBe(true);
    const model = artifactById(remote.view, usersOf(remote), users);
    expect(Object.keys(model.users).sort()).toEqual(users);
    // The served popularity counts distinct users: v001 has u001 (watch + like) and u005; summed values
    // would give [4, 1, 4, 1, 3].
    expect(Object.fromEntries(Object.entries(model.videos).map(([id, v]) => [id, v.popularity]))).toEqual({
      v001: 2,
      v002: 1,
      v003: 1,
      v004: 1,
      v005: 1,
    });
    expect(Object.values(model.videos).filter((v) => v.metadata !== null)).toHaveLength(5);
    expect(run.stdout).toContain(`to s3://models/recommender`);
  });
});

describe('Split: EVAL.md on MovieLens 100K', () => {
  const present = existsSync(ML100K);
  it.skipIf(!present)(
    `reproduces 80,367 / 19,633 and the test-file sha256${present ? '' : ' (skipped: ../shared/data/ml-100k/u.data not found)'}`,
    async () => {
      // Act
      const interactions = buildInteractions(await readEvents(ML100K, { layout: 'movielens' }));
      const split = splitHoldout(interactions);

      // Assess
      expect({
        trainPairs: split.trainPairs,
        testPairs: split.testPairs,
        testUsers: split.testUsers,
        sha256: testSetDigest(split.test, interactions.userIds, interactions.videoIds),
      }).toEqual({
        trainPairs: 80_367,
        testPairs: 19_633,
        testUsers: 943,
        sha256: '40493df58aa902eac8162bb17b2a6e260ccd5e815c127723145670d7e3d8d489',
      });
    },
  );
});
