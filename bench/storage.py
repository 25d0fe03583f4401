"""Storage and scale of an experiment ACSet (issue 13): Parquet against today's row JSON,
SQL over the stored columns, and kl_gap of one policy, at 20k, 200k and 2M steps.

Run: .venv/bin/python bench/storage.py [--quick] (--quick stops at 200k steps).
``--parquet-only [--repeat 3]`` times only the full-precision Parquet write and read at each
size, each round in a fresh process, and prints every round (the machine is shared: a range).

Parquet is written at full precision and, as a second row, with ``float32=True`` (opt-in
and lossy), the setting that brings the 2M-step folder under the size target.

The ACSet is SchSim2RealTrajectory with hopper widths (obs 11, action 3, state 12),
built with new_experiment and add_parts: one policy trained by 8 sim streams and
deployed on one real stream, episodes of 1,000 steps, observations as random walks
(like simulator logs). At size N the ACSet has N Steps, half real and half sim, for the
storage figures; kl_gap is measured on an ACSet with N real steps (and N sim steps).
Each figure runs in a fresh process, so that peak RSS is that step's own.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

OBS, ACT, STATE, PARAMS, POLICY = 11, 3, 12, 4, 36
EPISODE = 1000
N_SIM = 8
TARGETS = {"write": 2.0, "read": 1.5, "folder MB": 250.0, "group-by": 0.5, "kl_gap s": 10.0, "kl_gap GB": 1.0}


def build(n_real: int, n_sim: int, seed: int = 0):
    """One policy with N_SIM sim streams (n_sim steps in all) and one real stream of n_real steps."""
    from acset_s2r.sim2real.record import Setup, new_experiment

    rng = np.random.default_rng(seed)
    setup = Setup("hopper", 0.008, tuple(f"s{i}" for i in range(OBS)), ("thigh", "leg", "foot"),
                  tuple(f"p{i}" for i in range(PARAMS)))
    X = new_experiment(setup, STATE, POLICY)
    p = X.add_part("Policy", policy_name="dr", policy_params=rng.normal(size=POLICY), action_noise=0.1,
                   sim_return=1.0, real_return=0.9)

    def stream(n: int, domain: str, shift: float) -> int:
        s = X.add_part("Observation", domain=domain, episode_return=1.0)
        episodes = -(-n // EPISODE)
        t_index = np.arange(n) % EPISODE
        episode = np.arange(n) // EPISODE
        walk = np.cumsum(0.01 * rng.normal(size=(n, OBS)), axis=0)
        walk -= np.repeat(walk[::EPISODE], EPISODE, axis=0)[:n]  # each episode starts from its own offset
        obs = walk + rng.normal(size=(episodes, OBS)).repeat(EPISODE, axis=0)[:n] + shift
        first = X.nparts("Step")
        last = (t_index == EPISODE - 1) | (np.arange(n) == n - 1)
        X.add_parts(
            "Step", n, stream=s, next_step=np.where(last, -1, first + np.arange(n) + 1), obs=obs,
            action=rng.normal(size=(n, ACT)), time=t_index * 0.008, reward=rng.normal(size=n),
            next_state=np.cumsum(0.01 * rng.normal(size=(n, STATE)), axis=0), t_index=t_index, episode=episode,
        )
        return s

    per = n_sim // N_SIM
    for i in range(N_SIM):
        X.add_part("SimEnv", train=p, observe_sim=stream(per, "sim", 0.0), sim_params=rng.normal(size=PARAMS),
                   sim_seed=i, randomization_level=1.0)
    r = X.add_part("RealEnv", observe_real=stream(n_real, "real", 0.05), real_params=rng.normal(size=PARAMS),
                   obs_noise_std=0.01, latency_steps=2)
    X.set_subpart(p, "deploy", r)
    return X


def column_bytes(X) -> int:
    return sum(X.subpart(name).nbytes for name in X.schema.hom_names + X.schema.attr_names)


def peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def job_parquet(n: int, tmp: str) -> dict:
    from acset_s2r.parquet import read_parquet, write_parquet

    X = build(n // 2, n - n // 2)
    cols = column_bytes(X)
    base = peak_gb()
    _, write = _timed(lambda: write_parquet(X, Path(tmp) / "acset"))
    write_peak = peak_gb()
    del X
    Y, read = _timed(lambda: read_parquet(Path(tmp) / "acset"))
    return {"write": write, "read": read, "MB": folder_mb(Path(tmp) / "acset"), "columns MB": cols / 2**20,
            "build GB": base, "peak GB": max(write_peak, peak_gb()), "steps": Y.nparts("Step")}


def job_float32(n: int, tmp: str) -> dict:
    """The same ACSet written with float32=True (lossy, opt-in), and its largest rounding error."""
    from acset_s2r.parquet import read_parquet, write_parquet

    X = build(n // 2, n - n // 2)
    _, write = _timed(lambda: write_parquet(X, Path(tmp) / "acset32", float32=True))
    Y, read = _timed(lambda: read_parquet(Path(tmp) / "acset32"))
    obs, back = X.subpart("obs"), Y.subpart("obs")
    return {"write": write, "read": read, "MB": folder_mb(Path(tmp) / "acset32"),
            "obs rel err": float(np.max(np.abs(back - obs) / np.maximum(np.abs(obs), 1e-300)))}


def job_sql(n: int, tmp: str) -> dict:
    from acset_s2r.sql_engine import sql

    q = "SELECT stream, count(*) AS n, avg(reward) AS r, max(t_index) AS t FROM Step GROUP BY stream ORDER BY stream"
    sql(Path(tmp) / "acset", "SELECT 1")  # DuckDB's first start
    folder, t_folder = _timed(lambda: sql(Path(tmp) / "acset", q))
    X = build(n // 2, n - n // 2)
    mem, t_mem = _timed(lambda: sql(X, q))
    assert folder["n"].sum() == n and np.array_equal(folder["n"], mem["n"])
    return {"folder": t_folder, "memory": t_mem}


def job_json(n: int, tmp: str) -> dict:
    from acset_s2r.serialization import read_json, write_json
    from acset_s2r.sim2real.schema import SchSim2RealTrajectory

    X = build(n // 2, n - n // 2)
    path = Path(tmp) / "experiment.json"
    _, write = _timed(lambda: write_json(X, path))
    types = dict(X.types)
    del X
    _, read = _timed(lambda: read_json(path, SchSim2RealTrajectory, **types))
    return {"write": write, "read": read, "MB": folder_mb(path), "peak GB": peak_gb()}


def job_kl(n: int, tmp: str) -> dict:
    from acset_s2r.sim2real import kl
    from acset_s2r.sim2real.judge import measure_gap
    from acset_s2r.sim2real.record import policy_samples

    X = build(n, n)
    base = peak_gb()
    (real, real_ids, sim, sim_ids), t_samples = _timed(lambda: policy_samples(X, 0))
    # measure_gap's own call, timed apart from reading the samples out of the ACSet
    gap, t = _timed(lambda: kl.kl_gap(
        real, sim, estimator="gaussian", transitions=True, shrinkage="ledoit-wolf",
        real_streams=real_ids, sim_streams=sim_ids, rng=np.random.default_rng(0), min_streams=2))
    assert np.isfinite(gap.value), gap
    del real, sim
    whole, t_whole = _timed(lambda: measure_gap(X, 0, np.random.default_rng(0)))
    assert whole == gap
    return {"s": t, "samples s": t_samples, "measure_gap s": t_whole, "peak GB": peak_gb(), "build GB": base,
            "value": gap.value}


def run(job, n: int, tmp: str) -> dict:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(job, (n, tmp))


def parquet_only(sizes: list[int], repeat: int) -> None:
    for n in sizes:
        rounds = []
        for _ in range(repeat):
            tmp = tempfile.mkdtemp(prefix="acset_bench_")
            try:
                rounds.append(run(job_parquet, n, tmp))
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        w, r = [x["write"] for x in rounds], [x["read"] for x in rounds]
        print(f"-- {n:,} steps: Parquet write {min(w):.2f}-{max(w):.2f} s, read {min(r):.2f}-{max(r):.2f} s "
              f"(targets at 2M: {TARGETS['write']:g} s, {TARGETS['read']:g} s); peak RSS "
              f"{max(x['peak GB'] for x in rounds):.2f} GB; rounds: "
              + ", ".join(f"{a:.2f} + {b:.2f}" for a, b in zip(w, r)), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="stop at 200k steps")
    ap.add_argument("--no-json", action="store_true", help="skip the row JSON at 2M steps (about 3 minutes)")
    ap.add_argument("--parquet-only", action="store_true", help="only the Parquet write and read")
    ap.add_argument("--repeat", type=int, default=3, help="rounds of --parquet-only, each in a fresh process")
    args = ap.parse_args()
    sizes = [20_000, 200_000] if args.quick else [20_000, 200_000, 2_000_000]
    if args.parquet_only:
        parquet_only(sizes, args.repeat)
        return
    rows = {}
    for n in sizes:
        tmp = tempfile.mkdtemp(prefix="acset_bench_")
        try:
            pq_ = run(job_parquet, n, tmp)
            f32 = run(job_float32, n, tmp)
            sq = run(job_sql, n, tmp)
            js = None if (args.no_json and n >= 2_000_000) else run(job_json, n, tmp)
            kl = run(job_kl, n, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        rows[n] = (pq_, sq, js, kl, f32)
        print(f"-- {n:,} steps (columns in memory {pq_['columns MB']:.0f} MB)", flush=True)
        print(f"  Parquet  write {pq_['write']:6.2f} s  read {pq_['read']:6.2f} s  folder {pq_['MB']:7.1f} MB  "
              f"peak RSS {pq_['peak GB']:.2f} GB (after the build {pq_['build GB']:.2f} GB)")
        print(f"  float32  write {f32['write']:6.2f} s  read {f32['read']:6.2f} s  folder {f32['MB']:7.1f} MB  "
              f"(opt-in, lossy: largest relative error of obs {f32['obs rel err']:.1e})")
        if js:
            print(f"  row JSON write {js['write']:6.2f} s  read {js['read']:6.2f} s  file   {js['MB']:7.1f} MB  "
                  f"peak RSS {js['peak GB']:.2f} GB   -> Parquet takes {pq_['write'] / js['write']:.2g}x the time to "
                  f"write, {pq_['read'] / js['read']:.2g}x to read, {pq_['MB'] / js['MB']:.2g}x the size")
        print(f"  SQL group-by over Step by stream: {sq['folder']:.3f} s on the folder, {sq['memory']:.3f} s in memory")
        print(f"  kl_gap of one policy over {n:,} real steps: {kl['s']:.2f} s, peak RSS {kl['peak GB']:.2f} GB "
              f"(after the build {kl['build GB']:.2f} GB, +{kl['peak GB'] - kl['build GB']:.2f}); policy_samples "
              f"{kl['samples s']:.2f} s; measure_gap (both) {kl['measure_gap s']:.2f} s")
    if len(sizes) > 1:
        ks = [rows[n][3]["s"] for n in sizes]
        growth = ", ".join(f"{b / a:.1f}x for {m // n}x the data" for a, b, n, m in zip(ks, ks[1:], sizes, sizes[1:]))
        print(f"kl_gap growth: {growth}")
    big = rows[sizes[-1]]
    pq_, sq, js, kl, f32 = big
    print(f"targets at {sizes[-1]:,} steps" + ("" if sizes[-1] == 2_000_000 else " (the targets are for 2M)"))
    for name, got, target in [
        ("Parquet write s", pq_["write"], TARGETS["write"]),
        ("Parquet read s", pq_["read"], TARGETS["read"]),
        ("folder MB", pq_["MB"], TARGETS["folder MB"]),
        ("folder MB, float32", f32["MB"], TARGETS["folder MB"]),
        ("peak RSS / columns", pq_["peak GB"] * 1024 / pq_["columns MB"], 2.0),
        ("SQL group-by s (folder)", sq["folder"], TARGETS["group-by"]),
        ("kl_gap s", kl["s"], TARGETS["kl_gap s"]),
        ("kl_gap peak RSS GB (added)", kl["peak GB"] - kl["build GB"], TARGETS["kl_gap GB"]),
    ]:
        print(f"  {name:<26}{got:9.2f}  target <= {target:g}  {'ok' if got <= target else 'MISSED'}")
    print(json.dumps({str(n): r for n, r in rows.items()}, default=float))


if __name__ == "__main__":
    main()
