/**
 * A model described by its ids only (factors, watch history and popularity keyed by user and video id),
 * so a model and the artifact it was encoded to compare equal although the artifact stores videos in
 * another row order.
 * @module
 */
import type { ItemSideView } from '../../src/artifact/decode.js';
import { blockOf, UserBlock } from '../../src/artifact/user-blocks.js';
import { idHash } from '../../src/core/id-hash.js';
import type { ModelData, VideoMeta } from '../../src/core/model-data.js';

/** One user: factors and watch history as [videoId, value], by video id. */
export interface UserById {
  factors: number[];
  history: [string, number][];
}

/** One video: factors, popularity and metadata. */
export interface VideoById {
  factors: number[];
  popularity: number;
  metadata: VideoMeta | null;
}

export interface ModelById {
  factors: number;
  users: Record<string, UserById>;
  videos: Record<string, VideoById>;
}

const byVideoId = (a: [string, number], b: [string, number]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;

/** A trained model keyed by ids. */
export function modelById(model: ModelData): ModelById {
  const f = model.factors;
  const users: Record<string, UserById> = {};
  model.userIds.forEach((id, u) => {
    const history: [string, number][] = [];
    for (let p = model.seen.indptr[u] as number; p < (model.seen.indptr[u + 1] as number); p++) {
      history.push([model.videoIds[model.seen.indices[p] as number] as string, model.seen.data[p] as number]);
    }
    users[id] = {
      factors: [...model.userFactors.subarray(u * f, (u + 1) * f)],
      history: history.sort(byVideoId),
    };
  });
  const videos: Record<string, VideoById> = {};
  model.videoIds.forEach((id, v) => {
    videos[id] = {
      factors: [...model.itemFactors.subarray(v * f, (v + 1) * f)],
      popularity: model.popularity[v] as number,
      metadata: model.metadata?.[v] ?? null,
    };
  });
  return { factors: f, users, videos };
}

/** One user read from `users.bin` the way a server reads it, or undefined when absent. */
export function userFromArtifact(
  view: ItemSideView,
  usersBin: Uint8Array,
  userId: string,
): UserById | undefined {
  const hash = idHash(userId);
  const b = blockOf(view.users, hash);
  if (b < 0) return undefined;
  const block = new UserBlock(
    usersBin.subarray(view.users.offsets[b] as number, view.users.offsets[b + 1] as number),
  );
  const i = block.find(userId, hash);
  if (i < 0) return undefined;
  const entry = block.entry(i);
  const history = Array.from(entry.items, (row, j): [string, number] => [
    view.videoIds.idAt(row),
    entry.values[j] as number,
  ]);
  return { factors: [...entry.factors], history: history.sort(byVideoId) };
}

/** Every video of a decoded item side, and the given users, keyed by id. */
export function artifactById(
  view: ItemSideView,
  usersBin: Uint8Array,
  userIds: readonly string[],
): ModelById {
  const f = view.factors;
  const users: Record<string, UserById> = {};
  for (const id of userIds) {
    const found = userFromArtifact(view, usersBin, id);
    if (found) users[id] = found;
  }
  const videos: Record<string, VideoById> = {};
  for (let row = 0; row < view.videos; row++) {
    let metadata: VideoMeta | null = null;
    if (view.metadata) {
      const start = view.metadata.offsets[row] as number;
      const end = view.metadata.offsets[row + 1] as number;
      if (end > start)
        metadata = JSON.parse(Buffer.from(view.metadata.bytes.subarray(start, end)).toString('utf8'));
    }
    videos[view.videoIds.idAt(row)] = {
      factors: [...view.itemFactors.subarray(row * f, (row + 1) * f)],
      popularity: view.popularity[row] as number,
      metadata,
    };
  }
  return { factors: f, users, videos };
}
