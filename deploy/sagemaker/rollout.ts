/**
 * Safe rollouts with SageMaker deployment guardrails: an update provisions a new fleet (blue/green),
 * moves --canary percent of the capacity to it first, waits --canary-wait-minutes, then moves the rest
 * and keeps the old fleet for a baking period; any of the endpoint's alarms firing meanwhile rolls the
 * update back. Without --canary all traffic moves at once, with the same alarms and rollback.
 * @module
 */
import type { DeploymentConfig } from '@aws-sdk/client-sagemaker';
import type { DeployOptions } from './options.js';

/** How long the old fleet stays after all traffic moved, so an alarm can still roll back to it. */
export const BAKE_SECONDS = 600;

/** The DeploymentConfig of an endpoint update. */
export function deploymentConfig(
  options: Pick<DeployOptions, 'canary' | 'canaryWaitMinutes'>,
  alarmNames: readonly string[],
): DeploymentConfig {
  const routing =
    options.canary === undefined
      ? { Type: 'ALL_AT_ONCE' as const, WaitIntervalInSeconds: 0 }
      : {
          Type: 'CANARY' as const,
          CanarySize: { Type: 'CAPACITY_PERCENT' as const, Value: options.canary },
          WaitIntervalInSeconds: options.canaryWaitMinutes * 60,
        };
  return {
    BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: routing, TerminationWaitInSeconds: BAKE_SECONDS },
    AutoRollbackConfiguration: { Alarms: alarmNames.map((AlarmName) => ({ AlarmName })) },
  };
}
