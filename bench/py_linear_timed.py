"""Times the Python reference (../shared/reference/linear_ref.py) the way bench/linear.bench.ts times ours.

One process: load the CSVs, one untimed warm-up call (lazy imports, first-call allocations), then
`--repeats` timed calls of the same solver function linear_ref.py's main() would call, each timed
by wall clock (time.perf_counter) and by this process's CPU time (time.process_time, all threads).
Single-threaded BLAS is the caller's job (OPENBLAS_NUM_THREADS=1 etc. in the environment, set
before numpy is imported). Writes the proportions of the last call (ratio=True) to --out and one
JSON line {"wall": [...], "cpu": [...]} on stdout.
"""
import argparse
import json
import os
import sys
import time
import warnings

ap = argparse.ArgumentParser()
ap.add_argument("--ref-dir", required=True)
ap.add_argument("--method", required=True)
ap.add_argument("--signature", required=True)
ap.add_argument("--bulk", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--repeats", type=int, default=5)
a = ap.parse_args()
sys.path.insert(0, a.ref_dir)
import linear_ref as L  # noqa: E402
import pandas as pd  # noqa: E402

S, Y, types, samples, genes = L.load_inputs(a.signature, a.bulk, 0.3)


def solve():
    # The branches of linear_ref.main() with its defaults (cibersort mode, numpy CV backend).
    if a.method == "ols":
        return L.run_ols(S, Y)
    if a.method == "nnls":
        return L.run_nnls(S, Y)
    if a.method == "rlr":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return L.run_rlr(S, Y)
    if a.method == "nusvr":
        return L.run_nusvr_cibersort(S, Y)[0]
    if a.method == "wnnls":
        return L.run_wls(S, Y, dampening="none", tol=1e-3)[0]
    if a.method == "dwls":
        return L.run_wls(S, Y, dampening="auto", tol=1e-2)[0]
    raise SystemExit(f"unknown method {a.method}")


X = solve()  # warm-up
wall, cpu = [], []
for _ in range(a.repeats):
    c0, t0 = time.process_time(), time.perf_counter()
    X = solve()
    wall.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
X = X / X.sum(axis=1)[:, None]
out = pd.DataFrame(X, index=samples, columns=types)
out.index.name = "sample"
out.to_csv(a.out, float_format="%.17g")
print(json.dumps({"wall": wall, "cpu": cpu, "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}))
