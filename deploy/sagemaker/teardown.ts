/**
 * Deletes what the deploy script created for one endpoint: the endpoint, then every endpoint config
 * and model whose name carries the endpoint's prefix AND our managed-by tag (never anything else).
 * @module
 */
import {
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  ListEndpointConfigsCommand,
  ListModelsCommand,
  ListTagsCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { deleteAlarms } from './alarms.js';
import { removeScaling } from './autoscaling.js';
import { MANAGED_TAG, ownedPrefixes } from './names.js';
import { findEndpoint } from './resources.js';
import type { AwsClients } from './run.js';

/** Names of what a teardown deleted. */
export interface TeardownResult {
  endpoint: string | undefined;
  endpointConfigs: string[];
  models: string[];
  alarms: string[];
  /** whether the variant was taken out of autoscaling */
  scaling: boolean;
}

async function isManaged(sagemaker: SageMakerClient, arn: string): Promise<boolean> {
  const tags = await sagemaker.send(new ListTagsCommand({ ResourceArn: arn }));
  return (tags.Tags ?? []).some((t) => t.Key === MANAGED_TAG.Key && t.Value === MANAGED_TAG.Value);
}

async function listOwned(
  sagemaker: SageMakerClient,
  kind: 'model' | 'config',
  prefix: string,
): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page =
      kind === 'model'
        ? await sagemaker.send(
            new ListModelsCommand({ NameContains: prefix, NextToken: token, MaxResults: 100 }),
          )
        : await sagemaker.send(
            new ListEndpointConfigsCommand({ NameContains: prefix, NextToken: token, MaxResults: 100 }),
          );
    const items =
      'Models' in page
        ? (page.Models ?? []).map((m) => ({ name: m.ModelName, arn: m.ModelArn }))
        : (page.EndpointConfigs ?? []).map((c) => ({ name: c.EndpointConfigName, arn: c.EndpointConfigArn }));
    for (const { name, arn } of items) {
      if (name?.startsWith(prefix) && arn && (await isManaged(sagemaker, arn))) names.push(name);
    }
    token = page.NextToken;
  } while (token);
  return names.sort();
}

/**
 * Deletes the endpoint's autoscaling, the endpoint, its owned configs and models, and its alarms.
 * Safe to run twice (the second finds nothing).
 * @example
 * const deleted = await teardownEndpoint(createClients('us-east-1'), 'video-recommender', console.log);
 */
export async function teardownEndpoint(
  clients: Pick<AwsClients, 'sagemaker' | 'cloudwatch' | 'autoscaling'>,
  endpointName: string,
  log: (line: string) => void,
): Promise<TeardownResult> {
  const { sagemaker } = clients;
  const prefixes = ownedPrefixes(endpointName);
  const scaling = await removeScaling(clients.autoscaling, endpointName);
  if (scaling) log(`removed autoscaling of ${endpointName}`);
  const endpoint = await findEndpoint(sagemaker, endpointName);
  if (endpoint) {
    await sagemaker.send(new DeleteEndpointCommand({ EndpointName: endpointName }));
    log(`deleted endpoint ${endpointName}`);
  }
  const endpointConfigs = await listOwned(sagemaker, 'config', prefixes.config);
  for (const name of endpointConfigs) {
    await sagemaker.send(new DeleteEndpointConfigCommand({ EndpointConfigName: name }));
    log(`deleted endpoint config ${name}`);
  }
  const models = await listOwned(sagemaker, 'model', prefixes.model);
  for (const name of models) {
    await sagemaker.send(new DeleteModelCommand({ ModelName: name }));
    log(`deleted model ${name}`);
  }
  const alarms = await deleteAlarms(clients.cloudwatch, endpointName);
  for (const name of alarms) log(`deleted alarm ${name}`);
  return { endpoint: endpoint ? endpointName : undefined, endpointConfigs, models, alarms, scaling };
}
