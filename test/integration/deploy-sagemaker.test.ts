import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeRepositoriesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateEndpointCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeTransformJobCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  SageMakerClient,
  type UpdateEndpointCommandInput,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { contentTag, contextFiles } from '../../deploy/sagemaker/content-tag.js';
import { planImageCommands, type ShellCommand } from '../../deploy/sagemaker/docker.js';
import { parseDockerignore } from '../../deploy/sagemaker/dockerignore.js';
import { parseDeployArgs } from '../../deploy/sagemaker/options.js';
import { renderPolicies } from '../../deploy/sagemaker/policies.js';
import { type AwsClients, type DeployDeps, deploySageMaker } from '../../deploy/sagemaker/run.js';
import { policyValues, runDeployCli } from '../../deploy/sagemaker.js';
import { type Moto, resetMoto, startMoto } from '../helpers/moto.js';

const ROLE = 'arn:aws:iam::123456789012:role/sagemaker-exec';
const REPO_URI = '123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender';
const IMAGE = `${REPO_URI}@sha256:${'a'.repeat(64)}`;
const ENDPOINT = 'vr-test';
const SMOKE_ANSWER = '{"userId":"u001","recommendations":[{"videoId":"v005","score":0.91}]}';
const BASE_ARGS = ['--region', 'us-east-1', '--role-arn', ROLE, '--s3', 's3://models-bucket/recommender'];
const ARGS = [...BASE_ARGS, '--endpoint-name', ENDPOINT, '--poll-seconds', '0.01', '--image', IMAGE];

/** The alarms a deploy of ENDPOINT creates; an update rolls back on any of them. */
const ALARMS = ['5xx-rate', 'latency-p99', 'model-age', 'saturation'].map((n) => `${ENDPOINT}-${n}`);
/** An update without --canary: blue/green, all traffic at once, rolled back on the alarms. */
const ALL_AT_ONCE = {
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE', WaitIntervalInSeconds: 0 },
    TerminationWaitInSeconds: 600,
  },
  AutoRollbackConfiguration: { Alarms: ALARMS.map((AlarmName) => ({ AlarmName })) },
};

let moto: Moto;
let clients: AwsClients;
let raw: SageMakerClient;
const updates: UpdateEndpointCommandInput[] = [];
let pushes = 0;
/** Makes the shim behave as SageMaker after an alarm: the update is recorded, the old config stays. */
let rollBack = false;

/**
 * moto 5.2.1 has no UpdateEndpoint (it answers 500). This test-only shim records the call and applies
 * its effect (the endpoint now serves the new config) with moto's delete + create, so the script's
 * real update path runs against the emulator.
 */
function withUpdateEndpointShim(client: SageMakerClient): SageMakerClient {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'UpdateEndpointCommand') return next(args);
      const input = args.input as UpdateEndpointCommandInput;
      updates.push(input);
      if (rollBack) return { output: { $metadata: {} }, response: {} } as never;
      await raw.send(new DeleteEndpointCommand({ EndpointName: input.EndpointName }));
      const created = await raw.send(
        new CreateEndpointCommand({
          EndpointName: input.EndpointName,
          EndpointConfigName: input.EndpointConfigName,
        }),
      );
      return { output: { EndpointArn: created.EndpointArn, $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'motoUpdateEndpointShim' },
  );
  return client;
}

function deps(commands: ShellCommand[] = []): DeployDeps {
  return {
    clients,
    log: () => {},
    sleep: async () => {},
    // Records what would run; a push is emulated by putting a manifest into moto's ECR. Each push
    // gets a new config digest, as a real rebuild does (image builds are not reproducible).
    runCommand: async (command) => {
      commands.push(command);
      const pushed = command.args.includes('--push')
        ? command.args[command.args.indexOf('-t') + 1]
        : undefined;
      if (pushed) {
        const [repositoryUri, tag] = pushed.split(':') as [string, string];
        await clients.ecr.send(
          new PutImageCommand({
            repositoryName: repositoryUri.split('/').slice(1).join('/'),
            imageTag: tag,
            imageManifest: JSON.stringify({
              schemaVersion: 2,
              config: { digest: `sha256:${'b'.repeat(64)}` },
              // moto derives the image digest from the layer digests.
              layers: [{ digest: `sha256:${String(++pushes).padStart(64, '0')}` }],
            }),
            imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          }),
        );
      }
      return { stdout: '' };
    },
  };
}

async function seedSmokeAnswer(): Promise<void> {
  await fetch(`${moto.endpoint}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      region: 'us-east-1',
      results: [
        { Body: SMOKE_ANSWER, ContentType: 'application/json', InvokedProductionVariant: 'AllTraffic' },
      ],
    }),
  });
}

beforeAll(async () => {
  moto = await startMoto();
  const config = { region: 'us-east-1', endpoint: moto.endpoint };
  raw = new SageMakerClient(config);
  clients = {
    sagemaker: withUpdateEndpointShim(new SageMakerClient(config)),
    ecr: new ECRClient(config),
    runtime: new SageMakerRuntimeClient(config),
    sts: new STSClient(config),
    cloudwatch: new CloudWatchClient(config),
    autoscaling: new ApplicationAutoScalingClient(config),
  };
});
afterAll(async () => {
  await moto?.stop();
});
beforeEach(async () => {
  await resetMoto(moto);
  await seedSmokeAnswer();
  updates.length = 0;
  pushes = 0;
  rollBack = false;
});

describe('Function: deploySageMaker', () => {
  it('creates the model, endpoint config and endpoint from --image, waits, and smoke-tests', async () => {
    // Act
    const result = await deploySageMaker(parseDeployArgs(ARGS), deps());
    // Assess
    const model = await raw.send(new DescribeModelCommand({ ModelName: result.model.name }));
    const config = await raw.send(
      new DescribeEndpointConfigCommand({ EndpointConfigName: result.endpointConfig.name }),
    );
    const endpoint = await raw.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(result).toMatchObject({
      image: IMAGE,
      commands: [],
      model: { result: 'created' },
      endpointConfig: { result: 'created' },
      endpoint: { name: ENDPOINT, result: 'created', status: 'InService' },
      smoke: { contentType: 'application/json', body: SMOKE_ANSWER },
    });
    expect(result.model.name).toMatch(/^vr-test-m-[0-9a-f]{10}$/);
    expect(result.endpointConfig.name).toMatch(/^vr-test-c-[0-9a-f]{10}$/);
    expect({ container: model.PrimaryContainer, role: model.ExecutionRoleArn }).toEqual({
      container: {
        Image: IMAGE,
        Mode: 'SingleModel',
        Environment: { MODEL_URI: 's3://models-bucket/recommender', POWERTOOLS_SERVICE_NAME: ENDPOINT },
      },
      role: ROLE,
    });
    expect(config.ProductionVariants).toEqual([
      {
        VariantName: 'AllTraffic',
        ModelName: result.model.name,
        InstanceType: 'ml.t2.medium',
        InitialInstanceCount: 1,
        InitialVariantWeight: 1,
      },
    ]);
    expect([endpoint.EndpointStatus, endpoint.EndpointConfigName]).toEqual([
      'InService',
      result.endpointConfig.name,
    ]);
  });

  it('changes nothing on a second run with the same inputs', async () => {
    const first = await deploySageMaker(parseDeployArgs(ARGS), deps());
    const second = await deploySageMaker(parseDeployArgs(ARGS), deps());
    const models = await raw.send(new ListModelsCommand({}));
    expect([second.model, second.endpointConfig, second.endpoint.result]).toEqual([
      { name: first.model.name, result: 'exists' },
      { name: first.endpointConfig.name, result: 'exists' },
      'unchanged',
    ]);
    expect(updates).toEqual([]);
    expect(models.Models?.map((m) => m.ModelName)).toEqual([first.model.name]);
  });

  it('updates the endpoint to a new config when the instance settings change (blue/green update path)', async () => {
    const first = await deploySageMaker(parseDeployArgs(ARGS), deps());
    const second = await deploySageMaker(
      parseDeployArgs([...ARGS, '--instance-type', 'ml.c5.large', '--instance-count', '2']),
      deps(),
    );
    const config = await raw.send(
      new DescribeEndpointConfigCommand({ EndpointConfigName: second.endpointConfig.name }),
    );
    const endpoint = await raw.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect([second.model.result, second.endpointConfig.result, second.endpoint.result]).toEqual([
      'exists',
      'created',
      'updated',
    ]);
    expect(second.endpointConfig.name).not.toBe(first.endpointConfig.name);
    expect(updates).toEqual([
      {
        EndpointName: ENDPOINT,
        EndpointConfigName: second.endpointConfig.name,
        DeploymentConfig: ALL_AT_ONCE,
      },
    ]);
    expect(config.ProductionVariants?.[0]).toMatchObject({
      InstanceType: 'ml.c5.large',
      InitialInstanceCount: 2,
    });
    expect(endpoint.EndpointConfigName).toBe(second.endpointConfig.name);
  });

  it('creates a serverless config from --serverless-memory and --serverless-concurrency', async () => {
    const result = await deploySageMaker(
      parseDeployArgs([...ARGS, '--serverless-memory', '2048', '--serverless-concurrency', '5']),
      deps(),
    );
    const config = await raw.send(
      new DescribeEndpointConfigCommand({ EndpointConfigName: result.endpointConfig.name }),
    );
    expect(config.ProductionVariants).toEqual([
      {
        VariantName: 'AllTraffic',
        ModelName: result.model.name,
        ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
      },
    ]);
  });

  it('without --image: creates the ECR repository (scan on push), logs in, builds amd64, pushes, pins the digest', async () => {
    const commands: ShellCommand[] = [];
    const args = [...BASE_ARGS, '--endpoint-name', ENDPOINT, '--poll-seconds', '0.01', '--tag', 'v1'];
    const result = await deploySageMaker(parseDeployArgs(args), deps(commands));
    const repo = await clients.ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['video-recommender'] }),
    );
    const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/video-recommender';
    expect(repo.repositories?.[0]?.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(commands).toEqual([
      {
        program: 'docker',
        args: [
          'login',
          '--username',
          'AWS',
          '--password-stdin',
          '123456789012.dkr.ecr.us-east-1.amazonaws.com',
        ],
        stdin: '123456789012-auth-token',
      },
      {
        program: 'docker',
        args: [
          'buildx',
          'build',
          '--platform',
          'linux/amd64',
          '--provenance=false',
          '--sbom=false',
          '-f',
          'container/Dockerfile',
          '-t',
          `${uri}:v1`,
          '--push',
          '.',
        ],
      },
    ]);
    expect(result.image).toMatch(new RegExp(`^${uri}@sha256:[0-9a-f]{64}$`));
    const model = await raw.send(new DescribeModelCommand({ ModelName: result.model.name }));
    expect(model.PrimaryContainer?.Image).toBe(result.image);
  });

  describe('without --image, from a build context', () => {
    let context: string;
    let args: string[];
    beforeEach(async () => {
      context = await makeContext();
      args = [...BASE_ARGS, '--endpoint-name', ENDPOINT, '--poll-seconds', '0.01'];
      args.push('--dockerfile', join(context, 'Dockerfile'), '--context', context);
    });
    afterEach(async () => {
      await rm(context, { recursive: true, force: true });
    });

    it('tags the build with a hash of its inputs, and a second run builds nothing and changes nothing', async () => {
      const firstCommands: ShellCommand[] = [];
      const first = await deploySageMaker(parseDeployArgs(args), deps(firstCommands));
      const secondCommands: ShellCommand[] = [];
      const second = await deploySageMaker(parseDeployArgs(args), deps(secondCommands));
      const models = await raw.send(new ListModelsCommand({}));
      const configs = await raw.send(new ListEndpointConfigsCommand({}));
      const tag = await contentTag(join(context, 'Dockerfile'), context);
      expect(tag).toMatch(/^content-[0-9a-f]{16}$/);
      expect(firstCommands.map(builtImage)).toEqual([undefined, `${REPO_URI}:${tag}`]);
      expect(secondCommands).toEqual([]);
      expect(second).toMatchObject({
        image: first.image,
        commands: [],
        model: { name: first.model.name, result: 'exists' },
        endpointConfig: { name: first.endpointConfig.name, result: 'exists' },
        endpoint: { result: 'unchanged', status: 'InService' },
      });
      expect(updates).toEqual([]);
      expect(models.Models?.map((m) => m.ModelName)).toEqual([first.model.name]);
      expect(configs.EndpointConfigs?.map((c) => c.EndpointConfigName)).toEqual([first.endpointConfig.name]);
    });

    it('builds again only when a file that goes into the image changes', async () => {
      const first = await deploySageMaker(parseDeployArgs(args), deps());
      // An ignored file changes: same tag, nothing built.
      await writeFile(join(context, 'src', 'a.test.ts'), 'changed test');
      await writeFile(join(context, 'notes.md'), 'changed notes');
      const ignoredCommands: ShellCommand[] = [];
      const ignored = await deploySageMaker(parseDeployArgs(args), deps(ignoredCommands));
      // A source file changes: new tag, a build, a new model and a blue/green update.
      await writeFile(join(context, 'src', 'a.ts'), 'export const a = 2;');
      const changedCommands: ShellCommand[] = [];
      const changed = await deploySageMaker(parseDeployArgs(args), deps(changedCommands));
      expect([ignoredCommands, ignored.image, ignored.endpoint.result]).toEqual([
        [],
        first.image,
        'unchanged',
      ]);
      expect(changedCommands.map(builtImage)).toEqual([
        undefined,
        `${REPO_URI}:${await contentTag(join(context, 'Dockerfile'), context)}`,
      ]);
      expect(changed.image).not.toBe(first.image);
      expect([changed.model.result, changed.endpointConfig.result, changed.endpoint.result]).toEqual([
        'created',
        'created',
        'updated',
      ]);
      expect(updates).toEqual([
        {
          EndpointName: ENDPOINT,
          EndpointConfigName: changed.endpointConfig.name,
          DeploymentConfig: ALL_AT_ONCE,
        },
      ]);
    });

    it('reuses an existing --tag, and --rebuild builds and pushes anyway', async () => {
      const first = await deploySageMaker(parseDeployArgs([...args, '--tag', 'v1']), deps());
      const reusedCommands: ShellCommand[] = [];
      const reused = await deploySageMaker(parseDeployArgs([...args, '--tag', 'v1']), deps(reusedCommands));
      const rebuiltCommands: ShellCommand[] = [];
      const rebuilt = await deploySageMaker(
        parseDeployArgs([...args, '--tag', 'v1', '--rebuild']),
        deps(rebuiltCommands),
      );
      expect([reusedCommands, reused.image]).toEqual([[], first.image]);
      expect(rebuiltCommands.map(builtImage)).toEqual([undefined, `${REPO_URI}:v1`]);
      expect(rebuilt.image).toMatch(new RegExp(`^${REPO_URI}@sha256:[0-9a-f]{64}$`));
      expect(rebuilt.image).not.toBe(first.image);
      expect(rebuilt.endpoint.result).toBe('updated');
    });
  });
});

/** The image a build command tags (`-t`), undefined for login. */
function builtImage(command: ShellCommand): string | undefined {
  const at = command.args.indexOf('-t');
  return at < 0 ? undefined : command.args[at + 1];
}

/** A small build context: a Dockerfile, its .dockerignore, kept and ignored files, a skipped directory. */
async function makeContext(): Promise<string> {
  const context = await mkdtemp(join(tmpdir(), 'deploy-context-'));
  await mkdir(join(context, 'src', 'nested'), { recursive: true });
  await mkdir(join(context, 'node_modules', 'dep'), { recursive: true });
  await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nCOPY src /src\n');
  await writeFile(join(context, '.dockerignore'), DOCKERIGNORE);
  await writeFile(join(context, 'package.json'), '{"name":"x"}');
  await writeFile(join(context, 'src', 'a.ts'), 'export const a = 1;');
  await writeFile(join(context, 'src', 'a.test.ts'), 'test');
  await writeFile(join(context, 'src', 'nested', 'b.ts'), 'export const b = 1;');
  await writeFile(join(context, 'node_modules', 'dep', 'index.js'), 'x');
  await writeFile(join(context, 'notes.md'), 'notes');
  return context;
}

const DOCKERIGNORE = '# only sources\n**\n!package.json\n!src/**\n**/*.test.ts\n';

describe('Function: parseDockerignore', () => {
  it("applies Docker's rules: last match wins, ** spans directories, * stays in one segment, parents match", () => {
    const rules = parseDockerignore(
      '**\n!package.json\n!src/**\n!/container/\ncontainer/Dockerfile\n**/*.test.ts\n!keep?.md\n',
    );
    const paths = [
      'package.json',
      'package-lock.json',
      'src/a.ts',
      'src/deep/er/b.ts',
      'src/a.test.ts',
      'container/app.ts',
      'container/Dockerfile',
      'node_modules/x/index.js',
      'keep1.md',
      'keep12.md',
    ];
    expect(paths.filter((p) => !rules.ignores(p))).toEqual([
      'package.json',
      'src/a.ts',
      'src/deep/er/b.ts',
      'container/app.ts',
      'keep1.md',
    ]);
    expect(['src', 'container', 'node_modules', 'docs'].map((d) => rules.mayReinclude(d))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(parseDockerignore('dist\n*.log').ignores('dist/x/y.js')).toBe(true);
    expect(parseDockerignore('dist\n*.log').ignores('logs/a.log')).toBe(false);
  });
});

describe('Function: contentTag', () => {
  it('hashes the Dockerfile and exactly the files .dockerignore lets through', async () => {
    const context = await makeContext();
    try {
      const dockerfile = join(context, 'Dockerfile');
      const files = await contextFiles(context, parseDockerignore(DOCKERIGNORE));
      const before = await contentTag(dockerfile, context);
      await writeFile(join(context, 'node_modules', 'dep', 'index.js'), 'y');
      const afterIgnored = await contentTag(dockerfile, context);
      await writeFile(dockerfile, 'FROM scratch\n');
      const afterDockerfile = await contentTag(dockerfile, context);
      expect(files).toEqual([
        { path: 'package.json', link: false },
        { path: 'src/a.ts', link: false },
        { path: 'src/nested/b.ts', link: false },
      ]);
      expect(afterIgnored).toBe(before);
      expect(afterDockerfile).not.toBe(before);
    } finally {
      await rm(context, { recursive: true, force: true });
    }
  });
});

describe('Function: deploySageMaker (alarms, autoscaling, guardrails)', () => {
  const alarmsIn = async (): Promise<Record<string, Record<string, unknown>>> => {
    const found = await clients.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: `${ENDPOINT}-` }),
    );
    return Object.fromEntries(
      (found.MetricAlarms ?? []).map((a) => [a.AlarmName, a as Record<string, unknown>]),
    );
  };
  const scaling = async () => {
    const targets = await clients.autoscaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }),
    );
    const policies = await clients.autoscaling.send(
      new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker' }),
    );
    return {
      targets: (targets.ScalableTargets ?? []).map((t) => [t.ResourceId, t.MinCapacity, t.MaxCapacity]),
      policies: (policies.ScalingPolicies ?? []).map((p) => [
        p.PolicyName,
        p.TargetTrackingScalingPolicyConfiguration?.TargetValue,
        p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType,
      ]),
    };
  };

  it('creates the four alarms (notifying the SNS topic) and target tracking between --min and --max instances', async () => {
    // Act
    const topic = 'arn:aws:sns:us-east-1:123456789012:ops';
    const result = await deploySageMaker(
      parseDeployArgs([
        ...ARGS,
        '--max-instances',
        '4',
        '--target-invocations',
        '6000',
        '--alarm-topic',
        topic,
      ]),
      deps(),
    );
    // Assess
    const alarms = await alarmsIn();
    expect({ result: result.alarms, stored: Object.keys(alarms).sort(), scaling: result.scaling }).toEqual({
      result: ALARMS,
      stored: [...ALARMS].sort(),
      scaling: 'registered',
    });
    expect(alarms[`${ENDPOINT}-latency-p99`]).toMatchObject({
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 1_000_000,
      AlarmActions: [topic],
    });
    expect(alarms[`${ENDPOINT}-model-age`]).toMatchObject({
      Namespace: 'VideoRecommender',
      MetricName: 'ModelAgeSeconds',
      Dimensions: [{ Name: 'service', Value: ENDPOINT }],
      Threshold: 48 * 3600,
    });
    expect(
      ((alarms[`${ENDPOINT}-5xx-rate`]?.Metrics ?? []) as { Expression?: string }[]).at(-1)?.Expression,
    ).toBe('IF(invocations > 0, 100 * errors / invocations, 0)');
    expect(await scaling()).toEqual({
      targets: [[`endpoint/${ENDPOINT}/variant/AllTraffic`, 1, 4]],
      policies: [[`${ENDPOINT}-invocations-per-instance`, 6000, 'SageMakerVariantInvocationsPerInstance']],
    });
  });

  it('updates with a canary: autoscaling paused, 10 % first, rolled back on the alarms, then scaling again', async () => {
    // Prepare
    await deploySageMaker(parseDeployArgs([...ARGS, '--max-instances', '4']), deps());
    const lines: string[] = [];
    // Act: a bigger instance type, 10 % canary for 5 minutes
    const updated = await deploySageMaker(
      parseDeployArgs([
        ...ARGS,
        '--instance-type',
        'ml.m5.large',
        '--max-instances',
        '4',
        '--canary',
        '10',
        '--canary-wait-minutes',
        '5',
      ]),
      { ...deps(), log: (line) => lines.push(line) },
    );
    // Assess
    expect(updates).toEqual([
      {
        EndpointName: ENDPOINT,
        EndpointConfigName: updated.endpointConfig.name,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY',
              CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
              WaitIntervalInSeconds: 300,
            },
            TerminationWaitInSeconds: 600,
          },
          AutoRollbackConfiguration: ALL_AT_ONCE.AutoRollbackConfiguration,
        },
      },
    ]);
    expect(lines).toContain('autoscaling paused for the update (registered again once it is InService)');
    expect((await scaling()).targets).toEqual([[`endpoint/${ENDPOINT}/variant/AllTraffic`, 1, 4]]);
  });

  it('fails, naming the config it serves, when the update was rolled back; without --max-instances no scaling', async () => {
    // Prepare
    await deploySageMaker(parseDeployArgs([...ARGS, '--max-instances', '2']), deps());
    rollBack = true;
    // Act
    const update = deploySageMaker(parseDeployArgs([...ARGS, '--instance-count', '2']), deps());
    // Assess
    await expect(update).rejects.toThrow(
      /^endpoint vr-test was rolled back to vr-test-c-[0-9a-f]{10} \(an alarm fired/,
    );
    rollBack = false;
    const plain = await deploySageMaker(parseDeployArgs([...ARGS, '--instance-count', '2']), deps());
    expect({ scaling: plain.scaling, targets: (await scaling()).targets }).toEqual({
      scaling: 'none',
      targets: [],
    });
  });
});

describe('Function: runDeployCli --batch-transform, --dry-run, --write-policies', () => {
  it('runs a Batch Transform job over the JSON Lines path with the model it creates', async () => {
    // Prepare
    const lines: string[] = [];
    const options = parseDeployArgs([
      ...ARGS,
      '--batch-transform',
      's3://in-bucket/requests/',
      's3://out-bucket/answers/',
    ]);
    // Act
    const code = await runDeployCli(options, { ...deps(), log: (line) => lines.push(line) });
    // Assess
    const job = /transform job (\S+): s3:\/\/in-bucket/.exec(lines.join('\n'))?.[1] ?? '';
    const described = await raw.send(new DescribeTransformJobCommand({ TransformJobName: job }));
    expect(code).toBe(0);
    expect(job).toMatch(/^vr-test-bt-\d{8}T\d{6}$/);
    expect(described).toMatchObject({
      TransformJobStatus: 'Completed',
      ModelName: expect.stringMatching(/^vr-test-m-[0-9a-f]{10}$/),
      Environment: { MAX_BATCH: '100000' },
      TransformInput: {
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://in-bucket/requests/' } },
        ContentType: 'application/jsonlines',
        SplitType: 'Line',
      },
      TransformOutput: {
        S3OutputPath: 's3://out-bucket/answers/',
        Accept: 'application/jsonlines',
        AssembleWith: 'Line',
      },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
    });
    // SageMaker asks the container (GET /execution-parameters) for what the job leaves unset.
    expect([described.BatchStrategy, described.MaxPayloadInMB]).toEqual([undefined, undefined]);
    expect(lines.at(-1)).toBe(
      `done: transform job ${job}; answers in s3://out-bucket/answers/ (one .out file per input file)`,
    );
  });

  it('--dry-run prints the plan and calls no AWS API', async () => {
    // Prepare: clients that fail on any call
    const refuse = (): never => {
      throw new Error('no AWS call expected');
    };
    const offline = Object.fromEntries(
      Object.keys(clients).map((k) => [k, { send: refuse }]),
    ) as unknown as AwsClients;
    const lines: string[] = [];
    // Act
    const code = await runDeployCli(
      parseDeployArgs([...ARGS, '--dry-run', '--max-instances', '3', '--canary', '20']),
      {
        ...deps(),
        clients: offline,
        log: (line) => lines.push(line),
      },
    );
    // Assess
    const plan = JSON.parse(lines.join('\n')) as Record<string, unknown>;
    expect(code).toBe(0);
    expect(plan).toMatchObject({
      region: 'us-east-1',
      endpoint: ENDPOINT,
      container: {
        Image: IMAGE,
        Environment: { MODEL_URI: 's3://models-bucket/recommender', POWERTOOLS_SERVICE_NAME: ENDPOINT },
      },
      autoscaling: { min: 1, max: 3, targetInvocationsPerMinute: 30_000 },
      updateGuardrails: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Value: 20 } } },
      },
    });
    expect((plan.alarms as { name: string }[]).map((a) => a.name)).toEqual(ALARMS);
  });

  it('--write-policies writes one policy per file, usable with aws iam, and prints the commands', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'policies-'));
    const lines: string[] = [];
    // Act
    const code = await runDeployCli(parseDeployArgs([...BASE_ARGS, '--write-policies', dir]), {
      ...deps(),
      log: (line) => lines.push(line),
    });
    // Assess
    const files = (await readdir(dir)).sort();
    const execution = JSON.parse(await readFile(join(dir, 'execution-role.json'), 'utf8')) as {
      Version: string;
      Statement: { Resource: string }[];
    };
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(0);
    expect(files).toEqual([
      'batch-transform.json',
      'deployer.json',
      'execution-role-trust.json',
      'execution-role.json',
    ]);
    expect([execution.Version, execution.Statement[0]?.Resource]).toEqual([
      '2012-10-17',
      'arn:aws:s3:::models-bucket/recommender/*',
    ]);
    expect(lines.join('\n')).toContain(
      `aws iam create-policy --policy-name video-recommender-deployer --policy-document file://${join(dir, 'deployer.json')}`,
    );
  });
});

describe('Function: runDeployCli --teardown', () => {
  it('deletes the endpoint and every config and model it created, nothing else, and is safe to repeat', async () => {
    // Prepare: two deploys (an update leaves the old config behind) and a resource we do not own.
    await deploySageMaker(parseDeployArgs(ARGS), deps());
    await deploySageMaker(parseDeployArgs([...ARGS, '--instance-count', '2']), deps());
    await raw.send(
      new CreateModelCommand({
        ModelName: 'vr-test-m-handmade',
        ExecutionRoleArn: ROLE,
        PrimaryContainer: { Image: IMAGE },
      }),
    );
    const lines: string[] = [];
    const options = parseDeployArgs(['--region', 'us-east-1', '--endpoint-name', ENDPOINT, '--teardown']);
    // Act
    const code = await runDeployCli(options, { ...deps(), log: (line) => lines.push(line) });
    const again: string[] = [];
    await runDeployCli(options, { ...deps(), log: (line) => again.push(line) });
    // Assess
    const models = await raw.send(new ListModelsCommand({}));
    const configs = await raw.send(new ListEndpointConfigsCommand({}));
    const endpoint = raw.send(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(code).toBe(0);
    await expect(endpoint).rejects.toThrow(/Could not find endpoint/);
    expect(models.Models?.map((m) => m.ModelName)).toEqual(['vr-test-m-handmade']);
    expect(configs.EndpointConfigs).toEqual([]);
    // The endpoint, two configs, one model (an update of the instance count keeps the model), four alarms.
    expect(lines.at(-1)).toBe('teardown of vr-test: 8 resource(s) deleted');
    expect(again).toEqual(['teardown of vr-test: 0 resource(s) deleted']);
  });
});

describe('Function: parseDeployArgs', () => {
  it('applies the documented defaults', () => {
    expect(parseDeployArgs(BASE_ARGS)).toEqual({
      region: 'us-east-1',
      roleArn: ROLE,
      s3: 's3://models-bucket/recommender',
      repository: 'video-recommender',
      engine: 'docker',
      dockerfile: 'container/Dockerfile',
      context: '.',
      instanceType: 'ml.t2.medium',
      instanceCount: 1,
      endpointName: 'video-recommender',
      rebuild: false,
      timeoutMinutes: 30,
      pollSeconds: 15,
      smokeBody: '{"user_id":"u001","k":3,"fallback":"popular"}',
      smoke: true,
      teardown: false,
      dryRun: false,
      targetInvocations: 30_000,
      canaryWaitMinutes: 10,
      alarmErrorRatePercent: 1,
      alarmLatencyP99Ms: 1000,
      alarmModelAgeHours: 48,
      transformInstanceType: 'ml.m5.large',
      transformInstanceCount: 1,
    });
  });

  it('takes the region from AWS_REGION unless --region is given', () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-central-1';
    try {
      const args = BASE_ARGS.slice(2);
      expect(parseDeployArgs(args).region).toBe('eu-central-1');
      expect(parseDeployArgs(['--region', 'us-west-2', ...args]).region).toBe('us-west-2');
    } finally {
      process.env.AWS_REGION = saved;
    }
  });

  it('names the option and the rule it broke', () => {
    expect(() => parseDeployArgs(['--region', 'us-east-1', '--s3', 's3://models-bucket/x'])).toThrow(
      'Invalid option --role-arn is required to deploy',
    );
    expect(() =>
      parseDeployArgs([...BASE_ARGS, '--serverless-memory', '1000', '--serverless-concurrency', '2']),
    ).toThrow('--serverless-memory must be one of 1024, 2048, 3072, 4096, 5120, 6144');
    expect(() => parseDeployArgs([...BASE_ARGS, '--serverless-memory', '2048'])).toThrow(
      '--serverless-memory and --serverless-concurrency go together',
    );
    expect(() => parseDeployArgs([...BASE_ARGS, '--bogus'])).toThrow("unknown option '--bogus'");
    expect(() => parseDeployArgs([...BASE_ARGS, '--min-instances', '3', '--max-instances', '2'])).toThrow(
      '--max-instances must be at least --min-instances (3)',
    );
    expect(() => parseDeployArgs([...BASE_ARGS, '--batch-transform', 's3://in-bucket/x'])).toThrow(
      '--batch-transform takes two s3:// URIs: the input prefix and the output prefix',
    );
    expect(() => parseDeployArgs([...BASE_ARGS, '--canary', '100'])).toThrow('--canary');
  });
});

describe('Function: planImageCommands', () => {
  it('builds with podman in Docker v2 format and pushes separately', () => {
    const commands = planImageCommands({
      engine: 'podman',
      registry: 'r.example',
      imageUri: 'r.example/repo:t',
      dockerfile: 'container/Dockerfile',
      context: '.',
      password: 'secret',
    });
    expect(commands).toEqual([
      {
        program: 'podman',
        args: ['login', '--username', 'AWS', '--password-stdin', 'r.example'],
        stdin: 'secret',
      },
      {
        program: 'podman',
        args: [
          'build',
          '--format',
          'docker',
          '--platform',
          'linux/amd64',
          '-f',
          'container/Dockerfile',
          '-t',
          'r.example/repo:t',
          '.',
        ],
      },
      { program: 'podman', args: ['push', 'r.example/repo:t'] },
    ]);
  });
});

describe('Function: renderPolicies', () => {
  it('fills the S3 prefix, account, repository and role into valid policy JSON', async () => {
    const policies = await renderPolicies(
      policyValues(parseDeployArgs([...BASE_ARGS, '--write-policies', 'x'])),
    );
    const execution = JSON.parse(policies.find((p) => p.file === 'execution-role.json')?.json ?? '{}');
    const deployer = JSON.parse(policies.find((p) => p.file === 'deployer.json')?.json ?? '{}');
    expect(policies.map((p) => p.file)).toEqual([
      'execution-role-trust.json',
      'execution-role.json',
      'deployer.json',
      'batch-transform.json',
    ]);
    // The prefix and what is under it, as on the Lambda target: not every key starting with "recommender".
    expect(execution.Statement.slice(0, 2)).toEqual([
      {
        Sid: 'ReadModelArtifacts',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: 'arn:aws:s3:::models-bucket/recommender/*',
      },
      {
        Sid: 'ListModelPrefix',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: 'arn:aws:s3:::models-bucket',
        Condition: { StringLike: { 's3:prefix': ['recommender/*'] } },
      },
    ]);
    expect(execution.Statement[2].Resource).toBe(
      'arn:aws:ecr:us-east-1:123456789012:repository/video-recommender',
    );
    expect(deployer.Statement.at(-1).Resource).toBe(ROLE);
    expect(
      policies
        .filter((p) => p.file !== 'batch-transform.json')
        .map((p) => p.json)
        .join('\n'),
    ).not.toContain('${');
  });
});
