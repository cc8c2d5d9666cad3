/**
 * Read access to an artifact root, the same for S3 and a local directory: the pointer (with a change
 * tag for cheap polling), a version's manifest, and its bundle.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POINTER_FILE, type Pointer, pointerSchema } from '../artifact/format.js';
import { ArtifactInvalidError, ModelNotLoadedError } from '../core/errors.js';
import type { ModelLocation } from './location.js';

/** Result of polling the pointer: unchanged since `tag`, or its (new) content and tag. */
export type PointerRead = { changed: false } | { changed: true; pointer: Pointer; tag: string | undefined };

/** Reads one artifact root. Paths are relative to the root, `/`-separated. */
export interface ArtifactSource {
  readonly uri: string;
  /** Reads `latest.json`; with `tag` of a previous read, reports `changed: false` when it is the same. */
  readPointer(tag?: string): Promise<PointerRead>;
  /** A small file's text, or undefined when it does not exist. */
  readText(path: string): Promise<string | undefined>;
  /** A bundle of `bytes` bytes into one buffer; a size mismatch is an ArtifactInvalidError. */
  readBundle(path: string, bytes: number): Promise<Uint8Array>;
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

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown }).code === 'ENOENT';
}

/** A local directory (or SageMaker's /opt/ml/model); the pointer's tag is the sha256 of its content. */
export function localSource(location: Extract<ModelLocation, { kind: 'local' }>): ArtifactSource {
  const file = (path: string): string => join(location.dir, ...path.split('/'));
  return {
    uri: location.uri,
    async readPointer(tag) {
      let text: string;
      try {
        text = await readFile(file(POINTER_FILE), 'utf8');
      } catch (error) {
        if (isNotFound(error)) {
          throw new ModelNotLoadedError(`No model published at ${location.uri}: ${POINTER_FILE} not found`, {
            cause: error,
          });
        }
        throw error;
      }
      const contentTag = createHash('sha256').update(text).digest('hex');
      if (contentTag === tag) return { changed: false };
      return { changed: true, pointer: parsePointer(text, location.uri), tag: contentTag };
    },
    async readText(path) {
      try {
        return await readFile(file(path), 'utf8');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async readBundle(path, bytes) {
      let buffer: Buffer;
      try {
        buffer = await readFile(file(path));
      } catch (error) {
        if (isNotFound(error)) throw new ArtifactInvalidError(`${path} is missing`, { cause: error });
        throw error;
      }
      if (buffer.byteLength !== bytes) {
        throw new ArtifactInvalidError(
          buffer.byteLength < bytes
            ? `${path} is truncated: ${buffer.byteLength} of ${bytes} bytes`
            : `${path} has ${buffer.byteLength} bytes, the manifest says ${bytes}`,
        );
      }
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
  };
}
