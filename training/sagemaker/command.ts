/**
 * What `npm run train -- --on sagemaker ...` does with its command line: print the IAM policies,
 * delete or put the retraining schedule, or submit one training job, follow it and publish its model.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Command } from 'commander';
import { ConfigInvalidError } from '../../src/core/errors.js';
import { createS3Client } from '../../src/store/index.js';
import { parseCliOptions } from '../cli-options.js';
import { toHyperparameters } from './hyperparameters.js';
import { resolveImage } from './image.js';
import { renderTrainingPolicies, trainingPolicyValues } from './policies.js';
import { deleteSchedule, putSchedule, scheduledJobRequest } from './schedule.js';
import { type SubmitClients, type SubmitDeps, submitTrainingJob } from './submit.js';
import { parseSageMakerOptions } from './submit-options.js';

/** A submission's dependencies plus the scheduler client. */
export interface CommandDeps extends SubmitDeps {
  clients: SubmitClients & { scheduler: SchedulerClient };
}

/** Hyperparameters a submitted job must not get: the submitter publishes, SageMaker places checkpoints. */
const SUBMITTER_ONLY = ['s3', 'checkpoint-dir'];

/**
 * Runs the `--on sagemaker` command line parsed into `program`.
 * @returns the exit code: 0 when the model is published (or the job left running on request), 1 when the job failed or stopped
 * @throws ConfigInvalidError for bad options (nothing submitted)
 */
export async function runSageMakerCommand(program: Command, deps: CommandDeps): Promise<number> {
  const values = program.opts();
  const sagemaker = parseSageMakerOptions(values);
  const { training } = parseCliOptions(values);
  const interactions = typeof values.interactions === 'string' ? values.interactions : undefined;
  const videos = typeof values.videos === 'string' ? values.videos : undefined;
  if (sagemaker.printPolicies) {
    const policyValues = trainingPolicyValues(sagemaker, { interactions, videos, s3: training.s3 });
    for (const policy of await renderTrainingPolicies(policyValues)) {
      deps.log(`# ${policy.title} (deploy/policies/${policy.file})\n${policy.json}`);
    }
    return 0;
  }
  if (sagemaker.deleteSchedule) {
    const result = await deleteSchedule(deps.clients.scheduler, sagemaker.scheduleName);
    deps.log(`schedule ${sagemaker.scheduleName}: ${result}`);
    return 0;
  }
  const hyperparameters = toHyperparameters(program);
  for (const name of SUBMITTER_ONLY) delete hyperparameters[name];
  if (sagemaker.schedule !== undefined) {
    if (!sagemaker.schedulerRoleArn) throw new ConfigInvalidError('--schedule needs --scheduler-role-arn');
    if (interactions === undefined)
      throw new ConfigInvalidError('--schedule needs --interactions s3://bucket/prefix/');
    const inputs = {
      interactions,
      videos,
      s3: training.s3,
      out: typeof values.out === 'string' ? values.out : undefined,
      hyperparameters,
    };
    // Checked before ECR is asked, so bad options fail without touching AWS.
    scheduledJobRequest(sagemaker, { ...inputs, image: 'unresolved' });
    const image = await resolveImage(deps.clients.ecr, sagemaker.image, sagemaker.repository);
    const request = scheduledJobRequest(sagemaker, { ...inputs, image });
    const spec = {
      name: sagemaker.scheduleName,
      expression: sagemaker.schedule,
      timezone: sagemaker.scheduleTimezone,
      roleArn: sagemaker.schedulerRoleArn,
      request,
    };
    const result = await putSchedule(deps.clients.scheduler, spec);
    deps.log(
      `schedule ${spec.name} ${result}: ${spec.expression} starts a training job with image ${image}, publishing to ${training.s3}`,
    );
    return 0;
  }
  const result = await submitTrainingJob(
    { training, interactions, videos, hyperparameters, sagemaker },
    deps,
  );
  return result.status === 'Completed' || result.status === 'LeftRunning' ? 0 : 1;
}

/** Asks on the terminal; undefined without one (then Ctrl+C stops the job). */
function terminalConfirm(): ((question: string) => Promise<boolean>) | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  };
}

/** The real clients and process hooks for a region. */
export function defaultCommandDeps(region: string, forcePathStyle: boolean): CommandDeps {
  return {
    clients: {
      sagemaker: new SageMakerClient({ region }),
      ecr: new ECRClient({ region }),
      scheduler: new SchedulerClient({ region }),
      s3: createS3Client({ forcePathStyle }),
      forcePathStyle,
    },
    log: (line) => process.stdout.write(`${line}\n`),
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    onInterrupt: (handler) => {
      process.on('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
    confirm: terminalConfirm(),
    now: () => new Date(),
  };
}
