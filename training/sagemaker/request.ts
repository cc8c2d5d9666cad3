/**
 * The CreateTrainingJob request of `npm run train -- --on sagemaker`, as plain data: the image pinned
 * by digest, the events and video metadata as the `training` and `videos` channels, the training
 * options as hyperparameters, spot training with its checkpoint location, and the stopping condition.
 * The retraining schedule sends the same request, with a job name EventBridge Scheduler fills in.
 * @module
 */
import type { CreateTrainingJobCommandInput, TrainingInstanceType } from '@aws-sdk/client-sagemaker';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { JOB_PREFIX, type SageMakerOptions } from './submit-options.js';

/** Tag on every job this tool starts. */
export const JOB_TAG = { Key: 'managed-by', Value: 'video-recommender-train' } as const;
/** SageMaker's longest stopping condition: 28 days. */
const MAX_SECONDS = 2_419_200;
/** Where SageMaker syncs checkpoints inside the container (the job finds them there). */
export const CHECKPOINT_LOCAL_PATH = '/opt/ml/checkpoints';

/** What a job needs besides the `--on sagemaker` options. */
export interface JobInputs {
  name: string;
  /** `repo@sha256:...` */
  image: string;
  /** `--interactions`, an s3:// prefix or object */
  interactions: string;
  /** `--videos`, an s3:// prefix or object */
  videos: string | undefined;
  /** `--s3`, the model prefix */
  s3: string | undefined;
  hyperparameters: Record<string, string>;
}

/** The metrics SageMaker reads from the job's log (shown in the console and CloudWatch). */
export const METRIC_DEFINITIONS = [
  { Name: 'train:loss', Regex: 'ALS on all data: iteration \\d+/\\d+ loss=(\\S+)' },
  { Name: 'validation:ndcg@10', Regex: 'NDCG@10\\s+([0-9.]+)' },
  { Name: 'validation:recall@10', Regex: 'recall@10\\s+([0-9.]+)' },
] as const;

/** `video-recommender-20261201-101500`: a job name from the time it is submitted. */
export function defaultJobName(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${JOB_PREFIX}-${stamp}`;
}

/** The S3 locations of a job: its output path and, for spot jobs or when asked, its checkpoints. */
export function jobLocations(
  options: Pick<SageMakerOptions, 'outputS3' | 'checkpointS3' | 'spot'>,
  inputs: Pick<JobInputs, 's3' | 'name'>,
): { output: string; checkpoints: string | undefined } {
  const output = (
    options.outputS3 ?? (inputs.s3 ? `${inputs.s3.replace(/\/+$/, '')}/training-jobs` : undefined)
  )?.replace(/\/+$/, '');
  if (!output)
    throw new ConfigInvalidError(
      '--on sagemaker needs --output-s3 or --s3 (the job writes its output there)',
    );
  const checkpoints =
    options.checkpointS3 ?? (options.spot ? `${output}/${inputs.name}/checkpoints` : undefined);
  return { output, checkpoints };
}

function channel(
  name: string,
  uri: string,
): NonNullable<CreateTrainingJobCommandInput['InputDataConfig']>[number] {
  return {
    ChannelName: name,
    DataSource: {
      S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' },
    },
    InputMode: 'File',
    CompressionType: 'None',
  };
}

/**
 * Builds the CreateTrainingJob request.
 * @throws ConfigInvalidError without a role, or with inputs that are not in S3
 * @example
 * const request = trainingJobRequest(options, { name, image, interactions: 's3://b/events/', videos: undefined, s3: 's3://b/models', hyperparameters });
 */
export function trainingJobRequest(
  options: SageMakerOptions,
  inputs: JobInputs,
): CreateTrainingJobCommandInput {
  if (!options.roleArn)
    throw new ConfigInvalidError('--on sagemaker needs --role-arn (the training job execution role)');
  for (const [option, uri] of [
    ['interactions', inputs.interactions],
    ['videos', inputs.videos],
  ] as const) {
    if (uri !== undefined && !/^s3:\/\/[^/]+/.test(uri)) {
      throw new ConfigInvalidError(`--on sagemaker reads --${option} from S3: give an s3:// URI, not ${uri}`);
    }
  }
  const { output, checkpoints } = jobLocations(options, inputs);
  return {
    TrainingJobName: inputs.name,
    AlgorithmSpecification: {
      TrainingImage: inputs.image,
      TrainingInputMode: 'File',
      MetricDefinitions: METRIC_DEFINITIONS.map((m) => ({ ...m })),
    },
    RoleArn: options.roleArn,
    HyperParameters: inputs.hyperparameters,
    InputDataConfig: [
      channel('training', inputs.interactions),
      ...(inputs.videos ? [channel('videos', inputs.videos)] : []),
    ],
    OutputDataConfig: { S3OutputPath: output },
    ResourceConfig: {
      InstanceType: options.instanceType as TrainingInstanceType,
      InstanceCount: 1,
      VolumeSizeInGB: options.volumeSize,
    },
    StoppingCondition: {
      MaxRuntimeInSeconds: options.maxRuntime,
      ...(options.spot
        ? { MaxWaitTimeInSeconds: options.maxWait ?? Math.min(2 * options.maxRuntime, MAX_SECONDS) }
        : {}),
    },
    EnableManagedSpotTraining: options.spot,
    ...(checkpoints ? { CheckpointConfig: { S3Uri: checkpoints, LocalPath: CHECKPOINT_LOCAL_PATH } } : {}),
    Tags: [{ ...JOB_TAG }],
  };
}
