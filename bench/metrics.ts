/**
 * `npm run bench:metrics`: what the container's metrics cost a request, in-process (CPU time per
 * request, so it holds on a busy machine where wrk's req/s swing): recording a response into the
 * per-thread aggregate (answer counts, a map lookup, a histogram increment), and the flush of an
 * interval's lines, against the time a request takes (bench:serve: ~90 us of CPU at 11k req/s on
 * two threads).
 * @module
 */
import { answerCounts, NO_ANSWERS, type RouteAnswer } from '../src/api/index.js';
import { RequestMetrics } from '../src/serving/index.js';

const N = 2_000_000;
const answer: RouteAnswer = {
  kind: 'one',
  value: {
    userId: 'u001',
    recommendations: Array.from({ length: 10 }, (_, i) => ({ videoId: `v${i}`, score: 0.5 })),
  },
};
const routes = ['invocations', 'userRecommendations', 'ping'];
const statuses = [200, 200, 200, 404];

function time(label: string, run: () => void): number {
  run(); // warm-up
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  const ns = ((used.user + used.system) * 1000) / N;
  console.log(`${label.padEnd(48)} ${ns.toFixed(1).padStart(7)} ns per request`);
  return ns;
}

const baseline = time('loop alone (latency draw, route pick)', () => {
  let sink = 0;
  for (let i = 0; i < N; i++) sink += Math.random() * 5 + (routes[i % 3]?.length ?? 0);
  if (sink < 0) console.log(sink);
});
const record = time('answerCounts + RequestMetrics.record', () => {
  const metrics = new RequestMetrics({ namespace: 'VideoRecommender', service: 'bench' });
  for (let i = 0; i < N; i++) {
    const route = routes[i % 3] as string;
    metrics.record(
      route,
      statuses[i % 4] as number,
      Math.random() * 5,
      route === 'ping' ? NO_ANSWERS : answerCounts(answer),
    );
  }
});
const metrics = new RequestMetrics({ namespace: 'VideoRecommender', service: 'bench' });
for (let i = 0; i < 600_000; i++)
  metrics.record(routes[i % 3] as string, statuses[i % 4] as number, Math.random() * 5);
const flushStart = process.hrtime.bigint();
const lines = metrics.flush();
const flushMs = Number(process.hrtime.bigint() - flushStart) / 1e6;
console.log(
  `flush of 600,000 requests (${lines.length} lines, ${lines.join('\n').length} bytes): ${flushMs.toFixed(2)} ms`,
);
console.log(
  `metrics cost per request: ${(record - baseline).toFixed(0)} ns = ${((100 * (record - baseline)) / 90_000).toFixed(2)} % of ~90 us`,
);
