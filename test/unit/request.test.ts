import { describe, expect, it } from 'vitest';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { buildProgram } from '../../training/cli-options.js';
import { defaultJobName, jobLocations, trainingJobRequest } from '../../training/sagemaker/request.js';
import {
  addSageMakerOptions,
  parseSageMakerOptions,
  type SageMakerOptions,
} from '../../training/sagemaker/submit-options.js';

const ROLE = 'arn:aws:iam::123456789012:role/vr-training';
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender@sha256:${'a'.repeat(64)}`;

function options(args: string[] = []): SageMakerOptions {
  const program = addSageMakerOptions(buildProgram(), {}).exitOverride();
  program.parse(['--on', 'sagemaker', '--role-arn', ROLE, ...args], { from: 'user' });
  return parseSageMakerOptions(program.opts());
}

const inputs = {
  name: 'job-1',
  image: IMAGE,
  interactions: 's3://data/events/',
  videos: undefined,
  s3: 's3://models/recommender/',
  hyperparameters: { factors: '64' },
};

describe('Function: trainingJobRequest', () => {
  it('asks for one on-demand instance with the defaults, the events as the training channel, no checkpoints', () => {
    expect(trainingJobRequest(options(), inputs)).toEqual({
      TrainingJobName: 'job-1',
      AlgorithmSpecification: {
        TrainingImage: IMAGE,
        TrainingInputMode: 'File',
        MetricDefinitions: [
          { Name: 'train:loss', Regex: 'ALS on all data: iteration \\d+/\\d+ loss=(\\S+)' },
          { Name: 'validation:ndcg@10', Regex: 'NDCG@10\\s+([0-9.]+)' },
          { Name: 'validation:recall@10', Regex: 'recall@10\\s+([0-9.]+)' },
        ],
      },
      RoleArn: ROLE,
      HyperParameters: { factors: '64' },
      InputDataConfig: [
        {
          ChannelName: 'training',
          DataSource: {
            S3DataSource: {
              S3DataType: 'S3Prefix',
              S3Uri: 's3://data/events/',
              S3DataDistributionType: 'FullyReplicated',
            },
          },
          InputMode: 'File',
          CompressionType: 'None',
        },
      ],
      OutputDataConfig: { S3OutputPath: 's3://models/recommender/training-jobs' },
      ResourceConfig: { InstanceType: 'ml.m7i.4xlarge', InstanceCount: 1, VolumeSizeInGB: 50 },
      StoppingCondition: { MaxRuntimeInSeconds: 86400 },
      EnableManagedSpotTraining: false,
      Tags: [{ Key: 'managed-by', Value: 'video-recommender-train' }],
    });
  });

  it('gives spot jobs a wait limit within SageMaker’s 28 days and checkpoints where asked', () => {
    const spot = trainingJobRequest(options(['--spot', '--max-runtime', '2000000']), inputs);
    const placed = trainingJobRequest(
      options([
        '--spot',
        '--max-wait',
        '9000',
        '--max-runtime',
        '3000',
        '--checkpoint-s3',
        's3://ckpt/run-7',
      ]),
      inputs,
    );

    expect([spot.StoppingCondition, spot.CheckpointConfig]).toEqual([
      { MaxRuntimeInSeconds: 2_000_000, MaxWaitTimeInSeconds: 2_419_200 },
      { S3Uri: 's3://models/recommender/training-jobs/job-1/checkpoints', LocalPath: '/opt/ml/checkpoints' },
    ]);
    expect([placed.StoppingCondition, placed.CheckpointConfig?.S3Uri]).toEqual([
      { MaxRuntimeInSeconds: 3000, MaxWaitTimeInSeconds: 9000 },
      's3://ckpt/run-7',
    ]);
  });

  it('refuses inputs outside S3, and a job with nowhere to write', () => {
    expect(() => trainingJobRequest(options(), { ...inputs, videos: 'videos.csv' })).toThrow(
      '--on sagemaker reads --videos from S3: give an s3:// URI, not videos.csv',
    );
    expect(() =>
      jobLocations(
        { spot: false, outputS3: undefined, checkpointS3: undefined },
        { s3: undefined, name: 'j' },
      ),
    ).toThrow(
      new ConfigInvalidError('--on sagemaker needs --output-s3 or --s3 (the job writes its output there)'),
    );
  });
});

describe('Function: defaultJobName', () => {
  it('names a job after the UTC time it is submitted', () => {
    expect(defaultJobName(new Date('2026-12-01T10:15:09.123Z'))).toBe('video-recommender-20261201-101509');
  });
});

describe('Function: parseSageMakerOptions', () => {
  it('names the option that breaks a rule', () => {
    expect(() => options(['--instance-type', 'm5.large'])).toThrow(
      '--instance-type must look like ml.m7i.4xlarge',
    );
    expect(() => options(['--max-runtime', '0'])).toThrow('--max-runtime must be at least 1');
    expect(() => options(['--spot', '--max-runtime', '100', '--max-wait', '50'])).toThrow(
      '--max-wait (50 s) must be at least --max-runtime (100 s)',
    );
    expect(() => options(['--role-arn', 'vr-training'])).toThrow('--role-arn must be an IAM role ARN');
    expect(() => options(['--schedule', 'daily'])).toThrow(
      '--schedule must be rate(...), cron(...) or at(...)',
    );
    expect(() => options(['--job-name', 'no_underscores'])).toThrow(
      '--job-name must be 1-63 letters, digits and hyphens',
    );
  });
});
