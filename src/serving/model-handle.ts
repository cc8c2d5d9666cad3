/**
 * A loaded model version as the loader hands it to request threads: plain data and shared memory
 * only, so it crosses `postMessage` without a copy. Each thread opens it into a recommender of its own
 * (src/serving/open-model.ts) over the same bytes.
 * @module
 */
import { decodeItems, type EncodedArtifact, type Manifest, type Pointer } from '../artifact/index.js';
import { createScoringMemory, type ScoringMemory, scoringData } from '../kernels/dot-kernel.js';
import { type ArtifactSource, fetchVersion } from '../store/index.js';

/** One model version in shared memory. */
export interface ModelHandle {
  version: string;
  manifest: Manifest;
  /** 1 when the published version is format 1, converted in memory */
  convertedFrom: 1 | undefined;
  /** the scoring memory holding `items.bin` (absent without WebAssembly SIMD) */
  memory: ScoringMemory | undefined;
  /** `items.bin`, a view of `memory` or of a SharedArrayBuffer */
  items: Uint8Array;
  /** `users.bin` in shared memory, or where to read its blocks */
  users:
    | { kind: 'memory'; bytes: Uint8Array<SharedArrayBuffer> }
    | { kind: 'remote'; uri: string; path: string };
}

/** How the loader places a version. */
export interface LoadSettings {
  /** scoring slots: one per thread that will score this version */
  slots: number;
  /** `users.bin` up to this size is loaded whole */
  preloadUsersBytes: number;
}

/**
 * Reads, verifies and places the version a pointer names: `items.bin` straight into a new shared
 * scoring memory, `users.bin` into shared memory when small.
 * @example
 * const handle = await loadHandle(source, pointer, false, { slots: 2, preloadUsersBytes: 1 << 30 });
 */
export async function loadHandle(
  source: ArtifactSource,
  pointer: Pointer,
  pinned: boolean,
  settings: LoadSettings,
): Promise<ModelHandle> {
  let memory: ScoringMemory | undefined;
  const fetched = await fetchVersion(source, pointer, pinned, {
    allocateItems(bytes, factors) {
      memory = createScoringMemory(bytes, Math.max(1, settings.slots), factors);
      return memory ? scoringData(memory) : new Uint8Array(new SharedArrayBuffer(bytes));
    },
    preloadUsersBytes: settings.preloadUsersBytes,
  });
  return {
    version: fetched.version,
    manifest: fetched.manifest,
    convertedFrom: fetched.convertedFrom,
    memory,
    items: fetched.items,
    users:
      fetched.users.kind === 'memory'
        ? fetched.users
        : { kind: 'remote', uri: source.uri, path: fetched.users.path },
  };
}

/**
 * A handle over an artifact encoded in memory (verified like a loaded one): for tools, tests and
 * benchmarks that build a model without publishing it.
 * @example
 * const handle = handleFromArtifact(encodeModel(model, info));
 */
export function handleFromArtifact(artifact: EncodedArtifact, slots = 1): ModelHandle {
  const m = artifact.manifest;
  const itemsBytes = artifact.files[m.items.file];
  const usersBytes = artifact.files[m.users.file];
  if (!itemsBytes || !usersBytes) throw new RangeError('the artifact lacks items.bin or users.bin');
  const memory = createScoringMemory(itemsBytes.byteLength, slots, m.counts.factors);
  const items = memory ? scoringData(memory) : new Uint8Array(new SharedArrayBuffer(itemsBytes.byteLength));
  items.set(itemsBytes);
  decodeItems(m, items);
  const users = new Uint8Array(new SharedArrayBuffer(usersBytes.byteLength));
  users.set(usersBytes);
  return {
    version: m.version,
    manifest: m,
    convertedFrom: undefined,
    memory,
    items,
    users: { kind: 'memory', bytes: users },
  };
}
