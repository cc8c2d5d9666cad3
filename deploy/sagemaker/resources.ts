/**
 * Create-if-missing steps for ECR and SageMaker, each idempotent on its own, plus the wait and the
 * smoke invocation. Every call goes through the AWS SDK v3 clients handed in.
 * @module
 */
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import {
  type ContainerDefinition,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  type DeploymentConfig,
  DescribeEndpointCommand,
  type DescribeEndpointCommandOutput,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  type ProductionVariant,
  type SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand, type SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { MANAGED_TAG } from './names.js';

/** What a step did, for the summary and for tests. */
export type StepResult = 'created' | 'exists' | 'updated' | 'unchanged';

function isNotFound(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error.name === 'RepositoryNotFoundException' ||
    error.name === 'ImageNotFoundException' ||
    (error.name === 'ValidationException' && /could not find|does not exist/i.test(error.message))
  );
}

/** Returns the repository URI, creating the repository (scan on push, immutable config) when missing. */
export async function ensureRepository(
  ecr: ECRClient,
  repositoryName: string,
): Promise<{ uri: string; result: StepResult }> {
  try {
    const found = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }));
    const uri = found.repositories?.[0]?.repositoryUri;
    if (uri) return { uri, result: 'exists' };
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const created = await ecr.send(
    new CreateRepositoryCommand({
      repositoryName,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'MUTABLE',
      tags: [{ Key: MANAGED_TAG.Key, Value: MANAGED_TAG.Value }],
    }),
  );
  const uri = created.repository?.repositoryUri;
  if (!uri) throw new Error(`ECR did not return a URI for ${repositoryName}`);
  return { uri, result: 'created' };
}

/** An ECR login: registry host and the password for user `AWS`. */
export async function ecrLogin(ecr: ECRClient): Promise<{ registry: string; password: string }> {
  const token = await ecr.send(new GetAuthorizationTokenCommand({}));
  const data = token.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint)
    throw new Error('ECR returned no authorization token');
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return { registry: data.proxyEndpoint.replace(/^https?:\/\//, ''), password: decoded.slice(separator + 1) };
}

/** The digest (`sha256:...`) ECR holds under this tag, or undefined when the tag is not there. */
export async function findImageDigest(
  ecr: ECRClient,
  repositoryName: string,
  tag: string,
): Promise<string | undefined> {
  try {
    const described = await ecr.send(
      new DescribeImagesCommand({ repositoryName, imageIds: [{ imageTag: tag }] }),
    );
    return described.imageDetails?.[0]?.imageDigest;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * The pushed image pinned by digest (`repo@sha256:...`), so a model always names the exact bytes it
 * was created with and a rebuilt image under the same tag still yields a new model.
 */
export async function pinnedImage(
  ecr: ECRClient,
  repositoryName: string,
  repositoryUri: string,
  tag: string,
): Promise<string> {
  const digest = await findImageDigest(ecr, repositoryName, tag);
  if (!digest) throw new Error(`ECR has no image ${repositoryUri}:${tag} after the push`);
  return `${repositoryUri}@${digest}`;
}

/** Creates the model unless one with this (hash-derived) name exists. */
export async function ensureModel(
  sagemaker: SageMakerClient,
  name: string,
  container: ContainerDefinition,
  roleArn: string,
): Promise<StepResult> {
  try {
    await sagemaker.send(new DescribeModelCommand({ ModelName: name }));
    return 'exists';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await sagemaker.send(
    new CreateModelCommand({
      ModelName: name,
      PrimaryContainer: container,
      ExecutionRoleArn: roleArn,
      Tags: [{ ...MANAGED_TAG }],
    }),
  );
  return 'created';
}

/** Creates the endpoint config unless one with this (hash-derived) name exists. */
export async function ensureEndpointConfig(
  sagemaker: SageMakerClient,
  name: string,
  variant: ProductionVariant,
): Promise<StepResult> {
  try {
    await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
    return 'exists';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await sagemaker.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: name,
      ProductionVariants: [variant],
      Tags: [{ ...MANAGED_TAG }],
    }),
  );
  return 'created';
}

/** Describes the endpoint, or undefined when it does not exist. */
export async function findEndpoint(
  sagemaker: SageMakerClient,
  name: string,
): Promise<DescribeEndpointCommandOutput | undefined> {
  try {
    return await sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Creates the endpoint, or points an existing one at the config. SageMaker applies an update
 * blue/green: it provisions the new fleet, shifts traffic once healthy (at once, or a canary first
 * with `deployment`), then retires the old one, and rolls back if the new fleet never passes /ping or
 * an alarm of `deployment` fires.
 * @param beforeUpdate - runs just before an update (takes the variant out of autoscaling)
 */
export async function ensureEndpoint(
  sagemaker: SageMakerClient,
  name: string,
  configName: string,
  deployment?: DeploymentConfig,
  beforeUpdate?: () => Promise<void>,
): Promise<StepResult> {
  const existing = await findEndpoint(sagemaker, name);
  if (!existing) {
    await sagemaker.send(
      new CreateEndpointCommand({
        EndpointName: name,
        EndpointConfigName: configName,
        Tags: [{ ...MANAGED_TAG }],
      }),
    );
    return 'created';
  }
  if (existing.EndpointStatus === 'Failed') {
    throw new Error(
      `endpoint ${name} is Failed (${existing.FailureReason ?? 'no reason given'}); run with --teardown, then deploy again`,
    );
  }
  if (existing.EndpointConfigName === configName) return 'unchanged';
  if (existing.EndpointStatus === 'Creating' || existing.EndpointStatus === 'Updating') {
    throw new Error(`endpoint ${name} is ${existing.EndpointStatus}; run again once it settles`);
  }
  await beforeUpdate?.();
  await sagemaker.send(
    new UpdateEndpointCommand({
      EndpointName: name,
      EndpointConfigName: configName,
      ...(deployment ? { DeploymentConfig: deployment } : {}),
    }),
  );
  return 'updated';
}

/** Polls until InService; throws on Failed or after the timeout. Reports each status change. */
export async function waitForInService(
  sagemaker: SageMakerClient,
  name: string,
  options: {
    timeoutMs: number;
    pollMs: number;
    log: (line: string) => void;
    sleep?: (ms: number) => Promise<void>;
  },
): Promise<DescribeEndpointCommandOutput> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let last = '';
  for (;;) {
    const endpoint = await findEndpoint(sagemaker, name);
    const status = endpoint?.EndpointStatus ?? 'Missing';
    const elapsed = Math.round((Date.now() - started) / 1000);
    if (status !== last) options.log(`  endpoint ${name}: ${status} after ${elapsed} s`);
    last = status;
    if (endpoint && status === 'InService') return endpoint;
    if (status === 'Failed' || status === 'Missing') {
      throw new Error(`endpoint ${name} is ${status}: ${endpoint?.FailureReason ?? 'no reason given'}`);
    }
    if (Date.now() - started > options.timeoutMs) {
      throw new Error(
        `endpoint ${name} still ${status} after ${elapsed} s; it keeps going, check the console`,
      );
    }
    await sleep(options.pollMs);
  }
}

/** Invokes the endpoint once, the way the original tutorial did, and returns the decoded answer. */
export async function smokeInvoke(
  runtime: SageMakerRuntimeClient,
  name: string,
  body: string,
): Promise<{ contentType: string | undefined; body: string }> {
  const answer = await runtime.send(
    new InvokeEndpointCommand({
      EndpointName: name,
      Body: new TextEncoder().encode(body),
      ContentType: 'application/json',
      Accept: 'application/json',
    }),
  );
  return { contentType: answer.ContentType, body: new TextDecoder().decode(answer.Body) };
}
