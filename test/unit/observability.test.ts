import { afterEach, describe, expect, it, vi } from 'vitest';
import { metrics, recordRequest } from '../../handlers/observability.js';
import { emfLine, METRICS } from '../../src/serving/emf.js';

/** What Powertools writes to stdout (it writes EMF there, whatever the logger) while `act` runs. */
function stdoutOf(act: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  act();
  vi.restoreAllMocks();
  return written
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: recordRequest (Powertools Metrics)', () => {
  it('writes the same dimension sets, names, units and values as the container line', () => {
    // Act
    const lines = stdoutOf(() => {
      recordRequest('invocations', 200, 1.5, { answers: 2, fallback: 1, foldIn: 0 }, undefined, 0);
      metrics.publishStoredMetrics();
    });
    // Assess: compared with src/serving/emf.ts's line for one request, timestamps aside
    const ours = JSON.parse(
      emfLine(
        { namespace: 'VideoRecommender', service: 'video-recommender' },
        0,
        { route: 'invocations', status: '200' },
        [
          { metric: METRICS.requests, value: 1 },
          { metric: METRICS.serverErrors, value: 0 },
          { metric: METRICS.latency, value: 1.5 },
          { metric: METRICS.answers, value: 2 },
          { metric: METRICS.fallbackAnswers, value: 1 },
          { metric: METRICS.foldInAnswers, value: 0 },
        ],
      ),
    ) as Record<string, unknown> & { _aws: Record<string, unknown> };
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown> & { _aws: Record<string, unknown> };
    expect({ ...line, _aws: { ...line._aws, Timestamp: 0 } }).toEqual(ours);
  });

  it('adds the model line (age and version) and the load failures since the last request', () => {
    // Act
    const lines = stdoutOf(() =>
      recordRequest(
        'ping',
        503,
        0.2,
        { answers: 0, fallback: 0, foldIn: 0 },
        { version: 'v9', createdAt: new Date(Date.now() - 3_600_000).toISOString() },
        2,
      ),
    );
    metrics.clearMetrics();
    metrics.clearDimensions();
    // Assess: both single-metric lines under [service] only
    expect(lines.map((l) => [l.ModelAgeSeconds, l.ModelLoadFailures, l.modelVersion])).toEqual([
      [3600, undefined, 'v9'],
      [undefined, 2, undefined],
    ]);
    for (const line of lines) {
      expect(
        (line._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions,
      ).toEqual([['service']]);
    }
  });
});
