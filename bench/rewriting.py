"""Rewriting at every match of a 10k-vertex graph, and canonical hashes of 1,000 graphs, against networkx.

Run: .venv/bin/python bench/rewriting.py [--seed 0] [--n 10000] [--m 30000] [--graphs 1000]

- edge subdivision (DPO rule arr <- I2 -> path of two edges) at every edge of a random
  directed multigraph with n vertices and m edges: the matches found by the homomorphism
  search, then one parallel rewrite (``rewrite_parallel``); and the same rule applied
  one match at a time to the first 200 edges (``rewrite_match`` each time). The peer
  is networkx doing the same edit on a MultiDiGraph (remove each edge, add a vertex and
  two edges); results are checked to have the same size.
- ``canonical_hash`` of random graphs G(50, 0.1), directed, against networkx's
  Weisfeiler-Lehman hash (not a canonical form, but the nearest thing users reach for);
  both are checked to agree on a relabelled copy.
Figures are best of ``--repeat`` runs, all peers timed in the same run.
"""

from __future__ import annotations

import argparse
import time

import networkx as nx
import numpy as np

from acset_s2r.canonical import canonical_hash
from acset_s2r.catalog import SchGraph
from acset_s2r.homs import ACSetTransformation
from acset_s2r.literals import acset
from acset_s2r.rewrite import Rule, matches, rewrite_match, rewrite_parallel


def best_of(repeat: int, fn):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def subdivision() -> Rule:
    I2, arr = acset(SchGraph, V=2), acset(SchGraph, V=2, src=[0], tgt=[1])
    path = acset(SchGraph, V=3, src=[0, 1], tgt=[1, 2])
    return Rule(ACSetTransformation({"V": [0, 1]}, I2, arr), ACSetTransformation({"V": [0, 2]}, I2, path))


def nx_subdivide(G: nx.MultiDiGraph, edges) -> nx.MultiDiGraph:
    H = G.copy()
    n = H.number_of_nodes()
    for k, (u, v, key) in enumerate(edges):
        H.remove_edge(u, v, key)
        w = n + k
        H.add_edge(u, w)
        H.add_edge(w, v)
    return H


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--m", type=int, default=30_000)
    ap.add_argument("--graphs", type=int, default=1_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    src, tgt = rng.integers(0, args.n, args.m), rng.integers(0, args.n, args.m)
    loops = src == tgt  # a monic match needs two vertices
    tgt[loops] = (tgt[loops] + 1) % args.n
    G = acset(SchGraph, V=args.n, src=src, tgt=tgt)
    nxG = nx.MultiDiGraph()
    nxG.add_nodes_from(range(args.n))
    nxG.add_edges_from(zip(src.tolist(), tgt.tolist()))
    rule = subdivision()

    t_match, ms = best_of(args.repeat, lambda: list(matches(rule, G)))
    t_par, H = best_of(args.repeat, lambda: rewrite_parallel(rule, G, ms))
    t_nx, nxH = best_of(args.repeat, lambda: nx_subdivide(nxG, list(nxG.edges(keys=True))))
    assert H.size() == {"V": args.n + args.m, "E": 2 * args.m}
    assert (nxH.number_of_nodes(), nxH.number_of_edges()) == (args.n + args.m, 2 * args.m)

    k = 200

    def one_at_a_time():
        X = G
        for _ in range(k):
            X = rewrite_match(rule, next(matches(rule, X)))
        return X

    t_seq, X = best_of(1, one_at_a_time)
    t_nx_seq, _ = best_of(args.repeat, lambda: nx_subdivide(nxG, list(nxG.edges(keys=True))[:k]))
    assert X.size() == {"V": args.n + k, "E": args.m + k}

    graphs = []
    for _ in range(args.graphs):
        A = rng.random((50, 50)) < 0.1
        np.fill_diagonal(A, False)
        s, t = np.nonzero(A)
        graphs.append((acset(SchGraph, V=50, src=s, tgt=t), nx.DiGraph(list(zip(s.tolist(), t.tolist())))))
    for X, g in graphs:
        g.add_nodes_from(range(50))
    t_hash, hashes = best_of(args.repeat, lambda: [canonical_hash(X) for X, _ in graphs])
    t_wl, _ = best_of(args.repeat, lambda: [nx.weisfeiler_lehman_graph_hash(g) for _, g in graphs])
    # a relabelled copy hashes the same under both
    perm = rng.permutation(50)
    X0, g0 = graphs[0]
    Y0 = acset(SchGraph, V=50, src=perm[X0.subpart("src")], tgt=perm[X0.subpart("tgt")])
    assert canonical_hash(Y0) == hashes[0]
    assert nx.weisfeiler_lehman_graph_hash(nx.relabel_nodes(g0, dict(enumerate(perm.tolist())))) == \
        nx.weisfeiler_lehman_graph_hash(g0)
    distinct = len(set(hashes))

    print(f"random multigraph: {args.n} vertices, {args.m} edges; seed {args.seed}")
    print(f"| case | acset_s2r | networkx | ratio (networkx / ours) |")
    print(f"| --- | --- | --- | --- |")
    print(f"| find all {len(ms)} subdivision matches | {t_match:.3f} s | | |")
    print(f"| subdivide every edge at once (rewrite_parallel) | {t_par:.3f} s | {t_nx:.3f} s | {t_nx / t_par:.2f}x |")
    print(f"| matches + parallel rewrite | {t_match + t_par:.3f} s | {t_nx:.3f} s | {t_nx / (t_match + t_par):.2f}x |")
    print(f"| {k} single rewrites, each on a fresh match | {t_seq:.3f} s ({1e3 * t_seq / k:.1f} ms each) | "
          f"{t_nx_seq * 1e3:.2f} ms | {t_nx_seq / t_seq:.4f}x |")
    print(f"| hash {args.graphs} G(50, 0.1) digraphs | {t_hash:.3f} s (canonical) | {t_wl:.3f} s (WL, not canonical) "
          f"| {t_wl / t_hash:.2f}x |")
    print(f"distinct canonical hashes: {distinct} of {args.graphs}")


if __name__ == "__main__":
    main()
