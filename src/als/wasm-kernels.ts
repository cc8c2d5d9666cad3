/**
 * Loads the WebAssembly SIMD kernels (wasm/kernels.c) over a shared linear memory and wraps them
 * so callers pass typed arrays that live in that memory.
 * @module
 */

import { KERNELS_WASM_BASE64 } from './wasm/kernels-wasm.js';

/** A shared WebAssembly memory (typed here: the project's libs carry no WebAssembly declarations). */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
}

/** The slice of the WebAssembly global API we use. */
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: true }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** The runtime's WebAssembly API. */
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

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

/** Bytes below this offset belong to the module's own (unused) stack; arenas start above it. */
export const WASM_RESERVED_BYTES = 65_536;
/** The module declares this maximum; a memory passed in must not exceed it. */
export const WASM_MAX_PAGES = 65_536;

let compiled: object | undefined;

/** True when this runtime runs WebAssembly SIMD (Node 16.4+). */
export function wasmAvailable(): boolean {
  try {
    compiled ??= new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
    return true;
  } catch {
    return false;
  }
}

/** Instantiates the kernels on `memory` (one instance per thread, all on the same memory). */
export function loadKernels(memory: WasmMemory): WasmKernels {
  compiled ??= new wasmApi.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const raw = new wasmApi.Instance(compiled, { env: { memory } }).exports as RawExports;
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
