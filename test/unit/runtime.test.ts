import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ITEMS_FILE, POINTER_FILE, versionDir } from '../../src/artifact/index.js';
import { ArtifactInvalidError, ConfigInvalidError } from '../../src/core/errors.js';
import type { Log, LogFields } from '../../src/core/log.js';
import { loadHandle, type ModelHandle } from '../../src/serving/model-handle.js';
import { createModelRuntime, type ModelRuntime, type RuntimeOptions } from '../../src/serving/runtime.js';
import { type ArtifactSource, openArtifactSource, publishModel } from '../../src/store/index.js';
import { artifactOf, FIXTURE_VERSION, fixtureArtifact, fixtureModelData } from '../helpers/fixture-model.js';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: LogFields;
}

/** A Log that keeps every line. */
function recordingLog(lines: Line[] = [], context: LogFields = {}): Log & { lines: Line[] } {
  const at =
    (level: Line['level']) =>
    (message: string, fields: LogFields = {}): void => {
      lines.push({ level, message, fields: { ...context, ...fields } });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (fields) => recordingLog(lines, { ...context, ...fields }),
  };
}

/** A second model version: the fixture with other popularity, so another content hash and version id. */
const secondArtifact = () =>
  artifactOf({ ...fixtureModelData(), popularity: Float32Array.of(0, 1, 2, 3, 4, 5) });
const SECOND_VERSION = secondArtifact().manifest.version;

let dir: string;
let source: ArtifactSource;
let clock: number;
let log: ReturnType<typeof recordingLog>;
/** versions passed to `load`, in call order */
let loads: string[];
/** pointer reads by the runtime */
let pointerReads: number;
/** when set, `load` waits for it */
let loadGate: Promise<void> | undefined;
/** called as `load` is entered */
let onLoad: (() => void) | undefined;

/** The runtime under test over the tmp directory, with a counting load and an injected clock. */
function runtimeWith(options: Partial<RuntimeOptions> = {}): ModelRuntime {
  const counted: ArtifactSource = {
    ...source,
    readPointer: (tag) => {
      pointerReads++;
      return source.readPointer(tag);
    },
  };
  return createModelRuntime({
    source: counted,
    refreshSeconds: 60,
    retryMaxSeconds: 8,
    drive: 'requests',
    log,
    now: () => clock,
    async load(from, pointer, pinned) {
      loads.push(pointer.version);
      onLoad?.();
      if (loadGate) await loadGate;
      return loadHandle(from, pointer, pinned, { slots: 1, preloadUsersBytes: 1 << 30 });
    },
    ...options,
  });
}

const errors = (): { message: string; error: unknown }[] =>
  log.lines.filter((l) => l.level === 'error').map((l) => ({ message: l.message, error: l.fields.error }));

const versionFile = (version: string, file: string): string =>
  join(dir, ...versionDir(version).split('/'), file);

/** Flips one byte of a version's items.bin in place (same size). */
async function corruptItems(version: string): Promise<Buffer> {
  const path = versionFile(version, ITEMS_FILE);
  const good = await readFile(path);
  const bad = Buffer.from(good);
  bad[100] = (bad[100] as number) ^ 0xff;
  await writeFile(path, bad);
  return good;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runtime-test-'));
  source = openArtifactSource(dir);
  clock = 1_000_000;
  log = recordingLog();
  loads = [];
  pointerReads = 0;
  loadGate = undefined;
  onLoad = undefined;
});

afterEach(async () => {
  await source.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Function: createModelRuntime', () => {
  it('loads the published version on start and tells listeners', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    const runtime = runtimeWith();
    const swaps: [string, string | undefined][] = [];
    runtime.onSwap((handle, previous) => swaps.push([handle.version, previous?.version]));
    // Act
    await runtime.start();
    // Assess
    expect({
      version: runtime.handle()?.version,
      status: runtime.status(),
      loads,
      swaps,
      logged: log.lines.map((l) => [l.level, l.message, l.fields.version]),
    }).toEqual({
      version: FIXTURE_VERSION,
      status: { state: 'ready', version: FIXTURE_VERSION, since: clock },
      loads: [FIXTURE_VERSION],
      swaps: [[FIXTURE_VERSION, undefined]],
      logged: [['info', 'model_loaded', FIXTURE_VERSION]],
    });
  });

  it('says why there is no model when nothing is published, and when it tries again', async () => {
    // Prepare
    const runtime = runtimeWith();
    const before = runtime.unavailable();
    // Act
    await runtime.start();
    clock += 400;
    // Assess
    const status = runtime.status();
    expect([before.message, before.expose, before.retryAfterSeconds]).toEqual([
      'No model loaded yet: loading',
      true,
      1,
    ]);
    expect({
      state: status.state,
      attempt: status.state === 'failed' ? status.attempt : undefined,
      retryAt: status.state === 'failed' ? status.retryAt : undefined,
      handle: runtime.handle(),
      loads,
    }).toEqual({ state: 'failed', attempt: 1, retryAt: 1_001_000, handle: undefined, loads: [] });
    const after = runtime.unavailable();
    expect([after.message, after.expose, after.retryAfterSeconds]).toEqual([
      'No model loaded: attempt 1 failed (no model is published yet); next attempt in 1 s',
      true,
      1,
    ]);
    // Where and why exactly go to the log, not to clients.
    expect(errors()).toEqual([
      { message: 'model_load_failed', error: `No model published at ${dir}: ${POINTER_FILE} not found` },
    ]);
  });

  it('backs off between failed first loads, doubling from 1 s up to retryMaxSeconds', async () => {
    // Prepare
    const runtime = runtimeWith({ retryMaxSeconds: 8 });
    await runtime.start();
    const waits: number[] = [];
    // Act: each tick at the moment the previous backoff ends.
    for (let i = 0; i < 6; i++) {
      const status = runtime.status();
      if (status.state !== 'failed') throw new Error('expected a failed status');
      waits.push(status.retryAt - clock);
      clock = status.retryAt;
      await runtime.tick();
    }
    // Assess
    expect({ waits, attempt: runtime.status().state === 'failed' && runtime.status() }).toMatchObject({
      waits: [1000, 2000, 4000, 8000, 8000, 8000],
      attempt: { attempt: 7 },
    });
    // One failure line per attempt (nothing published is not an invalid artifact).
    expect(errors().length).toBe(7);
  });

  it('starts no attempt before retryAt, and at most one at a time', async () => {
    // Prepare: the first attempt fails (nothing published); then a version appears.
    const runtime = runtimeWith();
    await runtime.start();
    await publishModel(dir, fixtureArtifact());
    // Act: ticks before the backoff ends do nothing.
    clock += 999;
    await runtime.tick();
    await runtime.tick();
    const attemptsEarly = runtime.status().state === 'failed' ? 'still failed' : runtime.status().state;
    // Act: at retryAt, three ticks while the load is held share one attempt.
    clock += 1;
    let release: () => void = () => {};
    loadGate = new Promise((resolve) => {
      release = resolve;
    });
    const entered = new Promise<void>((resolve) => {
      onLoad = resolve;
    });
    const first = runtime.tick();
    const concurrent = [runtime.tick(), runtime.tick()];
    await Promise.all(concurrent);
    await entered;
    concurrent.push(runtime.tick());
    await Promise.all(concurrent);
    const whileLoading = { status: runtime.status(), loads: [...loads] };
    release();
    await first;
    // Assess
    expect({ attemptsEarly, pointerReadsBefore: pointerReads >= 2, whileLoading, loads }).toEqual({
      attemptsEarly: 'still failed',
      pointerReadsBefore: true,
      whileLoading: { status: { state: 'loading', attempt: 2 }, loads: [FIXTURE_VERSION] },
      loads: [FIXTURE_VERSION],
    });
    expect(runtime.handle()?.version).toBe(FIXTURE_VERSION);
  });

  it('logs a garbage latest.json once per content while no model is loaded, however often it tries', async () => {
    // Prepare
    await writeFile(join(dir, POINTER_FILE), 'not json {');
    const runtime = runtimeWith({ retryMaxSeconds: 1 });
    await runtime.start();
    // Act: five more attempts on the same content, then another garbage content, tried twice.
    const retry = async (): Promise<void> => {
      clock += 1000;
      await runtime.tick();
    };
    for (let i = 0; i < 5; i++) await retry();
    const afterSame = errors().length;
    await writeFile(join(dir, POINTER_FILE), 'still not json');
    await retry();
    await retry();
    // Assess
    expect({ afterSame, attempt: runtime.status().state === 'failed' && runtime.status() }).toMatchObject({
      afterSame: 1,
      attempt: { attempt: 8 },
    });
    expect(errors()).toEqual([
      { message: 'model_load_failed', error: `${dir}/${POINTER_FILE} is not valid JSON` },
      { message: 'model_load_failed', error: `${dir}/${POINTER_FILE} is not valid JSON` },
    ]);
  });

  it('keeps serving through a garbage latest.json, logging it once per content over many polls', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    const runtime = runtimeWith();
    await runtime.start();
    await writeFile(join(dir, POINTER_FILE), '{"version": "garbage"}');
    // Act: polls driven by requests, one per refresh interval.
    const poll = async (): Promise<void> => {
      clock += 60_000;
      await runtime.tick();
      await runtime.refreshNow();
    };
    for (let i = 0; i < 4; i++) await poll();
    const afterSame = errors().length;
    await writeFile(join(dir, POINTER_FILE), '{"version": "other garbage"}');
    for (let i = 0; i < 3; i++) await poll();
    const servingThrough = runtime.handle()?.version;
    await publishModel(dir, secondArtifact());
    await poll();
    // Assess
    expect({ afterSame, servingThrough, serving: runtime.handle()?.version, loads }).toEqual({
      afterSame: 1,
      servingThrough: FIXTURE_VERSION,
      serving: SECOND_VERSION,
      loads: [FIXTURE_VERSION, SECOND_VERSION],
    });
    expect(errors().map((e) => e.message)).toEqual(['pointer_invalid', 'pointer_invalid']);
    expect(String(errors()[0]?.error)).toContain(`${dir}/${POINTER_FILE} is invalid: version:`);
  });

  it('does not download a refused version again while its files are unchanged, and loads it once items.bin is fixed', async () => {
    // Prepare: serving the fixture; a second version is published with a corrupt items.bin.
    await publishModel(dir, fixtureArtifact());
    const runtime = runtimeWith();
    await runtime.start();
    await publishModel(dir, secondArtifact());
    const good = await corruptItems(SECOND_VERSION);
    // Act: the first poll refuses it; four more polls see the same pointer and the same files.
    const refusedFirst = await runtime.refreshNow();
    for (let i = 0; i < 4; i++) await runtime.refreshNow();
    const whileRefused = { serving: runtime.handle()?.version, loads: [...loads], errors: errors() };
    // Act: items.bin is rewritten in place (same pointer, same manifest).
    await writeFile(versionFile(SECOND_VERSION, ITEMS_FILE), good);
    const swapped = await runtime.refreshNow();
    // Assess
    expect({ refusedFirst, whileRefused }).toEqual({
      refusedFirst: false,
      whileRefused: {
        serving: FIXTURE_VERSION,
        loads: [FIXTURE_VERSION, SECOND_VERSION],
        errors: [
          { message: 'model_refused', error: expect.stringContaining(`Model version ${SECOND_VERSION}`) },
        ],
      },
    });
    expect({ swapped, serving: runtime.handle()?.version, loads }).toEqual({
      swapped: true,
      serving: SECOND_VERSION,
      loads: [FIXTURE_VERSION, SECOND_VERSION, SECOND_VERSION],
    });
  });

  it('retries a version refused at first load only when its files change', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    const good = await corruptItems(FIXTURE_VERSION);
    const runtime = runtimeWith({ retryMaxSeconds: 1 });
    await runtime.start();
    // Act: three more attempts with the same files.
    for (let i = 0; i < 3; i++) {
      clock += 1000;
      await runtime.tick();
    }
    const refused = { loads: [...loads], status: runtime.status().state, error: runtime.status() };
    await writeFile(versionFile(FIXTURE_VERSION, ITEMS_FILE), good);
    clock += 1000;
    await runtime.tick();
    // Assess
    expect(refused).toMatchObject({
      loads: [FIXTURE_VERSION],
      status: 'failed',
      error: { attempt: 4, error: expect.any(ArtifactInvalidError) },
    });
    expect({ loads, serving: runtime.handle()?.version }).toEqual({
      loads: [FIXTURE_VERSION, FIXTURE_VERSION],
      serving: FIXTURE_VERSION,
    });
    expect(errors().map((e) => e.message)).toEqual(['model_refused', 'model_load_failed']);
  });

  it('swaps to a newly published version on refreshNow, telling listeners the new and previous handle', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    const runtime = runtimeWith();
    const swaps: [ModelHandle, ModelHandle | undefined][] = [];
    runtime.onSwap((handle, previous) => swaps.push([handle, previous]));
    await runtime.start();
    const first = runtime.handle();
    const unchanged = await runtime.refreshNow();
    await publishModel(dir, secondArtifact());
    // Act
    const swapped = await runtime.refreshNow();
    // Assess
    expect({
      unchanged,
      swapped,
      serving: runtime.handle()?.version,
      swaps: swaps.map(([h, p]) => [h.version, p?.version]),
      previousIsFirst: swaps[1]?.[1] === first,
      newIsCurrent: swaps[1]?.[0] === runtime.handle(),
      loads,
      swapLine: log.lines.find((l) => l.message === 'model_swapped')?.fields.previousVersion,
    }).toEqual({
      unchanged: false,
      swapped: true,
      serving: SECOND_VERSION,
      swaps: [
        [FIXTURE_VERSION, undefined],
        [SECOND_VERSION, FIXTURE_VERSION],
      ],
      previousIsFirst: true,
      newIsCurrent: true,
      loads: [FIXTURE_VERSION, SECOND_VERSION],
      swapLine: FIXTURE_VERSION,
    });
  });

  it('polls on requests only once the refresh interval has passed', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    const runtime = runtimeWith({ refreshSeconds: 60 });
    await runtime.start();
    await publishModel(dir, secondArtifact());
    const readsAfterStart = pointerReads;
    // Act: a request 59 s later does not poll; one at 60 s does.
    clock += 59_000;
    await runtime.tick();
    const early = { reads: pointerReads - readsAfterStart, serving: runtime.handle()?.version };
    clock += 1_000;
    await runtime.tick();
    await runtime.refreshNow();
    // Assess
    expect({ early, serving: runtime.handle()?.version }).toEqual({
      early: { reads: 0, serving: FIXTURE_VERSION },
      serving: SECOND_VERSION,
    });
  });

  it('loads a pinned version whatever latest.json says, and never polls', async () => {
    // Prepare
    await publishModel(dir, fixtureArtifact());
    await publishModel(dir, secondArtifact());
    const runtime = runtimeWith({ version: FIXTURE_VERSION });
    // Act
    await runtime.start();
    clock += 3_600_000;
    await runtime.tick();
    const refreshed = await runtime.refreshNow();
    // Assess
    expect({ serving: runtime.handle()?.version, refreshed, pointerReads, loads }).toEqual({
      serving: FIXTURE_VERSION,
      refreshed: false,
      pointerReads: 0,
      loads: [FIXTURE_VERSION],
    });
  });

  it('refuses a pinned version that is not a version id', () => {
    // Assess
    expect(() => runtimeWith({ version: 'latest' })).toThrow(ConfigInvalidError);
  });
});
