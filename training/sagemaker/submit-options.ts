/**
 * The options of `npm run train -- --on sagemaker ...`: where and how the training job runs, and the
 * retraining schedule. Declared on the training program (commander) next to the training options,
 * validated with one zod schema. The training options themselves become the job's hyperparameters.
 * @module
 */
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { ConfigInvalidError } from '../../src/core/errors.js';

/** The default ECR repository, as `npm run deploy:sagemaker` creates it. */
export const DEFAULT_REPOSITORY = 'video-recommender';
/** The default name of the retraining schedule. */
export const DEFAULT_SCHEDULE_NAME = 'video-recommender-retrain';
/** Training job names start with this unless `--job-name` says otherwise. */
export const JOB_PREFIX = 'video-recommender';

const s3Uri = (option: string) =>
  z.string().regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, {
    error: `--${option} must look like s3://bucket/prefix`,
  });
const roleArn = (option: string) =>
  z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, { error: `--${option} must be an IAM role ARN` });
const seconds = (option: string, max: number) =>
  z.coerce
    .number({ error: `--${option} must be a number of seconds` })
    .int({ error: `--${option} must be a whole number of seconds` })
    .min(1, { error: `--${option} must be at least 1` })
    .max(max, { error: `--${option} must be at most ${max}` });

const schema = z.object({
  on: z.enum(['local', 'sagemaker'], { error: '--on must be local or sagemaker' }),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: '--region must be an AWS region such as us-east-1' }),
  roleArn: roleArn('role-arn').optional(),
  instanceType: z
    .string()
    .regex(/^ml\.[a-z0-9-]+\.[a-z0-9]+$/, { error: '--instance-type must look like ml.m7i.4xlarge' }),
  volumeSize: z.coerce
    .number({ error: '--volume-size must be a number of GB' })
    .int()
    .min(1, { error: '--volume-size must be at least 1 GB' })
    .max(16384, { error: '--volume-size must be at most 16384 GB' }),
  spot: z.boolean(),
  // SageMaker's limits: 28 days of training, spot waiting included.
  maxRuntime: seconds('max-runtime', 2_419_200),
  maxWait: seconds('max-wait', 2_419_200).optional(),
  image: z.string().min(1).optional(),
  repository: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/-]{1,255}$/, { error: '--repository must be an ECR repository name' }),
  jobName: z
    .string()
    .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, {
      error: '--job-name must be 1-63 letters, digits and hyphens',
    })
    .optional(),
  outputS3: s3Uri('output-s3').optional(),
  checkpointS3: s3Uri('checkpoint-s3').optional(),
  pollSeconds: z.coerce.number({ error: '--poll-seconds must be a number' }).positive().max(600),
  schedule: z
    .string()
    .regex(/^(rate|cron|at)\(.+\)$/, { error: '--schedule must be rate(...), cron(...) or at(...)' })
    .optional(),
  scheduleName: z
    .string()
    .regex(/^[0-9a-zA-Z-_.]{1,64}$/, { error: '--schedule-name must be 1-64 of [0-9a-zA-Z-_.]' }),
  scheduleTimezone: z.string().min(1).optional(),
  schedulerRoleArn: roleArn('scheduler-role-arn').optional(),
  deleteSchedule: z.boolean(),
  printPolicies: z.boolean(),
});

/** Validated `--on sagemaker` options. */
export type SageMakerOptions = z.infer<typeof schema>;

/**
 * Declares the `--on sagemaker` options on the training program.
 * @param env - where the default region comes from (AWS_REGION)
 */
export function addSageMakerOptions(
  program: Command,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Command {
  return program
    .addOption(
      new Option('--on <where>', 'train here, or as a SageMaker training job')
        .choices(['local', 'sagemaker'])
        .default('local'),
    )
    .option('--region <region>', 'sagemaker: AWS region', env.AWS_REGION ?? 'us-east-1')
    .option('--role-arn <arn>', 'sagemaker: the training job execution role (see --print-policies)')
    .option('--instance-type <type>', 'sagemaker: training instance type', 'ml.m7i.4xlarge')
    .addOption(new Option('--volume-size <gb>', 'sagemaker: storage volume for the input data').default(50))
    .option(
      '--spot',
      'sagemaker: managed spot training (resumes from checkpoints after an interruption)',
      false,
    )
    .addOption(
      new Option('--max-runtime <seconds>', 'sagemaker: stop the job after this much training time').default(
        86400,
      ),
    )
    .option(
      '--max-wait <seconds>',
      'sagemaker, --spot: stop after this much time, spot waits included (default 2x --max-runtime)',
    )
    .option(
      '--image <uri>',
      `sagemaker: training image, repo@sha256:... or repo:tag (default: the newest in --repository)`,
    )
    .option('--repository <name>', 'sagemaker: ECR repository of the image', DEFAULT_REPOSITORY)
    .option('--job-name <name>', `sagemaker: training job name (default ${JOB_PREFIX}-<UTC time>)`)
    .option(
      '--output-s3 <uri>',
      'sagemaker: where the job writes model.tar.gz (default <--s3>/training-jobs)',
    )
    .option(
      '--checkpoint-s3 <uri>',
      'sagemaker: checkpoint location (default with --spot: <--output-s3>/<job>/checkpoints)',
    )
    .addOption(new Option('--poll-seconds <s>', 'sagemaker: seconds between status checks').default(30))
    .option(
      '--schedule <expression>',
      'sagemaker: instead of one job now, retrain on this EventBridge schedule, e.g. "cron(0 3 * * ? *)"',
    )
    .option('--schedule-name <name>', 'sagemaker: name of the schedule', DEFAULT_SCHEDULE_NAME)
    .option(
      '--schedule-timezone <zone>',
      'sagemaker: time zone of a cron schedule, e.g. Europe/Berlin (default UTC)',
    )
    .option(
      '--scheduler-role-arn <arn>',
      'sagemaker: the role EventBridge Scheduler starts jobs with (see --print-policies)',
    )
    .option('--delete-schedule', 'sagemaker: delete the schedule named by --schedule-name', false)
    .option(
      '--print-policies',
      'sagemaker: print the IAM policies submitting, the job and the schedule need',
      false,
    );
}

/**
 * Validates the `--on sagemaker` options.
 * @throws ConfigInvalidError naming the option and the rule it broke
 */
export function parseSageMakerOptions(values: Record<string, unknown>): SageMakerOptions {
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigInvalidError(issue?.message ?? 'invalid --on sagemaker options');
  }
  const o = parsed.data;
  if (o.maxWait !== undefined && !o.spot)
    throw new ConfigInvalidError('--max-wait applies to --spot jobs only');
  if (o.spot && o.maxWait !== undefined && o.maxWait < o.maxRuntime) {
    throw new ConfigInvalidError(
      `--max-wait (${o.maxWait} s) must be at least --max-runtime (${o.maxRuntime} s)`,
    );
  }
  return o;
}
