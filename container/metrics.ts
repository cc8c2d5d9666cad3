/**
 * The container's EMF metrics (src/serving/metrics.ts), written to stdout where SageMaker sends the
 * container's logs to CloudWatch Logs. A request thread aggregates its requests and writes one line
 * per route and status every METRICS_INTERVAL_SECONDS (through the supervisor, like its log lines);
 * the supervisor writes the model line (age, load failures) at the same interval.
 * @module
 */
import { UNROUTED } from '../src/http/index.js';
import {
  type Config,
  type MetricsTarget,
  type ModelRuntime,
  modelLine,
  RequestMetrics,
} from '../src/serving/index.js';
import type { Observed } from './http-server.js';

const targetOf = (config: Pick<Config, 'metricsNamespace' | 'metricsService'>): MetricsTarget => ({
  namespace: config.metricsNamespace,
  service: config.metricsService,
});

const linesOf = (lines: readonly string[]): string => (lines.length === 0 ? '' : `${lines.join('\n')}\n`);

/** A request thread's metrics: `observe` each response, lines written every interval and on `flush`. */
export interface ThreadMetrics {
  observe: ((response: Observed, ms: number) => void) | undefined;
  /** writes what was recorded since the last line (shutdown), and stops the timer */
  stop(): void;
}

/**
 * The request metrics of one thread (none when METRICS_INTERVAL_SECONDS is 0).
 * @param write - where a batch of lines goes (the thread's log destination)
 */
export function threadMetrics(
  config: Pick<Config, 'metricsIntervalSeconds' | 'metricsNamespace' | 'metricsService'>,
  write: (text: string) => void,
): ThreadMetrics {
  if (config.metricsIntervalSeconds <= 0) return { observe: undefined, stop: () => {} };
  const metrics = new RequestMetrics(targetOf(config));
  const flush = (): void => {
    const text = linesOf(metrics.flush());
    if (text) write(text);
  };
  const timer = setInterval(flush, config.metricsIntervalSeconds * 1000);
  timer.unref();
  return {
    observe: (response, ms) =>
      metrics.record(response.meta?.route ?? UNROUTED, response.status, ms, response.meta?.answers),
    stop: () => {
      clearInterval(timer);
      flush();
    },
  };
}

/**
 * The supervisor's model line every interval: the served version's age and the failed loads since the
 * last line (none when METRICS_INTERVAL_SECONDS is 0).
 * @returns a function that stops it
 */
export function modelMetrics(
  config: Pick<Config, 'metricsIntervalSeconds' | 'metricsNamespace' | 'metricsService'>,
  runtime: ModelRuntime,
  write: (text: string) => void,
): () => void {
  if (config.metricsIntervalSeconds <= 0) return () => {};
  let failures = 0;
  runtime.onFailure(() => {
    failures++;
  });
  const timer = setInterval(() => {
    const handle = runtime.handle();
    const model = handle ? { version: handle.version, createdAt: handle.manifest.createdAt } : undefined;
    write(`${modelLine(targetOf(config), Date.now(), model, failures)}\n`);
    failures = 0;
  }, config.metricsIntervalSeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
