/**
 * Where a SageMaker training job finds its inputs and puts its outputs: the `/opt/ml` tree of the
 * training contract, with the `SM_*` variables of the SageMaker training toolkit taking precedence
 * when set (SM_MODEL_DIR, SM_CHANNEL_TRAINING, SM_CHANNEL_VIDEOS, SM_OUTPUT_DIR, SM_OUTPUT_DATA_DIR,
 * SM_INPUT_CONFIG_DIR, SM_HPS, SM_NUM_CPUS) and SAGEMAKER_BASE_DIR moving the whole tree (as the
 * toolkit allows outside SageMaker). Validated with zod, once, from the environment handed in.
 * @module
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigInvalidError } from '../../src/core/errors.js';

/** The training contract's paths and settings for one job. */
export interface TrainingEnvironment {
  /** `/opt/ml` (SAGEMAKER_BASE_DIR) */
  base: string;
  /** `hyperparameters.json` under SM_INPUT_CONFIG_DIR (default `/opt/ml/input/config`) */
  hyperparametersFile: string;
  /** SM_HPS: the hyperparameters as JSON, used when the file is missing */
  hyperparametersJson: string | undefined;
  /** the events channel (SM_CHANNEL_TRAINING, default `/opt/ml/input/data/training`) */
  trainingChannel: string;
  /** the video metadata channel (SM_CHANNEL_VIDEOS, default `/opt/ml/input/data/videos`); optional */
  videosChannel: string;
  /** SM_MODEL_DIR, default `/opt/ml/model`: SageMaker uploads it as model.tar.gz */
  modelDir: string;
  /** SM_OUTPUT_DIR, default `/opt/ml/output`: the `failure` file goes here */
  outputDir: string;
  /** SM_OUTPUT_DATA_DIR, default `/opt/ml/output/data`: the evaluation report goes here */
  outputDataDir: string;
  /** `/opt/ml/checkpoints`, the default local path of SageMaker's checkpoint sync */
  checkpointDir: string;
  /** SM_NUM_CPUS: the default thread count */
  numCpus: number | undefined;
  /** TRAINING_JOB_NAME, set by SageMaker */
  jobName: string | undefined;
}

const path = (name: string) =>
  z
    .string()
    .startsWith('/', { error: `${name} must be an absolute path` })
    .optional();

const envSchema = z.object({
  SAGEMAKER_BASE_DIR: path('SAGEMAKER_BASE_DIR'),
  SM_INPUT_CONFIG_DIR: path('SM_INPUT_CONFIG_DIR'),
  SM_HPS: z.string().optional(),
  SM_CHANNEL_TRAINING: path('SM_CHANNEL_TRAINING'),
  SM_CHANNEL_VIDEOS: path('SM_CHANNEL_VIDEOS'),
  SM_MODEL_DIR: path('SM_MODEL_DIR'),
  SM_OUTPUT_DIR: path('SM_OUTPUT_DIR'),
  SM_OUTPUT_DATA_DIR: path('SM_OUTPUT_DATA_DIR'),
  SM_NUM_CPUS: z
    .string()
    .regex(/^[1-9]\d*$/, { error: 'SM_NUM_CPUS must be a positive integer' })
    .transform(Number)
    .optional(),
  TRAINING_JOB_NAME: z.string().optional(),
});

/**
 * Reads the training contract's locations from `env` (pass `process.env`).
 * @throws ConfigInvalidError naming the variable for a relative path or a bad SM_NUM_CPUS
 * @example
 * const where = trainingEnvironment(process.env); // where.modelDir === '/opt/ml/model' on SageMaker
 */
export function trainingEnvironment(env: Readonly<Record<string, string | undefined>>): TrainingEnvironment {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigInvalidError(parsed.error.issues[0]?.message ?? 'invalid environment');
  const e = parsed.data;
  const base = e.SAGEMAKER_BASE_DIR ?? '/opt/ml';
  return {
    base,
    hyperparametersFile: join(e.SM_INPUT_CONFIG_DIR ?? join(base, 'input', 'config'), 'hyperparameters.json'),
    hyperparametersJson: e.SM_HPS,
    trainingChannel: e.SM_CHANNEL_TRAINING ?? join(base, 'input', 'data', 'training'),
    videosChannel: e.SM_CHANNEL_VIDEOS ?? join(base, 'input', 'data', 'videos'),
    modelDir: e.SM_MODEL_DIR ?? join(base, 'model'),
    outputDir: e.SM_OUTPUT_DIR ?? join(base, 'output'),
    outputDataDir: e.SM_OUTPUT_DATA_DIR ?? join(base, 'output', 'data'),
    checkpointDir: join(base, 'checkpoints'),
    numCpus: e.SM_NUM_CPUS,
    jobName: e.TRAINING_JOB_NAME,
  };
}
