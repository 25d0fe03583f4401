"""Timings of the KL estimators and of kl_gap (gap + floor, each with its bootstrap).

Run: .venv/bin/python bench/kl.py. Small linear algebra is very sensitive to BLAS
threads on a busy machine; OPENBLAS_NUM_THREADS=1 gives the steadiest numbers.
"""

from __future__ import annotations

import time

import numpy as np

from acset_s2r.sim2real.kl import kl_gap, kl_gaussian_estimate, kl_knn_estimate


def best_of(f, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4000, 8)), rng.normal(0.2, 1.0, size=(4000, 8))
    streams = np.repeat(np.arange(40), 100)
    cases = [
        ("kl_gaussian_estimate 4000x8", lambda: kl_gaussian_estimate(x, y), 5),
        ("kl_knn_estimate 4000x8, k=1", lambda: kl_knn_estimate(x, y), 5),
        ("kl_gap gaussian 4000x8, 200 boot", lambda: kl_gap(x, y), 5),
        ("kl_gap gaussian transitions, 40 streams", lambda: kl_gap(
            x, y, transitions=True, real_streams=streams, sim_streams=streams), 5),
        ("kl_gap knn 4000x8, 50 boot", lambda: kl_gap(x, y, estimator="knn"), 1),
    ]
    for name, f, repeat in cases:
        print(f"{name:45s} {1e3 * best_of(f, repeat):9.1f} ms")


if __name__ == "__main__":
    main()
