/**
 * The checks every reader of a version makes the same way: a file's size against its manifest, and
 * sha256 digests.
 * @module
 */
import { createHash } from 'node:crypto';
import { ArtifactInvalidError } from '../core/errors.js';

/** The sha256 of `bytes`, lowercase hex (as manifests carry it). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The error for a file whose size is not its manifest's: truncated, or longer than said. */
export function sizeMismatch(
  path: string,
  actual: number | undefined,
  expected: number,
): ArtifactInvalidError {
  return new ArtifactInvalidError(
    actual !== undefined && actual < expected
      ? `${path} is truncated: ${actual} of ${expected} bytes`
      : `${path} has ${actual} bytes, the manifest says ${expected}`,
  );
}
