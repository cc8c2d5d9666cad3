/**
 * The SageMaker deploy script's options: parsed from the command line with commander, then validated
 * with one zod schema so every rule (and its message) lives in one place.
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { ConfigInvalidError } from '../../src/core/errors.js';

/** SageMaker resource names are at most 63 characters; we append `-m-<10 hex>` to the endpoint name. */
export const MAX_ENDPOINT_NAME_LENGTH = 50;

const s3Uri = z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
  error: 'must look like s3://bucket/prefix',
});

const optionsSchema = z
  .object({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as us-east-1' }),
    roleArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: 'must be an IAM role ARN' })
      .optional(),
    s3: s3Uri.optional(),
    modelDataUrl: s3Uri.optional(),
    modelVersion: z.string().min(1).optional(),
    image: z.string().min(1).optional(),
    repository: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._/-]{1,255}$/, { error: 'must be a valid ECR repository name' }),
    tag: z
      .string()
      .regex(/^[\w][\w.-]{0,127}$/, { error: 'must be a valid image tag' })
      .optional(),
    rebuild: z.boolean(),
    engine: z.enum(['docker', 'podman']),
    dockerfile: z.string().min(1),
    context: z.string().min(1),
    instanceType: z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must look like ml.t2.medium' }),
    instanceCount: z.number().int().min(1).max(100),
    serverlessMemory: z
      .number()
      .int()
      .refine((mb) => [1024, 2048, 3072, 4096, 5120, 6144].includes(mb), {
        error: 'must be one of 1024, 2048, 3072, 4096, 5120, 6144',
      })
      .optional(),
    serverlessConcurrency: z.number().int().min(1).max(200).optional(),
    endpointName: z
      .string()
      .max(MAX_ENDPOINT_NAME_LENGTH)
      .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/, { error: 'must be letters, digits and single hyphens' }),
    timeoutMinutes: z.number().positive().max(180),
    pollSeconds: z.number().positive().max(300),
    smokeBody: z.string().refine(isJson, { error: 'must be JSON' }),
    smoke: z.boolean(),
    teardown: z.boolean(),
    writePolicies: z.string().min(1).optional(),
    dryRun: z.boolean(),
    minInstances: z.number().int().min(1).max(100).optional(),
    maxInstances: z.number().int().min(1).max(100).optional(),
    targetInvocations: z.number().int().min(1).max(10_000_000),
    canary: z.number().int().min(1).max(99).optional(),
    canaryWaitMinutes: z.number().int().min(1).max(60),
    alarmTopic: z
      .string()
      .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
        error: 'must be an SNS topic ARN',
      })
      .optional(),
    alarmErrorRatePercent: z.number().positive().max(100),
    alarmLatencyP99Ms: z.number().int().min(1).max(60_000),
    alarmModelAgeHours: z.number().int().min(1).max(8760),
    batchTransform: z
      .tuple([s3Uri, s3Uri], { error: 'takes two s3:// URIs: the input prefix and the output prefix' })
      .optional(),
    transformInstanceType: z
      .string()
      .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { error: 'must look like ml.m5.large' }),
    transformInstanceCount: z.number().int().min(1).max(100),
  })
  .strict()
  .superRefine((o, ctx) => {
    const min = o.minInstances ?? o.instanceCount;
    if (o.maxInstances !== undefined && o.maxInstances < min) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxInstances'],
        message: `must be at least --min-instances (${min})`,
      });
    }
    if (o.writePolicies !== undefined || o.teardown) return;
    if (o.roleArn === undefined) {
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: 'is required to deploy' });
    }
    if ((o.s3 === undefined) === (o.modelDataUrl === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['s3'], message: 'give exactly one of --s3 or --model-data-url' });
    }
    if ((o.serverlessMemory === undefined) !== (o.serverlessConcurrency === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['serverlessMemory'],
        message: '--serverless-memory and --serverless-concurrency go together',
      });
    }
  });

/** Validated options of one deploy, teardown or policy print. */
export type DeployOptions = z.infer<typeof optionsSchema>;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Thrown after `--help` printed the usage: the caller exits 0. */
export class HelpShownError extends Error {
  constructor() {
    super('help shown');
    this.name = 'HelpShownError';
  }
}

const number = (value: string): number => Number(value);

/** The options of what runs the endpoint in production: autoscaling, guardrails, alarms, Batch Transform. */
function operationsOptions(program: Command): Command {
  return program
    .option('--min-instances <n>', 'autoscaling: fewest instances (default: --instance-count)', number)
    .option(
      '--max-instances <n>',
      'autoscaling: most instances; above --min-instances turns autoscaling on',
      number,
    )
    .option(
      '--target-invocations <n>',
      'autoscaling: invocations per instance per minute to hold (target tracking)',
      number,
      30_000,
    )
    .option('--canary <percent>', 'an update first moves this share of capacity to the new fleet', number)
    .option('--canary-wait-minutes <m>', 'how long the canary serves before the rest moves', number, 10)
    .option('--alarm-topic <arn>', 'SNS topic the alarms notify')
    .option(
      '--alarm-error-rate-percent <x>',
      'alarm when more than this share of invocations fail (5xx)',
      number,
      1,
    )
    .option('--alarm-latency-p99-ms <ms>', 'alarm when the p99 model latency is above this', number, 1000)
    .option('--alarm-model-age-hours <h>', 'alarm when the served model is older than this', number, 48)
    .option('--batch-transform <uris...>', 'run a Batch Transform job: <s3 input prefix> <s3 output prefix>')
    .option('--transform-instance-type <type>', 'Batch Transform instance type', 'ml.m5.large')
    .option('--transform-instance-count <n>', 'Batch Transform instances', number, 1);
}

/**
 * Parses the command line (without `node script`) into validated options.
 * @throws ConfigInvalidError naming the option and the rule it broke
 * @example
 * const options = parseDeployArgs(['--region', 'us-east-1', '--role-arn', arn, '--s3', 's3://b/models']);
 */
export function parseDeployArgs(argv: readonly string[]): DeployOptions {
  const program = new Command('deploy:sagemaker')
    .description('Deploy the recommender container to a SageMaker real-time endpoint (create or update)')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .addOption(new Option('--region <region>', 'AWS region').env('AWS_REGION').default('us-east-1'))
    .option('--role-arn <arn>', 'SageMaker execution role (see --print-policies)')
    .option('--s3 <uri>', 'model artifact root (s3://bucket/prefix holding latest.json); becomes MODEL_URI')
    .option(
      '--model-data-url <uri>',
      'a model.tar.gz for SageMaker to unpack into /opt/ml/model, instead of --s3',
    )
    .option('--model-version <version>', 'pin a model version instead of following latest.json')
    .option('--image <uri>', 'use this image and skip the build and push')
    .option('--repository <name>', 'ECR repository to create and push to', 'video-recommender')
    .option(
      '--tag <tag>',
      'image tag (default: content-<hash of the Dockerfile and the files .dockerignore lets through>)',
    )
    .option('--rebuild', 'build and push even when ECR already has the tag', false)
    .option('--engine <engine>', 'docker or podman, to build and push', 'docker')
    .option('--dockerfile <path>', 'Dockerfile to build', 'container/Dockerfile')
    .option('--context <dir>', 'build context', '.')
    .option('--instance-type <type>', 'instance type of a real-time endpoint', 'ml.t2.medium')
    .option('--instance-count <n>', 'instances behind the endpoint', number, 1)
    .option('--serverless-memory <mb>', 'serverless endpoint memory (1024..6144 step 1024)', number)
    .option('--serverless-concurrency <n>', 'serverless endpoint max concurrency', number)
    .option(
      '--endpoint-name <name>',
      'endpoint name; models and configs are prefixed with it',
      'video-recommender',
    )
    .option('--timeout-minutes <m>', 'give up waiting for InService after this long', number, 30)
    .option('--poll-seconds <s>', 'seconds between status checks', number, 15)
    .option(
      '--smoke-body <json>',
      'body of the one smoke-test invocation',
      '{"user_id":"u001","k":3,"fallback":"popular"}',
    )
    .option('--no-smoke', 'skip the smoke-test invocation')
    .option('--dry-run', 'print what would be created or changed; no AWS calls, no build', false)
    .option(
      '--teardown',
      'delete the endpoint, its configs, models, alarms and scaling created by this script',
      false,
    )
    .option(
      '--write-policies <dir>',
      'write the IAM policies (execution role, deployer, Batch Transform) as files for aws iam create-policy',
    );
  try {
    operationsOptions(program).parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && error.code === 'commander.helpDisplayed')
      throw new HelpShownError();
    throw new ConfigInvalidError(error instanceof Error ? error.message : String(error));
  }
  const parsed = optionsSchema.safeParse(program.opts());
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `--${kebab(String(i.path[0] ?? 'options'))} ${i.message}`);
    throw new ConfigInvalidError(`Invalid option ${details.join('; ')}`);
  }
  return parsed.data;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
