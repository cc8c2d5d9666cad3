import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { trainingEnvironment } from '../../training/sagemaker/environment.js';

describe('Function: trainingEnvironment', () => {
  it('lays out the /opt/ml tree of the training contract when no variable is set', () => {
    expect(trainingEnvironment({})).toEqual({
      base: '/opt/ml',
      hyperparametersFile: '/opt/ml/input/config/hyperparameters.json',
      hyperparametersJson: undefined,
      trainingChannel: '/opt/ml/input/data/training',
      videosChannel: '/opt/ml/input/data/videos',
      modelDir: '/opt/ml/model',
      outputDir: '/opt/ml/output',
      outputDataDir: '/opt/ml/output/data',
      checkpointDir: '/opt/ml/checkpoints',
      numCpus: undefined,
      jobName: undefined,
    });
  });

  it('honours SAGEMAKER_BASE_DIR and every SM_* variable over it', () => {
    const env = {
      SAGEMAKER_BASE_DIR: '/tmp/ml',
      SM_INPUT_CONFIG_DIR: '/cfg',
      SM_HPS: '{"factors":"8"}',
      SM_CHANNEL_TRAINING: '/data/events',
      SM_CHANNEL_VIDEOS: '/data/videos',
      SM_MODEL_DIR: '/out/model',
      SM_OUTPUT_DIR: '/out/output',
      SM_OUTPUT_DATA_DIR: '/out/output/data/algo-1',
      SM_NUM_CPUS: '16',
      TRAINING_JOB_NAME: 'vr-train-1',
    };

    expect(trainingEnvironment(env)).toEqual({
      base: '/tmp/ml',
      hyperparametersFile: '/cfg/hyperparameters.json',
      hyperparametersJson: '{"factors":"8"}',
      trainingChannel: '/data/events',
      videosChannel: '/data/videos',
      modelDir: '/out/model',
      outputDir: '/out/output',
      outputDataDir: '/out/output/data/algo-1',
      checkpointDir: '/tmp/ml/checkpoints',
      numCpus: 16,
      jobName: 'vr-train-1',
    });
  });

  it('names the variable that is not an absolute path or not a CPU count', () => {
    expect(() => trainingEnvironment({ SM_MODEL_DIR: 'model' })).toThrow(
      new ConfigInvalidError('SM_MODEL_DIR must be an absolute path'),
    );
    expect(() => trainingEnvironment({ SM_NUM_CPUS: '0' })).toThrow('SM_NUM_CPUS must be a positive integer');
  });
});
