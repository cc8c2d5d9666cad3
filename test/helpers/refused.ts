import { ArtifactInvalidError } from '../../src/core/errors.js';

/** The message an artifact reader refuses with, or 'accepted'; any other error is rethrown. */
export function refused(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ArtifactInvalidError) return error.message;
    throw error;
  }
  return 'accepted';
}
