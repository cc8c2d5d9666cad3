/**
 * `npm run bench:core`: score + top-10 for one user over synthetic catalogues (10k, 100k, 1M videos
 * at 64 factors), against a plain pass summing the same Float32Array (the memory-bandwidth floor) and
 * a naive map + sort. Prints milliseconds per query (median of several runs) and the ratio to the floor.
 */
import { createDotKernel } from '../src/kernels/dot-kernel.js';
import { topKDot } from '../src/ranking/index.js';

const FACTORS = 64;
const K = 10;
const SIZES = (process.argv[2] ?? '10000,100000,1000000').split(',').map(Number);

function randomMatrix(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    // xorshift32: deterministic and fast enough to fill 64M floats
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.2;
  }
  return out;
}

/** The floor: touch every float once, four accumulators like the dot loop. */
function sumAll(m: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < m.length; i += 4) {
    s0 += m[i] as number;
    s1 += m[i + 1] as number;
    s2 += m[i + 2] as number;
    s3 += m[i + 3] as number;
  }
  for (; i < m.length; i++) s0 += m[i] as number;
  return s0 + s1 + s2 + s3;
}

function naive(m: Float32Array, q: Float32Array, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let f = 0; f < FACTORS; f++) s += (m[i * FACTORS + f] as number) * (q[f] as number);
    return { i, s };
  })
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, K)
    .map((e) => e.i);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

let sink = 0;
/** Runs the contenders in turn, round after round, so load from other processes hits them alike. */
function interleaved(runs: number, contenders: Record<string, () => number>): Record<string, number[]> {
  const ms: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let r = 0; r < runs; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint();
      sink += fn();
      ms[name]?.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  return ms;
}

console.log(`bench:core  factors=${FACTORS} k=${K}  node ${process.version}  ms per query: median (min)`);
console.log(
  'videos     floor(sum)         score+top-k (JS)   ratio med (min)   naive map+sort   naive/fused   score+top-k (WASM SIMD)  ratio  same bits',
);
for (const n of SIZES) {
  const items = randomMatrix(n * FACTORS, 12345 + n);
  const query = randomMatrix(FACTORS, 99);
  const runs = n >= 1_000_000 ? 15 : n >= 100_000 ? 41 : 301;
  const kernel = createDotKernel(items, FACTORS);
  const ms = interleaved(runs, {
    floor: () => sumAll(items),
    fused: () => topKDot(items, FACTORS, query, K).indices[0] ?? 0,
    wasm: () => topKDot(items, FACTORS, query, K, { kernel }).indices[0] ?? 0,
  });
  const js = topKDot(items, FACTORS, query, K);
  const viaWasm = topKDot(items, FACTORS, query, K, { kernel });
  const identical =
    kernel !== undefined &&
    js.indices.join(',') === viaWasm.indices.join(',') &&
    js.scores.every((s, i) => Object.is(s, viaWasm.scores[i]));
  const slow =
    interleaved(n >= 1_000_000 ? 3 : 5, { naive: () => naive(items, query, n)[0] ?? 0 }).naive ?? [];
  const floor = ms.floor ?? [];
  const fused = ms.fused ?? [];
  const same =
    naive(items, query, n).join(',') === Array.from(topKDot(items, FACTORS, query, K).indices).join(',');
  const fmt = (xs: number[]) => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(3)})`.padEnd(19);
  console.log(
    `${String(n).padEnd(10)} ${fmt(floor)}${fmt(fused)}${(median(fused) / median(floor)).toFixed(2)} (${(Math.min(...fused) / Math.min(...floor)).toFixed(2)})       ${median(slow).toFixed(1).padStart(10)}      ${(median(slow) / median(fused)).toFixed(0).padStart(6)}x      ${fmt(ms.wasm ?? [])}      ${(median(ms.wasm ?? []) / median(floor)).toFixed(2)}  ${identical ? 'yes' : 'NO'}${same ? '' : '  MISMATCH with naive'}`,
  );
}
if (sink === Number.NEGATIVE_INFINITY) console.log(sink);
