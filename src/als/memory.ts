/**
 * Where training arrays live: plain buffers (one thread), SharedArrayBuffers (JavaScript kernels on
 * worker threads) or one shared WebAssembly memory (SIMD kernels, any number of threads).
 * @module
 */

import type { WasmMemory } from '../kernels/als-kernels.js';
import { WASM_MAX_PAGES, WASM_PAGE_BYTES, WASM_RESERVED_BYTES, wasmApi } from '../kernels/wasm.js';

type TypedArray = Float32Array | Float64Array | Int32Array;

/** A typed-array constructor. */
export interface TypedArrayCtor<T extends TypedArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
}

/** Hands out zeroed typed arrays. */
export type Allocator = <T extends TypedArray>(ctor: TypedArrayCtor<T>, length: number) => T;

/** Separate buffers per array, shared between threads when `shared`. */
export function bufferAllocator(shared: boolean): Allocator {
  return (ctor, length) => {
    const bytes = length * ctor.BYTES_PER_ELEMENT;
    return new ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes), 0, length);
  };
}

const ALIGN = 16;

/** Bytes an arena needs for arrays of these byte sizes. */
export function arenaBytes(sizes: readonly number[]): number {
  let total = WASM_RESERVED_BYTES;
  for (const s of sizes) total += Math.ceil(s / ALIGN) * ALIGN;
  return total;
}

/** One shared WebAssembly memory of at least `bytes`, with a bump allocator over it. */
export function wasmArena(bytes: number): { memory: WasmMemory; allocate: Allocator } {
  const pages = Math.ceil(bytes / WASM_PAGE_BYTES);
  if (pages > WASM_MAX_PAGES)
    throw new RangeError(`Training needs ${bytes} bytes, above WebAssembly's 4 GiB`);
  if (!wasmApi) throw new Error('WebAssembly is not available in this runtime');
  const memory = new wasmApi.Memory({ initial: pages, maximum: pages, shared: true }) as WasmMemory;
  let offset = WASM_RESERVED_BYTES;
  const allocate: Allocator = (ctor, length) => {
    const view = new ctor(memory.buffer, offset, length);
    offset += Math.ceil((length * ctor.BYTES_PER_ELEMENT) / ALIGN) * ALIGN;
    return view;
  };
  return { memory, allocate };
}
