import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchVersion, openArtifactSource } from '../../src/store/index.js';
import { freePort } from '../helpers/moto.js';
import { SAMPLE_VIDEOS, sampleEvents, writeOptMl } from '../helpers/opt-ml.js';
import { buildArgs, type Engine, findEngine, IMAGE_TAG } from './engine.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const HEADER = 'userId,videoId,interactionType,interactionValue,location,timestamp';

let engine: Engine;
const dirs: string[] = [];

async function tree(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'image-opt-ml-'));
  dirs.push(dir);
  return dir;
}

/** A container's log, stdout and stderr interleaved as the engine kept them. */
function logsOf(id: string): string {
  const result = spawnSync(engine.name, ['logs', id], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`;
}

/** `IMAGE train` with the tree mounted at /opt/ml, as SageMaker runs a training job: exit code and log. */
function train(base: string): { code: number; log: string } {
  const id = engine.run(['create', '-v', `${base}:/opt/ml`, IMAGE_TAG, 'train']);
  try {
    engine.run(['start', id]);
    const code = Number(engine.run(['wait', id], { timeoutMs: 170_000 }));
    return { code, log: logsOf(id) };
  } finally {
    engine.run(['rm', '-f', id]);
  }
}

/** The bytes of the version latest.json names, verified by the store, as sha256 per file. */
async function publishedModel(modelDir: string): Promise<{ version: string; files: Record<string, string> }> {
  const pointer = JSON.parse(await readFile(join(modelDir, 'latest.json'), 'utf8')) as { version: string };
  const source = openArtifactSource(modelDir);
  const read = await source.readPointer();
  if (!read.changed || !read.pointer) throw new Error('no pointer');
  await fetchVersion(source, read.pointer, false, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await source.close();
  const files: Record<string, string> = {};
  for (const name of ['items.bin', 'users.bin']) {
    const bytes = await readFile(join(modelDir, 'models', pointer.version, name));
    files[name] = createHash('sha256').update(bytes).digest('hex');
  }
  return { version: pointer.version, files };
}

async function waitForFile(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  engine = findEngine();
  process.chdir(ROOT);
  // Built (or taken from the layer cache) as image.test.ts builds it.
  await engine.runAsync(buildArgs(engine.name, IMAGE_TAG));
});

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('Image: `IMAGE train` (the SageMaker training contract)', () => {
  let serving = '';
  afterEach(() => {
    if (serving) engine.run(['rm', '-f', serving]);
    serving = '';
  });

  it('trains from part files and hyperparameters into /opt/ml/model, which `IMAGE serve` then serves', async () => {
    // Prepare: events in 3 part files (one gzipped), the video metadata channel
    const base = await tree();
    await writeOptMl(base, {
      hyperparameters: { factors: '16', iterations: '5', 'split-seed': '3' },
      events: await sampleEvents(60_000),
      parts: 3,
      videos: await readFile(SAMPLE_VIDEOS, 'utf8'),
    });

    // Act
    const run = train(base);
    const model = await publishedModel(join(base, 'model'));
    const port = await freePort();
    serving = engine.run([
      'run',
      '-d',
      '-p',
      `127.0.0.1:${port}:8080`,
      '-v',
      `${join(base, 'model')}:/opt/ml/model:ro`,
      IMAGE_TAG,
      'serve',
    ]);
    let ping: Response | undefined;
    for (let tries = 0; ping?.status !== 200 && tries < 360; tries++) {
      await new Promise((r) => setTimeout(r, 250));
      ping = await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined);
    }
    const answer = await fetch(`http://127.0.0.1:${port}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user_id":"u1446","k":3}',
    });

    // Assess
    expect(run.code).toBe(0);
    expect(run.log).toMatch(
      /^Training job \(outside SageMaker\): train --factors 16 --iterations 5 --split-seed 3/,
    );
    expect(run.log).toContain('/opt/ml/input/data/training: 60000 rows, none bad');
    expect(run.log).toContain(`Published ${model.version} to /opt/ml/model`);
    expect(await readdir(join(base, 'output', 'data'))).toEqual(['metrics.json', 'report.html']);
    expect(existsSync(join(base, 'output', 'failure'))).toBe(false);
    expect(await ping?.json()).toEqual({ status: 'ok', modelVersion: model.version });
    const body = (await answer.json()) as { userId: string; recommendations: unknown[] };
    expect({ status: answer.status, userId: body.userId, count: body.recommendations.length }).toEqual({
      status: 200,
      userId: 'u1446',
      count: 3,
    });
  });

  it('writes the reason to /opt/ml/output/failure and exits non-zero for bad input and bad hyperparameters', async () => {
    // Prepare
    const badRows = await tree();
    await writeOptMl(badRows, {
      events: `${HEADER}\nu1,v1,watch,1,US,2026-11-30 10:00:00\nu2,v2,watch,lots,US,2026-11-30 10:00:00\n`,
      parts: 1,
    });
    const badHyperparameter = await tree();
    await writeOptMl(badHyperparameter, {
      hyperparameters: { factors: 'many' },
      events: await sampleEvents(10),
    });

    // Act
    const rows = train(badRows);
    const hyperparameter = train(badHyperparameter);

    // Assess
    expect({ code: rows.code, failure: await readFile(join(badRows, 'output', 'failure'), 'utf8') }).toEqual({
      code: 1,
      failure:
        'Too many bad rows (limit 1%). /opt/ml/input/data/training: 1 of 2 rows bad (50%): bad-value 1 | /opt/ml/input/data/training/part-00000.csv line 3: value "lots" is not a non-negative number | u2,v2,watch,lots,US,2026-11-30 10:00:00\n',
    });
    expect(rows.log).toContain('train: error: Too many bad rows');
    expect({
      code: hyperparameter.code,
      failure: await readFile(join(badHyperparameter, 'output', 'failure'), 'utf8'),
    }).toEqual({ code: 2, failure: '--factors must be a number\n' });
    expect(existsSync(join(badRows, 'model', 'latest.json'))).toBe(false);
  });

  it('resumes after a kill from the last finished iteration in /opt/ml/checkpoints, to the same bytes', async () => {
    // Prepare: the same job twice, one with checkpoints, one without
    const events = await sampleEvents();
    const hyperparameters = { factors: '32', iterations: '40', eval: 'false' };
    const killed = await tree();
    await writeOptMl(killed, { hyperparameters, events, checkpoints: true });
    const reference = await tree();
    await writeOptMl(reference, { hyperparameters, events });

    // Act: kill -9 the first run right after its first checkpoint, then run the job again
    const id = engine.run(['run', '-d', '-v', `${killed}:/opt/ml`, IMAGE_TAG, 'train']);
    let killedLog: string;
    let killedCode: number;
    try {
      await waitForFile(join(killed, 'checkpoints', 'all-data.ckpt'), 120_000);
      engine.run(['kill', '--signal', 'KILL', id]);
      killedCode = Number(engine.run(['wait', id]));
      killedLog = logsOf(id);
    } finally {
      engine.run(['rm', '-f', id]);
    }
    const finishedBeforeTheResume = existsSync(join(killed, 'model', 'latest.json'));
    const resumed = train(killed);
    const uninterrupted = train(reference);

    // Assess
    const lastBeforeKill = Math.max(
      ...[...killedLog.matchAll(/iteration (\d+)\/40/g)].map((m) => Number(m[1])),
    );
    const resumedAt = Number(
      /Resuming from checkpoint \/opt\/ml\/checkpoints\/all-data\.ckpt: iteration (\d+) of 40/.exec(
        resumed.log,
      )?.[1],
    );
    console.log(`killed after iteration ${lastBeforeKill}; resumed at iteration ${resumedAt} of 40`);
    expect({ killedCode, finishedBeforeTheResume }).toEqual({
      killedCode: 137,
      finishedBeforeTheResume: false,
    });
    expect(resumedAt).toBeGreaterThanOrEqual(1);
    expect(resumedAt).toBeLessThan(40);
    expect(resumed.log).not.toMatch(new RegExp(`iteration ${resumedAt}/40 `));
    expect([resumed.code, uninterrupted.code]).toEqual([0, 0]);
    expect((await publishedModel(join(killed, 'model'))).files).toEqual(
      (await publishedModel(join(reference, 'model'))).files,
    );
  });
});
