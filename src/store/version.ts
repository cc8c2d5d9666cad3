/**
 * Reading one published version: its manifest, its item side (whole, verified, into memory the caller
 * provides) and how its user side is reached (preloaded and verified when small, else read per
 * block later). Format-1 versions are converted in memory to format 2, so they keep loading.
 * @module
 */
import {
  decodeItems,
  decodeV1Model,
  encodeModel,
  formatVersionOf,
  type ItemSideView,
  MANIFEST_FILE,
  type Manifest,
  type Pointer,
  parseManifest,
  parseV1Manifest,
  sha256Hex,
  USERS_FILE,
  V1_FORMAT_VERSION,
} from '../artifact/index.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../core/errors.js';
import type { ArtifactSource } from './source.js';

/** How a version is placed in memory. */
export interface FetchOptions {
  /** Memory for `items.bin` (e.g. inside a shared scoring memory); exactly `bytes` long, 8-aligned. */
  allocateItems(bytes: number, factors: number): Uint8Array;
  /** `users.bin` up to this many bytes is read whole and shared; larger ones are read per block. */
  preloadUsersBytes: number;
}

/** Where a version's users are. */
export type UsersPlacement =
  | { kind: 'memory'; bytes: Uint8Array<SharedArrayBuffer> }
  | { kind: 'remote'; path: string };

/** A verified version, its item side in the caller's memory. */
export interface FetchedVersion {
  version: string;
  manifest: Manifest;
  /** 1 when the published version is format 1 and was converted in memory */
  convertedFrom: 1 | undefined;
  items: Uint8Array;
  view: ItemSideView;
  users: UsersPlacement;
}

function shared(bytes: number): Uint8Array<SharedArrayBuffer> {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}

async function readManifest(source: ArtifactSource, pointer: Pointer, pinned: boolean): Promise<unknown> {
  const where = `${source.uri}/${pointer.manifest}`;
  const text = await source.readText(pointer.manifest);
  if (text === undefined) {
    if (pinned)
      throw new ModelNotLoadedError(`Model version ${pointer.version} not found: ${where} does not exist`, {
        reason: 'not-found',
      });
    throw new ArtifactInvalidError(`${where} does not exist, though the pointer names it`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ArtifactInvalidError(`${MANIFEST_FILE} is not valid JSON`, { cause: error });
  }
}

async function fetchV2(
  source: ArtifactSource,
  dir: string,
  manifest: Manifest,
  options: FetchOptions,
): Promise<FetchedVersion> {
  const items = options.allocateItems(manifest.items.bytes, manifest.counts.factors);
  await source.readInto(`${dir}${manifest.items.file}`, items);
  const view = decodeItems(manifest, items);
  const usersPath = `${dir}${manifest.users.file}`;
  let users: UsersPlacement = { kind: 'remote', path: usersPath };
  if (manifest.users.bytes <= options.preloadUsersBytes) {
    const bytes = shared(manifest.users.bytes);
    await source.readInto(usersPath, bytes);
    const actual = sha256Hex(bytes);
    if (actual !== manifest.users.sha256) {
      throw new ArtifactInvalidError(
        `${USERS_FILE} sha256 mismatch: expected ${manifest.users.sha256}, got ${actual}`,
      );
    }
    users = { kind: 'memory', bytes };
  } else if (manifest.users.bytes > 0) {
    // Blocks are verified when read, but a missing or short file would only show then, on every
    // request for a known user, after this version replaced a working one: its last byte must be there.
    try {
      await source.readRange(usersPath, manifest.users.bytes - 1, manifest.users.bytes);
    } finally {
      await source.release(usersPath);
    }
  }
  return { version: manifest.version, manifest, convertedFrom: undefined, items, view, users };
}

async function fetchV1(
  source: ArtifactSource,
  dir: string,
  raw: unknown,
  options: FetchOptions,
): Promise<FetchedVersion> {
  const v1 = parseV1Manifest(raw);
  const bundle = new Uint8Array(v1.bundle.bytes);
  await source.readInto(`${dir}${v1.bundle.file}`, bundle);
  const old = decodeV1Model(raw, bundle);
  const encoded = encodeModel(old.model, {
    params: v1.params,
    datasetDigest: v1.dataset.digest,
    metrics: v1.metrics,
    createdAt: new Date(v1.createdAt),
    ...(v1.counts.events === undefined ? {} : { events: v1.counts.events }),
  });
  // Clients and logs keep seeing the published version id.
  const manifest: Manifest = { ...encoded.manifest, version: v1.version };
  const items = options.allocateItems(manifest.items.bytes, manifest.counts.factors);
  items.set(encoded.files[manifest.items.file]!);
  const usersBytes = shared(manifest.users.bytes);
  usersBytes.set(encoded.files[manifest.users.file]!);
  const view = decodeItems(manifest, items);
  return {
    version: v1.version,
    manifest,
    convertedFrom: 1,
    items,
    view,
    users: { kind: 'memory', bytes: usersBytes },
  };
}

/**
 * Reads, verifies and places the version a pointer names.
 * @param pinned - the version was asked for by id (a missing one is then "not found", not "invalid")
 * @throws ArtifactInvalidError naming the version and what failed; ModelNotLoadedError when unreachable
 * @example
 * const fetched = await fetchVersion(source, pointer, false, { allocateItems: (n) => new Uint8Array(n), preloadUsersBytes: 1 << 30 });
 */
export async function fetchVersion(
  source: ArtifactSource,
  pointer: Pointer,
  pinned: boolean,
  options: FetchOptions,
): Promise<FetchedVersion> {
  const dir = pointer.manifest.slice(0, pointer.manifest.lastIndexOf('/') + 1);
  try {
    const raw = await readManifest(source, pointer, pinned);
    // Refuse an unknown format or a broken manifest before downloading large files.
    const format = formatVersionOf(raw);
    const declared = (raw as { version?: unknown }).version;
    if (declared !== pointer.version) {
      throw new ArtifactInvalidError(
        `${MANIFEST_FILE} is version ${String(declared)}, expected ${pointer.version}`,
      );
    }
    if (format === V1_FORMAT_VERSION) return await fetchV1(source, dir, raw, options);
    return await fetchV2(source, dir, parseManifest(raw), options);
  } catch (error) {
    if (error instanceof ArtifactInvalidError) {
      throw new ArtifactInvalidError(
        `Model version ${pointer.version} at ${source.uri} is invalid: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
