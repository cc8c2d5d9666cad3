import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DERIVED_PARAMS, LAMBDA_PARAMS, validateParams } from '../../deploy/lambda-params.js';
import { ConfigInvalidError } from '../../src/core/errors.js';

const service = parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8')) as {
  params: { default: Record<string, unknown> };
  custom: { operations: Record<string, unknown> };
};

describe('Function: validateParams', () => {
  it('knows exactly the parameters serverless.yml declares, and accepts every default it declares', () => {
    // Assess: the schema and serverless.yml cannot drift apart
    expect(Object.keys(LAMBDA_PARAMS).sort()).toEqual(Object.keys(service.params.default).sort());
    const defaults = Object.entries(service.params.default)
      .filter(([name]) => name !== 'modelUri')
      .map(([name, value]) => `${name}=${String(value)}`);
    expect(() => validateParams(defaults)).not.toThrow();
    expect(Object.keys(DERIVED_PARAMS)).toEqual(['modelBucket', 'modelPrefix']);
  });

  it('returns valid values by name', () => {
    expect(
      validateParams([
        'modelRefreshSeconds=300',
        'quotaPerDay = 50000',
        'modelUri=s3://models/x',
        'provisionedConcurrency=2',
        'alarmTopicArn=arn:aws:sns:us-east-1:123456789012:ops',
        'throttleRateLimit=12.5',
        'logRetentionInDays=30',
      ]),
    ).toEqual({
      modelRefreshSeconds: '300',
      quotaPerDay: '50000',
      modelUri: 's3://models/x',
      provisionedConcurrency: '2',
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops',
      throttleRateLimit: '12.5',
      logRetentionInDays: '30',
    });
  });

  it('refuses a typo with the closest name, an unknown name, a bad value, a derived name and a bare word, all at once', () => {
    // Act
    let error: unknown;
    try {
      validateParams([
        'quotaPerDya=5',
        'foo=1',
        'quotaPerDay=abc',
        'modelBucket=x',
        'canary',
        'logRetentionInDays=10',
      ]);
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(ConfigInvalidError);
    const known = Object.keys(LAMBDA_PARAMS).join(', ');
    expect((error as Error).message.split('\n')).toEqual([
      `--param quotaPerDya is not a parameter of serverless.yml (did you mean quotaPerDay? known: ${known})`,
      `--param foo is not a parameter of serverless.yml (known: ${known})`,
      '--param quotaPerDay=abc: must be a whole number from 1 to 1000000000',
      '--param modelBucket is set from --s3; give --s3 s3://bucket/prefix instead',
      '--param canary must look like name=value',
      expect.stringMatching(
        /^--param logRetentionInDays=10: must be one of CloudWatch's retention periods: 1, 3, 5/,
      ),
    ]);
  });

  it('bounds the operational values', () => {
    expect(() => validateParams(['canaryPercent=100'])).toThrow(
      '--param canaryPercent=100: must be at most 99',
    );
    expect(() => validateParams(['alarmTopicArn=my-topic'])).toThrow('must be an SNS topic ARN');
    expect(() => validateParams(['modelUri=ftp://x'])).toThrow(
      'must be s3://bucket/prefix or a directory path',
    );
  });
});

describe('serverless.yml custom.operations', () => {
  it('passes every operational parameter to the plugin', () => {
    const operational = Object.keys(LAMBDA_PARAMS).filter((name) =>
      /^(provisioned|reserved|canary|alarm)/.test(name),
    );
    for (const name of operational) expect(service.custom.operations[name]).toBe(`\${param:${name}}`);
  });
});
