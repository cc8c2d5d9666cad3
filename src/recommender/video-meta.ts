/**
 * Video metadata in responses: decoded per returned video from the artifact's per-video JSON, so a
 * catalogue's metadata stays one shared byte array rather than a million objects per thread.
 * @module
 */
import type { ItemSideView } from '../artifact/index.js';
import { decodeId } from '../core/id-hash.js';

/** One recommended video. */
export interface ScoredVideo {
  videoId: string;
  score: number;
  /** `explain`: the watched videos that contributed most to the score (implicit's `explain`) */
  because?: { videoId: string; contribution: number }[];
  title?: string;
  tags?: string[];
  language?: string;
  lengthSeconds?: number;
}

type MetadataArrays = NonNullable<ItemSideView['metadata']>;

/** The response fields of video `row`'s metadata (title, tags, language, lengthSeconds), if it has any. */
export function videoMetaAt(
  metadata: MetadataArrays,
  row: number,
): Omit<ScoredVideo, 'videoId' | 'score' | 'because'> {
  const start = metadata.offsets[row] as number;
  const end = metadata.offsets[row + 1] as number;
  if (end === start) return {};
  const meta = JSON.parse(decodeId(metadata.bytes, start, end)) as Record<string, unknown>;
  const out: Omit<ScoredVideo, 'videoId' | 'score' | 'because'> = {};
  if (typeof meta.title === 'string') out.title = meta.title;
  if (Array.isArray(meta.tags)) out.tags = meta.tags.filter((t): t is string => typeof t === 'string');
  if (typeof meta.language === 'string') out.language = meta.language;
  if (typeof meta.lengthSeconds === 'number') out.lengthSeconds = meta.lengthSeconds;
  return out;
}
