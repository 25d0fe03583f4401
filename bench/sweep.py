"""Sweeps (issue 13): the same 8-experiment grid run serially and on a local Ray with 2 CPUs.

The grid is cartpole × randomisation levels (0, 1) × action noise σ (0.05, 0.3) × seeds
(0, 1), each experiment one policy with a small CEM budget, written as the sweep writes
it (Parquet run folder, plots and report.html). Both legs run in this process, one after
the other, into fresh folders; the summary numbers must agree (same seeds). Ray's
start-up and shutdown are timed apart from the sweep. The overhead per task is Ray's
sweep time times its CPUs, less the serial time, over the tasks: worker start-up (each
worker imports MuJoCo and the package once), scheduling and moving results.

Ray workers run with one BLAS thread (Ray sets OMP_NUM_THREADS=1); so that the serial leg
does the same work, this script sets one thread before numpy loads (--threads keeps the
machine's default).

Run: .venv/bin/python bench/sweep.py [--no-reports] [--threads]
"""

from __future__ import annotations

import os
import sys

if "--threads" not in sys.argv:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")

import argparse
import shutil
import tempfile
import time

CPUS = 2
BUDGET = dict(sim={"n_sim": 4}, real={"episodes": 4}, measure={"n_null": 39},
              training={"steps": 150, "iterations": 4, "population": 16})
NUMBERS = ("kl_gap", "p_value", "epsilon", "sim_return", "real_return", "verdict")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-reports", action="store_true", help="runs keep their ACSet only (no plots, no report.html)")
    ap.add_argument("--threads", action="store_true", help="leave BLAS threads at the machine's default")
    args = ap.parse_args()

    import ray

    from acset_s2r.sim2real.sweep import grid, run_sweep

    tasks = grid(["cartpole"], levels=[0.0, 1.0], sigmas=[0.05, 0.3], seeds=[0, 1], **BUDGET)
    reports = not args.no_reports
    # other work on the machine skews both legs; say how busy it was
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    root = tempfile.mkdtemp(prefix="acset_sweep_bench_")
    try:
        t = time.perf_counter()
        serial = run_sweep(tasks, f"{root}/serial", serial=True, reports=reports, progress=False)
        t_serial = time.perf_counter() - t

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")  # a throwaway local cluster
        t = time.perf_counter()
        ray.init(num_cpus=CPUS, include_dashboard=False, log_to_driver=False, _temp_dir=f"{root}/ray")
        t_init = time.perf_counter() - t
        try:
            t = time.perf_counter()
            on_ray = run_sweep(tasks, f"{root}/ray_sweep", reports=reports, progress=False)
            t_ray = time.perf_counter() - t
        finally:
            t = time.perf_counter()
            ray.shutdown()
            t_shutdown = time.perf_counter() - t
    finally:
        shutil.rmtree(root, ignore_errors=True)

    same = all({k: a[k] for k in NUMBERS} == {k: b[k] for k in NUMBERS} for a, b in zip(serial.rows, on_ray.rows))
    per_task = [r["wall_time"] for r in serial.rows]
    n = len(tasks)
    print(f"{n} experiments (cartpole, levels 0/1, σ 0.05/0.3, seeds 0/1; {BUDGET['training']['iterations']} CEM "
          f"generations of {BUDGET['training']['population']}, {BUDGET['training']['steps']} steps; "
          f"{'with' if reports else 'without'} plots and report.html; "
          f"BLAS threads {os.environ.get('OMP_NUM_THREADS', 'default')})")
    print(f"  serial            {t_serial:7.1f} s   ({min(per_task):.1f}-{max(per_task):.1f} s per experiment)")
    print(f"  Ray, {CPUS} CPUs       {t_ray:7.1f} s   (+ ray.init {t_init:.1f} s, shutdown {t_shutdown:.1f} s)")
    print(f"  speed-up          {t_serial / t_ray:7.2f}x  the sweep; {t_serial / (t_ray + t_init + t_shutdown):.2f}x "
          f"with Ray's start-up and shutdown")
    print(f"  overhead per task {(t_ray * CPUS - t_serial) / n:7.2f} s   (Ray time x CPUs - serial time) / tasks")
    print(f"  same summary numbers serial and on Ray: {'yes' if same else 'NO'}; "
          f"load average after: {os.getloadavg()[0]:.1f}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
