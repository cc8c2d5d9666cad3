/**
 * The endpoint's CloudWatch alarms: 5xx rate, p99 model latency, model age (the container's EMF metric)
 * and saturation (invocations per instance well above the scaling target: the fleet is at its maximum
 * and still overloaded, the instance endpoint's equivalent of throttling). Deployment guardrails roll
 * an update back when any of them fires. PutMetricAlarm creates or updates, so a re-run is idempotent.
 * @module
 */
import {
  type CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  type MetricDataQuery,
  PutMetricAlarmCommand,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { MANAGED_TAG, VARIANT_NAME } from './names.js';
import type { DeployOptions } from './options.js';

/** The EMF namespace the container writes (POWERTOOLS_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'VideoRecommender';

const DESCRIPTION_MARK = `(${MANAGED_TAG.Key}: ${MANAGED_TAG.Value})`;

type AlarmOptions = Pick<
  DeployOptions,
  | 'endpointName'
  | 'alarmTopic'
  | 'alarmErrorRatePercent'
  | 'alarmLatencyP99Ms'
  | 'alarmModelAgeHours'
  | 'targetInvocations'
  | 'serverlessMemory'
>;

const sagemakerMetric = (id: string, name: string, endpoint: string): MetricDataQuery => ({
  Id: id,
  ReturnData: false,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/SageMaker',
      MetricName: name,
      Dimensions: [
        { Name: 'EndpointName', Value: endpoint },
        { Name: 'VariantName', Value: VARIANT_NAME },
      ],
    },
    Period: 60,
    Stat: 'Sum',
  },
});

/** The alarm definitions of an endpoint (saturation only for instance endpoints). */
export function endpointAlarms(options: AlarmOptions): PutMetricAlarmCommandInput[] {
  const name = options.endpointName;
  const dimensions = [
    { Name: 'EndpointName', Value: name },
    { Name: 'VariantName', Value: VARIANT_NAME },
  ];
  const common = {
    ComparisonOperator: 'GreaterThanThreshold' as const,
    EvaluationPeriods: 5,
    DatapointsToAlarm: 3,
    TreatMissingData: 'notBreaching',
    ...(options.alarmTopic ? { AlarmActions: [options.alarmTopic], OKActions: [options.alarmTopic] } : {}),
  };
  const alarms: PutMetricAlarmCommandInput[] = [
    {
      ...common,
      AlarmName: `${name}-5xx-rate`,
      AlarmDescription: `More than ${options.alarmErrorRatePercent} % of invocations answered 5xx ${DESCRIPTION_MARK}`,
      Metrics: [
        sagemakerMetric('errors', 'Invocation5XXErrors', name),
        sagemakerMetric('invocations', 'Invocations', name),
        {
          Id: 'rate',
          Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
          Label: '5xx %',
          ReturnData: true,
        },
      ],
      Threshold: options.alarmErrorRatePercent,
    },
    {
      ...common,
      AlarmName: `${name}-latency-p99`,
      AlarmDescription: `p99 model latency above ${options.alarmLatencyP99Ms} ms ${DESCRIPTION_MARK}`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      Dimensions: dimensions,
      ExtendedStatistic: 'p99',
      Period: 60,
      // ModelLatency is in microseconds.
      Threshold: options.alarmLatencyP99Ms * 1000,
    },
    {
      ...common,
      AlarmName: `${name}-model-age`,
      AlarmDescription: `The served model is older than ${options.alarmModelAgeHours} h ${DESCRIPTION_MARK}`,
      Namespace: METRICS_NAMESPACE,
      MetricName: 'ModelAgeSeconds',
      Dimensions: [{ Name: 'service', Value: name }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: options.alarmModelAgeHours * 3600,
    },
  ];
  if (options.serverlessMemory === undefined) {
    alarms.push({
      ...common,
      AlarmName: `${name}-saturation`,
      AlarmDescription: `Invocations per instance above 1.5 x the scaling target (${options.targetInvocations}/min) for 5 minutes ${DESCRIPTION_MARK}`,
      Namespace: 'AWS/SageMaker',
      MetricName: 'InvocationsPerInstance',
      Dimensions: dimensions,
      Statistic: 'Sum',
      Period: 60,
      DatapointsToAlarm: 5,
      Threshold: options.targetInvocations * 1.5,
    });
  }
  return alarms;
}

/** Creates or updates every alarm; returns their names. */
export async function ensureAlarms(
  cloudwatch: CloudWatchClient,
  alarms: readonly PutMetricAlarmCommandInput[],
): Promise<string[]> {
  for (const alarm of alarms) await cloudwatch.send(new PutMetricAlarmCommand(alarm));
  return alarms.map((a) => a.AlarmName as string);
}

/** Deletes the alarms this script made for the endpoint (name prefix and our mark); returns their names. */
export async function deleteAlarms(cloudwatch: CloudWatchClient, endpointName: string): Promise<string[]> {
  const found = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `${endpointName}-` }));
  const names = (found.MetricAlarms ?? [])
    .filter((a) => a.AlarmDescription?.endsWith(DESCRIPTION_MARK))
    .map((a) => a.AlarmName as string);
  if (names.length > 0) await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: names }));
  return names;
}
