/**
 * The training state shared by the main thread and worker threads, and the one task runner both
 * use. Work is cut into chunks fixed by the data alone (never by the thread count), each chunk
 * writes its own partial result, and partials are summed in chunk order: so any number of threads
 * produces the same bits as one.
 * @module
 */

import { transposeCsr } from '../core/csr.js';
import type { Csr } from '../core/model-data.js';
import { loadKernels, type WasmKernels, type WasmMemory } from '../kernels/als-kernels.js';
import { type CgScratch, type ConfidenceRows, cgUpdateRows, createCgScratch } from './cg.js';
import { toConfidenceRows } from './confidence.js';
import { addGramRows } from './gram.js';
import { addLossRows } from './loss.js';
import { type Allocator, arenaBytes, bufferAllocator, wasmArena } from './memory.js';

/** Which inner loops run: WebAssembly SIMD (default) or plain typed-array JavaScript. */
export type AlsKernel = 'wasm' | 'js';

/** What one pass over chunks computes. */
export const Phase = {
  gramUsers: 0,
  gramItems: 1,
  solveUsers: 2,
  solveItems: 3,
  loss: 4,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

const PHASES: readonly number[] = Object.values(Phase);

/** Tells worker threads to leave their loop (not a phase: runChunks refuses it). */
export const STOP_PHASE = -1;

/** The shared control words (indices into `AlsState.control`). */
export const Control = {
  /** Next chunk of the current phase to take (Atomics.add), so threads balance load dynamically. */
  next: 0,
  /** Bumped by the main thread to start a phase; workers sleep on it. */
  epoch: 1,
  /** The phase started by the last bump (or STOP_PHASE). */
  phase: 2,
  /** Workers that finished the current phase; the main thread sleeps on it. */
  done: 3,
  /** 1 when a worker failed the current phase (its message is on its error port). */
  failed: 4,
} as const;

/** Everything a thread needs; every array is a SharedArrayBuffer view when threads > 1. */
export interface AlsState {
  k: number;
  cgSteps: number;
  kernel: AlsKernel;
  /** The shared WebAssembly memory every array lives in, when kernel = 'wasm'. */
  memory: WasmMemory | null;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  users: ConfidenceRows;
  items: ConfidenceRows;
  /** The current system matrix YᵀY + λI (or XᵀX + λI), k x k, both triangles. */
  system: Float64Array;
  /** float32 copy of `system` for the SIMD kernel. */
  system32: Float32Array;
  /** {@link wasmScratchFloats} floats per thread for the SIMD kernels, thread t's after thread t − 1's. */
  wasmScratch: Float32Array;
  /** One k x k upper-triangle Gram partial per row chunk. */
  gramPartials: Float64Array;
  /** [loss numerator, confidence] per solve chunk of the user side. */
  lossPartials: Float64Array;
  /** Chunk boundaries: cost-balanced for solves and loss, equal rows for Gram matrices. */
  userChunks: Int32Array;
  itemChunks: Int32Array;
  userRowChunks: Int32Array;
  itemRowChunks: Int32Array;
  /** Shared control words, indexed by {@link Control}. */
  control: Int32Array;
}

const SOLVE_CHUNKS = 128;
const CONTROL_WORDS = 8;

/**
 * float32 scratch per thread for the SIMD kernels: the CG update needs 3k + 32 (its vectors and one
 * block of coefficients), the loss 2k doubles (4k floats).
 */
export function wasmScratchFloats(k: number): number {
  return 4 * k + Math.max(4 * k, 32);
}
const GRAM_CHUNKS = 16;

/** Splits rows into at most `count` chunks of roughly equal CG cost (per row: k + 2·nnz, times steps). */
export function costChunks(indptr: Int32Array, rows: number, k: number, count: number): Int32Array {
  const total = (indptr[rows] as number) * 2 + rows * k;
  const n = Math.max(1, Math.min(count, rows));
  const bounds: number[] = [0];
  let acc = 0;
  for (let r = 0; r < rows; r++) {
    acc += ((indptr[r + 1] as number) - (indptr[r] as number)) * 2 + k;
    if (acc >= (total * bounds.length) / n && bounds.length < n && r + 1 < rows) bounds.push(r + 1);
  }
  bounds.push(rows);
  return Int32Array.from(bounds);
}

/** Splits rows into at most `count` chunks of equal size. */
export function rowChunks(rows: number, count: number): Int32Array {
  const n = Math.max(1, Math.min(count, rows));
  const out = new Int32Array(n + 1);
  for (let c = 0; c <= n; c++) out[c] = Math.floor((rows * c) / n);
  return out;
}

/**
 * Builds the state for a user x item matrix of raw values: confidences for both sides, zeroed
 * factors, and chunking. Arrays go into one shared WebAssembly memory for the SIMD kernel, else
 * into SharedArrayBuffers when `threads > 1`.
 */
export function createState(
  userItems: Csr,
  alpha: number,
  k: number,
  cgSteps: number,
  threads: number,
  kernel: AlsKernel,
): AlsState {
  const itemUsers = transposeCsr(userItems);
  const nnz = userItems.indptr[userItems.rows] as number;
  const userChunks = costChunks(userItems.indptr, userItems.rows, k, SOLVE_CHUNKS);
  const itemChunks = costChunks(itemUsers.indptr, itemUsers.rows, k, SOLVE_CHUNKS);
  let memory: WasmMemory | null = null;
  let allocate: Allocator = bufferAllocator(threads > 1);
  if (kernel === 'wasm') {
    const f32 = 4;
    const sizes = [
      (userItems.rows + 1) * f32,
      (itemUsers.rows + 1) * f32,
      ...new Array<number>(6).fill(nnz * f32),
      userItems.rows * k * f32,
      itemUsers.rows * k * f32,
      k * k * 8,
      k * k * f32,
      threads * wasmScratchFloats(k) * f32,
      GRAM_CHUNKS * k * k * 8,
      userChunks.length * 2 * 8,
      CONTROL_WORDS * f32,
    ];
    const arena = wasmArena(arenaBytes(sizes));
    memory = arena.memory;
    allocate = arena.allocate;
  }
  return {
    k,
    cgSteps,
    kernel,
    memory,
    users: toConfidenceRows(userItems, alpha, allocate),
    items: toConfidenceRows(itemUsers, alpha, allocate),
    userFactors: allocate(Float32Array, userItems.rows * k),
    itemFactors: allocate(Float32Array, itemUsers.rows * k),
    system: allocate(Float64Array, k * k),
    system32: allocate(Float32Array, kernel === 'wasm' ? k * k : 0),
    wasmScratch: allocate(Float32Array, kernel === 'wasm' ? threads * wasmScratchFloats(k) : 0),
    gramPartials: allocate(Float64Array, GRAM_CHUNKS * k * k),
    lossPartials: allocate(Float64Array, userChunks.length * 2),
    userChunks,
    itemChunks,
    userRowChunks: rowChunks(userItems.rows, GRAM_CHUNKS),
    itemRowChunks: rowChunks(itemUsers.rows, GRAM_CHUNKS),
    control: allocate(Int32Array, CONTROL_WORDS),
  };
}

/** What one thread brings to {@link runChunks}: its own scratch vectors and kernel instance. */
export interface ThreadContext {
  scratch: CgScratch;
  wasm: WasmKernels | null;
  wasmScratch: Float32Array;
  /** The same bytes as `wasmScratch`, as float64 (the loss kernel's vectors). */
  wasmScratch64: Float64Array;
}

/** Prepares thread `index` (0 = main thread) to run phases on `state`. */
export function createThreadContext(state: AlsState, index: number): ThreadContext {
  const size = wasmScratchFloats(state.k);
  const wasmScratch = state.wasmScratch.subarray(index * size, (index + 1) * size);
  return {
    scratch: createCgScratch(state.k),
    wasm: state.memory ? loadKernels(state.memory) : null,
    wasmScratch,
    wasmScratch64: new Float64Array(wasmScratch.buffer, wasmScratch.byteOffset, wasmScratch.length / 2),
  };
}

function chunksOf(state: AlsState, phase: Phase): Int32Array {
  switch (phase) {
    case Phase.gramUsers:
      return state.userRowChunks;
    case Phase.gramItems:
      return state.itemRowChunks;
    case Phase.solveItems:
      return state.itemChunks;
    default:
      return state.userChunks;
  }
}

/** Number of chunks a phase is cut into (the main thread sizes partial sums with it). */
export function chunkCount(state: AlsState, phase: Phase): number {
  return chunksOf(state, phase).length - 1;
}

function solve(state: AlsState, ctx: ThreadContext, users: boolean, start: number, end: number): void {
  const x = users ? state.userFactors : state.itemFactors;
  const y = users ? state.itemFactors : state.userFactors;
  const m = users ? state.users : state.items;
  if (ctx.wasm) {
    ctx.wasm.cgUpdateRows({
      x,
      y,
      k: state.k,
      yty: state.system32,
      matrix: m,
      rows: { start, end },
      cgSteps: state.cgSteps,
      scratch: ctx.wasmScratch,
    });
  } else {
    cgUpdateRows(x, y, state.k, state.system, m, start, end, state.cgSteps, ctx.scratch);
  }
}

/** Takes chunks of `phase` from the shared counter until none are left, computing each. */
export function runChunks(state: AlsState, phase: Phase, ctx: ThreadContext): void {
  if (!PHASES.includes(phase)) throw new RangeError(`Unknown ALS phase ${phase}`);
  const bounds = chunksOf(state, phase);
  const count = bounds.length - 1;
  const { k } = state;
  for (;;) {
    const c = Atomics.add(state.control, Control.next, 1);
    if (c >= count) return;
    const start = bounds[c] as number;
    const end = bounds[c + 1] as number;
    switch (phase) {
      case Phase.gramUsers:
      case Phase.gramItems: {
        const partial = state.gramPartials.subarray(c * k * k, (c + 1) * k * k);
        partial.fill(0);
        const factors = phase === Phase.gramUsers ? state.userFactors : state.itemFactors;
        if (ctx.wasm) ctx.wasm.gramRows(partial, factors, k, start, end);
        else addGramRows(partial, factors, k, start, end);
        break;
      }
      case Phase.solveUsers:
      case Phase.solveItems:
        solve(state, ctx, phase === Phase.solveUsers, start, end);
        break;
      case Phase.loss: {
        const partial = state.lossPartials.subarray(c * 2, c * 2 + 2);
        partial.fill(0);
        if (ctx.wasm) {
          ctx.wasm.lossRows({
            out: partial,
            x: state.userFactors,
            y: state.itemFactors,
            k,
            yty: state.system,
            matrix: state.users,
            rows: { start, end },
            scratch: ctx.wasmScratch64,
          });
          break;
        }
        addLossRows(
          partial,
          state.userFactors,
          state.itemFactors,
          k,
          state.system,
          state.users,
          start,
          end,
          ctx.scratch,
        );
        break;
      }
    }
  }
}
