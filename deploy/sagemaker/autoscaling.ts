/**
 * Endpoint autoscaling: Application Auto Scaling target tracking on the variant's invocations per
 * instance, between --min-instances and --max-instances. Off (and removed if an earlier run set it up)
 * when the maximum is not above the minimum, and for serverless endpoints, which scale themselves.
 * @module
 */
import {
  type ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { VARIANT_NAME } from './names.js';
import type { DeployOptions } from './options.js';

const NAMESPACE = 'sagemaker';
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/** What autoscaling should be, or undefined for none. */
export interface ScalingPlan {
  resourceId: string;
  min: number;
  max: number;
  policyName: string;
  targetInvocationsPerMinute: number;
}

/** The variant's Application Auto Scaling resource id. */
export const resourceIdOf = (endpointName: string): string =>
  `endpoint/${endpointName}/variant/${VARIANT_NAME}`;

/** The plan for these options (undefined: no autoscaling). */
export function scalingPlan(
  options: Pick<
    DeployOptions,
    | 'endpointName'
    | 'instanceCount'
    | 'minInstances'
    | 'maxInstances'
    | 'targetInvocations'
    | 'serverlessMemory'
  >,
): ScalingPlan | undefined {
  const min = options.minInstances ?? options.instanceCount;
  const max = options.maxInstances ?? min;
  if (options.serverlessMemory !== undefined || max <= min) return undefined;
  return {
    resourceId: resourceIdOf(options.endpointName),
    min,
    max,
    policyName: `${options.endpointName}-invocations-per-instance`,
    targetInvocationsPerMinute: options.targetInvocations,
  };
}

/** Whether the variant is registered as a scalable target. */
async function isRegistered(client: ApplicationAutoScalingClient, resourceId: string): Promise<boolean> {
  const found = await client.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: NAMESPACE,
      ResourceIds: [resourceId],
      ScalableDimension: DIMENSION,
    }),
  );
  return (found.ScalableTargets ?? []).length > 0;
}

/**
 * Takes the variant out of autoscaling (before an update, which SageMaker refuses for a registered
 * variant whose instance type changes, and for teardown); true when it was registered.
 */
export async function removeScaling(
  client: ApplicationAutoScalingClient,
  endpointName: string,
): Promise<boolean> {
  const resourceId = resourceIdOf(endpointName);
  if (!(await isRegistered(client, resourceId))) return false;
  await client.send(
    new DeregisterScalableTargetCommand({
      ServiceNamespace: NAMESPACE,
      ResourceId: resourceId,
      ScalableDimension: DIMENSION,
    }),
  );
  return true;
}

/**
 * Registers the variant and its target-tracking policy (both create-or-update), or removes an earlier
 * registration when the plan has none.
 */
export async function applyScaling(
  client: ApplicationAutoScalingClient,
  endpointName: string,
  plan: ScalingPlan | undefined,
): Promise<'registered' | 'removed' | 'none'> {
  if (!plan) return (await removeScaling(client, endpointName)) ? 'removed' : 'none';
  await client.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: NAMESPACE,
      ResourceId: plan.resourceId,
      ScalableDimension: DIMENSION,
      MinCapacity: plan.min,
      MaxCapacity: plan.max,
    }),
  );
  await client.send(
    new PutScalingPolicyCommand({
      PolicyName: plan.policyName,
      ServiceNamespace: NAMESPACE,
      ResourceId: plan.resourceId,
      ScalableDimension: DIMENSION,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: plan.targetInvocationsPerMinute,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        // Out quickly when load rises, in slowly so a dip does not drop capacity needed a minute later.
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
      },
    }),
  );
  return 'registered';
}
