/**
 * One SageMaker deploy, start to finish: image (build and push, or given), model, endpoint config,
 * endpoint (create or blue/green update), wait for InService, one smoke invocation.
 * @module
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { type ContainerDefinition, type ProductionVariant, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
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

/** The SDK clients a deploy talks through; tests point them at moto_server. */
export interface AwsClients {
  sagemaker: SageMakerClient;
  ecr: ECRClient;
  runtime: SageMakerRuntimeClient;
  sts: STSClient;
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
  smoke: { contentType: string | undefined; body: string } | undefined;
}

/** Default clients for a region (endpoint overrides come from AWS_ENDPOINT_URL as the SDK reads it). */
export function createClients(region: string): AwsClients {
  return {
    sagemaker: new SageMakerClient({ region }),
    ecr: new ECRClient({ region }),
    runtime: new SageMakerRuntimeClient({ region }),
    sts: new STSClient({ region }),
  };
}

/** The container definition: the image plus where the model comes from. */
export function containerDefinition(options: DeployOptions, image: string): ContainerDefinition {
  const environment: Record<string, string> = {};
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

/**
 * Deploys (or updates) the endpoint and returns what it did. Idempotent: the same inputs find the
 * same model and config by name and leave the endpoint unchanged.
 * @example
 * const result = await deploySageMaker(parseDeployArgs(argv), { clients: createClients('us-east-1'), runCommand: spawnCommand, log: console.log });
 */
export async function deploySageMaker(options: DeployOptions, deps: DeployDeps): Promise<DeployResult> {
  const { sagemaker, sts, runtime } = deps.clients;
  if (!options.roleArn) throw new Error('--role-arn is required to deploy');
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  deps.log(`deploying as ${identity.Arn} to ${options.region}, endpoint ${options.endpointName}`);

  const built = options.image ? { image: options.image, commands: [] } : await buildAndPush(options, deps);
  deps.log(`image ${built.image}`);

  const container = containerDefinition(options, built.image);
  const model = modelName(options.endpointName, container, options.roleArn);
  const modelResult = await ensureModel(sagemaker, model, container, options.roleArn);
  deps.log(`model ${model}: ${modelResult}`);

  const variant = productionVariant(options, model);
  const config = endpointConfigName(options.endpointName, variant);
  const configResult = await ensureEndpointConfig(sagemaker, config, variant);
  deps.log(`endpoint config ${config}: ${configResult}`);

  const endpointResult = await ensureEndpoint(sagemaker, options.endpointName, config);
  deps.log(`endpoint ${options.endpointName}: ${endpointResult}; waiting for InService`);
  const described = await waitForInService(sagemaker, options.endpointName, {
    timeoutMs: options.timeoutMinutes * 60_000,
    pollMs: options.pollSeconds * 1000,
    log: deps.log,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });

  let smoke: DeployResult['smoke'];
  if (options.smoke) {
    smoke = await smokeInvoke(runtime, options.endpointName, options.smokeBody);
    deps.log(`smoke test ${options.smokeBody} -> ${smoke.body}`);
  }
  return {
    image: built.image,
    commands: built.commands,
    model: { name: model, result: modelResult },
    endpointConfig: { name: config, result: configResult },
    endpoint: { name: options.endpointName, result: endpointResult, status: described.EndpointStatus },
    smoke,
  };
}

export { spawnCommand };
