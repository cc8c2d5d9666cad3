import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleInfo, bundlesIn, extractZip, KiB, ROOT } from '../../deploy/lambda-package.js';
import { publishModel } from '../../src/store/index.js';
import { loadEvent, ROUTES } from '../events/api-gateway.js';
import { FIXTURE_VERSION, fixtureArtifact } from '../helpers/fixture-model.js';

/**
 * Largest minified bundle (.mjs) a function may ship; today ~882 KiB (zod locales stubbed out): 744 KiB
 * before Powertools Metrics and Tracer, whose aws-xray-sdk-core brings ~100 KiB (with semver).
 */
const MAX_BUNDLE_BYTES = 960 * KiB;
/** Largest zip (bundle + source map) a function may upload; today ~733 KiB. */
const MAX_ZIP_BYTES = 1024 * KiB;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: unknown;
}
interface Template {
  Resources: Record<string, Resource>;
  Outputs: Record<string, unknown>;
}

const join3 = (tail: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, tail]] });
const resourcesOf = (template: Template, type: string) =>
  Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);

let dir: string;
let template: Template;
let bundles: BundleInfo[];
let run: { status: number | null; output: string };

/** The operational parameters the main dry run deploys with. */
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:recommender-ops';
const OPERATIONS = [
  'provisionedConcurrency=2',
  'reservedConcurrency=20',
  `alarmTopicArn=${TOPIC}`,
  'alarmLatencyP99Ms=800',
];

/** `npm run deploy:lambda -- --dry-run ...args`, inside a network namespace of its own when possible. */
function dryRun(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { status: number | null; output: string; offline: boolean } {
  // Inside a network namespace of its own (no interfaces but loopback) the run also proves that
  // packaging is offline.
  const offline = spawnSync('unshare', ['-rn', 'true']).status === 0;
  const cli = [process.execPath, '--import', 'tsx', 'deploy/lambda.ts', '--dry-run', ...args];
  const result = spawnSync(offline ? 'unshare' : cli[0]!, offline ? ['-rn', ...cli] : cli.slice(1), {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}`, offline };
}

beforeAll(() => {
  // The real CLI, `npm run deploy:lambda -- --dry-run`: serverless package + cfn-lint.
  dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const result = dryRun([
    '--stage',
    'test',
    '--region',
    'eu-west-1',
    '--s3',
    's3://example-models/recommender/prod',
    '--canary',
    '10',
    '--package-dir',
    dir,
    '--param',
    ...OPERATIONS,
  ]);
  run = result;
  console.log(
    `deploy:lambda --dry-run ${result.offline ? 'without network access (unshare -rn)' : 'with the network available'}:\n${run.output}`,
  );
  template = JSON.parse(
    readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  bundles = bundlesIn(dir);
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Function: runLambdaDeploy --dry-run (serverless package + cfn-lint, offline)', () => {
  it('produces a CloudFormation template that cfn-lint passes with no errors or warnings', () => {
    // Assess: the dry run exits 0 only when cfn-lint is clean; its output holds cfn-lint's findings otherwise
    expect({ status: run.status, output: run.output }).toEqual({
      status: 0,
      output: expect.stringContaining('cfn-lint: no errors, no warnings'),
    });
  });

  it('packages every function on its own: the one handlers/api bundle with its source map, within the size bound', () => {
    // Assess
    expect(
      [...bundles]
        .sort((a, b) => a.function.localeCompare(b.function))
        .map((b) => ({ function: b.function, files: b.files })),
    ).toEqual(
      ROUTES.map((route) => route.id)
        .sort((a, b) => a.localeCompare(b))
        .map((id) => ({ function: id, files: ['handlers/api.mjs', 'handlers/api.mjs.map'] })),
    );
    for (const bundle of bundles) {
      expect(bundle.codeBytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
      expect(bundle.zipBytes).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      expect(statSync(join(dir, `${bundle.function}.zip`)).size).toBe(bundle.zipBytes);
    }
  });

  it('ships a bundle that runs: a fresh process loads a model at init and every handler answers its event', async () => {
    // Prepare: unzip as Lambda does, publish the fixture model to a directory
    const work = mkdtempSync(join(tmpdir(), 'bundle-run-'));
    extractZip(readFileSync(join(dir, 'userRecommendations.zip')), join(work, 'task'));
    await publishModel(join(work, 'model'), fixtureArtifact());
    const events = Object.fromEntries(ROUTES.map((route) => [route.id, loadEvent(route.fixture)]));
    const script = `const api = await import(${JSON.stringify(join(work, 'task/handlers/api.mjs'))});
      const events = JSON.parse(process.env.EVENTS); const out = {};
      for (const [id, event] of Object.entries(events)) {
        const r = await api[id](event, { awsRequestId: 'x', functionName: id });
        out[id] = { status: r.statusCode, body: JSON.parse(r.body) };
      }
      console.log(JSON.stringify(out));`;
    // Act: a fresh Node process, as the Lambda runtime imports the handler (users read on demand, as deployed)
    const run = spawnSync(process.execPath, ['--input-type=module', '--enable-source-maps', '-e', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        MODEL_URI: join(work, 'model'),
        USER_PRELOAD_MB: '0',
        LOG_LEVEL: 'silent',
        EVENTS: JSON.stringify(events),
      },
    });
    rmSync(work, { recursive: true, force: true });
    // Assess
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    // stdout: the EMF lines of Powertools Metrics (one per invocation, plus the model's), then ours.
    const lines = run.stdout.trim().split('\n');
    const answers = JSON.parse(lines.at(-1) ?? '') as Record<
      string,
      { status: number; body: Record<string, unknown> }
    >;
    const emf = lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = emf.filter((line) => line.Requests === 1);
    expect(requests.map((line) => [line.route, line.status, line.service])).toEqual(
      ROUTES.map((route) => [route.id, '200', 'video-recommender']),
    );
    expect(emf.filter((line) => typeof line.ModelAgeSeconds === 'number')).toHaveLength(ROUTES.length);
    expect(Object.fromEntries(Object.entries(answers).map(([id, a]) => [id, a.status]))).toEqual(
      Object.fromEntries(ROUTES.map((route) => [route.id, 200])),
    );
    expect(answers.ping?.body).toEqual({ status: 'ok', modelVersion: FIXTURE_VERSION });
    expect(answers.userRecommendations?.body).toEqual({
      userId: 'u001',
      recommendations: [
        { videoId: 'v004', score: 1.25 },
        { videoId: 'v003', score: 0.75 },
        { videoId: 'v005', score: 0.75 },
      ],
    });
  });

  it('bundles node:http and node:https through require, not as ES imports (their ESM facade loads undici at init)', () => {
    // Prepare
    const work = mkdtempSync(join(tmpdir(), 'bundle-imports-'));
    extractZip(readFileSync(join(dir, 'ping.zip')), work);
    const code = readFileSync(join(work, 'handlers/api.mjs'), 'utf8');
    rmSync(work, { recursive: true, force: true });
    // Act
    const esImports = [...code.matchAll(/from\s*"(node:)?(https?)"/g)].map((m) => m[0]);
    const required = [...code.matchAll(/\("node:(https?)"\)/g)].map((m) => m[1]).sort();
    // Assess
    expect({ esImports, required }).toEqual({ esImports: [], required: ['http', 'https'] });
  });

  it('runs every function on nodejs22.x, arm64, with the measured memory and timeout and the model URI', () => {
    // Act
    const functions = Object.fromEntries(
      resourcesOf(template, 'AWS::Lambda::Function').map(([, fn]) => {
        const p = fn.Properties as Record<string, unknown> & {
          Environment: { Variables: Record<string, string> };
        };
        return [
          p.Handler,
          {
            runtime: p.Runtime,
            architectures: p.Architectures,
            memory: p.MemorySize,
            timeout: p.Timeout,
            modelUri: p.Environment.Variables.MODEL_URI,
            usersPreloadMb: p.Environment.Variables.USER_PRELOAD_MB,
            role: p.Role,
          },
        ];
      }),
    );
    // Assess
    const expected = {
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      memory: 1024,
      timeout: 10,
      modelUri: 's3://example-models/recommender/prod',
      usersPreloadMb: '0',
      role: { 'Fn::GetAtt': ['LambdaExecutionRole', 'Arn'] },
    };
    expect(functions).toEqual(Object.fromEntries(ROUTES.map((r) => [`handlers/api.${r.id}`, expected])));
  });

  it('grants only: write own log groups, send traces, read the model prefix, list the bucket under the prefix', () => {
    // Act
    const roles = resourcesOf(template, 'AWS::IAM::Role');
    const policies = resourcesOf(template, 'AWS::IAM::Policy').concat(
      resourcesOf(template, 'AWS::IAM::ManagedPolicy'),
    );
    const role = template.Resources.LambdaExecutionRole?.Properties as {
      Policies: { PolicyName: string; PolicyDocument: { Statement: Statement[] } }[];
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    // Assess: the functions' role and CodeDeploy's (the canary), no other policies, exactly these statements
    expect({ roles: roles.map(([name]) => name).sort(), policies: policies.length }).toEqual({
      roles: ['CodeDeployServiceRole', 'LambdaExecutionRole'],
      policies: 0,
    });
    const logGroup = (id: string) => `${id[0]?.toUpperCase()}${id.slice(1)}LogGroup`;
    const sortedLogs = (resources: unknown) =>
      (resources as { 'Fn::GetAtt': [string, string] }[])
        .slice()
        .sort((a, b) => a['Fn::GetAtt'][0].localeCompare(b['Fn::GetAtt'][0]));
    expect(sortedLogs(statements[0]?.Resource)).toEqual(
      sortedLogs(ROUTES.map((r) => ({ 'Fn::GetAtt': [logGroup(r.id), 'Arn'] }))),
    );
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: statements[0]?.Resource,
      },
      // X-Ray's actions have no resource-level permissions: "*" is the only resource they accept.
      { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: join3(':s3:::example-models/recommender/prod/*') },
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: join3(':s3:::example-models'),
        Condition: { StringLike: { 's3:prefix': ['recommender/prod/*'] } },
      },
    ]);
    for (const statement of statements) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      if ([statement.Action].flat().every((a) => a.startsWith('xray:'))) continue;
      expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"|:::\*|example-models\*/);
    }
    expect(template.Resources.CodeDeployServiceRole?.Properties.ManagedPolicyArns).toEqual([
      join3(':iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited'),
    ]);
  });

  it("points API Gateway at each function's live alias on the version it publishes, with provisioned and reserved concurrency", () => {
    // Act
    const aliases = resourcesOf(template, 'AWS::Lambda::Alias').map(([id, a]) => ({ id, ...a.Properties }));
    const versions = resourcesOf(template, 'AWS::Lambda::Version');
    const integrations = resourcesOf(template, 'AWS::ApiGateway::Method')
      .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
      .map(([, m]) => JSON.stringify((m.Properties.Integration as { Uri: unknown }).Uri));
    const permissions = resourcesOf(template, 'AWS::Lambda::Permission').map(
      ([, p]) => p.Properties.FunctionName,
    );
    const reserved = resourcesOf(template, 'AWS::Lambda::Function').map(
      ([, f]) => f.Properties.ReservedConcurrentExecutions,
    );
    // Assess
    const names = ROUTES.map((r) => `${r.id[0]?.toUpperCase()}${r.id.slice(1)}`).sort();
    expect(aliases.map((a) => a.id).sort()).toEqual(names.map((n) => `${n}LiveAlias`));
    expect(versions).toHaveLength(ROUTES.length);
    for (const alias of aliases) {
      const fn = alias.id.replace(/LiveAlias$/, 'LambdaFunction');
      const version = versions.find(
        ([, v]) => (v.Properties.FunctionName as { Ref: string }).Ref === fn,
      )?.[0];
      expect(alias).toEqual({
        id: alias.id,
        FunctionName: { Ref: fn },
        FunctionVersion: { 'Fn::GetAtt': [version, 'Version'] },
        Name: 'live',
        ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
      });
    }
    expect(integrations.map((uri) => /"Ref":"(\w+LiveAlias)"/.exec(uri)?.[1]).sort()).toEqual(
      names.map((n) => `${n}LiveAlias`),
    );
    expect(permissions.map((p) => (p as { Ref: string }).Ref).sort()).toEqual(
      names.map((n) => `${n}LiveAlias`),
    );
    expect(reserved).toEqual(ROUTES.map(() => 20));
  });

  it('creates the 5xx-rate, p99-latency, model-age and throttle alarms, each notifying the SNS topic', () => {
    // Act
    const alarms: Record<string, Record<string, unknown>> = Object.fromEntries(
      resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, a]) => [
        String(a.Properties.AlarmName),
        a.Properties,
      ]),
    );
    // Assess
    expect(Object.keys(alarms).sort()).toEqual([
      'video-recommender-test-5xx-rate',
      'video-recommender-test-latency-p99',
      'video-recommender-test-model-age',
      'video-recommender-test-throttles',
    ]);
    for (const alarm of Object.values(alarms)) {
      expect({ alarm: alarm.AlarmActions, ok: alarm.OKActions }).toEqual({ alarm: [TOPIC], ok: [TOPIC] });
    }
    const api = [
      { Name: 'ApiName', Value: 'test-video-recommender' },
      { Name: 'Stage', Value: 'test' },
    ];
    expect(alarms['video-recommender-test-5xx-rate']).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: '5XXError',
      Dimensions: api,
      Statistic: 'Average',
      Threshold: 0.01,
    });
    expect(alarms['video-recommender-test-latency-p99']).toMatchObject({
      MetricName: 'Latency',
      Dimensions: api,
      ExtendedStatistic: 'p99',
      Threshold: 800,
    });
    expect(alarms['video-recommender-test-model-age']).toMatchObject({
      Namespace: 'VideoRecommender',
      MetricName: 'ModelAgeSeconds',
      Dimensions: [{ Name: 'service', Value: 'video-recommender-test' }],
      Statistic: 'Maximum',
      Threshold: 48 * 3600,
    });
    const throttles = alarms['video-recommender-test-throttles']?.Metrics as {
      Id: string;
      Expression?: string;
    }[];
    expect(throttles.map((m) => m.Expression ?? m.Id)).toEqual([
      ...ROUTES.map((_, i) => `t${i}`),
      ROUTES.map((_, i) => `t${i}`).join(' + '),
    ]);
  });

  it('shifts 10 % of traffic to a new version first (CodeDeploy canary on the live alias) and rolls back on any alarm', () => {
    // Act
    const config = template.Resources.CodeDeployCanaryConfig?.Properties;
    const groups = resourcesOf(template, 'AWS::CodeDeploy::DeploymentGroup');
    const alarmIds = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([id]) => ({ Name: { Ref: id } }));
    // Assess
    expect(config).toEqual({
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryPercentage: 10, CanaryInterval: 10 },
      },
    });
    expect(groups).toHaveLength(ROUTES.length);
    for (const [id, group] of groups) {
      expect(group.Properties).toMatchObject({
        DeploymentConfigName: { Ref: 'CodeDeployCanaryConfig' },
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
        },
        AlarmConfiguration: { Enabled: true, Alarms: alarmIds },
      });
      const alias = template.Resources[id.replace(/DeploymentGroup$/, 'LiveAlias')] as Resource & {
        UpdatePolicy?: unknown;
      };
      expect(alias.UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: 'CodeDeployApplication' },
          DeploymentGroupName: { Ref: id },
        },
      });
    }
  });

  it('traces every function and the API with X-Ray, and names the metrics service per stage', () => {
    // Act
    const functions = resourcesOf(template, 'AWS::Lambda::Function').map(([, f]) => {
      const p = f.Properties as {
        TracingConfig: unknown;
        Environment: { Variables: Record<string, string> };
      };
      return {
        tracing: p.TracingConfig,
        service: p.Environment.Variables.POWERTOOLS_SERVICE_NAME,
        namespace: p.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE,
      };
    });
    // Assess (API Gateway's stage tracing is not in the template: serverless sets it through the SDK after
    // the stack update, from the same provider.tracing.apiGateway)
    expect(functions).toEqual(
      ROUTES.map(() => ({
        tracing: { Mode: 'Active' },
        service: 'video-recommender-test',
        namespace: 'VideoRecommender',
      })),
    );
  });

  it('with the default parameters the template passes cfn-lint too, and the dry run leaves no temporary folder', () => {
    // Prepare: a temporary directory of its own (the machine's is shared with other processes).
    const temp = mkdtempSync(join(tmpdir(), 'dry-run-tmp-'));
    // Act
    const plain = dryRun(['--stage', 'plain', '--s3', 's3://example-models/recommender'], {
      ...process.env,
      TMPDIR: temp,
    });
    // Assess
    expect({ status: plain.status, lint: plain.output.includes('cfn-lint: no errors, no warnings') }).toEqual(
      {
        status: 0,
        lint: true,
      },
    );
    // tsx-<uid> is tsx's own compile cache, there after any `tsx` run.
    expect(readdirSync(temp).filter((name) => !name.startsWith('tsx-'))).toEqual([]);
    rmSync(temp, { recursive: true, force: true });
  });

  it('requires an API key on the recommendation routes and leaves /ping open', () => {
    // Act
    const methods = Object.fromEntries(
      resourcesOf(template, 'AWS::ApiGateway::Method')
        .filter(([, m]) => m.Properties.HttpMethod !== 'OPTIONS')
        .map(([name, m]) => [name, m.Properties.ApiKeyRequired]),
    );
    // Assess
    expect(methods).toEqual({
      ApiGatewayMethodPingGet: false,
      ApiGatewayMethodInvocationsPost: true,
      ApiGatewayMethodUsersUseridVarRecommendationsGet: true,
      ApiGatewayMethodVideosVideoidVarSimilarGet: true,
      ApiGatewayMethodUsersUseridVarSimilarGet: true,
      ApiGatewayMethodRecommendationsPost: true,
    });
  });

  it('throttles and caps key holders with a usage plan bound to the API key', () => {
    // Act
    const [[, plan] = []] = resourcesOf(template, 'AWS::ApiGateway::UsagePlan');
    const [[, planKey] = []] = resourcesOf(template, 'AWS::ApiGateway::UsagePlanKey');
    // Assess
    expect({
      throttle: plan?.Properties.Throttle,
      quota: plan?.Properties.Quota,
      key: planKey?.Properties,
    }).toEqual({
      throttle: { BurstLimit: 100, RateLimit: 50 },
      quota: { Limit: 100000, Period: 'DAY' },
      key: {
        KeyId: { Ref: 'ApiGatewayApiKey1' },
        KeyType: 'API_KEY',
        UsagePlanId: { Ref: 'ApiGatewayUsagePlan' },
      },
    });
  });

  it('keeps the logs of every function for 14 days', () => {
    // Act
    const retention = resourcesOf(template, 'AWS::Logs::LogGroup').map(
      ([, g]) => g.Properties.RetentionInDays,
    );
    // Assess
    expect(retention).toEqual(ROUTES.map(() => 14));
  });

  it('answers unknown routes with a 404 in the service error shape, and outputs the endpoint and key id', () => {
    // Act
    const notFound = template.Resources.GatewayResponseMissingAuthenticationToken?.Properties;
    // Assess
    expect(notFound?.StatusCode).toBe('404');
    expect(JSON.stringify(notFound?.ResponseTemplates)).toContain('NOT_FOUND');
    expect(Object.keys(template.Outputs).sort()).toEqual(
      [
        'ApiKeyId',
        'ServerlessDeploymentBucketName',
        'ServiceEndpoint',
        ...ROUTES.map((r) => `${r.id[0]?.toUpperCase()}${r.id.slice(1)}LambdaFunctionQualifiedArn`),
      ].sort(),
    );
  });
});
