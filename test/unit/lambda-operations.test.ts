import { describe, expect, it } from 'vitest';
import {
  applyOperations,
  type CfnTemplate,
  type OperationsSettings,
  operationsSettings,
} from '../../deploy/lambda-operations.js';

/** The shape serverless compiles for one function behind one API Gateway method. */
function template(): CfnTemplate {
  const arn = { 'Fn::GetAtt': ['PingLambdaFunction', 'Arn'] };
  return {
    Resources: {
      PingLambdaFunction: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'handlers/api.ping' } },
      PingLambdaVersionAbc: {
        Type: 'AWS::Lambda::Version',
        DeletionPolicy: 'Retain',
        Properties: { FunctionName: { Ref: 'PingLambdaFunction' } },
      },
      ApiGatewayMethodPingGet: {
        Type: 'AWS::ApiGateway::Method',
        Properties: {
          Integration: { Uri: { 'Fn::Join': ['', ['arn:...:functions/', arn, '/invocations']] } },
        },
      },
      PingLambdaPermissionApiGateway: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: arn } },
    },
  };
}

const defaults: OperationsSettings = operationsSettings({
  apiName: 'dev-video-recommender',
  stage: 'dev',
  alarmPrefix: 'video-recommender-dev',
  metricsNamespace: 'VideoRecommender',
  metricsService: 'video-recommender-dev',
  provisionedConcurrency: '0',
  reservedConcurrency: 0,
  canaryPercent: '0',
  canaryMinutes: 10,
  alarmTopicArn: 'none',
  alarmErrorRatePercent: '1',
  alarmLatencyP99Ms: '1000',
  alarmModelAgeHours: 48,
});

describe('Function: applyOperations', () => {
  it('with the defaults: a live alias API Gateway calls, no provisioned or reserved concurrency, no canary, alarms without actions', () => {
    // Prepare
    const t = template();
    // Act
    applyOperations(t, defaults);
    // Assess
    expect(t.Resources.PingLiveAlias).toEqual({
      Type: 'AWS::Lambda::Alias',
      Properties: {
        FunctionName: { Ref: 'PingLambdaFunction' },
        FunctionVersion: { 'Fn::GetAtt': ['PingLambdaVersionAbc', 'Version'] },
        Name: 'live',
      },
    });
    expect(t.Resources.ApiGatewayMethodPingGet?.Properties?.Integration).toEqual({
      Uri: { 'Fn::Join': ['', ['arn:...:functions/', { Ref: 'PingLiveAlias' }, '/invocations']] },
    });
    expect(t.Resources.PingLambdaPermissionApiGateway?.Properties?.FunctionName).toEqual({
      Ref: 'PingLiveAlias',
    });
    expect(t.Resources.PingLambdaFunction?.Properties).toEqual({ Handler: 'handlers/api.ping' });
    expect(Object.keys(t.Resources).filter((id) => id.startsWith('CodeDeploy'))).toEqual([]);
    const alarms = Object.values(t.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.map((a) => [a.Properties?.AlarmName, a.Properties?.AlarmActions])).toEqual([
      ['video-recommender-dev-5xx-rate', undefined],
      ['video-recommender-dev-latency-p99', undefined],
      ['video-recommender-dev-model-age', undefined],
      ['video-recommender-dev-throttles', undefined],
    ]);
  });

  it('refuses a template without function versions, saying what serverless.yml needs', () => {
    const t = template();
    delete t.Resources.PingLambdaVersionAbc;
    expect(() => applyOperations(t, defaults)).toThrow(
      'PingLambdaFunction has no AWS::Lambda::Version: serverless.yml needs versionFunctions: true',
    );
  });
});

describe('Function: operationsSettings', () => {
  it('reads numbers given as text and refuses a missing or non-numeric setting', () => {
    expect(defaults.canaryMinutes).toBe(10);
    expect(defaults.provisionedConcurrency).toBe(0);
    expect(() => operationsSettings({ ...defaults, canaryPercent: 'ten' })).toThrow(
      'custom.operations.canaryPercent must be a number, got ten',
    );
    const { stage: _, ...noStage } = defaults;
    expect(() => operationsSettings(noStage)).toThrow('custom.operations.stage is missing');
  });
});
