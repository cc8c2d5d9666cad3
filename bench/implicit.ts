/**
 * Runs the `implicit` library's CPU ALS (bench/implicit-als.py) on the same matrix as ours, in the same
 * benchmark run, when IMPLICIT_PYTHONPATH names a directory holding implicit 0.7.2 (built as
 * ../shared/EVAL.md "Running implicit beside the project" says). Nothing of implicit is in the project.
 *
 *   IMPLICIT_PYTHONPATH=/path/to/site [IMPLICIT_PYTHON=/usr/bin/python3] [OPENBLAS_CORETYPE=...]
 *
 * BLAS runs on one thread (OPENBLAS_NUM_THREADS=1) as in EVAL.md; `threads` sets implicit's OpenMP
 * threads. OPENBLAS_CORETYPE passes through (AVX-512 machines need SkylakeX with OpenBLAS 0.3.21).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlsParams, Csr } from '../src/core/model-data.js';

const SCRIPT = new URL('./implicit-als.py', import.meta.url).pathname;

/** Where implicit is, from the environment; null when not configured. */
export interface ImplicitSetup {
  python: string;
  pythonPath: string;
}

/** One implicit fit: per-iteration wall times and, when asked, its factors. */
export interface ImplicitRun {
  /** Wall ms per iteration, as implicit's fit callback reports it. */
  ms: number[];
  /** Process CPU ms per iteration (equals wall time at 1 thread on an idle machine). */
  cpuMs: number[];
  /** OpenBLAS as threadpoolctl reports it (version, CPU kernel, threads). */
  blas: string;
  userFactors?: Float32Array;
  itemFactors?: Float32Array;
}

/** Reads IMPLICIT_PYTHONPATH / IMPLICIT_PYTHON; null (use EVAL.md's figures) when unset. */
export function implicitSetup(): ImplicitSetup | null {
  const pythonPath = process.env.IMPLICIT_PYTHONPATH;
  if (!pythonPath) return null;
  if (!existsSync(pythonPath)) throw new Error(`IMPLICIT_PYTHONPATH ${pythonPath} does not exist`);
  const python =
    process.env.IMPLICIT_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
  return { python, pythonPath };
}

const bytesOf = (a: Int32Array | Float32Array): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Fits implicit's AlternatingLeastSquares (CG solver, float32) on `matrix` (rows = users, raw values:
 * implicit applies alpha itself, as we do).
 */
export function runImplicit(
  setup: ImplicitSetup,
  matrix: Csr,
  params: AlsParams,
  options: { threads: number; writeFactors?: boolean },
): ImplicitRun {
  const dir = mkdtempSync(join(tmpdir(), 'implicit-bench-'));
  try {
    const nnz = matrix.indptr[matrix.rows] as number;
    writeFileSync(join(dir, 'indptr.i32'), bytesOf(matrix.indptr.subarray(0, matrix.rows + 1)));
    writeFileSync(join(dir, 'indices.i32'), bytesOf(matrix.indices.subarray(0, nnz)));
    writeFileSync(join(dir, 'data.f32'), bytesOf(matrix.data.subarray(0, nnz)));
    const job = {
      rows: matrix.rows,
      cols: matrix.cols,
      factors: params.factors,
      regularization: params.regularization,
      iterations: params.iterations,
      alpha: params.alpha,
      cg_steps: params.cgSteps,
      seed: params.seed,
      threads: options.threads,
      write_factors: options.writeFactors ?? false,
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    const child = spawnSync(setup.python, [SCRIPT, dir], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: setup.pythonPath, OPENBLAS_NUM_THREADS: '1' },
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) {
      throw new Error(`implicit run failed (${setup.python}): ${child.stderr || child.error?.message}`);
    }
    const out = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as {
      ms: number[];
      cpu_ms: number[];
      blas: { version: string; architecture: string; threads: number }[];
    };
    const blas = out.blas
      .map((b) => `OpenBLAS ${b.version} ${b.architecture} kernel, ${b.threads} BLAS thread(s)`)
      .join('; ');
    if (!options.writeFactors) return { ms: out.ms, cpuMs: out.cpu_ms, blas };
    return {
      ms: out.ms,
      cpuMs: out.cpu_ms,
      blas,
      userFactors: readFloats(join(dir, 'user_factors.f32')),
      itemFactors: readFloats(join(dir, 'item_factors.f32')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
