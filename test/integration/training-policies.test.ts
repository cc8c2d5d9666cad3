import { CreatePolicyCommand, CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../training/cli-options.js';
import {
  renderTrainingPolicies,
  TRAINING_POLICY_FILES,
  trainingPolicyValues,
} from '../../training/sagemaker/policies.js';
import { addSageMakerOptions, parseSageMakerOptions } from '../../training/sagemaker/submit-options.js';
import { type Moto, startMoto } from '../helpers/moto.js';

const ARGS = [
  '--on',
  'sagemaker',
  '--region',
  'eu-west-1',
  '--role-arn',
  'arn:aws:iam::123456789012:role/vr-training',
  '--scheduler-role-arn',
  'arn:aws:iam::123456789012:role/vr-scheduler',
  '--interactions',
  's3://vr-data/events/',
  '--videos',
  's3://vr-meta/videos/',
  '--s3',
  's3://vr-models/recommender',
  '--spot',
];

type Statement = { Sid: string; Action: string[] | string; Resource: string[] | string; Condition?: unknown };

async function rendered(args: string[]): Promise<Map<string, { Statement: Statement[] }>> {
  const program = addSageMakerOptions(buildProgram(), {}).exitOverride();
  program.parse(args, { from: 'user' });
  const values = program.opts();
  const policies = await renderTrainingPolicies(
    trainingPolicyValues(parseSageMakerOptions(values), {
      interactions: values.interactions as string,
      videos: values.videos as string,
      s3: values.s3 as string,
    }),
  );
  return new Map(policies.map((p) => [p.file, JSON.parse(p.json)]));
}

const statement = (policy: { Statement: Statement[] } | undefined, sid: string): Statement | undefined =>
  policy?.Statement.find((s) => s.Sid === sid);

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('Function: renderTrainingPolicies', () => {
  it('fills every placeholder from the command line and scopes each grant to its bucket and prefix', async () => {
    // Act
    const policies = await rendered(ARGS);

    // Assess
    expect([...policies.keys()]).toEqual(TRAINING_POLICY_FILES.map((p) => p.file));
    expect(JSON.stringify([...policies.values()])).not.toContain('${');
    const submitter = policies.get('training-submitter.json');
    const role = policies.get('training-role.json');
    expect(statement(submitter, 'SubmitFollowAndStopTrainingJobs')?.Resource).toBe(
      'arn:aws:sagemaker:eu-west-1:123456789012:training-job/video-recommender*',
    );
    expect(statement(submitter, 'DownloadTheJobModel')?.Resource).toBe(
      'arn:aws:s3:::vr-models/recommender/training-jobs*',
    );
    expect(statement(submitter, 'PublishToTheModelPrefix')?.Resource).toBe(
      'arn:aws:s3:::vr-models/recommender*',
    );
    expect(statement(role, 'ReadTheInputChannels')?.Resource).toEqual([
      'arn:aws:s3:::vr-data/events/*',
      'arn:aws:s3:::vr-meta/videos/*',
    ]);
    expect(statement(role, 'ListTheInputChannels')).toEqual({
      Sid: 'ListTheInputChannels',
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: ['arn:aws:s3:::vr-data', 'arn:aws:s3:::vr-meta'],
      Condition: { StringLike: { 's3:prefix': ['events/*', 'videos/*'] } },
    });
    expect(statement(role, 'SyncCheckpoints')?.Resource).toBe(
      'arn:aws:s3:::vr-models/recommender/training-jobs*',
    );
    expect(statement(policies.get('scheduler-role.json'), 'HandTheJobRoleToSageMaker')?.Resource).toBe(
      'arn:aws:iam::123456789012:role/vr-training',
    );
    expect(
      statement(policies.get('training-schedule-admin.json'), 'ManageTheRetrainingSchedule')?.Resource,
    ).toBe('arn:aws:scheduler:eu-west-1:123456789012:schedule/default/video-recommender-retrain');
  });

  it('grants "*" resources only for the ECR token and the namespace-bound metrics put', async () => {
    const policies = await rendered(ARGS);

    const wildcard = [...policies.entries()].flatMap(([file, policy]) =>
      (policy.Statement ?? []).filter((s) => s.Resource === '*').map((s) => `${file}:${s.Sid}`),
    );
    expect(wildcard).toEqual(['training-role.json:EcrToken', 'training-role.json:JobMetrics']);
  });

  it('renders policies IAM accepts (the emulator validates each document)', async () => {
    // Prepare
    const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint });
    const policies = await rendered(ARGS);

    // Act
    const created: string[] = [];
    for (const [file, document] of policies) {
      const name = file.replace(/\.json$/, '');
      const text = JSON.stringify(document);
      if (file.endsWith('-trust.json')) {
        await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: text }));
      } else {
        await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: text }));
      }
      created.push(name);
    }

    // Assess: and a broken document is refused, so the check is real
    expect(created).toHaveLength(TRAINING_POLICY_FILES.length);
    await expect(
      iam.send(
        new CreatePolicyCommand({
          PolicyName: 'broken',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Resource: '*' }],
          }),
        }),
      ),
    ).rejects.toThrow('Policy statement must contain actions.');
  });
});
