/**
 * What a training run checks before its expensive work, so a mistake costs seconds, not a training:
 * the inputs (a file, a directory or an S3 prefix of part files) exist and are readable, and every destination can take the model (a writable
 * directory on a real file system; an S3 bucket that exists, with a region and credentials). Once the
 * data is read, the options are checked against it (no more factors than videos).
 * @module
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { ConfigInvalidError, InputInvalidError } from '../src/core/errors.js';
import { checkLocalDestination, checkS3Destination } from '../src/store/index.js';
import { listInputParts } from './input-parts.js';
import type { TrainingOptions } from './run-options.js';
import { destinationsOf, type TrainingData } from './stages.js';

/**
 * An input is a file, a directory or an s3:// prefix holding at least one part file; listing its parts
 * (no data read) proves it is there and readable before any training.
 */
async function checkInput(input: string, option: string, options: TrainingOptions): Promise<void> {
  if (!input.startsWith('s3://')) {
    try {
      await stat(input);
    } catch {
      throw new ConfigInvalidError(`${option} ${input} does not exist`);
    }
    try {
      await access(input, constants.R_OK);
    } catch {
      throw new ConfigInvalidError(`${option} ${input} is not readable`);
    }
  }
  try {
    await listInputParts(input, { s3Client: options.s3Client, forcePathStyle: options.forcePathStyle });
  } catch (error) {
    if (error instanceof InputInvalidError) throw new ConfigInvalidError(`${option} ${error.message}`);
    throw error;
  }
}

/**
 * Checks the inputs and every destination of a run before anything is read.
 * @returns the destinations (as {@link destinationsOf})
 * @throws ConfigInvalidError naming the option and what is wrong with it
 */
export async function preflight(options: TrainingOptions): Promise<string[]> {
  const destinations = destinationsOf(options);
  await checkInput(options.interactions, '--interactions', options);
  if (options.videos) await checkInput(options.videos, '--videos', options);
  if (options.out) await checkLocalDestination(options.out, '--out');
  if (options.s3) {
    await checkS3Destination(options.s3, {
      label: '--s3',
      s3: options.s3Client,
      forcePathStyle: options.forcePathStyle,
    });
  }
  return destinations;
}

/**
 * Checks the options against the data just read: a model with more factors than videos has nothing
 * to learn in the extra dimensions (and its item factors cannot be full rank).
 * @throws ConfigInvalidError with the largest value that fits
 */
export function checkAgainstData(options: Pick<TrainingOptions, 'params'>, data: TrainingData): void {
  const videos = data.interactions.matrix.cols;
  if (options.params.factors > videos) {
    throw new ConfigInvalidError(
      `--factors ${options.params.factors} is more than the ${videos} videos in the data: use --factors ${videos} or fewer`,
    );
  }
}
