/**
 * Deterministic names for the SageMaker resources a deploy creates. A model's and a config's name
 * carry a hash of everything that defines them, so re-running with the same inputs finds the same
 * resources (nothing changes) and different inputs get new ones (a clean blue/green update).
 * @module
 */
import { createHash } from 'node:crypto';
import type { ContainerDefinition, ProductionVariant } from '@aws-sdk/client-sagemaker';

/** Tag put on every resource the script creates; teardown deletes only resources carrying it. */
export const MANAGED_TAG = { Key: 'managed-by', Value: 'video-recommender-deploy' } as const;

/** The single variant name; SageMaker's own examples use it too. */
export const VARIANT_NAME = 'AllTraffic';

function shortHash(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 10);
}

/** JSON with sorted keys, so equal definitions hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Name of the model for a container definition and role: `<endpoint>-m-<hash>`. */
export function modelName(endpointName: string, container: ContainerDefinition, roleArn: string): string {
  return `${endpointName}-m-${shortHash({ container, roleArn })}`;
}

/** Name of the endpoint config for a variant: `<endpoint>-c-<hash>`. */
export function endpointConfigName(endpointName: string, variant: ProductionVariant): string {
  return `${endpointName}-c-${shortHash(variant)}`;
}

/** Prefixes teardown looks for. */
export function ownedPrefixes(endpointName: string): { model: string; config: string } {
  return { model: `${endpointName}-m-`, config: `${endpointName}-c-` };
}
