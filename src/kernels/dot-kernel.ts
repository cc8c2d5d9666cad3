/**
 * The WebAssembly SIMD scoring kernel of top-k (dot.c): dot products of a row-major float32 matrix
 * with a float64 query, in blocks, bit-identical to the JS loop in src/ranking/top-k.ts but several
 * times faster (bench/core.ts).
 *
 * WebAssembly reads only its own memory, so the data it scores lives in one shared
 * {@link ScoringMemory}: a model's whole item side is read straight into it once, and every request
 * thread of a container instantiates the kernel over that same memory with a scratch slot of its own
 * (query, row list, scores). Nothing is copied per thread.
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

/**
 * A shared WebAssembly memory laid out as: the modules' reserved stack area, a data region the
 * caller fills (e.g. a model's `items.bin`), then one scratch slot per thread.
 */
export interface ScoringMemory {
  memory: WasmMemory<SharedArrayBuffer>;
  /** byte offset of the data region (16-aligned) */
  dataOffset: number;
  dataBytes: number;
  /** longest query a slot holds */
  maxDim: number;
  slots: number;
  scratchOffset: number;
}

/** A float32 row-major matrix inside a {@link ScoringMemory}'s data region. */
export interface MatrixRef {
  /** byte offset from the start of the memory (4-aligned) */
  offset: number;
  rows: number;
  dim: number;
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** One thread's scratch: the query, a row list, the scores. */
function slotBytes(maxDim: number): number {
  return align16(maxDim * 8) + DOT_BLOCK * 4 + DOT_BLOCK * 8;
}

let compiled: object | null | undefined;
function dotModule(): object | null {
  compiled ??= compileWasm(DOT_WASM_BASE64);
  return compiled;
}

/**
 * Allocates a shared memory for `dataBytes` of data and `slots` scratch slots.
 * @returns undefined when WebAssembly SIMD is unavailable or the total exceeds 4 GiB
 * @example
 * const memory = createScoringMemory(items.byteLength, 2, 64);
 * new Uint8Array(memory.memory.buffer, memory.dataOffset, items.byteLength).set(items);
 */
export function createScoringMemory(
  dataBytes: number,
  slots: number,
  maxDim: number,
): ScoringMemory | undefined {
  if (!dotModule() || !wasmApi) return undefined;
  const dataOffset = WASM_RESERVED_BYTES;
  const scratchOffset = align16(dataOffset + dataBytes);
  const pages = Math.ceil((scratchOffset + slots * slotBytes(maxDim)) / WASM_PAGE_BYTES);
  if (pages > WASM_MAX_PAGES) return undefined;
  try {
    const memory = new wasmApi.Memory({
      initial: pages,
      maximum: pages,
      shared: true,
    }) as WasmMemory<SharedArrayBuffer>;
    return { memory, dataOffset, dataBytes, maxDim, slots, scratchOffset };
  } catch {
    return undefined;
  }
}

/** The data region of a scoring memory, for filling and for typed-array views. */
export function scoringData(memory: ScoringMemory): Uint8Array {
  return new Uint8Array(memory.memory.buffer, memory.dataOffset, memory.dataBytes);
}

/** Kernels of one thread over one scoring memory: bind them to matrices of that memory. */
export interface KernelSlot {
  /** A kernel over a matrix inside the memory; every kernel of a slot shares its query. */
  bind(matrix: MatrixRef): DotKernel;
}

/**
 * Instantiates the kernel for one thread over `memory`, using scratch slot `slot`.
 * @returns undefined when the memory is undefined (no WebAssembly SIMD)
 */
export function kernelSlot(memory: ScoringMemory | undefined, slot: number): KernelSlot | undefined {
  const compiledModule = dotModule();
  if (!memory || !compiledModule || !wasmApi) return undefined;
  if (!Number.isInteger(slot) || slot < 0 || slot >= memory.slots) {
    throw new RangeError(`scratch slot ${slot} is outside 0..${memory.slots - 1}`);
  }
  const raw = new wasmApi.Instance(compiledModule, { env: { memory: memory.memory } }).exports as RawExports;
  const buffer = memory.memory.buffer;
  const queryAt = memory.scratchOffset + slot * slotBytes(memory.maxDim);
  const rowsAt = queryAt + align16(memory.maxDim * 8);
  const outAt = rowsAt + DOT_BLOCK * 4;
  const query = new Float64Array(buffer, queryAt, memory.maxDim);
  const rowList = new Int32Array(buffer, rowsAt, DOT_BLOCK);
  const out = new Float64Array(buffer, outAt, DOT_BLOCK);
  return {
    bind({ offset, rows, dim }) {
      if (dim > memory.maxDim) throw new RangeError(`matrix dim ${dim} exceeds the slot's ${memory.maxDim}`);
      return {
        dim,
        rows,
        setQuery(q) {
          for (let f = 0; f < dim; f++) query[f] = q[f] as number;
        },
        scoreRange(first, count) {
          raw.score_range(offset, dim, queryAt, first, count, outAt);
          return out;
        },
        scoreRows(list) {
          rowList.set(list);
          raw.score_rows(offset, dim, queryAt, rowsAt, list.length, outAt);
          return out;
        },
      };
    },
  };
}

/**
 * A kernel over a private copy of `matrix` (one slot), for one-off scoring such as offline
 * evaluation; serving shares one {@link ScoringMemory} instead.
 * @returns undefined when WebAssembly SIMD is unavailable or the matrix does not fit in 4 GiB
 * (callers then use the JS loop, which gives the same results)
 * @example
 * const kernel = createDotKernel(itemFactors, 64);
 * topKDot(itemFactors, 64, userVector, 10, { kernel });
 */
export function createDotKernel(matrix: Float32Array, dim: number): DotKernel | undefined {
  if (dim < 1) return undefined;
  const rows = Math.floor(matrix.length / dim);
  const memory = createScoringMemory(rows * dim * 4, 1, dim);
  if (!memory) return undefined;
  new Float32Array(memory.memory.buffer, memory.dataOffset, rows * dim).set(matrix.subarray(0, rows * dim));
  return kernelSlot(memory, 0)?.bind({ offset: memory.dataOffset, rows, dim });
}
