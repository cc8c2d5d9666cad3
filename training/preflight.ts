/**
 * What a training run checks before its expensive work, so a mistake costs seconds, not a training:
 * the input files exist and are readable, and every destination can take the model (a writable
 * directory on a real file system; an S3 bucket that exists, with a region and credentials). Once the
 * data is read, the options are checked against it (no more factors than videos).
 * @module
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { ConfigInvalidError } from '../src/core/errors.js';
import { checkLocalDestination, checkS3Destination } from '../src/store/index.js';
import type { TrainingOptions } from './run-options.js';
import { destinationsOf, type TrainingData } from './stages.js';

async function checkInputFile(file: string, option: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(file)).isFile();
  } catch {
    throw new ConfigInvalidError(`${option} ${file} does not exist`);
  }
  if (!isFile) throw new ConfigInvalidError(`${option} ${file} is not a file`);
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new ConfigInvalidError(`${option} ${file} is not readable`);
  }
}

/**
 * Checks the inputs and every destination of a run before anything is read.
 * @returns the destinations (as {@link destinationsOf})
 * @throws ConfigInvalidError naming the option and what is wrong with it
 */
export async function preflight(options: TrainingOptions): Promise<string[]> {
  const destinations = destinationsOf(options);
  await checkInputFile(options.interactions, '--interactions');
  if (options.videos) await checkInputFile(options.videos, '--videos');
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
