"""Homomorphism search, joins and index lookups against the fastest peers, in one run.

Run: .venv/bin/python bench/peers.py [--seed 0] [--repeat 3] [--quick] [--incident]

Peers (the ``bench`` extra installs them): rustworkx and igraph VF2 for pattern search,
DuckDB SQL and polars for joins, a plain CSR slice and scipy for the index.

Graphs are directed G(n, p) with mean degree 8, no loops. Patterns: the directed
triangle, the directed 4-cycle and the path of 3 edges. The first table counts
monomorphisms (injective on vertices; edges then follow): our
``count_homomorphisms(monic=True)``, the same maps listed by ``homomorphisms`` (each a
transformation object), our ``query`` with distinct vertex variables (rows filtered in
numpy), VF2 subgraph monomorphisms of the pattern (not induced; rustworkx lists mappings,
igraph counts them or lists them) and SQL self-joins with ``<>`` on every vertex pair, counted or with the
vertex rows fetched into numpy. A second table counts all homomorphisms (no ``<>``)
against SQL. Every count is checked equal across tools before anything is timed. Times
are the best of ``--repeat`` runs (our indexes, built on the first call, are then warm;
the last column times a count on a new instance); ratios are ours over the peer named
(below 1 means we are faster). The machine may be loaded: compare ratios, which come from the same run,
not absolute times.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph
from acset_s2r.homs import count_homomorphisms, homomorphisms
from acset_s2r.conjunctive import query

PATTERNS = {
    "triangles": [(0, 1), (1, 2), (2, 0)],
    "4-cycles": [(0, 1), (1, 2), (2, 3), (3, 0)],
    "3-edge paths": [(0, 1), (1, 2), (2, 3)],
}


def best(fn, repeat):
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, min(times)


def gnp(n, seed):
    rng = np.random.default_rng(seed)
    m = rng.random((n, n)) < 8.0 / n
    np.fill_diagonal(m, False)
    return np.nonzero(m)


def to_acset(n, s, t):
    G = ACSet(SchGraph)
    G.add_parts("V", n)
    G.add_parts("E", len(s), src=s, tgt=t)
    return G


def pattern_acset(pattern):
    return to_acset(max(max(e) for e in pattern) + 1, [e[0] for e in pattern], [e[1] for e in pattern])


def ours_count(pattern, G, monic=True):
    X = pattern_acset(pattern)
    return lambda: count_homomorphisms(X, G, monic=monic)


def first_call(pattern, n, s, t):
    """One count on a new instance: its preimage indexes and join caches are built in the call."""
    f = ours_count(pattern, to_acset(n, s, t))
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def ours_enumerate(pattern, G):
    X = pattern_acset(pattern)
    return lambda: sum(1 for _ in homomorphisms(X, G, monic=True))


def ours_query(pattern, G):
    atoms = [("E", {"src": f"v{a}", "tgt": f"v{b}"}) for a, b in pattern]
    nv = max(max(e) for e in pattern) + 1

    def run():
        rows = query(G, atoms, select=[f"v{i}" for i in range(nv)])
        keep = np.ones(len(rows), dtype=bool)
        for i in range(nv):
            for j in range(i + 1, nv):
                keep &= rows[:, i] != rows[:, j]
        return int(keep.sum())

    return run


def rustworkx_vf2(pattern, n, s, t):
    import rustworkx as rx

    big = rx.PyDiGraph()
    big.add_nodes_from(range(n))
    big.add_edges_from_no_data(list(zip(s.tolist(), t.tolist())))
    small = rx.PyDiGraph()
    small.add_nodes_from(range(max(max(e) for e in pattern) + 1))
    small.add_edges_from_no_data(pattern)
    return lambda: sum(1 for _ in rx.digraph_vf2_mapping(big, small, subgraph=True, induced=False))


def igraph_vf2(pattern, n, s, t, listed=False):
    import igraph as ig

    big = ig.Graph(n=n, edges=list(zip(s.tolist(), t.tolist())), directed=True)
    small = ig.Graph(n=max(max(e) for e in pattern) + 1, edges=pattern, directed=True)
    if listed:
        return lambda: len(big.get_subisomorphisms_vf2(small))
    return lambda: big.count_subisomorphisms_vf2(small)


def duckdb_join(pattern, con, monic=True, rows=False):
    """The pattern as a SQL self-join: ``count(*)``, or with ``rows`` the vertex columns
    fetched into numpy (what ``query`` returns)."""
    nv = max(max(e) for e in pattern) + 1
    tables = ", ".join(f"e e{k}" for k in range(len(pattern)))
    var = {}
    conds = []
    for k, (a, b) in enumerate(pattern):
        for v, col in ((a, f"e{k}.src"), (b, f"e{k}.tgt")):
            if v in var:
                conds.append(f"{var[v]} = {col}")
            else:
                var[v] = col
    if monic:
        conds += [f"{var[i]} <> {var[j]}" for i in range(nv) for j in range(i + 1, nv)]
    what = ", ".join(var[i] for i in range(nv)) if rows else "count(*)"
    sql = f"SELECT {what} FROM {tables} WHERE {' AND '.join(conds)}"
    if rows:
        return lambda: len(next(iter(con.execute(sql).fetchnumpy().values())))
    return lambda: con.execute(sql).fetchone()[0]


def fmt(t):
    return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"


def search_table(sizes, repeat, seed):
    import duckdb

    tools = ["count_homomorphisms", "homomorphisms (listed)", "query", "rustworkx VF2 (listed)",
             "igraph VF2 count", "igraph VF2 listed", "DuckDB count", "DuckDB rows"]
    print("Monomorphisms (monic=True). VF2 = the faster of rustworkx and igraph: for counting, the faster")
    print("of rustworkx listing and igraph counting; for listing, of the two listing.\n")
    print("| case | " + " | ".join(tools) + " | count / VF2 | count / DuckDB | listed / VF2 listed"
          " | query / DuckDB rows | count, first call on a new instance / VF2 |")
    print("| --- " * (len(tools) + 6) + "|")
    plain = []
    for n in sizes:
        s, t = gnp(n, seed)
        G = to_acset(n, s, t)
        con = duckdb.connect()
        con.execute("CREATE TABLE e AS SELECT * FROM (SELECT unnest($1) AS src, unnest($2) AS tgt)",
                    [s.tolist(), t.tolist()])
        for name, pattern in PATTERNS.items():
            fns = [ours_count(pattern, G), ours_enumerate(pattern, G), ours_query(pattern, G),
                   rustworkx_vf2(pattern, n, s, t), igraph_vf2(pattern, n, s, t),
                   igraph_vf2(pattern, n, s, t, listed=True), duckdb_join(pattern, con),
                   duckdb_join(pattern, con, rows=True)]
            counts = [f() for f in fns]
            if len(set(counts)) != 1:
                raise AssertionError(f"{name} into G({n}): counts differ {dict(zip(tools, counts))}")
            times = [best(f, repeat)[1] for f in fns]
            first = min(first_call(pattern, n, s, t) for _ in range(repeat))  # indexes built in the call
            vf2, vf2_listed = min(times[3], times[4]), min(times[3], times[5])
            print(f"| {name} into G({n}) ({counts[0]}) | " + " | ".join(fmt(x) for x in times)
                  + f" | {times[0] / vf2:.2f}x | {times[0] / times[6]:.2f}x | {times[1] / vf2_listed:.2f}x"
                  + f" | {times[2] / times[7]:.2f}x | {fmt(first)}, {first / vf2:.2f}x |")
            # all homomorphisms (not monic): only SQL counts them too
            fns = [ours_count(pattern, G, monic=False), duckdb_join(pattern, con, monic=False)]
            counts = [f() for f in fns]
            if len(set(counts)) != 1:
                raise AssertionError(f"{name} into G({n}), not monic: counts differ {counts}")
            times = [best(f, repeat)[1] for f in fns]
            plain.append(f"| {name} into G({n}) ({counts[0]}) | {fmt(times[0])} | {fmt(times[1])} "
                         f"| {times[0] / times[1]:.2f}x |")
    print("\nAll homomorphisms (not monic), counted:\n")
    print("| case | count_homomorphisms | DuckDB count | ours / DuckDB |")
    print("| --- | --- | --- | --- |")
    print("\n".join(plain))


def big_table(nedges, repeat, seed):
    import duckdb
    import polars as pl
    import scipy.sparse

    rng = np.random.default_rng(seed)
    n = nedges // 8
    s = rng.integers(0, n, nedges)
    t = rng.integers(0, n, nedges)
    G = to_acset(n, s, t)
    print(f"\nOn a random digraph with {n:,} vertices and {nedges:,} edges:\n")
    print("| case | acset_s2r | peers | ours / best peer |")
    print("| --- | --- | --- | --- |")

    # 2-hop join with the rows materialised
    atoms = [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"})]
    df = pl.DataFrame({"src": s, "tgt": t})
    con = duckdb.connect()
    con.register("e", df.to_arrow())

    def pl_join():
        return df.join(df, left_on="tgt", right_on="src", suffix="2").select(["src", "tgt", "tgt2"]).to_numpy()

    def duck_join():
        return con.execute("SELECT a.src, a.tgt, b.tgt FROM e a JOIN e b ON a.tgt = b.src").fetchnumpy()

    ours, t_ours = best(lambda: query(G, atoms), repeat)
    pol, t_pl = best(pl_join, repeat)
    duck, t_duck = best(duck_join, repeat)
    if not (len(ours) == len(pol) == len(duck["src"])):
        raise AssertionError(f"2-hop rows differ: {len(ours)}, {len(pol)}, {len(duck['src'])}")
    print(f"| 2-hop join, {len(ours):,} rows | `query` {fmt(t_ours)} | polars {fmt(t_pl)}, DuckDB {fmt(t_duck)} "
          f"| {t_ours / min(t_pl, t_duck):.2f}x |")

    incident_rows(G, n, s, t, rng, repeat)

    # building the preimage index from scratch
    def build():
        H = to_acset(n, s, t)
        H.incident(0, "src")

    def coo():
        scipy.sparse.coo_array((np.arange(nedges), (s, np.arange(nedges))), shape=(n, nedges)).tocsr()

    _, a = best(build, repeat)
    _, b = best(lambda: to_acset(n, s, t), repeat)
    _, c = best(coo, repeat)
    print(f"| preimage index build | {fmt(a - b)} | scipy COO→CSR {fmt(c)} | {(a - b) / c:.2f}x |")


def incident_rows(G, n, s, t, rng, repeat):
    """One incident lookup against a plain CSR slice and rustworkx, and against the same
    slice as the whole body of a Python method (the floor of any method)."""
    import scipy.sparse

    try:
        import rustworkx as rx
    except ImportError:  # the bench extra is not installed: the slices are the peers that count
        rx = None
    nedges = len(s)
    keys = rng.integers(0, n, 200_000).tolist()
    G.incident(0, "src")
    csr = scipy.sparse.csr_array((np.ones(nedges), (s, np.arange(nedges))), shape=(n, nedges))
    indptr, indices = csr.indptr.tolist(), csr.indices

    def ours_inc():
        inc = G.incident
        for k in keys:
            inc(k, "src")

    def plain():
        for k in keys:
            indices[indptr[k] : indptr[k + 1]]

    class Slices:
        def incident(self, k, name):
            return indices[indptr[k] : indptr[k + 1]]

    def called():
        inc = Slices().incident
        for k in keys:
            inc(k, "src")

    cases = [ours_inc, plain, called]
    if rx is not None:
        g = rx.PyDiGraph()
        g.add_nodes_from(range(n))
        g.add_edges_from_no_data(list(zip(s.tolist(), t.tolist())))

        def rx_inc():
            f = g.out_edge_indices
            for k in keys:
                f(k)

        cases.append(rx_inc)

    assert sorted(G.incident(keys[0], "src").tolist()) == sorted(indices[indptr[keys[0]] : indptr[keys[0] + 1]].tolist())
    # each round runs every case in turn, so that a load on the machine falls on all alike
    rounds = [[best(fn, 1)[1] for fn in cases] for _ in range(repeat)]
    a, b, f, *c = (min(r[i] for r in rounds) for i in range(len(cases)))
    per = 1e6 / len(keys)
    rx_text = f"rustworkx {c[0] * per:.2f} µs" if c else "rustworkx not installed"
    print(f"| `incident` per query | {a * per:.2f} µs | plain CSR slice {b * per:.2f} µs, {rx_text} "
          f"| {a / b:.2f}x of the slice |")
    print(f"| the slice as a method's whole body (the floor of a method) | {f * per:.2f} µs | plain CSR slice "
          f"{b * per:.2f} µs | {f / b:.2f}x of the slice; ours {a / f:.2f}x of it |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--incident", action="store_true", help="only the incident lookups, on 1M edges")
    args = ap.parse_args()
    if args.incident:
        rng = np.random.default_rng(args.seed)
        nedges = 1_000_000
        n = nedges // 8
        s, t = rng.integers(0, n, nedges), rng.integers(0, n, nedges)
        print("| case | acset_s2r | peers | ours / best peer |")
        print("| --- | --- | --- | --- |")
        incident_rows(to_acset(n, s, t), n, s, t, rng, args.repeat)
        return
    search_table([150, 300] if args.quick else [150, 300, 1000], args.repeat, args.seed)
    big_table(100_000 if args.quick else 1_000_000, args.repeat, args.seed)


if __name__ == "__main__":
    main()
