/**
 * Loads the WebAssembly SIMD kernels (wasm/kernels.c) over a shared linear memory and wraps them
 * so callers pass typed arrays that live in that memory.
 * @module
 */

import { ALS_WASM_BASE64 } from './als-wasm.js';
import { type WasmMemory as AnyWasmMemory, compileWasm, wasmApi } from './wasm.js';

/** The shared memory the training threads and kernels work on. */
export type WasmMemory = AnyWasmMemory<SharedArrayBuffer>;

/** The kernels, taking typed-array views of the memory they were instantiated with. */
export interface WasmKernels {
  cgUpdateRows(
    x: Float32Array,
    y: Float32Array,
    k: number,
    yty: Float32Array,
    indptr: Int32Array,
    indices: Int32Array,
    target: Float32Array,
    weight: Float32Array,
    rowStart: number,
    rowEnd: number,
    cgSteps: number,
    scratch: Float32Array,
  ): void;
  gramRows(out: Float64Array, factors: Float32Array, k: number, rowStart: number, rowEnd: number): void;
  lossRows(
    out: Float64Array,
    x: Float32Array,
    y: Float32Array,
    k: number,
    a: Float64Array,
    indptr: Int32Array,
    indices: Int32Array,
    target: Float32Array,
    weight: Float32Array,
    rowStart: number,
    rowEnd: number,
    scratch: Float64Array,
  ): void;
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
  return {
    cgUpdateRows(x, y, k, yty, indptr, indices, target, weight, rowStart, rowEnd, cgSteps, scratch): void {
      raw.cg_update_rows(
        x.byteOffset,
        y.byteOffset,
        k,
        yty.byteOffset,
        indptr.byteOffset,
        indices.byteOffset,
        target.byteOffset,
        weight.byteOffset,
        rowStart,
        rowEnd,
        cgSteps,
        scratch.byteOffset,
      );
    },
    gramRows(out, factors, k, rowStart, rowEnd): void {
      raw.gram_rows(out.byteOffset, factors.byteOffset, k, rowStart, rowEnd);
    },
    lossRows(out, x, y, k, a, indptr, indices, target, weight, rowStart, rowEnd, scratch): void {
      raw.loss_rows(
        out.byteOffset,
        x.byteOffset,
        y.byteOffset,
        k,
        a.byteOffset,
        indptr.byteOffset,
        indices.byteOffset,
        target.byteOffset,
        weight.byteOffset,
        rowStart,
        rowEnd,
        scratch.byteOffset,
      );
    },
  };
}
