import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeTrainingJobCommand,
  type DescribeTrainingJobCommandOutput,
  SageMakerClient,
  type StopTrainingJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { create } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchVersion, openArtifactSource } from '../../src/store/index.js';
import { buildProgram } from '../../training/cli-options.js';
import { type CommandDeps, runSageMakerCommand } from '../../training/sagemaker/command.js';
import { trainingEnvironment } from '../../training/sagemaker/environment.js';
import { runTrainingJob } from '../../training/sagemaker/job.js';
import { addSageMakerOptions } from '../../training/sagemaker/submit-options.js';
import { type Moto, resetMoto, startMoto } from '../helpers/moto.js';
import { sampleEvents, writeOptMl } from '../helpers/opt-ml.js';

const ROOT = join(import.meta.dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const ROLE = 'arn:aws:iam::123456789012:role/vr-training';
const SCHEDULER_ROLE = 'arn:aws:iam::123456789012:role/vr-scheduler';
const JOB = 'vr-test-job-1';
const MODELS = 's3://vr-models/recommender';
const BASE_ARGS = [
  '--on',
  'sagemaker',
  '--role-arn',
  ROLE,
  '--interactions',
  's3://vr-data/events/',
  '--videos',
  's3://vr-data/videos/videos.csv',
  '--s3',
  MODELS,
  '--factors',
  '8',
  '--iterations',
  '3',
  '--no-eval',
  '--job-name',
  JOB,
  '--poll-seconds',
  '1',
];

let moto: Moto;
let s3: S3Client;
let raw: SageMakerClient;
let digest: string;
let modelTarball: Buffer;
let tarballVersion: string;

/** What the moto SageMaker client is made to answer beyond moto (it completes every job at once and has no StopTrainingJob). */
interface JobScript {
  /** DescribeTrainingJob answers before moto's own (Completed) */
  describes: Partial<DescribeTrainingJobCommandOutput>[];
  /** answer after a StopTrainingJob */
  afterStop?: Partial<DescribeTrainingJobCommandOutput>;
  stops: StopTrainingJobCommandInput[];
}

/**
 * A SageMaker client on moto whose DescribeTrainingJob first plays `script.describes` (an in-progress
 * job with growing transitions) over moto's real answer, and which records StopTrainingJob.
 */
function scriptedSageMaker(script: JobScript): SageMakerClient {
  const client = new SageMakerClient({ region: 'us-east-1', endpoint: moto.endpoint });
  let stopped = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'StopTrainingJobCommand') {
        script.stops.push(args.input as StopTrainingJobCommandInput);
        stopped = true;
        return { output: { $metadata: {} }, response: {} } as never;
      }
      if (context.commandName !== 'DescribeTrainingJobCommand') return next(args);
      const real = (await next(args)) as { output: DescribeTrainingJobCommandOutput };
      const scripted = stopped && script.afterStop ? script.afterStop : script.describes.shift();
      return scripted ? ({ ...real, output: { ...real.output, ...scripted } } as never) : (real as never);
    },
    { step: 'initialize', name: 'trainingJobScript' },
  );
  return client;
}

function deps(
  sagemaker: SageMakerClient,
  lines: string[],
  overrides: Partial<CommandDeps> = {},
): CommandDeps {
  const config = { region: 'us-east-1', endpoint: moto.endpoint };
  return {
    clients: {
      sagemaker,
      ecr: new ECRClient(config),
      scheduler: new SchedulerClient(config),
      s3,
      forcePathStyle: true,
    },
    log: (line) => lines.push(line),
    sleep: async () => {},
    onInterrupt: () => () => {},
    now: () => new Date('2026-12-01T10:15:00Z'),
    ...overrides,
  };
}

function parse(args: readonly string[]) {
  const program = addSageMakerOptions(buildProgram(), {}).exitOverride();
  program.parse([...args], { from: 'user' });
  return program;
}

/** What the store reads at a root, verified. */
async function published(uri: string): Promise<string> {
  const source = openArtifactSource(uri, { s3, forcePathStyle: true });
  const read = await source.readPointer();
  if (!read.changed || !read.pointer) throw new Error(`no model at ${uri}`);
  const version = await fetchVersion(source, read.pointer, false, {
    allocateItems: (bytes) => new Uint8Array(bytes),
    preloadUsersBytes: Number.POSITIVE_INFINITY,
  });
  await source.close();
  return version.version;
}

beforeAll(async () => {
  moto = await startMoto();
  s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
  raw = new SageMakerClient({ region: 'us-east-1', endpoint: moto.endpoint });
  // The model.tar.gz a real job leaves: our training entry run on an /opt/ml tree, packed as SageMaker packs /opt/ml/model.
  const base = await mkdtemp(join(tmpdir(), 'sm-job-'));
  try {
    await writeOptMl(base, {
      hyperparameters: { factors: '8', iterations: '3', eval: 'false' },
      events: await sampleEvents(3000),
    });
    const outcome = await runTrainingJob(trainingEnvironment({ SAGEMAKER_BASE_DIR: base }), {});
    tarballVersion = outcome.artifact.manifest.version;
    const modelDir = join(base, 'model');
    await create({ gzip: true, file: join(base, 'model.tar.gz'), cwd: modelDir }, await readdir(modelDir));
    modelTarball = await readFile(join(base, 'model.tar.gz'));
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await resetMoto(moto);
  for (const bucket of ['vr-data', 'vr-models']) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const ecr = new ECRClient({ region: 'us-east-1', endpoint: moto.endpoint });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'video-recommender' }));
  const pushed = await ecr.send(
    new PutImageCommand({
      repositoryName: 'video-recommender',
      imageTag: 'content-abc',
      imageManifest: JSON.stringify({
        schemaVersion: 2,
        config: { digest: `sha256:${'c'.repeat(64)}` },
        layers: [{ digest: `sha256:${'1'.repeat(64)}` }],
      }),
      imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    }),
  );
  digest = pushed.image?.imageId?.imageDigest ?? '';
  // Where moto says the job's model is (S3OutputPath/<job>/output/model.tar.gz): the tarball a job leaves.
  await s3.send(
    new PutObjectCommand({
      Bucket: 'vr-models',
      Key: `recommender/training-jobs/${JOB}/output/model.tar.gz`,
      Body: modelTarball,
    }),
  );
});

describe('Function: runSageMakerCommand (submit)', () => {
  it('submits CreateTrainingJob as asked, follows the job to Completed, and publishes its model to --s3', async () => {
    // Prepare: the job is in progress for two polls before moto's Completed
    const lines: string[] = [];
    const script: JobScript = {
      describes: [
        {
          TrainingJobStatus: 'InProgress',
          SecondaryStatus: 'Starting',
          SecondaryStatusTransitions: [
            {
              Status: 'Starting',
              StartTime: new Date('2026-12-01T10:15:01Z'),
              StatusMessage: 'Launching requested ML instances',
            },
          ],
        },
        {
          TrainingJobStatus: 'InProgress',
          SecondaryStatus: 'Training',
          SecondaryStatusTransitions: [
            {
              Status: 'Starting',
              StartTime: new Date('2026-12-01T10:15:01Z'),
              StatusMessage: 'Launching requested ML instances',
            },
            {
              Status: 'Downloading',
              StartTime: new Date('2026-12-01T10:16:00Z'),
              StatusMessage: 'Downloading input data',
            },
            {
              Status: 'Training',
              StartTime: new Date('2026-12-01T10:17:00Z'),
              StatusMessage: 'Training in progress',
            },
          ],
        },
      ],
      stops: [],
    };

    // Act
    const code = await runSageMakerCommand(
      parse([...BASE_ARGS, '--spot', '--instance-type', 'ml.m7i.4xlarge', '--max-runtime', '3600']),
      deps(scriptedSageMaker(script), lines),
    );

    // Assess: the request as moto stored it
    const job = await raw.send(new DescribeTrainingJobCommand({ TrainingJobName: JOB }));
    expect(code).toBe(0);
    expect({
      image: job.AlgorithmSpecification?.TrainingImage,
      mode: job.AlgorithmSpecification?.TrainingInputMode,
      role: job.RoleArn,
      hyperparameters: job.HyperParameters,
      channels: job.InputDataConfig?.map((c) => [c.ChannelName, c.DataSource?.S3DataSource?.S3Uri]),
      output: job.OutputDataConfig?.S3OutputPath,
      resources: job.ResourceConfig,
      stopping: job.StoppingCondition,
      spot: job.EnableManagedSpotTraining,
      checkpoints: job.CheckpointConfig,
    }).toEqual({
      image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender@${digest}`,
      mode: 'File',
      role: ROLE,
      hyperparameters: { eval: 'false', factors: '8', iterations: '3' },
      channels: [
        ['training', 's3://vr-data/events/'],
        ['videos', 's3://vr-data/videos/videos.csv'],
      ],
      output: 's3://vr-models/recommender/training-jobs',
      resources: { InstanceType: 'ml.m7i.4xlarge', InstanceCount: 1, VolumeSizeInGB: 50 },
      stopping: { MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 7200 },
      spot: true,
      checkpoints: {
        S3Uri: `s3://vr-models/recommender/training-jobs/${JOB}/checkpoints`,
        LocalPath: '/opt/ml/checkpoints',
      },
    });
    // ...followed, with each transition printed once, then published with the pointer last
    expect(lines.filter((l) => /^\d\d:\d\d:\d\d /.test(l))).toEqual([
      '10:15:01 Starting: Launching requested ML instances',
      expect.stringMatching(/ job InProgress \(Starting\)$/),
      '10:16:00 Downloading: Downloading input data',
      '10:17:00 Training: Training in progress',
      expect.stringMatching(/ job Completed \(Completed\)$/),
    ]);
    expect(await published(MODELS)).toBe(tarballVersion);
    expect(lines.at(-1)).toBe(`Published ${tarballVersion} to ${MODELS}`);
  });

  it('stops the job on Ctrl+C when the user says so, and publishes nothing', async () => {
    // Prepare
    const lines: string[] = [];
    const inProgress = { TrainingJobStatus: 'InProgress' as const, SecondaryStatus: 'Training' as const };
    const script: JobScript = {
      describes: [inProgress, inProgress, inProgress],
      afterStop: { TrainingJobStatus: 'Stopped', SecondaryStatus: 'Stopped' },
      stops: [],
    };
    let interrupt: () => void = () => {};
    let sleeps = 0;

    // Act: Ctrl+C during the first wait, answered with yes
    const code = await runSageMakerCommand(
      parse(BASE_ARGS),
      deps(scriptedSageMaker(script), lines, {
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => {};
        },
        sleep: async () => {
          if (++sleeps === 1) interrupt();
        },
        confirm: async (question) => {
          lines.push(`? ${question}`);
          return true;
        },
      }),
    );

    // Assess
    expect(code).toBe(1);
    expect(script.stops).toEqual([{ TrainingJobName: JOB }]);
    expect(lines).toContain(`? Stop training job ${JOB}? [y/N] `);
    expect(lines).toContain(`Stopping training job ${JOB} (Ctrl+C again to stop waiting)`);
    expect(lines.at(-1)).toMatch(/ job Stopped \(Stopped\)$/);
    await expect(published(MODELS)).rejects.toThrow(/latest.json/);
  });

  it('leaves the job running when the user says no, printing how to follow and stop it', async () => {
    const lines: string[] = [];
    const script: JobScript = {
      describes: [{ TrainingJobStatus: 'InProgress' }, { TrainingJobStatus: 'InProgress' }],
      stops: [],
    };
    let interrupt: () => void = () => {};

    const code = await runSageMakerCommand(
      parse(BASE_ARGS),
      deps(scriptedSageMaker(script), lines, {
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => {};
        },
        sleep: async () => interrupt(),
        confirm: async () => false,
      }),
    );

    expect({ code, stops: script.stops }).toEqual({ code: 0, stops: [] });
    expect(lines.at(-1)).toBe(
      `Training job ${JOB} keeps running;\n` +
        `follow it with: aws sagemaker describe-training-job --region us-east-1 --training-job-name ${JOB}\n` +
        `stop it with:   aws sagemaker stop-training-job --region us-east-1 --training-job-name ${JOB}`,
    );
  });

  it('stops the job on Ctrl+C without a terminal to ask, and a second Ctrl+C leaves at once', async () => {
    // Prepare: the job keeps running (Stopping) after the stop request
    const lines: string[] = [];
    const running = { TrainingJobStatus: 'InProgress' as const, SecondaryStatus: 'Training' as const };
    const script: JobScript = {
      describes: [running, running, running, running],
      afterStop: { TrainingJobStatus: 'Stopping', SecondaryStatus: 'Stopping' },
      stops: [],
    };
    let interrupt: () => void = () => {};
    let sleeps = 0;

    // Act: Ctrl+C in the first and in the second wait, no confirm
    const code = await runSageMakerCommand(
      parse(BASE_ARGS),
      deps(scriptedSageMaker(script), lines, {
        onInterrupt: (handler) => {
          interrupt = handler;
          return () => {};
        },
        sleep: async () => {
          if (++sleeps <= 2) interrupt();
        },
        confirm: undefined,
      }),
    );

    // Assess
    expect({ code, stops: script.stops.length, sleeps }).toEqual({ code: 0, stops: 1, sleeps: 2 });
    expect(lines).toContain(`Stopping training job ${JOB} (Ctrl+C again to stop waiting)`);
    expect(lines.filter((l) => / job Stopping \(Stopping\)$/.test(l))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(new RegExp(`^Training job ${JOB} keeps running;\\nfollow it with: `));
  });

  it('reports a failed job with its FailureReason and exits 1', async () => {
    const lines: string[] = [];
    const script: JobScript = {
      describes: [
        {
          TrainingJobStatus: 'Failed',
          SecondaryStatus: 'Failed',
          FailureReason: 'AlgorithmError: Too many bad rows',
        },
      ],
      stops: [],
    };

    const code = await runSageMakerCommand(parse(BASE_ARGS), deps(scriptedSageMaker(script), lines));

    expect(code).toBe(1);
    expect(lines.at(-1)).toBe(`Training job ${JOB} Failed: AlgorithmError: Too many bad rows`);
  });

  it('fails with the missing location when a completed job left no model.tar.gz', async () => {
    const lines: string[] = [];
    const other = [...BASE_ARGS, '--job-name', 'vr-no-output'];

    const run = runSageMakerCommand(
      parse(other),
      deps(scriptedSageMaker({ describes: [], stops: [] }), lines),
    );

    await expect(run).rejects.toThrow(
      's3://vr-models/recommender/training-jobs/vr-no-output/output/model.tar.gz does not exist',
    );
  });

  it('pins a given tag by its digest, and refuses local inputs and a missing role before submitting', async () => {
    const lines: string[] = [];
    const client = scriptedSageMaker({ describes: [], stops: [] });
    const tagged = ['--image', '123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender:content-abc'];

    const code = await runSageMakerCommand(parse([...BASE_ARGS, ...tagged]), deps(client, lines));

    expect(code).toBe(0);
    const job = await raw.send(new DescribeTrainingJobCommand({ TrainingJobName: JOB }));
    expect(job.AlgorithmSpecification?.TrainingImage).toBe(
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender@${digest}`,
    );
    await expect(
      runSageMakerCommand(
        parse([...BASE_ARGS, '--interactions', 'data/sample/interactions.csv']),
        deps(client, lines),
      ),
    ).rejects.toThrow(
      '--on sagemaker reads --interactions from S3: give an s3:// URI, not data/sample/interactions.csv',
    );
    await expect(
      runSageMakerCommand(
        parse(BASE_ARGS.filter((a) => a !== '--role-arn' && a !== ROLE)),
        deps(client, lines),
      ),
    ).rejects.toThrow('--on sagemaker needs --role-arn (the training job execution role)');
    await expect(
      runSageMakerCommand(
        parse([
          ...BASE_ARGS,
          '--image',
          '123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender:nope',
        ]),
        deps(client, lines),
      ),
    ).rejects.toThrow(/ECR has no .*video-recommender:nope/);
  });
});

describe('Function: runSageMakerCommand (--schedule)', () => {
  it('creates, updates and deletes an EventBridge schedule whose target starts the same job', async () => {
    // Prepare
    const lines: string[] = [];
    const scheduler = new SchedulerClient({ region: 'us-east-1', endpoint: moto.endpoint });
    const args = [
      ...BASE_ARGS.filter((a) => a !== '--job-name' && a !== JOB),
      '--scheduler-role-arn',
      SCHEDULER_ROLE,
      '--schedule',
    ];
    const client = scriptedSageMaker({ describes: [], stops: [] });

    // Act
    const created = await runSageMakerCommand(parse([...args, 'cron(0 3 * * ? *)']), deps(client, lines));
    const first = await scheduler.send(new GetScheduleCommand({ Name: 'video-recommender-retrain' }));
    const updated = await runSageMakerCommand(parse([...args, 'rate(7 days)']), deps(client, lines));
    const second = await scheduler.send(new GetScheduleCommand({ Name: 'video-recommender-retrain' }));
    const deleted = await runSageMakerCommand(
      parse([...BASE_ARGS, '--delete-schedule']),
      deps(client, lines),
    );
    const again = await runSageMakerCommand(parse([...BASE_ARGS, '--delete-schedule']), deps(client, lines));

    // Assess
    const input = JSON.parse(first.Target?.Input ?? '{}');
    expect([created, updated, deleted, again]).toEqual([0, 0, 0, 0]);
    expect({
      expression: first.ScheduleExpression,
      target: first.Target?.Arn,
      role: first.Target?.RoleArn,
    }).toEqual({
      expression: 'cron(0 3 * * ? *)',
      target: 'arn:aws:scheduler:::aws-sdk:sagemaker:createTrainingJob',
      role: SCHEDULER_ROLE,
    });
    expect({
      name: input.TrainingJobName,
      image: input.AlgorithmSpecification.TrainingImage,
      hyperparameters: input.HyperParameters,
      channels: input.InputDataConfig.map((c: { ChannelName: string }) => c.ChannelName),
    }).toEqual({
      name: 'video-recommender-<aws.scheduler.execution-id>',
      image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender@${digest}`,
      hyperparameters: { eval: 'false', factors: '8', iterations: '3', s3: MODELS },
      channels: ['training', 'videos'],
    });
    expect(second.ScheduleExpression).toBe('rate(7 days)');
    expect(lines.filter((l) => l.startsWith('schedule '))).toEqual([
      expect.stringMatching(
        /^schedule video-recommender-retrain created: cron\(0 3 \* \* \? \*\) starts a training job/,
      ),
      expect.stringMatching(/^schedule video-recommender-retrain updated: rate\(7 days\)/),
      'schedule video-recommender-retrain: deleted',
      'schedule video-recommender-retrain: absent',
    ]);
  });

  it('refuses a schedule without --s3 to publish to, or with a local --out', async () => {
    const client = scriptedSageMaker({ describes: [], stops: [] });
    const args = [...BASE_ARGS, '--scheduler-role-arn', SCHEDULER_ROLE, '--schedule', 'rate(1 day)'];
    const withoutS3 = args.filter((a) => a !== '--s3' && a !== MODELS);

    await expect(
      runSageMakerCommand(parse([...withoutS3, '--output-s3', 's3://vr-models/jobs']), deps(client, [])),
    ).rejects.toThrow('--schedule needs --s3: a scheduled job publishes its model there');
    await expect(
      runSageMakerCommand(parse([...args, '--out', 'artifacts']), deps(client, [])),
    ).rejects.toThrow('--schedule publishes to --s3 only: a scheduled job cannot write to a local --out');
  });
});

/** `npm run train -- ...args` as a real process, talking to the emulator. */
function trainProcess(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['training/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...moto.env, AWS_S3_FORCE_PATH_STYLE: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('CLI: npm run train -- --on sagemaker', () => {
  it('submits the job, follows it and publishes its model to --s3 and --out', async () => {
    const out = await mkdtemp(join(tmpdir(), 'train-sm-out-'));
    try {
      const run = await trainProcess([...BASE_ARGS, '--out', out]);

      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(run.stdout).toContain(`Submitted training job ${JOB} (ml.m7i.4xlarge, image `);
      expect(run.stdout).toContain(`Published ${tarballVersion} to ${MODELS}\n`);
      expect(await published(MODELS)).toBe(tarballVersion);
      expect(await published(out)).toBe(tarballVersion);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('exits 2 with one line for options a job cannot run with, before submitting anything', async () => {
    const run = await trainProcess([...BASE_ARGS, '--max-wait', '10']);

    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'train: error: --max-wait applies to --spot jobs only\n',
    });
  });
});
