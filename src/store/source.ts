/**
 * Read access to an artifact root, the same for S3 and a local directory: the pointer (with a change
 * tag for cheap polling), small files, whole files read into a caller's buffer (the item side, straight
 * into shared scoring memory), byte ranges (user blocks on demand), and a file's identity (so a version
 * refused as invalid is retried once its files change).
 * @module
 */
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { POINTER_FILE, type Pointer, pointerSchema, sha256Hex, sizeMismatch } from '../artifact/index.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../core/errors.js';
import type { ModelLocation } from './location.js';

/** Result of polling the pointer: unchanged since `tag`, or its (new) content and tag. */
export type PointerRead =
  | { changed: false }
  | { changed: true; pointer: Pointer; tag: string | undefined }
  | { changed: true; pointer: undefined; tag: string | undefined; error: ArtifactInvalidError };

/** Reads one artifact root. Paths are relative to the root, `/`-separated. */
export interface ArtifactSource {
  readonly uri: string;
  /**
   * Reads `latest.json`; with `tag` of a previous read, reports `changed: false` when it is the same.
   * An unparsable pointer comes back with its tag and the error (so a poller can report it once).
   */
  readPointer(tag?: string): Promise<PointerRead>;
  /** A small file's text, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** Fills `target` with the whole file; a size mismatch is an ArtifactInvalidError. */
  readInto(path: string, target: Uint8Array): Promise<void>;
  /** Bytes `start` .. `end` - 1 of a file. */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** What changes when the file is rewritten (ETag, or size and mtime), or undefined when it is missing. */
  identity(path: string): Promise<string | undefined>;
  /** Closes what is kept open for `path` (a file of a version no longer served). */
  release(path: string): Promise<void>;
  /** Releases open files. */
  close(): Promise<void>;
}

/** Parses and validates pointer JSON, refusing paths that would leave the artifact root. */
export function parsePointer(text: string, uri: string): Pointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ArtifactInvalidError(`${uri}/${POINTER_FILE} is not valid JSON`, { cause: error });
  }
  const parsed = pointerSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArtifactInvalidError(
      `${uri}/${POINTER_FILE} is invalid: ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const manifest = parsed.data.manifest;
  if (manifest.startsWith('/') || manifest.split('/').includes('..')) {
    throw new ArtifactInvalidError(`${uri}/${POINTER_FILE} points outside the artifact root: ${manifest}`);
  }
  return parsed.data;
}

/** A pointer read from its text: the parsed pointer, or the reason it is unusable. */
export function pointerRead(text: string, uri: string, tag: string | undefined): PointerRead {
  try {
    return { changed: true, pointer: parsePointer(text, uri), tag };
  } catch (error) {
    if (error instanceof ArtifactInvalidError) return { changed: true, pointer: undefined, tag, error };
    throw error;
  }
}

/** The pointer is missing: nothing has been published at `uri` yet. */
export function notPublished(uri: string, cause: unknown): ModelNotLoadedError {
  return new ModelNotLoadedError(`No model published at ${uri}: ${POINTER_FILE} not found`, {
    cause,
    reason: 'not-published',
  });
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

/** Size-checks then reads a whole file into `target`. */
async function readFileInto(file: string, path: string, target: Uint8Array): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size !== target.byteLength) {
      throw sizeMismatch(path, size, target.byteLength);
    }
    let offset = 0;
    while (offset < size) {
      const { bytesRead } = await handle.read(target, offset, Math.min(size - offset, 1 << 30), offset);
      if (bytesRead === 0) throw new ArtifactInvalidError(`${path} shrank while being read`);
      offset += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** A local directory (or SageMaker's /opt/ml/model); the pointer's tag is the sha256 of its content. */
export function localSource(location: Extract<ModelLocation, { kind: 'local' }>): ArtifactSource {
  const file = (path: string): string => join(location.dir, ...path.split('/'));
  // Ranged reads keep one handle per file open: a lookup is then one pread.
  const handles = new Map<string, Promise<FileHandle>>();
  const handleOf = (path: string): Promise<FileHandle> => {
    const cached = handles.get(path);
    if (cached) return cached;
    const opening = open(file(path), 'r');
    handles.set(path, opening);
    opening.catch(() => {
      if (handles.get(path) === opening) handles.delete(path);
    });
    return opening;
  };
  return {
    uri: location.uri,
    async readPointer(tag) {
      let text: string;
      try {
        text = await readFile(file(POINTER_FILE), 'utf8');
      } catch (error) {
        if (isNotFound(error)) {
          throw notPublished(location.uri, error);
        }
        throw error;
      }
      const contentTag = sha256Hex(text);
      if (contentTag === tag) return { changed: false };
      return pointerRead(text, location.uri, contentTag);
    },
    async readText(path) {
      try {
        return await readFile(file(path), 'utf8');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    readInto: (path, target) => readFileInto(file(path), path, target),
    async readRange(path, start, end) {
      const bytes = new Uint8Array(end - start);
      for (let fresh = false; ; fresh = true) {
        const pending = handleOf(path);
        let handle: FileHandle;
        try {
          handle = await pending;
        } catch (error) {
          // As the S3 source says it: a missing file is a broken version, not an I/O failure.
          if (isNotFound(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
          throw error;
        }
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
        if (bytesRead === bytes.length) return bytes;
        if (fresh) throw new ArtifactInvalidError(`${path} is shorter than byte ${end}`);
        // A cached handle keeps reading a file that was since replaced (a publish renames the new
        // file in), so a short read looks once more through a freshly opened one.
        if (handles.get(path) === pending) {
          handles.delete(path);
          await handle.close().catch(() => undefined);
        }
      }
    },
    async identity(path) {
      try {
        const s = await stat(file(path));
        return `${s.size}:${s.mtimeMs}`;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async release(path) {
      const pending = handles.get(path);
      handles.delete(path);
      await pending?.then((handle) => handle.close()).catch(() => undefined);
    },
    async close() {
      const open = [...handles.values()];
      handles.clear();
      await Promise.all(open.map((h) => h.then((handle) => handle.close()).catch(() => undefined)));
    },
  };
}
