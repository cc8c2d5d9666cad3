/**
 * Similar videos by metadata, for videos the model has never seen (in the video metadata, no
 * interactions yet): each video's features are its tags and its language (lower-cased, trimmed, as the
 * filter index stores them), and the similarity is the Jaccard index of the two feature sets,
 * |shared| / |union|. Candidates come from the filter postings of the query's features, so a request
 * touches only videos that share something with it; ties go to the more popular video, then the lower row.
 * @module
 */
import type { ItemSideView } from '../artifact/index.js';
import { decodeId } from '../core/id-hash.js';
import { sortedHas, type TopK } from '../ranking/index.js';

type Metadata = NonNullable<ItemSideView['metadata']>;

/** The features of one metadata JSON document: `tag:<tag>` and `language:<code>`, normalised. */
export function featuresOf(json: string): { tags: string[]; language: string | undefined } {
  const meta = JSON.parse(json) as { tags?: unknown; language?: unknown };
  const tags = Array.isArray(meta.tags)
    ? [
        ...new Set(
          meta.tags.filter((t): t is string => typeof t === 'string').map((t) => t.trim().toLowerCase()),
        ),
      ]
    : [];
  const language = typeof meta.language === 'string' ? meta.language.trim().toLowerCase() : undefined;
  return { tags: tags.filter((t) => t !== ''), language: language === '' ? undefined : language };
}

/** How many features (tags + language) each model video has, counted once from the postings. */
export function featureCounts(metadata: Metadata, videos: number): Uint16Array {
  const counts = new Uint16Array(videos);
  for (const kind of ['language', 'tags'] as const) {
    for (const [start, count] of Object.values(metadata.index[kind])) {
      for (let p = start; p < start + count; p++) {
        const row = metadata.postings[p] as number;
        counts[row] = Math.min(65535, (counts[row] as number) + 1);
      }
    }
  }
  return counts;
}

/** Which rows may be returned. */
export interface MetadataSelection {
  k: number;
  candidates: Int32Array | undefined;
  excluded: Int32Array | undefined;
}

/** Shared-feature counts of every video that shares a feature with the query. */
function sharedCounts(metadata: Metadata, features: ReturnType<typeof featuresOf>): Map<number, number> {
  const shared = new Map<number, number>();
  const add = (entry: [number, number] | undefined): void => {
    if (!entry) return;
    for (let p = entry[0]; p < entry[0] + entry[1]; p++) {
      const row = metadata.postings[p] as number;
      shared.set(row, (shared.get(row) ?? 0) + 1);
    }
  };
  for (const tag of features.tags) add(metadata.index.tags[tag]);
  if (features.language !== undefined) add(metadata.index.language[features.language]);
  return shared;
}

/**
 * The model videos most similar by metadata to cold video `coldRow`.
 * @param counts - from {@link featureCounts} (cached by the caller)
 */
export function metadataSimilar(
  items: ItemSideView,
  coldRow: number,
  counts: Uint16Array,
  select: MetadataSelection,
): TopK {
  const cold = items.cold;
  const metadata = items.metadata;
  if (!cold || !metadata) return { indices: new Int32Array(0), scores: new Float64Array(0) };
  const { bytes, offsets } = cold.metadata;
  const start = offsets[coldRow] as number;
  const end = offsets[coldRow + 1] as number;
  const features = featuresOf(end > start ? decodeId(bytes, start, end) : '{}');
  const size = features.tags.length + (features.language === undefined ? 0 : 1);
  const scored: { row: number; score: number }[] = [];
  for (const [row, shared] of sharedCounts(metadata, features)) {
    if (sortedHas(select.excluded, row) || (select.candidates && !sortedHas(select.candidates, row)))
      continue;
    scored.push({ row, score: shared / (size + (counts[row] as number) - shared) });
  }
  const popularity = items.popularity;
  scored.sort(
    (a, b) =>
      b.score - a.score || (popularity[b.row] as number) - (popularity[a.row] as number) || a.row - b.row,
  );
  const top = scored.slice(0, select.k);
  return { indices: Int32Array.from(top, (t) => t.row), scores: Float64Array.from(top, (t) => t.score) };
}
