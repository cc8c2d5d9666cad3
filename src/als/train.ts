/**
 * Implicit-feedback ALS training (Hu, Koren & Volinsky 2008) with conjugate-gradient row updates
 * (Takács et al. 2011), following the `implicit` library's CPU `least_squares_cg`: same confidence
 * convention, initialisation, update order (users, then items) and loss definition.
 * @module
 */

import { InputInvalidError } from '../core/errors.js';
import type { AlsParams, Csr } from '../core/model-data.js';
import { createRng, fillUniformFactors } from '../core/random.js';
import { wasmAvailable } from '../kernels/als-kernels.js';
import { mirrorUpper } from './gram.js';
import { squaredNorm } from './loss.js';
import { AlsPool } from './pool.js';
import { type AlsKernel, type AlsState, chunkCount, createState, Phase } from './state.js';

/** The `implicit` library's defaults (AlternatingLeastSquares 0.7), with our seed. */
export const ALS_DEFAULTS: AlsParams = Object.freeze({
  factors: 100,
  regularization: 0.01,
  alpha: 1,
  iterations: 15,
  cgSteps: 3,
  threads: 1,
  seed: 42,
});

/** Reported after every iteration (both half-steps). */
export interface IterationInfo {
  /** 1-based. */
  iteration: number;
  /** implicit's training loss, when `computeLoss` was asked for. */
  loss: number | undefined;
  /** Wall time of the iteration's two solves (loss excluded). */
  seconds: number;
  /**
   * The factors after this iteration (users x factors, items x factors): live views, valid until the
   * callback returns or the promise it returns settles (a checkpoint writes them then).
   */
  factors: { user: Float32Array; item: Float32Array };
}

/**
 * Where a resumed fit starts: the factors after iteration `iteration` of a fit of the same matrix with
 * the same parameters (but `iterations` and `threads`). The fit then gives the same bits as one that
 * was never interrupted.
 */
export interface AlsStart {
  /** Finished iterations, 0..params.iterations. */
  iteration: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** The losses of iterations 1..iteration, when the fit computes them. */
  losses: readonly number[];
}

/** Trained factors plus per-iteration diagnostics. */
export interface AlsResult {
  /** users x factors, row-major. */
  userFactors: Float32Array;
  /** items x factors, row-major. */
  itemFactors: Float32Array;
  /** One entry per iteration when `computeLoss`, else empty. */
  losses: number[];
  secondsPerIteration: number[];
}

/** Optional progress callback (awaited before the next iteration), loss computation and resume point. */
export interface TrainHooks {
  /**
   * After each iteration (awaited: a checkpoint writes the factors then). Returning false ends training
   * there (the tuner's early stopping); the result then holds those factors.
   */
  onIteration?(info: IterationInfo): void | boolean | Promise<void> | Promise<boolean>;
  /** Continue from a finished iteration instead of the seeded initialisation. */
  start?: AlsStart;
  computeLoss?: boolean;
  /** Inner loops: 'wasm' (SIMD, float32 like implicit; the default where supported) or 'js' (float64 vectors). */
  kernel?: AlsKernel;
}

function checkParams(p: AlsParams): void {
  const integer = (name: keyof AlsParams, min: number): void => {
    const value = p[name];
    if (!Number.isInteger(value) || value < min) {
      throw new InputInvalidError(`ALS parameter ${name} must be an integer >= ${min}, got ${value}`);
    }
  };
  integer('factors', 1);
  integer('iterations', 0);
  integer('cgSteps', 1);
  integer('threads', 1);
  integer('seed', 0);
  if (!(Number.isFinite(p.regularization) && p.regularization >= 0)) {
    throw new InputInvalidError(`ALS parameter regularization must be >= 0, got ${p.regularization}`);
  }
  if (!(Number.isFinite(p.alpha) && p.alpha > 0)) {
    throw new InputInvalidError(`ALS parameter alpha must be > 0, got ${p.alpha}`);
  }
}

function checkMatrix(m: Csr): void {
  const nnz = m.indptr[m.rows] ?? 0;
  if (m.rows === 0 || m.cols === 0 || nnz === 0) {
    throw new InputInvalidError(
      `Cannot train on an empty interaction matrix (${m.rows} users x ${m.cols} items, ${nnz} interactions)`,
    );
  }
  if (m.rows < 2) throw new InputInvalidError(`Need at least 2 users to train, got ${m.rows}`);
  if (m.cols < 2) throw new InputInvalidError(`Need at least 2 items to train, got ${m.cols}`);
  for (let n = 0; n < nnz; n++) {
    if (!Number.isFinite(m.data[n]))
      throw new InputInvalidError(`Interaction value at position ${n} is not finite`);
  }
}

/** Seeded initialisation, or the factors of `start` (checked against the problem's shape). */
function initialFactors(state: AlsState, params: AlsParams, start: AlsStart | undefined): void {
  if (!start) {
    // Same draw order as implicit: all user factors, then all item factors.
    const rng = createRng(params.seed);
    fillUniformFactors(state.userFactors, rng);
    fillUniformFactors(state.itemFactors, rng);
    return;
  }
  const fits =
    Number.isInteger(start.iteration) &&
    start.iteration >= 0 &&
    start.iteration <= params.iterations &&
    start.userFactors.length === state.userFactors.length &&
    start.itemFactors.length === state.itemFactors.length;
  if (!fits) {
    throw new InputInvalidError(
      `Cannot resume ALS at iteration ${start.iteration} of ${params.iterations} with ${start.userFactors.length} + ${start.itemFactors.length} factor values (expected ${state.userFactors.length} + ${state.itemFactors.length})`,
    );
  }
  state.userFactors.set(start.userFactors);
  state.itemFactors.set(start.itemFactors);
}

/** Sums the Gram partials in chunk order into `state.system` and adds λI. */
function finishSystem(state: AlsState, phase: Phase, regularization: number): void {
  const { k, system, gramPartials } = state;
  const kk = k * k;
  system.fill(0);
  const chunks = chunkCount(state, phase);
  for (let c = 0; c < chunks; c++) {
    const o = c * kk;
    for (let i = 0; i < kk; i++) system[i] = (system[i] as number) + (gramPartials[o + i] as number);
  }
  mirrorUpper(system, k);
  for (let d = 0; d < k; d++) system[d * k + d] = (system[d * k + d] as number) + regularization;
  if (state.system32.length > 0) state.system32.set(system);
}

function finishLoss(
  state: AlsState,
  regularization: number,
  rows: number,
  cols: number,
  nnz: number,
): number {
  let loss = 0;
  let confidence = 0;
  const chunks = chunkCount(state, Phase.loss);
  for (let c = 0; c < chunks; c++) {
    loss += state.lossPartials[c * 2] as number;
    confidence += state.lossPartials[c * 2 + 1] as number;
  }
  loss += regularization * squaredNorm(state.itemFactors);
  return loss / (confidence + rows * cols - nnz);
}

/**
 * Factorizes a user x item matrix of summed interaction values (alpha is applied inside).
 * threads = 1 runs in-process; threads = N shares the factors with N − 1 worker threads. The result
 * does not depend on the thread count: a seed gives the same bits at any `threads`.
 * @param userItems - rows = users, cols = items, raw summed values.
 * @param params - Hyper-parameters; see {@link ALS_DEFAULTS}.
 * @param hooks - Progress callback and optional loss per iteration.
 * @example
 * const { userFactors, itemFactors } = await trainAls(matrix, { ...ALS_DEFAULTS, factors: 64 });
 */
export async function trainAls(
  userItems: Csr,
  params: AlsParams,
  hooks: TrainHooks = {},
): Promise<AlsResult> {
  checkParams(params);
  checkMatrix(userItems);
  const { factors: k, regularization, threads } = params;
  const kernel = hooks.kernel ?? (wasmAvailable() ? 'wasm' : 'js');
  const state = createState(userItems, params.alpha, k, params.cgSteps, threads, kernel);
  initialFactors(state, params, hooks.start);

  const nnz = userItems.indptr[userItems.rows] as number;
  const losses: number[] = [...(hooks.start?.losses ?? [])];
  const secondsPerIteration: number[] = [];
  const pool = await AlsPool.start(state, threads);
  try {
    let itemGramFresh = false;
    for (let iteration = (hooks.start?.iteration ?? 0) + 1; iteration <= params.iterations; iteration++) {
      const started = performance.now();
      if (!itemGramFresh) {
        await pool.run(Phase.gramItems);
        finishSystem(state, Phase.gramItems, regularization);
      }
      await pool.run(Phase.solveUsers);
      await pool.run(Phase.gramUsers);
      finishSystem(state, Phase.gramUsers, regularization);
      await pool.run(Phase.solveItems);
      const seconds = (performance.now() - started) / 1000;
      secondsPerIteration.push(seconds);
      itemGramFresh = false;
      let loss: number | undefined;
      if (hooks.computeLoss) {
        // The loss needs YᵀY of the new items, which the next iteration's user solve reuses.
        await pool.run(Phase.gramItems);
        finishSystem(state, Phase.gramItems, regularization);
        itemGramFresh = true;
        await pool.run(Phase.loss);
        loss = finishLoss(state, regularization, userItems.rows, userItems.cols, nnz);
        losses.push(loss);
      }
      const factors = { user: state.userFactors, item: state.itemFactors };
      if ((await hooks.onIteration?.({ iteration, loss, seconds, factors })) === false) break;
    }
  } finally {
    await pool.close();
  }
  // Plain (non-shared) copies: callers may transfer or hash them like any other array.
  return {
    userFactors:
      state.userFactors.buffer instanceof ArrayBuffer ? state.userFactors : state.userFactors.slice(),
    itemFactors:
      state.itemFactors.buffer instanceof ArrayBuffer ? state.itemFactors : state.itemFactors.slice(),
    losses,
    secondsPerIteration,
  };
}
