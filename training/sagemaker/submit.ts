/**
 * `npm run train -- --on sagemaker ...`: submits the training as a SageMaker training job (the image
 * pinned by digest, the S3 inputs as channels, the training options as hyperparameters), follows it
 * until it ends, then publishes the job's `model.tar.gz` to `--s3` and/or `--out` (version files
 * first, `latest.json` last) so both serving targets pick the model up.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateTrainingJobCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { downloadObject, type PublishResult, publishModel } from '../../src/store/index.js';
import type { TrainingOptions } from '../run-options.js';
import { readSageMakerTarball } from '../tarball.js';
import { resolveImage } from './image.js';
import { defaultJobName, trainingJobRequest } from './request.js';
import type { SageMakerOptions } from './submit-options.js';
import { jobCommands, type WatchDeps, watchTrainingJob } from './watch.js';

/** The AWS clients a submission talks through; tests point them at the emulator. */
export interface SubmitClients {
  sagemaker: SageMakerClient;
  ecr: ECRClient;
  /** for downloading the job's output and publishing to S3; default the store's client */
  s3?: S3Client | undefined;
  forcePathStyle?: boolean | undefined;
}

/** Everything a submission touches outside itself. */
export interface SubmitDeps extends WatchDeps {
  clients: SubmitClients;
  now(): Date;
}

/** What one submission is given. */
export interface Submission {
  /** the training options (their `out` and `s3` are where the model is published) */
  training: Pick<TrainingOptions, 'out' | 's3' | 'sagemakerTarball'>;
  /** `--interactions` and `--videos` as given (S3 URIs) */
  interactions: string | undefined;
  videos: string | undefined;
  hyperparameters: Record<string, string>;
  sagemaker: SageMakerOptions;
}

/** How a submission ended. */
export interface SubmitResult {
  job: string;
  status: 'Completed' | 'Failed' | 'Stopped' | 'LeftRunning';
  failureReason: string | undefined;
  published: PublishResult[];
}

/** Downloads the job's model.tar.gz, verifies it, and publishes it to every destination. */
export async function publishJobModel(
  modelTarball: string,
  destinations: readonly string[],
  clients: Pick<SubmitClients, 's3' | 'forcePathStyle'>,
  log: (line: string) => void,
): Promise<PublishResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'training-job-'));
  try {
    const file = join(dir, 'model.tar.gz');
    const bytes = await downloadObject(modelTarball, file, clients);
    log(`Downloaded ${modelTarball} (${bytes} bytes)`);
    const { version, artifact, extras } = await readSageMakerTarball(file);
    const published: PublishResult[] = [];
    for (const destination of destinations) {
      const result = await publishModel(destination, artifact, extras, {
        s3: clients.s3,
        forcePathStyle: clients.forcePathStyle,
      });
      published.push(result);
      log(`Published ${version} to ${result.uri}`);
    }
    return published;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Submits, follows and publishes one training job.
 * @throws ConfigInvalidError for options a job cannot run with (before anything is submitted)
 * @example
 * const result = await submitTrainingJob(submission, { clients, log: console.log, sleep, onInterrupt, now: () => new Date() });
 */
export async function submitTrainingJob(submission: Submission, deps: SubmitDeps): Promise<SubmitResult> {
  const { sagemaker: options } = submission;
  if (submission.interactions === undefined) {
    throw new ConfigInvalidError(
      '--on sagemaker needs --interactions s3://bucket/prefix/ (the events in S3)',
    );
  }
  const { out, s3, sagemakerTarball } = submission.training;
  if (sagemakerTarball) {
    throw new ConfigInvalidError(
      '--sagemaker-tarball does not apply to --on sagemaker: the job writes model.tar.gz',
    );
  }
  const destinations = [out, s3].filter((d): d is string => d !== undefined && d !== '');
  const name = options.jobName ?? defaultJobName(deps.now());
  // Checked before ECR is asked, so bad options fail without touching AWS.
  trainingJobRequest(options, {
    name,
    image: 'unresolved',
    interactions: submission.interactions,
    videos: submission.videos,
    s3: submission.training.s3,
    hyperparameters: submission.hyperparameters,
  });
  const image = await resolveImage(deps.clients.ecr, options.image, options.repository);
  const request = trainingJobRequest(options, {
    name,
    image,
    interactions: submission.interactions,
    videos: submission.videos,
    s3: submission.training.s3,
    hyperparameters: submission.hyperparameters,
  });
  await deps.clients.sagemaker.send(new CreateTrainingJobCommand(request));
  deps.log(
    `Submitted training job ${name} (${options.instanceType}${options.spot ? ', spot' : ''}, image ${image}); Ctrl+C to stop it or leave it running`,
  );
  const watched = await watchTrainingJob(
    deps.clients.sagemaker,
    name,
    { pollMs: options.pollSeconds * 1000, region: options.region },
    deps,
  );
  if (watched.kind === 'left-running') {
    return { job: name, status: 'LeftRunning', failureReason: undefined, published: [] };
  }
  const { job } = watched;
  const status = job.TrainingJobStatus as 'Completed' | 'Failed' | 'Stopped';
  if (status !== 'Completed') {
    if (job.FailureReason) deps.log(`Training job ${name} ${status}: ${job.FailureReason}`);
    if (status === 'Stopped' && !watched.stoppedByUs) deps.log(jobCommands(name, options.region));
    return { job: name, status, failureReason: job.FailureReason, published: [] };
  }
  const seconds = job.TrainingTimeInSeconds;
  const billable = job.BillableTimeInSeconds;
  deps.log(
    `Training job ${name} Completed${seconds === undefined ? '' : ` in ${seconds} s`}${billable === undefined ? '' : ` (${billable} s billable)`}`,
  );
  const tarball = job.ModelArtifacts?.S3ModelArtifacts;
  if (!tarball) throw new Error(`Training job ${name} completed without model artifacts`);
  const published = await publishJobModel(tarball, destinations, deps.clients, deps.log);
  return { job: name, status, failureReason: undefined, published };
}
