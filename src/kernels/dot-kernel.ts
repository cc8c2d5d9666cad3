/**
 * The WebAssembly SIMD scoring kernel of top-k (dot.c): dot products of a row-major float32
 * matrix with a float64 query, in blocks, bit-identical to the JS loop in topk.ts but several times
 * faster (measured by bench/core.ts). WebAssembly reads only its own memory, so the matrix is copied
 * into one memory per kernel, once, when a model is loaded: the price is one more copy of the item
 * factors (25.6 MB for 100k videos x 64 factors).
 * @module
 */

import { DOT_WASM_BASE64 } from './dot-wasm.js';
import {
  compileWasm,
  WASM_MAX_PAGES,
  WASM_PAGE_BYTES,
  WASM_RESERVED_BYTES,
  type WasmMemory,
  wasmApi,
} from './wasm.js';

interface RawExports {
  score_range(m: number, dim: number, q: number, first: number, count: number, out: number): void;
  score_rows(m: number, dim: number, q: number, rows: number, count: number, out: number): void;
}

/** Rows scored per call: the scores of one block stay in L1 while the heap reads them. */
export const DOT_BLOCK = 2048;
/** Dot products of a fixed matrix's rows with a query set by {@link DotKernel.setQuery}. */
export interface DotKernel {
  readonly dim: number;
  readonly rows: number;
  /** Sets the query (length dim) every following call scores against. */
  setQuery(query: ArrayLike<number>): void;
  /** Scores rows first .. first + count - 1 (count <= DOT_BLOCK); the view is reused by the next call. */
  scoreRange(first: number, count: number): Float64Array;
  /** Scores the listed rows (length <= DOT_BLOCK); the view is reused by the next call. */
  scoreRows(rows: Int32Array): Float64Array;
}

let compiled: object | null | undefined;

/**
 * A kernel over a copy of `matrix`, or undefined when WebAssembly SIMD is unavailable or the matrix
 * does not fit in 4 GiB (callers then use the JS loop, which gives the same results).
 * @example
 * const kernel = createDotKernel(itemFactors, 64);
 * topKDot(itemFactors, 64, userVector, 10, { kernel });
 */
export function createDotKernel(matrix: Float32Array, dim: number): DotKernel | undefined {
  compiled ??= compileWasm(DOT_WASM_BASE64);
  const compiledModule = compiled;
  if (!compiledModule || !wasmApi || dim < 1) return undefined;
  const rows = Math.floor(matrix.length / dim);
  const matrixAt = WASM_RESERVED_BYTES;
  const queryAt = matrixAt + Math.ceil((rows * dim * 4) / 16) * 16;
  const rowsAt = queryAt + Math.ceil((dim * 8) / 16) * 16;
  const outAt = rowsAt + DOT_BLOCK * 4;
  const pages = Math.ceil((outAt + DOT_BLOCK * 8) / WASM_PAGE_BYTES);
  if (pages > WASM_MAX_PAGES) return undefined;
  let memory: WasmMemory;
  try {
    memory = new wasmApi.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined;
  }
  const raw = new wasmApi.Instance(compiledModule, { env: { memory } }).exports as RawExports;
  const buffer = memory.buffer;
  new Float32Array(buffer, matrixAt, rows * dim).set(matrix.subarray(0, rows * dim));
  const query = new Float64Array(buffer, queryAt, dim);
  const rowList = new Int32Array(buffer, rowsAt, DOT_BLOCK);
  const out = new Float64Array(buffer, outAt, DOT_BLOCK);
  return {
    dim,
    rows,
    setQuery(q) {
      for (let f = 0; f < dim; f++) query[f] = q[f] as number;
    },
    scoreRange(first, count) {
      raw.score_range(matrixAt, dim, queryAt, first, count, outAt);
      return out;
    },
    scoreRows(list) {
      rowList.set(list);
      raw.score_rows(matrixAt, dim, queryAt, rowsAt, list.length, outAt);
      return out;
    },
  };
}
