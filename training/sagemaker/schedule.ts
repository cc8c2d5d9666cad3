/**
 * Retraining on a schedule: an EventBridge Scheduler schedule whose target is SageMaker's
 * CreateTrainingJob (a universal target), with the request `--on sagemaker` would send. Each run gets
 * its own job name from the scheduler's execution id, and publishes its model to `--s3` itself (the
 * `s3` hyperparameter; pointer last), since no submitter waits for a scheduled job.
 * `--schedule` creates or updates the schedule, `--delete-schedule` removes it.
 * @module
 */

import type { CreateTrainingJobCommandInput } from '@aws-sdk/client-sagemaker';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { type JobInputs, trainingJobRequest } from './request.js';
import { JOB_PREFIX, type SageMakerOptions } from './submit-options.js';

/** EventBridge Scheduler's universal target for SageMaker CreateTrainingJob. */
export const CREATE_TRAINING_JOB_TARGET = 'arn:aws:scheduler:::aws-sdk:sagemaker:createTrainingJob';
/** Replaced by EventBridge Scheduler with a unique id per invocation (16 letters and digits). */
export const EXECUTION_ID = '<aws.scheduler.execution-id>';

/**
 * The CreateTrainingJob request a scheduled run sends: named `<prefix>-<execution id>`, publishing
 * its model to `s3` itself, checkpoints (spot) under the run's own prefix.
 * @throws ConfigInvalidError without `--s3` (a scheduled job must publish somewhere) or with `--out`
 */
export function scheduledJobRequest(
  options: SageMakerOptions,
  inputs: Omit<JobInputs, 'name'> & { out: string | undefined },
): CreateTrainingJobCommandInput {
  if (!inputs.s3)
    throw new ConfigInvalidError('--schedule needs --s3: a scheduled job publishes its model there');
  if (inputs.out !== undefined) {
    throw new ConfigInvalidError(
      '--schedule publishes to --s3 only: a scheduled job cannot write to a local --out',
    );
  }
  const prefix = options.jobName ?? JOB_PREFIX;
  if (prefix.length > 63 - 17)
    throw new ConfigInvalidError(
      `--job-name ${prefix} is too long to be a schedule's prefix (at most 46 characters)`,
    );
  const name = `${prefix}-${EXECUTION_ID}`;
  // Spot checkpoints default to <output>/<job name>/checkpoints: one prefix per run.
  return trainingJobRequest(options, {
    ...inputs,
    name,
    hyperparameters: { ...inputs.hyperparameters, s3: inputs.s3 },
  });
}

/** What a schedule is made of. */
export interface ScheduleSpec {
  name: string;
  expression: string;
  timezone: string | undefined;
  roleArn: string;
  request: CreateTrainingJobCommandInput;
}

function scheduleInput(spec: ScheduleSpec): UpdateScheduleCommandInput {
  return {
    Name: spec.name,
    Description: 'Retrains the video recommender (npm run train -- --on sagemaker --schedule)',
    ScheduleExpression: spec.expression,
    ...(spec.timezone ? { ScheduleExpressionTimezone: spec.timezone } : {}),
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      Arn: CREATE_TRAINING_JOB_TARGET,
      RoleArn: spec.roleArn,
      Input: JSON.stringify(spec.request),
      // A failed start is not retried into a second job of the same run.
      RetryPolicy: { MaximumRetryAttempts: 0 },
    },
  };
}

/**
 * Creates the schedule, or updates it to `spec` when it exists (idempotent).
 * @returns whether it was created or updated
 */
export async function putSchedule(
  client: SchedulerClient,
  spec: ScheduleSpec,
): Promise<'created' | 'updated'> {
  const input = scheduleInput(spec);
  try {
    await client.send(new GetScheduleCommand({ Name: spec.name }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateScheduleCommand(input));
      return 'created';
    } catch (raced) {
      if (!(raced instanceof ConflictException)) throw raced;
    }
  }
  await client.send(new UpdateScheduleCommand(input));
  return 'updated';
}

/** Deletes the schedule; `absent` when there was none. */
export async function deleteSchedule(client: SchedulerClient, name: string): Promise<'deleted' | 'absent'> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: name }));
    return 'deleted';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return 'absent';
    throw error;
  }
}
