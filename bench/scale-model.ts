/**
 * A seeded synthetic model at catalogue scale (default 1M videos x 10M users x 64 factors), written
 * straight into the artifact format without training: taste groups like real ALS factors (videos and
 * users cluster by group, popular videos have larger norms), power-law popularity, watch histories of
 * log-normal length drawn from the user's groups, video metadata for filters. Users stream to
 * `users.bin` block by block, so generating ten million of them needs no more memory than the item side.
 * @module
 */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildManifest,
  encodeItems,
  MANIFEST_FILE,
  POINTER_FILE,
  pointerFor,
  UserBlockWriter,
  versionDir,
} from '../src/artifact/index.js';
import { idHash } from '../src/core/id-hash.js';
import type { VideoMeta } from '../src/core/model-data.js';
import { createRng, type Rng, splitmix32 } from '../src/core/random.js';
import { buildIvf } from '../src/ranking/index.js';

/** The shape of the generated model. */
export interface ScaleOptions {
  videos: number;
  users: number;
  factors: number;
  /** taste groups */
  groups: number;
  /** mean watch-history length (log-normal, 1..300) */
  meanHistory: number;
  seed: number;
}

export const SCALE_DEFAULTS: ScaleOptions = {
  videos: 1_000_000,
  users: 10_000_000,
  factors: 64,
  groups: 400,
  meanHistory: 12,
  seed: 7,
};

const LANGUAGES = ['en', 'es', 'pt', 'de', 'fr', 'hi', 'ja', 'it'];

/** Approximately standard normal (Irwin-Hall with four uniforms): plenty for synthetic factors, and cheap. */
function gaussian(rng: Rng): number {
  return (rng() + rng() + rng() + rng() - 2) * Math.SQRT2 * 1.224744871391589;
}

function normalizeInto(out: Float32Array, at: number, values: Float64Array, scale: number): void {
  let sq = 0;
  for (const v of values) sq += v * v;
  const k = sq > 0 ? scale / Math.sqrt(sq) : 0;
  for (let j = 0; j < values.length; j++) out[at + j] = (values[j] as number) * k;
}

/** Group centroids: random unit directions. */
function centroids(o: ScaleOptions, rng: Rng): Float64Array {
  const out = new Float64Array(o.groups * o.factors);
  for (let i = 0; i < out.length; i++) out[i] = gaussian(rng);
  return out;
}

/** Video v has popularity rank v; popular videos get larger norms, as trained factors do. */
function itemFactors(
  o: ScaleOptions,
  groups: Float64Array,
  rng: Rng,
): { factors: Float32Array; groupOf: Int32Array } {
  const f = o.factors;
  const factors = new Float32Array(o.videos * f);
  const groupOf = new Int32Array(o.videos);
  const v64 = new Float64Array(f);
  for (let v = 0; v < o.videos; v++) {
    const g = Math.floor(rng() * o.groups);
    groupOf[v] = g;
    let sq = 0;
    for (let j = 0; j < f; j++) sq += (groups[g * f + j] as number) ** 2;
    const cn = 1 / Math.sqrt(sq);
    for (let j = 0; j < f; j++)
      v64[j] = (groups[g * f + j] as number) * cn + (0.45 * gaussian(rng)) / Math.sqrt(f);
    normalizeInto(factors, v * f, v64, 0.3 + 0.9 * (1 + v / 2000) ** -0.35);
  }
  return { factors, groupOf };
}

/** Per group: its videos by popularity and cumulative weights ~ rank^-0.9, for sampling histories. */
function groupSamplers(
  o: ScaleOptions,
  groupOf: Int32Array,
): { videos: Int32Array[]; cumulative: Float64Array[] } {
  const lists: number[][] = Array.from({ length: o.groups }, () => []);
  for (let v = 0; v < o.videos; v++) lists[groupOf[v] as number]!.push(v);
  const videos = lists.map((l) => Int32Array.from(l));
  const cumulative = videos.map((list) => {
    const c = new Float64Array(list.length);
    let sum = 0;
    list.forEach((v, i) => {
      sum += (1 + v) ** -0.9;
      c[i] = sum;
    });
    return c;
  });
  return { videos, cumulative };
}

/** A tiny per-user generator (splitmix32 steps), so a user's data depends only on the seed and its index. */
function userRng(seed: number, index: number): Rng {
  const next = splitmix32(seed ^ Math.imul(index + 1, 0x9e3779b1));
  return () => next() / 4294967296;
}

interface UserData {
  factors: Float32Array;
  items: number[];
}

function generateUser(
  o: ScaleOptions,
  index: number,
  groups: Float64Array,
  samplers: ReturnType<typeof groupSamplers>,
): UserData {
  const rng = userRng(o.seed, index);
  const f = o.factors;
  const tastes = [Math.floor(rng() * o.groups), Math.floor(rng() * o.groups)];
  const main = tastes[0] as number;
  const v64 = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    v64[j] =
      (groups[main * f + j] as number) +
      0.5 * (groups[(tastes[1] as number) * f + j] as number) +
      0.6 * gaussian(rng);
  }
  const factors = new Float32Array(f);
  normalizeInto(factors, 0, v64, 0.8 + 0.4 * rng());
  const length = Math.max(
    1,
    Math.min(300, Math.round(Math.exp(Math.log(o.meanHistory) - 0.5 + 1.0 * gaussian(rng)))),
  );
  const items = new Set<number>();
  for (let n = 0; n < length; n++) {
    const g = tastes[rng() < 0.75 ? 0 : 1] as number;
    const cumulative = samplers.cumulative[g] as Float64Array;
    const list = samplers.videos[g] as Int32Array;
    if (list.length === 0) continue;
    const target = rng() * (cumulative[cumulative.length - 1] as number);
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < target) lo = mid + 1;
      else hi = mid;
    }
    items.add(list[lo] as number);
  }
  return { factors, items: [...items] };
}

/** User indices in (id hash, id) order: the order of the user blocks. */
function usersByHash(users: number): Int32Array {
  const hashes = new Uint32Array(users);
  for (let i = 0; i < users; i++) hashes[i] = idHash(`u${i}`);
  const order = Int32Array.from({ length: users }, (_, i) => i);
  order.sort((a, b) => (hashes[a] as number) - (hashes[b] as number) || (`u${a}` < `u${b}` ? -1 : 1));
  return order;
}

function metadataOf(o: ScaleOptions, groupOf: Int32Array): VideoMeta[] {
  return Array.from({ length: o.videos }, (_, v) => {
    const g = groupOf[v] as number;
    return {
      title: `Video ${v}`,
      language: LANGUAGES[g % LANGUAGES.length] as string,
      tags: [`t${g % 50}`, `t${(g * 7 + v) % 50}`],
    };
  });
}

/** What a generation wrote. */
export interface ScaleModel {
  dir: string;
  version: string;
  itemsBytes: number;
  usersBytes: number;
  interactions: number;
  index: string;
  seconds: Record<string, number>;
}

/**
 * Generates the model into `dir` (a model root: `latest.json` + `models/<version>/`).
 * @param log - progress lines
 */
export async function generateScaleModel(
  dir: string,
  o: ScaleOptions,
  log: (line: string) => void,
): Promise<ScaleModel> {
  const seconds: Record<string, number> = {};
  let t = performance.now();
  const lap = (name: string): void => {
    seconds[name] = (performance.now() - t) / 1000;
    log(`  ${name}: ${seconds[name]?.toFixed(1)} s`);
    t = performance.now();
  };
  const rng = createRng(o.seed);
  const groups = centroids(o, rng);
  const items = itemFactors(o, groups, rng);
  const samplers = groupSamplers(o, items.groupOf);
  lap('item factors');
  const queryUsers = Math.min(o.users, 2000);
  const queries = new Float32Array(queryUsers * o.factors);
  for (let i = 0; i < queryUsers; i++)
    queries.set(generateUser(o, i, groups, samplers).factors, i * o.factors);
  const ivf = buildIvf(items.factors, o.factors, { seed: o.seed, queries });
  lap(`IVF index (${ivf.lists} lists, nprobe ${ivf.nprobe}, recall@10 ${ivf.recallAt10.toFixed(4)})`);
  const newRow = new Int32Array(o.videos);
  ivf.order.forEach((old, row) => {
    newRow[old] = row;
  });
  const tmpDir = join(dir, 'models', '.writing');
  mkdirSync(tmpDir, { recursive: true });
  const fd = openSync(join(tmpDir, 'users.bin'), 'w');
  const popularity = new Float32Array(o.videos);
  let interactions = 0;
  const writer = new UserBlockWriter(o.factors, (block) => {
    writeSync(fd, block);
  });
  const order = usersByHash(o.users);
  lap('user order');
  for (let n = 0; n < order.length; n++) {
    const i = order[n] as number;
    const user = generateUser(o, i, groups, samplers);
    const rows = Int32Array.from(user.items, (v) => newRow[v] as number).sort();
    for (const r of rows) popularity[r] = (popularity[r] as number) + 1;
    interactions += rows.length;
    writer.add({
      id: `u${i}`,
      hash: idHash(`u${i}`),
      factors: user.factors,
      items: rows,
      values: Float32Array.from(rows, () => 1),
    });
    if (n % 1_000_000 === 999_999) log(`  users: ${n + 1}`);
  }
  const users = writer.finish();
  closeSync(fd);
  lap('users.bin');
  const stored = new Float32Array(o.videos * o.factors);
  ivf.order.forEach((old, row) => {
    stored.set(items.factors.subarray(old * o.factors, (old + 1) * o.factors), row * o.factors);
  });
  const metadata = metadataOf(o, items.groupOf);
  const encoded = encodeItems({
    factors: o.factors,
    itemFactors: stored,
    popularity,
    videoIds: Array.from(ivf.order, (old) => `v${old}`),
    metadata: Array.from(ivf.order, (old) => metadata[old] ?? null),
    ivf,
    users: users.directory,
  });
  lap('items.bin');
  const manifest = buildManifest({
    info: {
      params: {
        factors: o.factors,
        regularization: 0.01,
        alpha: 1,
        iterations: 0,
        cgSteps: 3,
        threads: 1,
        seed: o.seed,
      },
      datasetDigest: `synthetic-${o.videos}x${o.users}x${o.factors}-seed-${o.seed}`,
      metrics: { synthetic: true },
      createdAt: new Date('2026-01-01T00:00:00Z'),
    },
    counts: { users: o.users, videos: o.videos, factors: o.factors, interactions },
    items: encoded,
    users: { bytes: users.bytes, sha256: users.sha256, blocks: users.blocks },
    index: {
      kind: 'ivf',
      lists: ivf.lists,
      nprobe: ivf.nprobe,
      recallAt10: ivf.recallAt10,
      queries: ivf.queries,
    },
  });
  const finalDir = join(dir, ...versionDir(manifest.version).split('/'));
  mkdirSync(join(dir, 'models'), { recursive: true });
  renameSync(tmpDir, finalDir);
  writeFileSync(join(finalDir, 'items.bin'), encoded.bytes);
  writeFileSync(join(finalDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, POINTER_FILE), `${JSON.stringify(pointerFor(manifest.version), null, 2)}\n`);
  return {
    dir,
    version: manifest.version,
    itemsBytes: encoded.bytes.byteLength,
    usersBytes: users.bytes,
    interactions,
    index: `ivf ${ivf.lists} lists, nprobe ${ivf.nprobe}`,
    seconds,
  };
}
