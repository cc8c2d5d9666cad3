/**
 * Opening a {@link ModelHandle} in one thread: typed views of the shared item side, this thread's
 * scoring kernels over the shared memory, and the user side (shared bytes, or blocks read on demand
 * into this thread's cache). Nothing large is copied.
 * @module
 */
import { type ItemSideView, type Manifest, viewItems } from '../artifact/index.js';
import type { FittedWeighting } from '../core/model-data.js';
import { kernelSlot } from '../kernels/dot-kernel.js';
import {
  createRecommender,
  lazyUserSide,
  memoryUserSide,
  type Recommender,
  type ScoringOptions,
} from '../recommender/index.js';
import type { ArtifactSource } from '../store/index.js';
import type { ModelHandle } from './model-handle.js';

/** Per-thread settings. */
export interface OpenSettings {
  /** this thread's scoring slot in the handle's memory */
  slot: number;
  scoring: ScoringOptions;
  /** cache of user blocks read on demand */
  userCacheBytes: number;
  /** the source to read remote user blocks from (one per root and thread) */
  sourceFor(uri: string): ArtifactSource;
}

/**
 * The recommender over a handle, for this thread.
 * @example
 * const rec = openModel(handle, { slot: 0, scoring: {}, userCacheBytes: 64 << 20, sourceFor });
 */
export function openModel(handle: ModelHandle, settings: OpenSettings): Recommender {
  const m = handle.manifest;
  const items = viewItems(m, handle.items);
  const slot = kernelSlot(handle.memory, settings.slot);
  const at = (name: string): number => {
    const section = m.items.sections.find((s) => s.name === name);
    if (!section) throw new RangeError(`${name} is not in this model`);
    return handle.items.byteOffset + section.offset;
  };
  const kernels = slot
    ? {
        items: slot.bind({ offset: at('item_factors'), rows: items.videos, dim: items.factors }),
        centroids: items.ivf
          ? slot.bind({ offset: at('ivf_centroids'), rows: items.ivf.lists, dim: items.factors })
          : undefined,
      }
    : undefined;
  const lists = items.userIvf
    ? { offsets: items.userIvf.offsets, digests: items.userIvf.digests }
    : undefined;
  const users =
    handle.users.kind === 'memory'
      ? memoryUserSide(items.users, handle.users.bytes, lists)
      : lazyUserSide(
          items.users,
          { read: readerOf(settings.sourceFor(handle.users.uri), handle.users.path) },
          { cacheBytes: settings.userCacheBytes, where: `${handle.users.uri}/${handle.users.path}`, lists },
        );
  return createRecommender(
    {
      version: handle.version,
      params: m.params,
      index: m.index,
      userIndex: m.userIndex,
      weighting: fittedWeighting(m, items),
      items,
      users,
      kernels,
    },
    settings.scoring,
  );
}

/** The weighting training applied, as fold-in and explanations need it (N, and bm25's item norms). */
function fittedWeighting(m: Manifest, items: ItemSideView): FittedWeighting | undefined {
  const weighting = m.weighting;
  if (!weighting || weighting.scheme === 'none') return undefined;
  return { weighting, items: items.videos, itemNorms: items.weightNorms };
}

function readerOf(source: ArtifactSource, path: string): (start: number, end: number) => Promise<Uint8Array> {
  return (start, end) => source.readRange(path, start, end);
}
