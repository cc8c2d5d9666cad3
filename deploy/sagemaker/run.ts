/**
 * One SageMaker deploy, start to finish: image (build and push, or given), model, endpoint config,
 * endpoint (create or blue/green update), wait for InService, one smoke invocation.
 * @module
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { type ContainerDefinition, type ProductionVariant, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { endpointAlarms, ensureAlarms } from './alarms.js';
import { applyScaling, removeScaling, scalingPlan } from './autoscaling.js';
import { runTransformJob, transformJobInput } from './batch-transform.js';
import { contentTag } from './content-tag.js';
import {
  type CommandRunner,
  describeCommand,
  planImageCommands,
  type ShellCommand,
  spawnCommand,
} from './docker.js';
import { endpointConfigName, modelName, VARIANT_NAME } from './names.js';
import type { DeployOptions } from './options.js';
import {
  ecrLogin,
  ensureEndpoint,
  ensureEndpointConfig,
  ensureModel,
  ensureRepository,
  findImageDigest,
  pinnedImage,
  type StepResult,
  smokeInvoke,
  waitForInService,
} from './resources.js';
import { deploymentConfig } from './rollout.js';

/** The SDK clients a deploy talks through; tests point them at moto_server. */
export interface AwsClients {
  sagemaker: SageMakerClient;
  ecr: ECRClient;
  runtime: SageMakerRuntimeClient;
  sts: STSClient;
  cloudwatch: CloudWatchClient;
  autoscaling: ApplicationAutoScalingClient;
}

/** Everything a deploy touches outside itself, injectable for tests. */
export interface DeployDeps {
  clients: AwsClients;
  runCommand: CommandRunner;
  log: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** What a deploy did. */
export interface DeployResult {
  image: string;
  commands: ShellCommand[];
  model: { name: string; result: StepResult };
  endpointConfig: { name: string; result: StepResult };
  endpoint: { name: string; result: StepResult; status: string | undefined };
  alarms: string[];
  scaling: 'registered' | 'removed' | 'none';
  smoke: { contentType: string | undefined; body: string } | undefined;
}

/** Default clients for a region (endpoint overrides come from AWS_ENDPOINT_URL as the SDK reads it). */
export function createClients(region: string): AwsClients {
  return {
    sagemaker: new SageMakerClient({ region }),
    ecr: new ECRClient({ region }),
    runtime: new SageMakerRuntimeClient({ region }),
    sts: new STSClient({ region }),
    cloudwatch: new CloudWatchClient({ region }),
    autoscaling: new ApplicationAutoScalingClient({ region }),
  };
}

/** The container definition: the image plus where the model comes from. */
export function containerDefinition(options: DeployOptions, image: string): ContainerDefinition {
  // The endpoint's name is the `service` dimension of its metrics, which its model-age alarm watches.
  const environment: Record<string, string> = { POWERTOOLS_SERVICE_NAME: options.endpointName };
  if (options.s3) environment.MODEL_URI = options.s3;
  if (options.modelVersion) environment.MODEL_VERSION = options.modelVersion;
  return {
    Image: image,
    Mode: 'SingleModel',
    ...(options.modelDataUrl ? { ModelDataUrl: options.modelDataUrl } : {}),
    Environment: environment,
  };
}

/** The one production variant: instances, or serverless memory and concurrency. */
export function productionVariant(options: DeployOptions, model: string): ProductionVariant {
  if (options.serverlessMemory !== undefined && options.serverlessConcurrency !== undefined) {
    return {
      VariantName: VARIANT_NAME,
      ModelName: model,
      ServerlessConfig: {
        MemorySizeInMB: options.serverlessMemory,
        MaxConcurrency: options.serverlessConcurrency,
      },
    };
  }
  return {
    VariantName: VARIANT_NAME,
    ModelName: model,
    InstanceType: options.instanceType as ProductionVariant['InstanceType'],
    InitialInstanceCount: options.instanceCount,
    InitialVariantWeight: 1,
  };
}

/**
 * The image to deploy when none is given. The tag is `--tag` or a hash of the build's inputs; when
 * ECR already holds that tag (and `--rebuild` is not set) its digest is reused and nothing is built,
 * so a re-run with unchanged sources keeps the same model and leaves the endpoint alone.
 */
async function buildAndPush(
  options: DeployOptions,
  deps: DeployDeps,
): Promise<{ image: string; commands: ShellCommand[] }> {
  const { ecr } = deps.clients;
  const repository = await ensureRepository(ecr, options.repository);
  deps.log(`ECR repository ${repository.uri}: ${repository.result}`);
  const tag = options.tag ?? (await contentTag(options.dockerfile, options.context));
  if (!options.rebuild) {
    const existing = await findImageDigest(ecr, options.repository, tag);
    if (existing) {
      deps.log(`image ${repository.uri}:${tag} already in ECR; not rebuilding (--rebuild to force)`);
      return { image: `${repository.uri}@${existing}`, commands: [] };
    }
  }
  const login = await ecrLogin(ecr);
  const commands = planImageCommands({
    engine: options.engine,
    registry: login.registry,
    imageUri: `${repository.uri}:${tag}`,
    dockerfile: options.dockerfile,
    context: options.context,
    password: login.password,
  });
  for (const command of commands) {
    deps.log(`$ ${describeCommand(command)}`);
    await deps.runCommand(command);
  }
  return { image: await pinnedImage(ecr, options.repository, repository.uri, tag), commands };
}

/** The model a deploy or a Batch Transform job runs: the image (built and pushed, or given) and the model. */
async function prepareModel(
  options: DeployOptions,
  deps: DeployDeps,
): Promise<{ image: string; commands: ShellCommand[]; model: { name: string; result: StepResult } }> {
  const { sagemaker, sts } = deps.clients;
  if (!options.roleArn) throw new Error('--role-arn is required to deploy');
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  deps.log(`deploying as ${identity.Arn} to ${options.region}, endpoint ${options.endpointName}`);
  const built = options.image ? { image: options.image, commands: [] } : await buildAndPush(options, deps);
  deps.log(`image ${built.image}`);
  const container = containerDefinition(options, built.image);
  const model = modelName(options.endpointName, container, options.roleArn);
  const result = await ensureModel(sagemaker, model, container, options.roleArn);
  deps.log(`model ${model}: ${result}`);
  return { ...built, model: { name: model, result } };
}

/** Waits for InService, then makes sure the endpoint serves the new config (guardrails may have rolled it back). */
async function settle(options: DeployOptions, deps: DeployDeps, config: string) {
  const described = await waitForInService(deps.clients.sagemaker, options.endpointName, {
    timeoutMs: options.timeoutMinutes * 60_000,
    pollMs: options.pollSeconds * 1000,
    log: deps.log,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  if (described.EndpointConfigName !== config) {
    throw new Error(
      `endpoint ${options.endpointName} was rolled back to ${described.EndpointConfigName} (an alarm fired or the new fleet failed): ${described.FailureReason ?? 'see the endpoint events'}`,
    );
  }
  return described;
}

/**
 * Deploys (or updates) the endpoint and returns what it did: model, config, alarms, the endpoint (an
 * update with deployment guardrails), autoscaling, a smoke test. Idempotent: the same inputs find the
 * same model and config by name and leave the endpoint unchanged.
 * @example
 * const result = await deploySageMaker(parseDeployArgs(argv), { clients: createClients('us-east-1'), runCommand: spawnCommand, log: console.log });
 */
export async function deploySageMaker(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { sagemaker, runtime, cloudwatch, autoscaling } = deps.clients;
  const prepared = await prepareModel(options, deps);
  const variant = productionVariant(options, prepared.model.name);
  const config = endpointConfigName(options.endpointName, variant);
  const configResult = await ensureEndpointConfig(sagemaker, config, variant);
  deps.log(`endpoint config ${config}: ${configResult}`);
  // Alarms first: an update rolls back on them.
  const alarms = await ensureAlarms(cloudwatch, endpointAlarms(options));
  deps.log(`alarms: ${alarms.join(', ')}${options.alarmTopic ? ` -> ${options.alarmTopic}` : ''}`);
  const endpointResult = await ensureEndpoint(
    sagemaker,
    options.endpointName,
    config,
    deploymentConfig(options, alarms),
    async () => {
      if (await removeScaling(autoscaling, options.endpointName))
        deps.log('autoscaling paused for the update (registered again once it is InService)');
    },
  );
  deps.log(`endpoint ${options.endpointName}: ${endpointResult}; waiting for InService`);
  const described = await settle(options, deps, config);
  const scaling = await applyScaling(autoscaling, options.endpointName, scalingPlan(options));
  deps.log(`autoscaling: ${scaling}`);
  let smoke: DeployResult['smoke'];
  if (options.smoke) {
    smoke = await smokeInvoke(runtime, options.endpointName, options.smokeBody);
    deps.log(`smoke test ${options.smokeBody} -> ${smoke.body}`);
  }
  return {
    image: prepared.image,
    commands: prepared.commands,
    model: prepared.model,
    endpointConfig: { name: config, result: configResult },
    endpoint: { name: options.endpointName, result: endpointResult, status: described.EndpointStatus },
    alarms,
    scaling,
    smoke,
  };
}

/**
 * `--batch-transform IN OUT`: the model (as a deploy makes it), then a Batch Transform job over the
 * JSON Lines files under IN, answers under OUT.
 * @returns the job's name and where its output went
 */
export async function batchTransform(
  options: DeployOptions,
  deps: DeployDeps,
): Promise<{ job: string; output: string }> {
  const [input, output] = options.batchTransform ?? [];
  if (!input || !output) throw new Error('--batch-transform needs an input and an output s3:// prefix');
  const prepared = await prepareModel(options, deps);
  const request = transformJobInput(options, prepared.model.name, input, output);
  deps.log(`transform job ${request.TransformJobName}: ${input} -> ${output}`);
  await runTransformJob(deps.clients.sagemaker, request, {
    timeoutMs: options.timeoutMinutes * 60_000,
    pollMs: options.pollSeconds * 1000,
    log: deps.log,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  return { job: request.TransformJobName as string, output };
}

/**
 * What a deploy would do, without calling AWS or building: the container, the variant, the alarms,
 * the update's guardrails, autoscaling, and a Batch Transform job when asked (`--dry-run`).
 */
export async function deploymentPlan(options: DeployOptions): Promise<Record<string, unknown>> {
  const image =
    options.image ??
    `<account>.dkr.ecr.${options.region}.amazonaws.com/${options.repository}:${options.tag ?? (await contentTag(options.dockerfile, options.context))} (built and pushed unless ECR has it)`;
  const container = containerDefinition(options, image);
  const alarms = endpointAlarms(options);
  return {
    region: options.region,
    endpoint: options.endpointName,
    container,
    variant: productionVariant(
      options,
      `${options.endpointName}-m-<hash of the container, once the image digest is known>`,
    ),
    alarms: alarms.map((a) => ({
      name: a.AlarmName,
      threshold: a.Threshold,
      notifies: a.AlarmActions ?? [],
    })),
    updateGuardrails: deploymentConfig(
      options,
      alarms.map((a) => a.AlarmName as string),
    ),
    autoscaling: scalingPlan(options) ?? 'none',
    ...(options.batchTransform
      ? { batchTransform: transformJobInput(options, '<the model above>', ...options.batchTransform) }
      : {}),
  };
}

export { spawnCommand };
