"""Pullback of two random maps of size 10^4 into 10^3: ours against a plain-Python hash join.

Run: .venv/bin/python bench/limits.py [--seed 0] [--repeat 5]

Three timings:
- ``finset_pullback``: the sort-merge join on int arrays alone;
- ``pullback`` of discrete C-sets (one object, no homs), including building the
  apex ACSet and the two checked legs;
- a dict-of-lists hash join in plain Python, the baseline.
All three must produce the same set of pairs (checked before timing).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.homs import ACSetTransformation
from acset_s2r.limits import finset_pullback, pullback
from acset_s2r.schema import Schema

SchSet = Schema.build("SchSet", obs=["X"])


def dict_join(f: list[int], g: list[int]) -> list[tuple[int, int]]:
    by_value: dict[int, list[int]] = {}
    for j, v in enumerate(g):
        by_value.setdefault(v, []).append(j)
    return [(i, j) for i, v in enumerate(f) for j in by_value.get(v, ())]


def discrete(n: int) -> ACSet:
    X = ACSet(SchSet)
    X.add_parts("X", n)
    return X


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--m", type=int, default=1_000)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    f = rng.integers(0, args.m, args.n)
    g = rng.integers(0, args.m, args.n)
    fl, gl = f.tolist(), g.tolist()
    A, B, C = discrete(args.n), discrete(args.n), discrete(args.m)
    fa = ACSetTransformation({"X": f}, A, C)
    gb = ACSetTransformation({"X": g}, B, C)

    i, j = finset_pullback(f, g)
    want = dict_join(fl, gl)
    assert sorted(want) == list(zip(i.tolist(), j.tolist()))
    P = pullback(fa, gb)
    assert P.apex.nparts("X") == len(want)

    t_fin = best_of(args.repeat, lambda: finset_pullback(f, g))
    t_acs = best_of(args.repeat, lambda: pullback(fa, gb))
    t_dict = best_of(args.repeat, lambda: dict_join(fl, gl))
    print(f"pullback of two random maps {args.n} -> {args.m} ({len(want)} pairs), best of {args.repeat}")
    print(f"  finset_pullback (numpy sort-merge) {t_fin * 1e3:9.2f} ms   {t_dict / t_fin:6.1f}x faster than dict join")
    print(f"  pullback of discrete C-sets        {t_acs * 1e3:9.2f} ms   {t_dict / t_acs:6.1f}x faster than dict join")
    print(f"  plain-Python dict hash join        {t_dict * 1e3:9.2f} ms")


if __name__ == "__main__":
    main()
