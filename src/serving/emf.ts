/**
 * The service's metrics, the same on both targets: CloudWatch embedded metric format (EMF) lines, which
 * CloudWatch Logs turns into metrics (Lambda's logs and the SageMaker container's stdout both go there).
 *
 * - Requests, ServerErrors, Latency (ms), Answers, FallbackAnswers, FoldInAnswers, by `route` and
 *   `status` (dimension sets [service, route, status], [service, route] and [service], so totals need no
 *   metric math): the fallback rate is FallbackAnswers / Answers, the fold-in rate FoldInAnswers / Answers.
 * - ModelAgeSeconds (now minus the version's createdAt; the version id in `modelVersion`) and
 *   ModelLoadFailures, by [service].
 *
 * On Lambda, Powertools Metrics writes them once per invocation (handlers/metrics.ts). The container
 * must not pay a line per request (a log line cost ~20 % of a request), so each request thread
 * aggregates in {@link RequestMetrics} and writes one line per route and status per interval. EMF
 * carries at most 100 values per metric, so a line's Latency is the histogram's 100 quantiles
 * ((i + 0.5) %, i = 0..99; each stands for 1 % of that line's requests) or, for 100 requests or fewer,
 * one value per request, each rounded to its histogram bucket (9 % wide).
 * @module
 */
import { type AnswerCounts, NO_ANSWERS } from '../api/index.js';

/** Metric names and units, shared by both targets. */
export const METRICS = {
  requests: { name: 'Requests', unit: 'Count' },
  serverErrors: { name: 'ServerErrors', unit: 'Count' },
  latency: { name: 'Latency', unit: 'Milliseconds' },
  answers: { name: 'Answers', unit: 'Count' },
  fallbackAnswers: { name: 'FallbackAnswers', unit: 'Count' },
  foldInAnswers: { name: 'FoldInAnswers', unit: 'Count' },
  modelAgeSeconds: { name: 'ModelAgeSeconds', unit: 'Seconds' },
  modelLoadFailures: { name: 'ModelLoadFailures', unit: 'Count' },
} as const;

/** Where a metric line goes and what it is filed under. */
export interface MetricsTarget {
  namespace: string;
  /** the `service` dimension */
  service: string;
}

/** One metric value (or up to 100 values) of a line. */
export interface MetricValue {
  metric: (typeof METRICS)[keyof typeof METRICS];
  value: number | number[];
}

/**
 * One EMF line (JSON, no newline) with the given dimension values; every subset the service's dimension
 * sets name is published.
 */
export function emfLine(
  target: MetricsTarget,
  timestamp: number,
  dimensions: Readonly<Record<string, string>>,
  values: readonly MetricValue[],
  properties: Readonly<Record<string, string>> = {},
): string {
  const keys = Object.keys(dimensions);
  const sets = [['service', ...keys]];
  for (let n = keys.length - 1; n >= 0; n--) sets.push(['service', ...keys.slice(0, n)]);
  const line: Record<string, unknown> = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: target.namespace,
          Dimensions: sets,
          Metrics: values.map((v) => ({ Name: v.metric.name, Unit: v.metric.unit })),
        },
      ],
    },
    ...properties,
    service: target.service,
    ...dimensions,
  };
  for (const v of values) line[v.metric.name] = v.value;
  return JSON.stringify(line);
}

/** Seconds from a version's creation to `now` (ms). */
export function modelAgeSeconds(createdAt: string, now: number): number {
  return Math.max(0, Math.round((now - Date.parse(createdAt)) / 1000));
}

/** The model line: its age (when one is loaded) and the load failures since the last line. */
export function modelLine(
  target: MetricsTarget,
  now: number,
  model: { version: string; createdAt: string } | undefined,
  loadFailures: number,
): string {
  const values: MetricValue[] = [{ metric: METRICS.modelLoadFailures, value: loadFailures }];
  if (model)
    values.unshift({ metric: METRICS.modelAgeSeconds, value: modelAgeSeconds(model.createdAt, now) });
  return emfLine(target, now, {}, values, model ? { modelVersion: model.version } : {});
}

/** Histogram buckets per doubling of the latency (2^(1/8): ~9 % per bucket). */
const PER_OCTAVE = 8;
/** Buckets over 1 µs .. 2^32 µs (~71 minutes). */
const BUCKETS = 32 * PER_OCTAVE;
const MAX_VALUES = 100;

const bucketOf = (ms: number): number =>
  Math.min(BUCKETS - 1, Math.max(0, Math.floor(PER_OCTAVE * Math.log2(1 + ms * 1000))));
/** The middle of a bucket, in ms (rounded to the µs). */
const bucketValue = (bucket: number): number => Math.round(2 ** ((bucket + 0.5) / PER_OCTAVE) - 1) / 1000;

interface Entry {
  route: string;
  status: number;
  requests: number;
  answers: number;
  fallback: number;
  foldIn: number;
  histogram: Uint32Array;
}

/**
 * At most {@link MAX_VALUES} latencies standing for the histogram: every request when there are that
 * few, else the (i + 0.5) % quantiles.
 */
export function latencyValues(histogram: Uint32Array, count: number): number[] {
  const values: number[] = [];
  if (count <= MAX_VALUES) {
    for (let b = 0; b < histogram.length; b++)
      for (let n = histogram[b] as number; n > 0; n--) values.push(bucketValue(b));
    return values;
  }
  let bucket = 0;
  let below = histogram[0] as number;
  for (let i = 0; i < MAX_VALUES; i++) {
    const rank = ((i + 0.5) / MAX_VALUES) * count;
    while (below <= rank && bucket < histogram.length - 1) below += histogram[++bucket] as number;
    values.push(bucketValue(bucket));
  }
  return values;
}

/**
 * A request thread's metrics between two flushes: a counter set and a latency histogram per route and
 * status, so a request costs a map lookup and a few increments.
 */
export class RequestMetrics {
  private entries = new Map<string, Entry>();

  constructor(private readonly target: MetricsTarget) {}

  /** Counts one answered request. */
  record(route: string, status: number, ms: number, counts: AnswerCounts = NO_ANSWERS): void {
    const key = `${route} ${status}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        route,
        status,
        requests: 0,
        answers: 0,
        fallback: 0,
        foldIn: 0,
        histogram: new Uint32Array(BUCKETS),
      };
      this.entries.set(key, entry);
    }
    entry.requests++;
    entry.answers += counts.answers;
    entry.fallback += counts.fallback;
    entry.foldIn += counts.foldIn;
    const bucket = bucketOf(ms);
    entry.histogram[bucket] = (entry.histogram[bucket] as number) + 1;
  }

  /** The EMF lines of everything recorded since the last flush (none when nothing was), then starts over. */
  flush(now: number = Date.now()): string[] {
    const lines: string[] = [];
    for (const e of this.entries.values()) {
      lines.push(
        emfLine(this.target, now, { route: e.route, status: String(e.status) }, [
          { metric: METRICS.requests, value: e.requests },
          { metric: METRICS.serverErrors, value: e.status >= 500 ? e.requests : 0 },
          { metric: METRICS.latency, value: latencyValues(e.histogram, e.requests) },
          { metric: METRICS.answers, value: e.answers },
          { metric: METRICS.fallbackAnswers, value: e.fallback },
          { metric: METRICS.foldInAnswers, value: e.foldIn },
        ]),
      );
    }
    this.entries = new Map();
    return lines;
  }
}
