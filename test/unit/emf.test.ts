import { describe, expect, it } from 'vitest';
import {
  emfLine,
  latencyValues,
  METRICS,
  modelAgeSeconds,
  modelLine,
  RequestMetrics,
} from '../../src/serving/emf.js';

const target = { namespace: 'VideoRecommender', service: 'recs' };
const parse = (line: string): Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } } =>
  JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } };

describe('Function: emfLine', () => {
  it('writes one EMF object publishing every prefix of the dimensions under the service', () => {
    expect(
      parse(
        emfLine(target, 1000, { route: 'ping', status: '200' }, [{ metric: METRICS.requests, value: 3 }], {
          modelVersion: 'v1',
        }),
      ),
    ).toEqual({
      _aws: {
        Timestamp: 1000,
        CloudWatchMetrics: [
          {
            Namespace: 'VideoRecommender',
            Dimensions: [['service', 'route', 'status'], ['service', 'route'], ['service']],
            Metrics: [{ Name: 'Requests', Unit: 'Count' }],
          },
        ],
      },
      modelVersion: 'v1',
      service: 'recs',
      route: 'ping',
      status: '200',
      Requests: 3,
    });
  });
});

describe('Function: modelLine', () => {
  it('gives the age of the served version and the failures, or only the failures without a model', () => {
    const now = Date.parse('2025-01-02T00:00:00Z');
    expect(
      parse(modelLine(target, now, { version: 'v1', createdAt: '2025-01-01T00:00:00Z' }, 2)),
    ).toMatchObject({
      ModelAgeSeconds: 86_400,
      ModelLoadFailures: 2,
      modelVersion: 'v1',
      service: 'recs',
    });
    const none = parse(modelLine(target, now, undefined, 1));
    expect([none.ModelAgeSeconds, none.ModelLoadFailures, none.modelVersion]).toEqual([
      undefined,
      1,
      undefined,
    ]);
    expect(modelAgeSeconds('2030-01-01T00:00:00Z', now)).toBe(0);
  });
});

describe('Class: RequestMetrics', () => {
  it('sums requests, server errors and answers per route and status, then starts over', () => {
    // Prepare
    const metrics = new RequestMetrics(target);
    // Act
    metrics.record('invocations', 200, 1.0, { answers: 1, fallback: 1, foldIn: 0 });
    metrics.record('invocations', 200, 2.0, { answers: 2, fallback: 0, foldIn: 1 });
    metrics.record('invocations', 503, 0.5);
    const lines = metrics.flush(5000).map(parse);
    const again = metrics.flush(6000);
    // Assess
    expect(
      lines.map((l) => [
        l.route,
        l.status,
        l.Requests,
        l.ServerErrors,
        l.Answers,
        l.FallbackAnswers,
        l.FoldInAnswers,
      ]),
    ).toEqual([
      ['invocations', '200', 2, 0, 3, 1, 1],
      ['invocations', '503', 1, 1, 0, 0, 0],
    ]);
    expect(lines[0]?.Latency).toEqual([expect.closeTo(1.0, 1), expect.closeTo(2.0, 1)]);
    expect(again).toEqual([]);
  });

  it('stands for many requests by 100 quantiles within a bucket (9 %) of the true ones', () => {
    // Prepare: 10,000 latencies spread over 0.1 .. 100 ms (log-uniform).
    const metrics = new RequestMetrics(target);
    const latencies = Array.from({ length: 10_000 }, (_, i) => 0.1 * 1000 ** (i / 9_999));
    for (const ms of latencies) metrics.record('ping', 200, ms);
    // Act
    const latency = parse(metrics.flush()[0] as string).Latency as number[];
    // Assess: p50, p90, p99 of the 100 values against the exact ones
    expect(latency).toHaveLength(100);
    for (const p of [0.5, 0.9, 0.99]) {
      const truth = latencies[Math.floor(p * latencies.length)] as number;
      const estimate = latency[Math.round(p * 100 - 0.5)] as number;
      expect(Math.abs(estimate - truth) / truth).toBeLessThan(0.1);
    }
  });
});

describe('Function: latencyValues', () => {
  it('gives one value per request up to 100, in order', () => {
    const histogram = new Uint32Array(256);
    histogram[10] = 2;
    histogram[20] = 1;
    const values = latencyValues(histogram, 3);
    expect(values).toHaveLength(3);
    expect(values[0]).toBe(values[1]);
    expect(values[2]).toBeGreaterThan(values[0] as number);
  });
});
