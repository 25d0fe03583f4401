"""Homomorphism search and queries against networkx, side by side.

Run: .venv/bin/python bench/algebra.py [--seed 0] [--repeat 3] [--quick]

Cases (every count is checked equal between the two before it is printed):
- triangle homomorphisms into the wheel graph with 1,000 spokes;
- triangles into the Erdős–Rényi digraph G(150, 0.05);
- monic homomorphisms of a directed 4-cycle into the digraph G(300, 0.03);
- when ``acset_s2r.limits`` has ``pullback``: two random maps 10^4 -> 10^3, against a
  plain-Python dict join.

What is counted: graphs are directed (``SchGraph``). Undirected graphs (the wheel)
become symmetric digraphs, each edge both ways. "Triangles" are homomorphisms of the
directed 3-cycle, which in a loopless simple digraph are exactly its monomorphisms,
so networkx counts the same thing with
``DiGraphMatcher(G, C3).subgraph_monomorphisms_iter()``; a triangle of the wheel
counts 6 times (3 rotations x 2 directions). The 4-cycle case compares
``count_homomorphisms(..., monic=True)`` with the same networkx iterator: networkx
matches a subgraph of its *first* graph, so the big graph goes first.
Timings are the best of ``--repeat`` runs of the search alone (graphs prebuilt).
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np
from networkx.algorithms.isomorphism import DiGraphMatcher

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchGraph
from acset_s2r.homs import ACSetTransformation, count_homomorphisms
from acset_s2r.conjunctive import query


def to_acset(g: nx.DiGraph) -> ACSet:
    index = {v: i for i, v in enumerate(g.nodes())}
    X = ACSet(SchGraph)
    X.add_parts("V", g.number_of_nodes())
    e = np.array([(index[u], index[v]) for u, v in g.edges()], dtype=np.int64).reshape(-1, 2)
    X.add_parts("E", len(e), src=e[:, 0], tgt=e[:, 1])
    return X


def cycle(n: int) -> nx.DiGraph:
    return nx.DiGraph([(i, (i + 1) % n) for i in range(n)])


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def nx_monos(big: nx.DiGraph, small: nx.DiGraph) -> int:
    return sum(1 for _ in DiGraphMatcher(big, small).subgraph_monomorphisms_iter())


TRIANGLE_QUERY = [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"}), ("E", {"src": "z", "tgt": "x"})]


def dict_join(f: list[int], g: list[int]) -> int:
    by_value: dict[int, list[int]] = {}
    for j, v in enumerate(g):
        by_value.setdefault(v, []).append(j)
    return len([(i, j) for i, v in enumerate(f) for j in by_value.get(v, ())])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="networkx once per case (its wheel case takes ~15 s)")
    args = ap.parse_args()
    nx_repeat = 1 if args.quick else args.repeat

    wheel = nx.DiGraph(nx.wheel_graph(1001))
    er150 = nx.gnp_random_graph(150, 0.05, seed=args.seed, directed=True)
    er300 = nx.gnp_random_graph(300, 0.03, seed=args.seed + 1, directed=True)
    c3, c4 = cycle(3), cycle(4)
    C3, C4 = to_acset(c3), to_acset(c4)

    rows: list[tuple[str, int, float, float, str]] = []

    def case(name: str, ours, theirs, baseline: str = "networkx") -> None:
        t_ours, n_ours = best_of(args.repeat, ours)
        t_them, n_them = best_of(nx_repeat, theirs)
        assert n_ours == n_them, f"{name}: we count {n_ours}, {baseline} counts {n_them}"
        rows.append((name, int(n_ours), t_ours, t_them, baseline))

    W, E150, E300 = to_acset(wheel), to_acset(er150), to_acset(er300)
    case("triangles -> wheel(1000 spokes), homs", lambda: count_homomorphisms(C3, W), lambda: nx_monos(wheel, c3))
    case("triangles -> wheel(1000 spokes), query", lambda: len(query(W, TRIANGLE_QUERY)), lambda: nx_monos(wheel, c3))
    case("triangles -> G(150, 0.05) directed, homs", lambda: count_homomorphisms(C3, E150), lambda: nx_monos(er150, c3))
    case("triangles -> G(150, 0.05) directed, query", lambda: len(query(E150, TRIANGLE_QUERY)),
         lambda: nx_monos(er150, c3))
    case("monic 4-cycle -> G(300, 0.03) directed", lambda: count_homomorphisms(C4, E300, monic=True),
         lambda: nx_monos(er300, c4))

    try:
        from acset_s2r.limits import pullback
    except ImportError:
        pullback = None
    if pullback is not None:
        from acset_s2r.schema import Schema

        rng = np.random.default_rng(args.seed)
        f, g = rng.integers(0, 1000, 10_000), rng.integers(0, 1000, 10_000)
        SchSet = Schema.build("SchSet", obs=["X"])

        def discrete(n: int) -> ACSet:
            X = ACSet(SchSet)
            X.add_parts("X", n)
            return X

        A, B, C = discrete(10_000), discrete(10_000), discrete(1000)
        fa, gb = ACSetTransformation({"X": f}, A, C), ACSetTransformation({"X": g}, B, C)
        fl, gl = f.tolist(), g.tolist()
        case("pullback of two maps 10^4 -> 10^3", lambda: pullback(fa, gb).apex.nparts("X"),
             lambda: dict_join(fl, gl), baseline="dict join")

    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'count':>8}  {'ours (s)':>9}  {'baseline (s)':>12}  {'speed-up':>8}  baseline")
    for name, count, t_ours, t_them, baseline in rows:
        print(f"{name:<{width}}  {count:>8}  {t_ours:>9.4f}  {t_them:>12.4f}  {t_them / t_ours:>7.1f}x  {baseline}")
    slower = [r[0] for r in rows if r[2] >= r[3]]
    print("faster on every case" if not slower else f"SLOWER on: {slower}")


if __name__ == "__main__":
    main()
