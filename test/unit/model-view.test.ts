import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { USERS_FILE, versionDir } from '../../src/artifact/index.js';
import { loadHandle } from '../../src/serving/model-handle.js';
import { RecommenderCache } from '../../src/serving/model-view.js';
import { type ArtifactSource, openArtifactSource, publishModel } from '../../src/store/index.js';
import { artifactOf, fixtureArtifact, fixtureModelData } from '../helpers/fixture-model.js';

let dir: string;
let source: ArtifactSource;

/** The users.bin files under the model directory this process holds open (Linux). */
async function openUsersFiles(): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((target) => target.startsWith(dir) && target.includes(USERS_FILE)).sort();
}

/** Publishes `artifact` and loads it with users read on demand (nothing preloaded). */
async function publishAndLoad(artifact: ReturnType<typeof fixtureArtifact>) {
  await publishModel(dir, artifact);
  const read = await source.readPointer();
  if (!read.changed || !read.pointer) throw new Error('no pointer was published');
  return loadHandle(source, read.pointer, false, { slots: 1, preloadUsersBytes: 0 });
}

const usersFile = (version: string): string => join(dir, ...versionDir(version).split('/'), USERS_FILE);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-view-'));
  source = openArtifactSource(dir);
});
afterEach(async () => {
  await source.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Class: RecommenderCache', () => {
  it('closes the users.bin of a version it forgets, and the loader keeps none open', async () => {
    // Prepare: two versions whose users are read on demand.
    const first = await publishAndLoad(fixtureArtifact());
    const second = await publishAndLoad(
      artifactOf({ ...fixtureModelData(), popularity: Float32Array.of(0, 1, 2, 3, 4, 5) }),
    );
    const afterLoading = await openUsersFiles();
    const cache = new RecommenderCache(
      { scoring: 'exact', annNprobe: undefined, userCacheBytes: 1 << 20, s3ForcePathStyle: false },
      0,
    );
    const answers: string[][] = [];
    for (const handle of [first, second]) {
      const result = await cache.get(handle).recommendForUser('u001', { k: 2 });
      answers.push(result.items.map((item) => item.videoId));
    }
    const whileBothServe = await openUsersFiles();
    const kept = cache.get(second);

    // Act
    cache.retain([second.version]);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect({
      afterLoading,
      whileBothServe,
      afterRetain: await openUsersFiles(),
      answered: answers.every((items) => items.length === 2),
      keptOpen: cache.get(second) === kept,
    }).toEqual({
      afterLoading: [],
      whileBothServe: [usersFile(first.version), usersFile(second.version)].sort(),
      afterRetain: [usersFile(second.version)],
      answered: true,
      keptOpen: true,
    });
  });
});
