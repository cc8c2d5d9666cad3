/**
 * `--batch-transform s3://in/ s3://out/`: a SageMaker Batch Transform job over the deployed model's
 * container, fed our JSON Lines path (one request per line in, one answer per line out, in order).
 * The job leaves BatchStrategy, MaxPayloadInMB and MaxConcurrentTransforms unset, so SageMaker asks
 * the container (GET /execution-parameters: MULTI_RECORD, 1 MB, one per request thread), and raises
 * MAX_BATCH so a 1 MB mini-batch of short lines always fits.
 * @module
 */
import {
  CreateTransformJobCommand,
  type CreateTransformJobCommandInput,
  DescribeTransformJobCommand,
  type DescribeTransformJobCommandOutput,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { MANAGED_TAG } from './names.js';
import type { DeployOptions } from './options.js';

/** Lines a mini-batch may hold: 1 MB of the shortest request (`{"user_id":"a"}`, 16 bytes with its newline) is ~65,500. */
export const TRANSFORM_MAX_BATCH = 100_000;

/** The job's name: the endpoint's name and the UTC time, e.g. `video-recommender-bt-20250101T102000`. */
export function transformJobName(endpointName: string, now: Date): string {
  return `${endpointName}-bt-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
}

/** The CreateTransformJob request for a model and an input and output prefix. */
export function transformJobInput(
  options: Pick<DeployOptions, 'endpointName' | 'transformInstanceType' | 'transformInstanceCount'>,
  modelName: string,
  input: string,
  output: string,
  now: Date = new Date(),
): CreateTransformJobCommandInput {
  return {
    TransformJobName: transformJobName(options.endpointName, now),
    ModelName: modelName,
    Environment: { MAX_BATCH: String(TRANSFORM_MAX_BATCH) },
    TransformInput: {
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: input } },
      ContentType: 'application/jsonlines',
      SplitType: 'Line',
      CompressionType: 'None',
    },
    TransformOutput: { S3OutputPath: output, Accept: 'application/jsonlines', AssembleWith: 'Line' },
    TransformResources: {
      InstanceType: options.transformInstanceType as NonNullable<
        CreateTransformJobCommandInput['TransformResources']
      >['InstanceType'],
      InstanceCount: options.transformInstanceCount,
    },
    Tags: [{ ...MANAGED_TAG }],
  };
}

/**
 * Starts the job and polls it until it ends.
 * @throws Error when it fails or is stopped, with SageMaker's reason, or when it outlasts the timeout
 */
export async function runTransformJob(
  sagemaker: SageMakerClient,
  input: CreateTransformJobCommandInput,
  wait: {
    timeoutMs: number;
    pollMs: number;
    log: (line: string) => void;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<DescribeTransformJobCommandOutput> {
  const sleep = wait.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  await sagemaker.send(new CreateTransformJobCommand(input));
  const name = input.TransformJobName as string;
  const started = Date.now();
  let last = '';
  for (;;) {
    const job = await sagemaker.send(new DescribeTransformJobCommand({ TransformJobName: name }));
    const status = job.TransformJobStatus ?? 'Unknown';
    if (status !== last)
      wait.log(`  transform job ${name}: ${status} after ${Math.round((Date.now() - started) / 1000)} s`);
    last = status;
    if (status === 'Completed') return job;
    if (status === 'Failed' || status === 'Stopped')
      throw new Error(`transform job ${name} ${status}: ${job.FailureReason ?? 'no reason given'}`);
    if (Date.now() - started > wait.timeoutMs)
      throw new Error(
        `transform job ${name} still ${status} after the timeout; it keeps going, check the console`,
      );
    await sleep(wait.pollMs);
  }
}
