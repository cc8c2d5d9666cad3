import { createHash } from 'node:crypto';
import { ALS_DEFAULTS } from '../../src/als/train.js';
import { type EncodedArtifact, encodeModel } from '../../src/artifact/encode.js';
import type { Csr, ModelData, VideoMeta } from '../../src/core/model-data.js';

/** Options for {@link tinyModel}; every field has a small default. */
export interface TinyModelOptions {
  /** default 6 */
  users?: number;
  /** default 8 */
  videos?: number;
  /** default 4 */
  factors?: number;
  /** expected share of (user, video) pairs seen, default 0.3; every user sees at least one video */
  density?: number;
  /** PRNG seed, default 1: the same options always give the same model */
  seed?: number;
  /** attach metadata (titles, language, tags) to every other video, default true */
  metadata?: boolean;
}

/** mulberry32: a tiny seeded PRNG, plenty for test data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A small random but reproducible {@link ModelData}: ids `u001..`, `v001..`, factors uniform in [-1, 1),
 * a seen matrix with ascending column indices and values 1..3, popularity = column sums of seen.
 */
export function tinyModel(options: TinyModelOptions = {}): ModelData {
  const users = options.users ?? 6;
  const videos = options.videos ?? 8;
  const factors = options.factors ?? 4;
  const density = options.density ?? 0.3;
  const random = seededRandom(options.seed ?? 1);
  const pad = (n: number): string => String(n).padStart(3, '0');
  const userIds = Array.from({ length: users }, (_, i) => `u${pad(i + 1)}`);
  const videoIds = Array.from({ length: videos }, (_, i) => `v${pad(i + 1)}`);
  const userFactors = Float32Array.from({ length: users * factors }, () => random() * 2 - 1);
  const itemFactors = Float32Array.from({ length: videos * factors }, () => random() * 2 - 1);

  const indptr = new Int32Array(users + 1);
  const indices: number[] = [];
  const data: number[] = [];
  const popularity = new Float32Array(videos);
  for (let u = 0; u < users; u++) {
    const forced = Math.floor(random() * videos);
    for (let v = 0; v < videos; v++) {
      if (v === forced || random() < density) {
        const value = 1 + Math.floor(random() * 3);
        indices.push(v);
        data.push(value);
        popularity[v] = popularity[v]! + value;
      }
    }
    indptr[u + 1] = indices.length;
  }
  const seen: Csr = {
    rows: users,
    cols: videos,
    indptr,
    indices: Int32Array.from(indices),
    data: Float32Array.from(data),
  };
  const languages = ['en', 'es', 'fr'];
  const metadata: (VideoMeta | null)[] | null =
    options.metadata === false
      ? null
      : videoIds.map((id, i) =>
          i % 2 === 0
            ? {
                title: `Video ${id}`,
                language: languages[i % 3]!,
                tags: [`tag${i % 4}`],
                lengthSeconds: 60 + i,
              }
            : null,
        );
  return { factors, userIds, videoIds, userFactors, itemFactors, seen, popularity, metadata };
}

function digest(array: Float32Array | Int32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength))
    .digest('hex');
}

/**
 * The model with every typed array replaced by `dtype:length:sha256`, for comparing large models quickly
 * (vitest's toEqual walks typed arrays element by element, which takes seconds at a million values).
 */
export function fingerprint(model: ModelData): Record<string, unknown> {
  const f = (array: Float32Array | Int32Array): string =>
    `${array instanceof Float32Array ? 'f32' : 'i32'}:${array.length}:${digest(array)}`;
  return {
    factors: model.factors,
    userIds: model.userIds,
    videoIds: model.videoIds,
    userFactors: f(model.userFactors),
    itemFactors: f(model.itemFactors),
    seen: {
      rows: model.seen.rows,
      cols: model.seen.cols,
      indptr: f(model.seen.indptr),
      indices: f(model.seen.indices),
      data: f(model.seen.data),
    },
    popularity: f(model.popularity),
    metadata: model.metadata,
  };
}

/** Options for {@link tinyArtifact}: the model's, plus the publish minute that orders versions. */
export interface TinyArtifactOptions extends TinyModelOptions {
  /** minute of 2025-01-01 00:xx UTC used as createdAt, default the seed */
  minute?: number;
  metrics?: Record<string, unknown>;
}

/** An encoded {@link tinyModel}: versions sort by `minute`, digests differ by seed. */
export function tinyArtifact(options: TinyArtifactOptions = {}): EncodedArtifact {
  const seed = options.seed ?? 1;
  return encodeModel(tinyModel(options), {
    params: { ...ALS_DEFAULTS, factors: options.factors ?? 4 },
    datasetDigest: `digest-${seed}`,
    ...(options.metrics && { metrics: options.metrics }),
    createdAt: new Date(Date.UTC(2025, 0, 1, 0, options.minute ?? seed)),
  });
}
