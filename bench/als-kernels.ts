/**
 * Speed of the ALS building blocks, ours (flat typed arrays) against ml-matrix for the same
 * operation, then one ALS iteration on the synthetic set. Prints numbers; asserts nothing.
 * Usage: npm run bench:als [-- --threads 1,2 --factors 64 --iterations 3 --kernel wasm|js --skip-synthetic]
 * @module
 */

import { parseArgs } from 'node:util';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { cgUpdateRows, createCgScratch } from '../src/als/cg.js';
import { toConfidenceRows } from '../src/als/confidence.js';
import { foldInUser, gramMatrix } from '../src/als/fold-in.js';
import { createState, createThreadContext } from '../src/als/state.js';
import { ALS_DEFAULTS, trainAls } from '../src/als/train.js';
import { csrFromTriples } from '../src/core/csr.js';
import { createRng } from '../src/core/random.js';
import { syntheticInteractions } from './synthetic.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    factors: { type: 'string', default: '64' },
    iterations: { type: 'string', default: '3' },
    'skip-synthetic': { type: 'boolean', default: false },
    kernel: { type: 'string', default: 'wasm' },
  },
});
const k = Number(values.factors);

/** Median milliseconds of `fn` over enough repetitions to last ~`budget` ms. */
function time(fn: () => void, budget = 400): number {
  fn();
  const samples: number[] = [];
  const end = performance.now() + budget;
  while (performance.now() < end || samples.length < 3) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1] as number;
}

function row(name: string, ours: number, theirs: number | undefined): void {
  const ratio = theirs === undefined ? '' : `${(theirs / ours).toFixed(1)}x`;
  console.log(
    `${name.padEnd(44)} ${ours.toFixed(3).padStart(10)} ms ${theirs === undefined ? '' : theirs.toFixed(3).padStart(10)}${theirs === undefined ? '' : ' ms'} ${ratio}`,
  );
}

const rng = createRng(1);
const rows = 20_000;
const y = new Float32Array(rows * k);
for (let i = 0; i < y.length; i++) y[i] = rng() - 0.5;
const Y = new Matrix(rows, k);
for (let i = 0; i < rows; i++) for (let j = 0; j < k; j++) Y.set(i, j, y[i * k + j] as number);

console.log(`ALS kernels, factors ${k} (median ms; machine shared by other sessions: noisy)`);
console.log(`${'operation'.padEnd(44)} ${'ours'.padStart(13)} ${'ml-matrix'.padStart(13)} speed-up`);
row(
  `Gram YᵀY, ${rows} x ${k}`,
  time(() => gramMatrix(y, rows, k)),
  time(() => Y.transpose().mmul(Y)),
);

// One user's row solve: 50 interactions, 3 CG steps (ours) vs building A and a Cholesky solve (ml-matrix).
const items = Array.from({ length: 50 }, (_, n) => (n * 397) % rows);
const vals = items.map((_, n) => 1 + (n % 4));
const yty = gramMatrix(y, rows, k);
for (let d = 0; d < k; d++) yty[d * k + d] = (yty[d * k + d] as number) + 0.1;
const confidence = toConfidenceRows(
  csrFromTriples(
    1,
    rows,
    items.map(() => 0),
    items,
    vals,
  ),
  1,
);
const scratch = createCgScratch(k);
const x = new Float32Array(k).fill(0.01);
const YtYReg = new Matrix(k, k);
for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) YtYReg.set(a, b, yty[a * k + b] as number);
const solveMlMatrix = (): void => {
  const A = YtYReg.clone();
  const b = Matrix.zeros(k, 1);
  items.forEach((item, n) => {
    const yi = Y.getRowVector(item);
    A.add(
      yi
        .transpose()
        .mmul(yi)
        .mul((vals[n] as number) - 1),
    );
    b.add(yi.transpose().mul(vals[n] as number));
  });
  new CholeskyDecomposition(A).solve(b);
};
row(
  'user row update, 50 items (CG 3 steps | Cholesky)',
  time(() => cgUpdateRows(x, y, k, yty, confidence, 0, 1, 3, scratch)),
  time(solveMlMatrix),
);
// The same update through the WebAssembly SIMD kernel, on a one-user state sharing these item factors.
const userItems = csrFromTriples(
  1,
  rows,
  items.map(() => 0),
  items,
  vals,
);
const state = createState(userItems, 1, k, 3, 1, 'wasm');
state.itemFactors.set(y);
state.system32.set(yty);
state.userFactors.fill(0.01);
const ctx = createThreadContext(state, 0);
const u = state.users;
row(
  'user row update, 50 items (WASM SIMD CG | Cholesky)',
  time(() =>
    ctx.wasm?.cgUpdateRows({
      x: state.userFactors,
      y: state.itemFactors,
      k,
      yty: state.system32,
      matrix: u,
      rows: { start: 0, end: 1 },
      cgSteps: 3,
      scratch: ctx.wasmScratch,
    }),
  ),
  time(solveMlMatrix),
);
row(
  'fold-in exact solve, 50 items (ours | ml-matrix)',
  time(() => foldInUser(y, k, yty, items, vals, { alpha: 1, regularization: 0.1, cgSteps: 3 })),
  time(solveMlMatrix),
);
const p = new Float64Array(k).fill(0.5);
const out = new Float64Array(k);
const P = Matrix.columnVector(Array.from(p));
row(
  `matrix-vector ${k} x ${k}`,
  time(() => {
    for (let rep = 0; rep < 1000; rep++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) s += (yty[j * k + l] as number) * (p[l] as number);
        out[j] = s;
      }
    }
  }) / 1000,
  time(() => {
    for (let rep = 0; rep < 1000; rep++) YtYReg.mmul(P);
  }) / 1000,
);

if (!values['skip-synthetic']) {
  const t0 = performance.now();
  const m = syntheticInteractions();
  console.log(
    `\nsynthetic set: ${m.rows} users x ${m.cols} items x ${m.indptr[m.rows]} interactions, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const kernel = values.kernel === 'js' ? 'js' : 'wasm';
  for (const threads of values.threads.split(',').map(Number)) {
    const result = await trainAls(m, {
      ...ALS_DEFAULTS,
      factors: k,
      iterations: Number(values.iterations),
      threads,
    });
    const s = result.secondsPerIteration;
    const sorted = [...s].sort((a, b) => a - b);
    console.log(
      `ALS factors ${k}, ${kernel} kernel, threads ${threads}: ${s.map((v) => v.toFixed(2)).join(' ')} s/iteration (median ${sorted[sorted.length >> 1]?.toFixed(2)}; implicit: ${threads === 1 ? '1.90' : '1.00'})`,
    );
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}
