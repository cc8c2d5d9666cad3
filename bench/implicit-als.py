"""Times the `implicit` library's CPU ALS on a matrix written by bench/train.ts (bench/implicit.ts).

Run by `npm run bench:train` when IMPLICIT_PYTHONPATH names a directory holding implicit 0.7.2
(see ../shared/EVAL.md, "Running implicit beside the project"); never imported by the project.

    python3 bench/implicit-als.py JOB_DIR

JOB_DIR holds job.json ({rows, cols, factors, regularization, iterations, alpha, threads, seed,
cg_steps, write_factors}) and the matrix as little-endian raw arrays indptr.i32, indices.i32,
data.f32 (rows = users). Prints one JSON line: {"ms": [per-iteration wall ms...], "cpu_ms": [process CPU ms...], "blas": ...} and, when
write_factors, writes user_factors.f32 and item_factors.f32 beside them for our evaluation code.
"""

import json
import os
import sys
import time


def main(job_dir):
    import numpy as np
    import scipy.sparse as sp
    from threadpoolctl import threadpool_info

    with open(os.path.join(job_dir, "job.json")) as f:
        job = json.load(f)
    read = lambda name, dtype: np.fromfile(os.path.join(job_dir, name), dtype=dtype)
    matrix = sp.csr_matrix(
        (read("data.f32", np.float32), read("indices.i32", np.int32), read("indptr.i32", np.int32)),
        shape=(job["rows"], job["cols"]),
    )

    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(
        factors=job["factors"],
        regularization=job["regularization"],
        alpha=job["alpha"],
        iterations=job["iterations"],
        use_cg=True,
        num_threads=job["threads"],
        random_state=job["seed"],
        dtype=np.float32,
    )
    model.cg_steps = job["cg_steps"]  # an attribute in 0.7.2, not a constructor argument (default 3)
    ms, cpu_ms, cpu = [], [], [time.process_time()]

    def on_iteration(iteration, elapsed, loss):
        # Wall time as implicit measures it; process CPU time too (steadier on a loaded machine at 1 thread).
        ms.append(elapsed * 1000)
        now = time.process_time()
        cpu_ms.append((now - cpu[0]) * 1000)
        cpu[0] = now

    model.fit(matrix, show_progress=False, callback=on_iteration)
    if job.get("write_factors"):
        np.ascontiguousarray(model.user_factors, dtype=np.float32).tofile(
            os.path.join(job_dir, "user_factors.f32")
        )
        np.ascontiguousarray(model.item_factors, dtype=np.float32).tofile(
            os.path.join(job_dir, "item_factors.f32")
        )
    blas = [
        {"version": i.get("version"), "architecture": i.get("architecture"), "threads": i.get("num_threads")}
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    print(json.dumps({"ms": ms, "cpu_ms": cpu_ms, "blas": blas}))


if __name__ == "__main__":
    main(sys.argv[1])
