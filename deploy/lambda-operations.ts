/**
 * What the Lambda stack needs to run as a product, added to the CloudFormation template serverless
 * compiles (deploy/serverless-operations.cjs calls {@link applyOperations} before it is saved):
 *
 * - a `live` alias per function on the version this deploy published, which API Gateway invokes
 *   (so traffic can be shifted between versions), with provisioned concurrency when asked;
 * - reserved concurrency per function when asked;
 * - CloudWatch alarms: 5xx rate, p99 latency, model age (our EMF metric), Lambda throttles; each
 *   notifies an SNS topic when one is given;
 * - with a canary percentage: CodeDeploy shifts that share of traffic to the new version through the
 *   alias's weighted routing, waits, then moves the rest, and rolls back if any alarm fires.
 * @module
 */

/** A CloudFormation resource as serverless writes it. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdatePolicy?: Record<string, unknown>;
  Condition?: string;
}

/** The parts of a template this module reads and writes. */
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, unknown>;
}

/** The operational settings (serverless.yml `custom.operations`, filled from the parameters). */
export interface OperationsSettings {
  /** API Gateway's API name (`<stage>-<service>`) and stage, for its metrics */
  apiName: string;
  stage: string;
  /** prefix of alarm names, e.g. `video-recommender-dev` */
  alarmPrefix: string;
  /** EMF namespace and `service` dimension of our own metrics */
  metricsNamespace: string;
  metricsService: string;
  provisionedConcurrency: number;
  /** 0: no reservation */
  reservedConcurrency: number;
  /** 0: new versions take all traffic at once */
  canaryPercent: number;
  canaryMinutes: number;
  /** `none` or an SNS topic ARN */
  alarmTopicArn: string;
  alarmErrorRatePercent: number;
  alarmLatencyP99Ms: number;
  alarmModelAgeHours: number;
}

/** The alias API Gateway invokes. */
export const LIVE_ALIAS = 'live';

const FUNCTION_SUFFIX = 'LambdaFunction';

const getAtt = (resource: string, attribute: string): Record<string, unknown> => ({
  'Fn::GetAtt': [resource, attribute],
});
const ref = (resource: string): Record<string, unknown> => ({ Ref: resource });

/** Logical ids of the functions (`PingLambdaFunction` -> `Ping`). */
function functionNames(template: CfnTemplate): string[] {
  return Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.endsWith(FUNCTION_SUFFIX))
    .map(([id]) => id.slice(0, -FUNCTION_SUFFIX.length));
}

/** Replaces every `{"Fn::GetAtt": [fn, "Arn"]}` inside `value` with `replacement` (in place). */
function replaceArn(value: unknown, fn: string, replacement: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => replaceArn(v, fn, replacement));
  if (value === null || typeof value !== 'object') return value;
  const att = (value as Record<string, unknown>)['Fn::GetAtt'];
  if (Array.isArray(att) && att[0] === fn && att[1] === 'Arn') return replacement;
  for (const [key, inner] of Object.entries(value))
    (value as Record<string, unknown>)[key] = replaceArn(inner, fn, replacement);
  return value;
}

/**
 * Adds the `live` alias of every function on the version this deploy publishes and points API Gateway's
 * integrations and invoke permissions at it.
 * @returns the alias logical id of each function name
 */
export function addLiveAliases(template: CfnTemplate, settings: OperationsSettings): Record<string, string> {
  const aliases: Record<string, string> = {};
  const resources = template.Resources;
  for (const name of functionNames(template)) {
    const fn = `${name}${FUNCTION_SUFFIX}`;
    const version = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Version' && (r.Properties?.FunctionName as { Ref?: string })?.Ref === fn,
    )?.[0];
    if (!version)
      throw new Error(`${fn} has no AWS::Lambda::Version: serverless.yml needs versionFunctions: true`);
    const alias = `${name}LiveAlias`;
    resources[alias] = {
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: ref(fn),
        FunctionVersion: getAtt(version, 'Version'),
        Name: LIVE_ALIAS,
        ...(settings.provisionedConcurrency > 0
          ? {
              ProvisionedConcurrencyConfig: {
                ProvisionedConcurrentExecutions: settings.provisionedConcurrency,
              },
            }
          : {}),
      },
    };
    for (const resource of Object.values(resources)) {
      if (resource.Type === 'AWS::ApiGateway::Method' && resource.Properties)
        resource.Properties.Integration = replaceArn(resource.Properties.Integration, fn, ref(alias));
      if (resource.Type === 'AWS::Lambda::Permission' && resource.Properties)
        resource.Properties.FunctionName = replaceArn(resource.Properties.FunctionName, fn, ref(alias));
    }
    if (settings.reservedConcurrency > 0 && resources[fn]?.Properties)
      resources[fn].Properties.ReservedConcurrentExecutions = settings.reservedConcurrency;
    aliases[name] = alias;
  }
  return aliases;
}

function alarm(
  settings: OperationsSettings,
  name: string,
  description: string,
  body: Record<string, unknown>,
): CfnResource {
  const actions =
    settings.alarmTopicArn === 'none'
      ? {}
      : { AlarmActions: [settings.alarmTopicArn], OKActions: [settings.alarmTopicArn] };
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${settings.alarmPrefix}-${name}`,
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      ...actions,
      ...body,
    },
  };
}

/**
 * Adds the four alarms; each watches a minute at a time and fires on 3 bad minutes out of 5.
 * @returns their logical ids
 */
export function addAlarms(template: CfnTemplate, settings: OperationsSettings): string[] {
  const api = [
    { Name: 'ApiName', Value: settings.apiName },
    { Name: 'Stage', Value: settings.stage },
  ];
  const throttles = functionNames(template).map((name, i) => ({
    Id: `t${i}`,
    ReturnData: false,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: ref(`${name}${FUNCTION_SUFFIX}`) }],
      },
      Period: 60,
      Stat: 'Sum',
    },
  }));
  const alarms: Record<string, CfnResource> = {
    AlarmServerErrorRate: alarm(
      settings,
      '5xx-rate',
      `More than ${settings.alarmErrorRatePercent} % of requests answered 5xx`,
      {
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Dimensions: api,
        Statistic: 'Average',
        Period: 60,
        Threshold: settings.alarmErrorRatePercent / 100,
      },
    ),
    AlarmLatencyP99: alarm(settings, 'latency-p99', `p99 latency above ${settings.alarmLatencyP99Ms} ms`, {
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: api,
      ExtendedStatistic: 'p99',
      Period: 60,
      Threshold: settings.alarmLatencyP99Ms,
    }),
    AlarmModelAge: alarm(
      settings,
      'model-age',
      `The served model is older than ${settings.alarmModelAgeHours} h`,
      {
        Namespace: settings.metricsNamespace,
        MetricName: 'ModelAgeSeconds',
        Dimensions: [{ Name: 'service', Value: settings.metricsService }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: settings.alarmModelAgeHours * 3600,
      },
    ),
    AlarmThrottles: alarm(settings, 'throttles', 'Lambda throttled invocations (concurrency exhausted)', {
      Metrics: [
        ...throttles,
        {
          Id: 'total',
          Expression: throttles.map((t) => t.Id).join(' + '),
          Label: 'Throttles',
          ReturnData: true,
        },
      ],
      Threshold: 0,
    }),
  };
  Object.assign(template.Resources, alarms);
  return Object.keys(alarms);
}

/**
 * With a canary share: CodeDeploy moves `canaryPercent` of the traffic to a new version through each
 * `live` alias, waits `canaryMinutes`, then moves the rest; any alarm during the deployment rolls it back.
 */
export function addCanary(
  template: CfnTemplate,
  settings: OperationsSettings,
  aliases: Record<string, string>,
  alarms: readonly string[],
): void {
  if (settings.canaryPercent <= 0) return;
  const resources = template.Resources;
  resources.CodeDeployApplication = {
    Type: 'AWS::CodeDeploy::Application',
    Properties: { ComputePlatform: 'Lambda' },
  };
  resources.CodeDeployServiceRole = {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: 'CodeDeploy shifts traffic between versions of the live aliases and reads the alarms',
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'codedeploy.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              ref('AWS::Partition'),
              ':iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited',
            ],
          ],
        },
      ],
    },
  };
  resources.CodeDeployCanaryConfig = {
    Type: 'AWS::CodeDeploy::DeploymentConfig',
    Properties: {
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: {
        Type: 'TimeBasedCanary',
        TimeBasedCanary: { CanaryPercentage: settings.canaryPercent, CanaryInterval: settings.canaryMinutes },
      },
    },
  };
  for (const [name, alias] of Object.entries(aliases)) {
    const group = `${name}DeploymentGroup`;
    resources[group] = {
      Type: 'AWS::CodeDeploy::DeploymentGroup',
      Properties: {
        ApplicationName: ref('CodeDeployApplication'),
        ServiceRoleArn: getAtt('CodeDeployServiceRole', 'Arn'),
        DeploymentConfigName: ref('CodeDeployCanaryConfig'),
        DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
        AutoRollbackConfiguration: {
          Enabled: true,
          Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
        },
        AlarmConfiguration: { Enabled: true, Alarms: alarms.map((id) => ({ Name: ref(id) })) },
      },
    };
    const aliasResource = resources[alias] as CfnResource;
    aliasResource.UpdatePolicy = {
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: ref('CodeDeployApplication'),
        DeploymentGroupName: ref(group),
      },
    };
  }
}

/**
 * Everything above, in order: aliases, alarms, then the canary that watches them.
 * @example
 * applyOperations(serverless.service.provider.compiledCloudFormationTemplate, settings);
 */
export function applyOperations(template: CfnTemplate, settings: OperationsSettings): void {
  const aliases = addLiveAliases(template, settings);
  const alarms = addAlarms(template, settings);
  addCanary(template, settings, aliases, alarms);
}

const NUMBER_SETTINGS = [
  'provisionedConcurrency',
  'reservedConcurrency',
  'canaryPercent',
  'canaryMinutes',
  'alarmErrorRatePercent',
  'alarmLatencyP99Ms',
  'alarmModelAgeHours',
] as const;

/**
 * The settings from serverless.yml's `custom.operations` as serverless resolved them (numbers may
 * arrive as text from `--param`).
 * @throws Error naming a setting that is missing or not a number
 */
export function operationsSettings(raw: Record<string, unknown>): OperationsSettings {
  const text = (name: string): string => {
    const value = raw[name];
    if (typeof value !== 'string' && typeof value !== 'number')
      throw new Error(`custom.operations.${name} is missing`);
    return String(value);
  };
  const numbers = Object.fromEntries(
    NUMBER_SETTINGS.map((name) => {
      const value = Number(text(name));
      if (!Number.isFinite(value))
        throw new Error(`custom.operations.${name} must be a number, got ${text(name)}`);
      return [name, value];
    }),
  ) as Record<(typeof NUMBER_SETTINGS)[number], number>;
  return {
    apiName: text('apiName'),
    stage: text('stage'),
    alarmPrefix: text('alarmPrefix'),
    metricsNamespace: text('metricsNamespace'),
    metricsService: text('metricsService'),
    alarmTopicArn: text('alarmTopicArn'),
    ...numbers,
  };
}
