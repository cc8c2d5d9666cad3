/**
 * What both WebAssembly SIMD kernels (ALS training in src/als, serving scores in src/dot-kernel.ts)
 * share: the slice of the global WebAssembly API they use, the memory layout constants, and compiling a
 * committed base64 module once.
 * @module
 */

/** A WebAssembly linear memory (typed here: the project's libs carry no WebAssembly declarations). */
export interface WasmMemory<B extends ArrayBufferLike = ArrayBufferLike> {
  readonly buffer: B;
}

/** The slice of the WebAssembly global API the kernels use. */
export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** The runtime's WebAssembly API, or undefined where there is none. */
export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

export const WASM_PAGE_BYTES = 65_536;
/** Bytes below this offset stay unused (the modules link an empty stack at 0, `--stack-first`); data starts above it. */
export const WASM_RESERVED_BYTES = 65_536;
/** wasm32 addresses 4 GiB: the most pages a memory may have. */
export const WASM_MAX_PAGES = 65_536;

/**
 * Compiles a base64 module, or returns null when this runtime cannot (no WebAssembly, or no SIMD):
 * callers then use their JavaScript loops, which give the same results.
 */
export function compileWasm(base64: string): object | null {
  if (!wasmApi) return null;
  try {
    return new wasmApi.Module(Buffer.from(base64, 'base64'));
  } catch {
    return null;
  }
}
