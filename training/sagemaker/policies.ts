/**
 * The least-privilege IAM policies of training on SageMaker (deploy/policies/), filled with the values
 * of a `--on sagemaker` command line: `npm run train -- --on sagemaker --print-policies ...`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { jobLocations } from './request.js';
import { JOB_PREFIX, type SageMakerOptions } from './submit-options.js';

/** Policy files in print order, with what each is for. */
export const TRAINING_POLICY_FILES = [
  { file: 'training-submitter.json', title: 'Whoever runs npm run train -- --on sagemaker' },
  { file: 'execution-role-trust.json', title: 'Training job role (--role-arn): trust policy' },
  {
    file: 'training-role.json',
    title:
      'Training job role (--role-arn): permissions (input channels, output, checkpoints, ECR pull, logs)',
  },
  {
    file: 'training-role-publish.json',
    title: 'Training job role, scheduled jobs only: publish the model to --s3',
  },
  { file: 'training-schedule-admin.json', title: 'Whoever runs --schedule / --delete-schedule' },
  { file: 'scheduler-role-trust.json', title: 'Scheduler role (--scheduler-role-arn): trust policy' },
  { file: 'scheduler-role.json', title: 'Scheduler role (--scheduler-role-arn): start training jobs' },
] as const;

/** `${Name}` placeholder values; missing ones stay placeholders. */
export type TrainingPolicyValues = Partial<Record<string, string>>;

function bucketAndPrefix(uri: string | undefined): { bucket: string; prefix: string } | undefined {
  const match = uri === undefined ? null : /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return match ? { bucket: match[1] as string, prefix: match[2] as string } : undefined;
}

/** The placeholder values a command line gives. */
export function trainingPolicyValues(
  options: SageMakerOptions,
  inputs: { interactions: string | undefined; videos: string | undefined; s3: string | undefined },
): TrainingPolicyValues {
  const values: TrainingPolicyValues = {
    Region: options.region,
    Repository: options.repository,
    JobPrefix: options.jobName ?? JOB_PREFIX,
    ScheduleName: options.scheduleName,
    RoleArn: options.roleArn,
    SchedulerRoleArn: options.schedulerRoleArn,
    Account: /^arn:aws[a-z-]*:iam::(\d{12}):/.exec(options.roleArn ?? options.schedulerRoleArn ?? '')?.[1],
  };
  const set = (name: string, uri: string | undefined): void => {
    const parts = bucketAndPrefix(uri);
    if (!parts) return;
    values[`${name}Bucket`] = parts.bucket;
    values[`${name}Prefix`] = parts.prefix;
  };
  const model = bucketAndPrefix(inputs.s3);
  if (model) Object.assign(values, { Bucket: model.bucket, Prefix: model.prefix });
  set('Input', inputs.interactions);
  set('Videos', inputs.videos ?? inputs.interactions);
  if (options.outputS3 !== undefined || inputs.s3 !== undefined) {
    const { output } = jobLocations({ ...options, spot: false }, { s3: inputs.s3, name: '' });
    set('Output', output);
    // Spot checkpoints default to <output>/<job>/checkpoints.
    set('Checkpoint', options.checkpointS3 ?? output);
  }
  return values;
}

/**
 * Reads the training policy documents and fills their placeholders.
 * @returns title, file and rendered JSON of each, checked to parse
 */
export async function renderTrainingPolicies(
  values: TrainingPolicyValues,
  directory: URL = new URL('../../deploy/policies/', import.meta.url),
): Promise<{ title: string; file: string; json: string }[]> {
  const out: { title: string; file: string; json: string }[] = [];
  for (const { file, title } of TRAINING_POLICY_FILES) {
    const template = await readFile(new URL(file, directory), 'utf8');
    const json = template.replace(/\$\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
    JSON.parse(json);
    out.push({ title, file, json });
  }
  return out;
}
