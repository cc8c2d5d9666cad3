/**
 * The parameters of serverless.yml (`--param name=value`), validated by one zod schema before the
 * Serverless Framework runs: an unknown name (a typo) is refused with the closest known one, a bad
 * value with its rule, so nothing reaches CloudFormation that it would refuse later (or accept wrongly).
 * test/unit/lambda-params.test.ts checks that these names are exactly serverless.yml's.
 * @module
 */
import { z } from 'zod';
import { ConfigInvalidError } from '../src/core/errors.js';

/** CloudWatch Logs' allowed retention periods, in days. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

const decimal = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, { error: `must be a number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `must be at least ${min}` })
        .max(max, { error: `must be at most ${max}` }),
    );

/** Every parameter a user may pass, with its rule (defaults live in serverless.yml's params.default). */
export const LAMBDA_PARAMS = {
  modelUri: z.string().regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|\/.+|\.{1,2}\/.*)$/, {
    error: 'must be s3://bucket/prefix or a directory path',
  }),
  modelRefreshSeconds: whole(0, 86_400),
  userPreloadMb: whole(0, 10_240),
  logRetentionInDays: z
    .string()
    .refine((v) => (RETENTION_DAYS as readonly number[]).includes(Number(v)) && /^\d+$/.test(v), {
      error: `must be one of CloudWatch's retention periods: ${RETENTION_DAYS.join(', ')}`,
    }),
  throttleRateLimit: decimal(0.01, 10_000),
  throttleBurstLimit: whole(0, 5000),
  quotaPerDay: whole(1, 1_000_000_000),
  provisionedConcurrency: whole(0, 1000),
  reservedConcurrency: whole(0, 1000),
  canaryPercent: whole(0, 99),
  canaryMinutes: whole(1, 2880),
  alarmTopicArn: z.string().regex(/^(none|arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256})$/, {
    error: 'must be an SNS topic ARN (arn:aws:sns:region:account:name) or none',
  }),
  alarmErrorRatePercent: decimal(0.01, 100),
  alarmLatencyP99Ms: whole(1, 29_000),
  alarmModelAgeHours: whole(1, 8760),
} as const;

/** Parameter names the deploy script sets itself (from --s3), never given with --param. */
export const DERIVED_PARAMS = { modelBucket: '--s3', modelPrefix: '--s3' } as const;

export type LambdaParamName = keyof typeof LAMBDA_PARAMS;

/** Edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      const cost = a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

function unknownName(name: string): string {
  if (name in DERIVED_PARAMS) return `--param ${name} is set from --s3; give --s3 s3://bucket/prefix instead`;
  const names = Object.keys(LAMBDA_PARAMS);
  const closest = names.reduce((best, n) => (distance(name, n) < distance(name, best) ? n : best));
  const hint = distance(name, closest) <= 3 ? `did you mean ${closest}? ` : '';
  return `--param ${name} is not a parameter of serverless.yml (${hint}known: ${names.join(', ')})`;
}

/**
 * Validates `name=value` pairs against {@link LAMBDA_PARAMS}.
 * @returns the pairs as given (normalised `name=value`), each name once
 * @throws ConfigInvalidError naming every unknown name (with the closest known one) and every bad value
 * @example
 * validateParams(['modelRefreshSeconds=300', 'quotaPerDay=50000']);
 */
export function validateParams(pairs: readonly string[]): Partial<Record<LambdaParamName, string>> {
  const problems: string[] = [];
  const values: Partial<Record<LambdaParamName, string>> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      problems.push(`--param ${pair} must look like name=value`);
      continue;
    }
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    if (!(name in LAMBDA_PARAMS)) {
      problems.push(unknownName(name));
      continue;
    }
    const parsed = LAMBDA_PARAMS[name as LambdaParamName].safeParse(value);
    if (!parsed.success) problems.push(`--param ${name}=${value}: ${parsed.error.issues[0]?.message}`);
    else values[name as LambdaParamName] = value;
  }
  if (problems.length > 0) throw new ConfigInvalidError(problems.join('\n'));
  return values;
}
