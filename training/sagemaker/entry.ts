/**
 * The process entry of `IMAGE train` (container/main.ts hands `train` to it; the image carries it as
 * the bundle train.mjs). Exit code 0 when the model is in /opt/ml/model; otherwise the reason is in
 * /opt/ml/output/failure and on stderr, and the code is 2 for bad hyperparameters or environment, 1
 * for anything else.
 * @module
 */
import { isAbsolute, join } from 'node:path';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { loadConfig } from '../../src/serving/index.js';
import { type TrainingEnvironment, trainingEnvironment } from './environment.js';
import { failureReason, lineReporter, runTrainingJob, writeFailure } from './job.js';

const USAGE = 'usage: train    run a SageMaker training job (hyperparameters and channels under /opt/ml)';

/** Where the process writes. */
export interface EntryStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * Runs the `train` command.
 * @param argv - the arguments after `train` (SageMaker passes none)
 * @param env - the environment (`process.env`)
 * @returns the exit code
 */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  streams: EntryStreams = { out: process.stdout, err: process.stderr },
): Promise<number> {
  if (argv.length > 0) {
    streams.err.write(`train: unexpected arguments: ${argv.join(' ')}\n${USAGE}\n`);
    return 2;
  }
  // Where the failure file goes even when the environment itself is what failed.
  let outputDir = [env.SM_OUTPUT_DIR, join(env.SAGEMAKER_BASE_DIR ?? '/opt/ml', 'output')].find(
    (dir) => dir !== undefined && isAbsolute(dir),
  ) as string;
  try {
    const where: TrainingEnvironment = trainingEnvironment(env);
    outputDir = where.outputDir;
    const { s3ForcePathStyle } = loadConfig({ ...env });
    await runTrainingJob(where, lineReporter(streams.out), { forcePathStyle: s3ForcePathStyle });
    return 0;
  } catch (error) {
    const reason = failureReason(error);
    const unwritable = await writeFailure(outputDir, reason);
    streams.err.write(`train: error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (unwritable) streams.err.write(`train: cannot write ${outputDir}/failure: ${unwritable}\n`);
    return error instanceof ConfigInvalidError ? 2 : 1;
  }
}
