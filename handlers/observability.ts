/**
 * Metrics and tracing of the Lambda target, through Powertools: the EMF lines of src/serving/metrics.ts
 * (same names, units and dimension sets as the container's) written once per invocation by the
 * logMetrics middleware, a ColdStart metric, and X-Ray traces of each invocation with the S3 calls as
 * subsegments (handlers/model.ts hands its client to {@link tracer}).
 * @module
 */
import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { AnswerCounts } from '../src/api/index.js';
import { METRICS, type MetricValue, modelAgeSeconds } from '../src/serving/index.js';
import { config, logger } from './environment.js';

/**
 * Powertools warns whenever a key appears in two dimension sets; ours do on purpose ([service, route,
 * status] and [service, route]), so that one warning is dropped and every other goes to the logger.
 */
const metricsLogger = {
  debug: (...content: unknown[]) => logger.debug(String(content[0])),
  info: (...content: unknown[]) => logger.info(String(content[0])),
  warn: (...content: unknown[]) => {
    if (!String(content[0]).startsWith('EMF key "')) logger.warn(String(content[0]));
  },
  error: (...content: unknown[]) => logger.error(String(content[0])),
};

/** The metrics of this execution environment. */
export const metrics = new Metrics({
  namespace: config.metricsNamespace,
  serviceName: config.metricsService,
  logger: metricsLogger,
});

/** The tracer of this execution environment; off outside Lambda (and with POWERTOOLS_TRACE_ENABLED=false). */
export const tracer = new Tracer({ serviceName: config.metricsService });

const add = (values: readonly MetricValue[]): void => {
  for (const { metric, value } of values) {
    for (const v of [value].flat()) metrics.addMetric(metric.name, metric.unit as Unit, v);
  }
};

/**
 * Records one request: by route and status, with the answers' sources; then the model line (its age,
 * and the failed loads since the last request, when there were any).
 */
export function recordRequest(
  route: string,
  status: number,
  ms: number,
  answers: AnswerCounts,
  model: { version: string; createdAt: string } | undefined,
  loadFailures: number,
): void {
  metrics.addDimensions({ route, status: String(status) });
  metrics.addDimensions({ route });
  metrics.addDimensions({});
  add([
    { metric: METRICS.requests, value: 1 },
    { metric: METRICS.serverErrors, value: status >= 500 ? 1 : 0 },
    { metric: METRICS.latency, value: Math.round(ms * 1000) / 1000 },
    { metric: METRICS.answers, value: answers.answers },
    { metric: METRICS.fallbackAnswers, value: answers.fallback },
    { metric: METRICS.foldInAnswers, value: answers.foldIn },
  ]);
  if (model) {
    const single = metrics.singleMetric();
    single.addMetadata('modelVersion', model.version);
    single.addMetric(
      METRICS.modelAgeSeconds.name,
      METRICS.modelAgeSeconds.unit as Unit,
      modelAgeSeconds(model.createdAt, Date.now()),
    );
  }
  if (loadFailures > 0) {
    metrics
      .singleMetric()
      .addMetric(METRICS.modelLoadFailures.name, METRICS.modelLoadFailures.unit as Unit, loadFailures);
  }
}

/** The Powertools middlewares, outermost first: the trace of the invocation, then the metrics flush. */
export function observability(): MiddlewareObj[] {
  return [
    captureLambdaHandler(tracer) as MiddlewareObj,
    logMetrics(metrics, { captureColdStartMetric: true }) as MiddlewareObj,
  ];
}
