import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseArgs, parseInfo, publishedVersion, runLambdaDeploy, targetOf } from '../../deploy/lambda.js';
import { publishModel } from '../../src/store/index.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';
import { type Moto, startMoto } from '../helpers/moto.js';
import { motoClient } from '../helpers/s3-spy.js';

let moto: Moto;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  // The deploy script builds its own client from the environment, as it would against AWS.
  vi.stubEnv('AWS_S3_FORCE_PATH_STYLE', 'true');
  s3 = motoClient();
  await s3.send(new CreateBucketCommand({ Bucket: 'deploy-models' }));
  await publishModel('s3://deploy-models/published', fixtureArtifact(), {}, { s3 });
  // The same version with one byte of items.bin flipped, as a damaged upload would leave it.
  await publishModel('s3://deploy-models/corrupt', fixtureArtifact(), {}, { s3 });
  const key = `corrupt/models/${FIXTURE_VERSION}/items.bin`;
  const items = await (
    await s3.send(new GetObjectCommand({ Bucket: 'deploy-models', Key: key }))
  ).Body!.transformToByteArray();
  items[0]! ^= 0xff;
  await s3.send(new PutObjectCommand({ Bucket: 'deploy-models', Key: key, Body: items }));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  s3.destroy();
  await moto.stop();
});

describe('Function: publishedVersion (S3 emulator)', () => {
  it('reads and verifies the version latest.json points at, and undefined where nothing is published', async () => {
    // Act
    const found = await publishedVersion('s3://deploy-models/published');
    const missing = await publishedVersion('s3://deploy-models/nothing-here');
    // Assess
    expect({ found, missing }).toEqual({ found: FIXTURE_VERSION, missing: undefined });
  });
});

describe('Function: runLambdaDeploy', () => {
  it('stops before serverless deploy when the published version would be refused, saying why', async () => {
    // Prepare
    const lines: string[] = [];
    const options = parseArgs(['--stage', 'dev', '--s3', 's3://deploy-models/corrupt']);
    // Act
    const code = await runLambdaDeploy(options, (line) => lines.push(line));
    // Assess
    expect({ code, lines }).toEqual({
      code: 1,
      lines: [
        expect.stringMatching(
          new RegExp(
            `^the model at s3://deploy-models/corrupt would be refused by the functions: Model version ${FIXTURE_VERSION} at s3://deploy-models/corrupt is invalid: items\\.bin sha256 mismatch: .*; publish a good one first$`,
          ),
        ),
      ],
    });
  });

  it('stops before serverless deploy when no model is published, saying how to publish one', async () => {
    // Prepare
    const lines: string[] = [];
    const options = parseArgs(['--stage', 'dev', '--s3', 's3://deploy-models/nothing-here']);
    // Act
    const code = await runLambdaDeploy(options, (line) => lines.push(line));
    // Assess
    expect({ code, lines }).toEqual({
      code: 1,
      lines: [
        'no model at s3://deploy-models/nothing-here/latest.json: publish one with `npm run train -- --s3 s3://deploy-models/nothing-here` or pass --train',
      ],
    });
  });

  it('refuses to deploy without --s3 (exit 2)', async () => {
    // Prepare
    const lines: string[] = [];
    // Act
    const code = await runLambdaDeploy(parseArgs(['--stage', 'dev']), (line) => lines.push(line));
    // Assess
    expect({ code, lines }).toEqual({
      code: 2,
      lines: ['--s3 s3://bucket/prefix is required to deploy (the model root the functions read)'],
    });
  });
});

describe('Function: parseArgs / targetOf', () => {
  it('defaults the stage and takes region, model root and modes from the command line', () => {
    // Act
    const options = parseArgs([
      '--region',
      'eu-west-1',
      '--s3',
      's3://b-1/a/b/',
      '--train',
      '--param',
      'quotaPerDay=10',
    ]);
    // Assess
    expect({ options, target: targetOf(options) }).toEqual({
      options: {
        stage: 'dev',
        region: 'eu-west-1',
        s3: 's3://b-1/a/b/',
        train: true,
        dryRun: false,
        remove: false,
        params: ['quotaPerDay=10'],
      },
      target: { stage: 'dev', region: 'eu-west-1', bucket: 'b-1', prefix: 'a/b', params: ['quotaPerDay=10'] },
    });
  });

  it('refuses a model root without a prefix, since IAM is scoped to the prefix', () => {
    // Act + Assess
    expect(() => targetOf(parseArgs(['--s3', 's3://bucket-only']))).toThrow(
      '--s3 must be s3://bucket/prefix with a non-empty prefix (got s3://bucket-only)',
    );
  });
});

describe('Function: parseInfo', () => {
  it('reads the endpoint and the API key value from `serverless info --verbose`', () => {
    // Prepare: the layout serverless 3.40 prints
    const text = [
      'service: video-recommender',
      'stage: dev',
      'api keys:',
      '  video-recommender-dev: AbCdEf0123456789abcdef0123456789 - Key for the recommendation routes',
      'endpoints:',
      '  GET - https://a1b2c3.execute-api.us-east-1.amazonaws.com/dev/ping',
      '',
      'Stack Outputs:',
      '  ApiKeyId: k9z8y7',
      '  ServiceEndpoint: https://a1b2c3.execute-api.us-east-1.amazonaws.com/dev',
    ].join('\n');
    // Act + Assess
    expect(parseInfo(text, 'video-recommender-dev')).toEqual({
      endpoint: 'https://a1b2c3.execute-api.us-east-1.amazonaws.com/dev',
      apiKey: 'AbCdEf0123456789abcdef0123456789',
    });
  });
});
