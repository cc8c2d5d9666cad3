/**
 * Loads the WebAssembly SIMD kernels (als.c) over a shared linear memory and wraps them so callers pass
 * job descriptors of typed arrays that live in that memory; the wrappers hand the C exports their
 * byte offsets in the order of their C signatures.
 * @module
 */

import { ALS_WASM_BASE64 } from './als-wasm.js';
import { type WasmMemory as AnyWasmMemory, compileWasm, wasmApi } from './wasm.js';

/** The shared memory the training threads and kernels work on. */
export type WasmMemory = AnyWasmMemory<SharedArrayBuffer>;

/**
 * A sparse confidence matrix as the kernels read it: CSR structure plus the two per-entry coefficients
 * the CG update and the loss need (src/als/cg.ts `ConfidenceRows` has this shape).
 */
export interface KernelMatrix {
  indptr: Int32Array;
  indices: Int32Array;
  /** max(c, 0) per entry: the right-hand side weight. */
  target: Float32Array;
  /** |c| − 1 per entry: the extra weight over the all-ones baseline. */
  weight: Float32Array;
}

/** Rows `start` (inclusive) to `end` (exclusive) of a matrix. */
export interface RowRange {
  start: number;
  end: number;
}

/** What both row kernels read: the two factor sides and the rows of the confidence matrix to visit. */
interface RowsJob {
  /** rows x k factors of the side being visited, row-major. */
  x: Float32Array;
  /** The fixed other side's factors, row-major. */
  y: Float32Array;
  /** Number of factors. */
  k: number;
  /** The confidence rows of `x`'s side. */
  matrix: KernelMatrix;
  rows: RowRange;
}

/** One call of the CG row update: rows `rows` of `x` are overwritten with their updated factors. */
export interface CgUpdateJob extends RowsJob {
  /** YᵀY + λI, k x k float32, both triangles. */
  yty: Float32Array;
  cgSteps: number;
  /** At least 3k + 32 floats owned by the calling thread. */
  scratch: Float32Array;
}

/** One call of the loss kernel: adds the rows' loss numerator to `out[0]` and their confidence to `out[1]`. */
export interface LossJob extends RowsJob {
  out: Float64Array;
  /** YᵀY + λI, k x k float64, both triangles. */
  yty: Float64Array;
  /** At least 2k doubles owned by the calling thread. */
  scratch: Float64Array;
}

/** The kernels; every typed array of a job must be a view of the memory they were instantiated with. */
export interface WasmKernels {
  /**
   * Conjugate-gradient update of rows `job.rows` of `job.x` (the kernel of src/als/cg.ts, in float32 SIMD).
   * @example
   * kernels.cgUpdateRows({ x, y, k, yty, matrix: users, rows: { start, end }, cgSteps: 3, scratch });
   */
  cgUpdateRows(job: CgUpdateJob): void;
  gramRows(out: Float64Array, factors: Float32Array, k: number, rowStart: number, rowEnd: number): void;
  /**
   * Adds the loss share of rows `job.rows` (the kernel of src/als/loss.ts).
   * @example
   * kernels.lossRows({ out, x, y, k, yty, matrix: users, rows: { start, end }, scratch });
   */
  lossRows(job: LossJob): void;
}

interface RawExports {
  cg_update_rows(...args: number[]): void;
  gram_rows(...args: number[]): void;
  loss_rows(...args: number[]): void;
}

let compiled: object | null | undefined;

function kernelsModule(): object | null {
  compiled ??= compileWasm(ALS_WASM_BASE64);
  return compiled;
}

/** True when this runtime runs WebAssembly SIMD (Node 16.4+). */
export function wasmAvailable(): boolean {
  return kernelsModule() !== null;
}

/** Instantiates the kernels on `memory` (one instance per thread, all on the same memory). */
export function loadKernels(memory: WasmMemory): WasmKernels {
  const module = kernelsModule();
  if (!module || !wasmApi) throw new Error('WebAssembly SIMD is not available in this runtime');
  const raw = new wasmApi.Instance(module, { env: { memory } }).exports as RawExports;
  // The arguments both row kernels share, in their C order: x, y, k, yty, the CSR matrix, the row range.
  const shared = (job: CgUpdateJob | LossJob): number[] => [
    job.x.byteOffset,
    job.y.byteOffset,
    job.k,
    job.yty.byteOffset,
    job.matrix.indptr.byteOffset,
    job.matrix.indices.byteOffset,
    job.matrix.target.byteOffset,
    job.matrix.weight.byteOffset,
    job.rows.start,
    job.rows.end,
  ];
  const cgUpdate = (job: CgUpdateJob): void => {
    raw.cg_update_rows(...shared(job), job.cgSteps, job.scratch.byteOffset);
  };
  return {
    cgUpdateRows: cgUpdate,
    gramRows(out, factors, k, rowStart, rowEnd): void {
      raw.gram_rows(out.byteOffset, factors.byteOffset, k, rowStart, rowEnd);
    },
    lossRows(job): void {
      raw.loss_rows(job.out.byteOffset, ...shared(job), job.scratch.byteOffset);
    },
  };
}
