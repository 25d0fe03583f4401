"""The ACSet engine against py-acsets and networkx on one random graph.

Run: .venv/bin/python bench/engine.py [--seed 0] [--repeat 3]

Workload (issue 2): 100,000 vertices and 300,000 random edges, drawn once from the
seed and given to each library as it would be by a user:

- acset_s2r: ``add_parts("V", n)`` then ``add_parts("E", m, src=s, tgt=t)``;
- py-acsets 0.0.2: ``add_parts`` then ``set_subpart`` edge by edge (it has no bulk
  subpart setter);
- networkx: ``DiGraph`` with ``add_nodes_from`` and ``add_edges_from`` (a DiGraph
  merges the few parallel edges; ``predecessors`` lists vertices, not edges).

Then 10,000 ``incident`` queries on random vertices (ours: ``X.incident(v, "tgt")``;
networkx: ``list(G.predecessors(v))``; py-acsets scans all edges per query, so only a
sample is timed and scaled), and a JSON write plus read of the whole graph. Our
indexes are built on the first ``incident``; that time is reported with the build,
and the build target is judged both without and with it. Memory is the tracemalloc
peak while building (indexes included), in a separate untimed pass.

Deletion and sub-ACSets (issue 14): 10% of the edges, drawn from the seed, deleted
from the indexed graph by pop-and-swap (the default) and by mark-as-deleted
(``part_type="marked"``), then that graph's ``gc``; networkx removes the same edges.
Sub-ACSet meet and join of two induced subgraphs on 70% of the vertices each, against
Python set intersection and union of their vertex and edge ids.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import networkx as nx
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchGraph
from acset_s2r.serialization import read_json, write_json
from acset_s2r.subobjects import Subobject

warnings.filterwarnings("ignore")  # py-acsets uses pydantic v1 idioms under pydantic v2
try:
    import acsets as pyacsets
except ImportError:  # the `bench` extra is missing
    pyacsets = None


def best_of(repeat: int, fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def peak_bytes(fn) -> tuple[int, int]:
    """(peak, retained) bytes allocated while ``fn`` runs, as tracemalloc sees them."""
    gc.collect()
    tracemalloc.start()
    keep = fn()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del keep
    return peak, current


# -- the three libraries ---------------------------------------------------------------
def ours_build(n: int, s: np.ndarray, t: np.ndarray) -> ACSet:
    X = ACSet(SchGraph)
    X.add_parts("V", n)
    X.add_parts("E", len(s), src=s, tgt=t)
    return X


def ours_build_marked(n: int, s: np.ndarray, t: np.ndarray) -> ACSet:
    X = ACSet(SchGraph, part_type="marked")
    X.add_parts("V", n)
    X.add_parts("E", len(s), src=s, tgt=t)
    return X


def timed_on_fresh(repeat: int, make, fn) -> float:
    """Best time of ``fn(Y)`` over fresh inputs ``Y = make()`` (the making is not timed)."""
    best = float("inf")
    for _ in range(repeat):
        Y = make()
        gc.collect()
        t0 = time.perf_counter()
        fn(Y)
        best = min(best, time.perf_counter() - t0)
    return best


def deletion_rows(args, n: int, s: np.ndarray, t: np.ndarray, rng) -> dict[str, dict[str, object]]:
    m = len(s)
    doomed = rng.choice(m, m // 10, replace=False)
    doomed_edges = list(zip(s[doomed].tolist(), t[doomed].tolist()))

    def indexed(build):
        def make():
            Y = build(n, s, t)
            Y.incident(0, "src"), Y.incident(0, "tgt")
            return Y
        return make

    t_pop = timed_on_fresh(args.repeat, indexed(ours_build), lambda Y: Y.rem_parts("E", doomed))
    t_mark = timed_on_fresh(args.repeat, indexed(ours_build_marked), lambda Y: Y.rem_parts("E", doomed))

    def marked_deleted():
        Y = indexed(ours_build_marked)()
        Y.rem_parts("E", doomed)
        return Y

    t_gc = timed_on_fresh(args.repeat, marked_deleted, lambda Y: Y.gc())
    t_nx = timed_on_fresh(args.repeat, lambda: nx_build(n, list(zip(s.tolist(), t.tolist()))),
                          lambda G: G.remove_edges_from(doomed_edges))
    # the same edges survive either way
    A, B = ours_build(n, s, t), ours_build_marked(n, s, t)
    A.rem_parts("E", doomed)
    B.rem_parts("E", doomed)
    B.gc()
    pairs = lambda Z: sorted(zip(Z.subpart("src").tolist(), Z.subpart("tgt").tolist()))  # noqa: E731
    assert pairs(A) == pairs(B)

    X = ours_build(n, s, t)
    masks = [rng.random(n) < 0.7 for _ in range(2)]
    subs = [Subobject(X, V=mk, E=mk[s] & mk[t]) for mk in masks]
    t_meet, _ = best_of(args.repeat, lambda: subs[0] & subs[1])
    t_join, _ = best_of(args.repeat, lambda: subs[0] | subs[1])
    sets = [(set(np.flatnonzero(mk).tolist()), set(np.flatnonzero(mk[s] & mk[t]).tolist())) for mk in masks]
    t_smeet, _ = best_of(args.repeat, lambda: (sets[0][0] & sets[1][0], sets[0][1] & sets[1][1]))
    t_sjoin, _ = best_of(args.repeat, lambda: (sets[0][0] | sets[1][0], sets[0][1] | sets[1][1]))
    assert len((subs[0] & subs[1]).parts("E")) == len(sets[0][1] & sets[1][1])
    return {
        "delete 10% of edges, pop-and-swap": {"ours": t_pop, "nx": t_nx},
        "  mark-as-deleted": {"ours": t_mark, "nx": t_nx},
        "  its gc": {"ours": t_gc, "nx": None},
        "  mark + gc": {"ours": t_mark + t_gc, "nx": t_nx},
        "sub-ACSet meet (∧)": {"ours": t_meet, "sets": t_smeet},
        "sub-ACSet join (∨)": {"ours": t_join, "sets": t_sjoin},
    }


def ours_build_indexed(n: int, s: np.ndarray, t: np.ndarray) -> ACSet:
    X = ours_build(n, s, t)
    X.incident(0, "src")
    X.incident(0, "tgt")
    return X


def index_time(X: ACSet) -> float:
    """Seconds for the first incident on src and on tgt, which build the two indexes."""
    gc.collect()
    t0 = time.perf_counter()
    X.incident(0, "src")
    X.incident(0, "tgt")
    return time.perf_counter() - t0


def nx_build(n: int, edges: list[tuple[int, int]]) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges)
    return G


class PyAcsetsGraph:
    def __init__(self) -> None:
        self.V, self.E = pyacsets.Ob(name="V"), pyacsets.Ob(name="E")
        self.src = pyacsets.Hom(name="src", dom=self.E, codom=self.V)
        self.tgt = pyacsets.Hom(name="tgt", dom=self.E, codom=self.V)
        self.schema = pyacsets.Schema("SchGraph", obs=[self.V, self.E], homs=[self.src, self.tgt],
                                      attrtypes=[], attrs=[])

    def build(self, n: int, s: list[int], t: list[int]):
        G = pyacsets.ACSet("graph", self.schema)
        G.add_parts(self.V, n)
        for e, a, b in zip(G.add_parts(self.E, len(s)), s, t):
            G.set_subpart(e, self.src, a)
            G.set_subpart(e, self.tgt, b)
        return G


# -- report --------------------------------------------------------------------------------
def fmt_time(sec: float | None) -> str:
    if sec is None:
        return "—"
    if sec < 1e-3:
        return f"{sec * 1e6:.2f} µs"
    if sec < 1:
        return f"{sec * 1e3:.1f} ms"
    return f"{sec:.2f} s"


def fmt_mb(b: int | None) -> str:
    return "—" if b is None else f"{b / 2**20:.1f} MB"


def ratio(other: float | None, ours: float | None) -> str:
    if other is None or ours is None or ours == 0:
        return "—"
    return f"{other / ours:.1f}x"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs (ours, networkx)")
    ap.add_argument("--nv", type=int, default=100_000)
    ap.add_argument("--ne", type=int, default=300_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--pyacsets-sample", type=int, default=20, help="py-acsets incident queries actually timed")
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    n, m = args.nv, args.ne
    s = rng.integers(0, n, m)
    t = rng.integers(0, n, m)
    sl, tl = s.tolist(), t.tolist()
    edges = list(zip(sl, tl))
    queries = rng.integers(0, n, args.queries).tolist()
    rows: dict[str, dict[str, object]] = {}

    # build
    t_build, X = best_of(args.repeat, lambda: ours_build(n, s, t))
    t_index = min(index_time(ours_build(n, s, t)) for _ in range(args.repeat))
    X.incident(0, "src"), X.incident(0, "tgt")
    t_nx, G = best_of(args.repeat, lambda: nx_build(n, edges))
    P = t_py = None
    if pyacsets is not None:
        pg = PyAcsetsGraph()
        t_py, P = best_of(1, lambda: pg.build(n, sl, tl))
    rows["build (bulk add)"] = {"ours": t_build, "py": t_py, "nx": t_nx}
    rows["  + both indexes"] = {"ours": t_build + t_index, "py": t_py, "nx": t_nx}

    # the answers agree before anything is timed
    for v in queries[:50]:
        want = np.flatnonzero(t == v)
        assert np.array_equal(X.incident(v, "tgt"), want)
        assert set(G.predecessors(v)) == set(s[want].tolist())
        assert np.array_equal(X.incident(v, "src"), np.flatnonzero(s == v))
        if P is not None and v in queries[:3]:
            assert P.incident(v, pg.tgt) == want.tolist()

    # incident
    def ours_queries(name: str):
        inc = X.incident
        for v in queries:
            inc(v, name)

    def nx_queries():
        pred = G.predecessors
        for v in queries:
            list(pred(v))

    t_inc, _ = best_of(args.repeat, lambda: ours_queries("tgt"))
    t_inc_src, _ = best_of(args.repeat, lambda: ours_queries("src"))
    t_nx_inc, _ = best_of(args.repeat, nx_queries)
    t_py_inc = None
    if P is not None:
        sample = queries[: args.pyacsets_sample]
        t0 = time.perf_counter()
        for v in sample:
            P.incident(v, pg.tgt)
        t_py_inc = (time.perf_counter() - t0) / len(sample)
    q = len(queries)
    rows["incident, per query"] = {"ours": t_inc / q, "py": t_py_inc, "nx": t_nx_inc / q}
    rows[f"incident, {q:,} queries"] = {
        "ours": t_inc, "py": None if t_py_inc is None else t_py_inc * q, "nx": t_nx_inc
    }

    # JSON
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def ours_rw(columnar: bool):
            path = tmp / ("graph.columnar.json" if columnar else "graph.json")
            t0 = time.perf_counter()
            write_json(X, path, columnar=columnar)
            t1 = time.perf_counter()
            Y = read_json(path, SchGraph)
            t2 = time.perf_counter()
            assert Y == X
            return t1 - t0, t2 - t1, path.stat().st_size

        w_row, r_row, size_row = min((ours_rw(False) for _ in range(args.repeat)), key=sum)
        w_col, r_col, size_col = min((ours_rw(True) for _ in range(args.repeat)), key=sum)

        def nx_rw():
            path = tmp / "graph.nx.json"
            t0 = time.perf_counter()
            path.write_text(json.dumps(nx.node_link_data(G, edges="edges")))
            t1 = time.perf_counter()
            H = nx.node_link_graph(json.loads(path.read_text()), edges="edges")
            t2 = time.perf_counter()
            assert H.number_of_edges() == G.number_of_edges()
            return t1 - t0, t2 - t1

        w_nx, r_nx = min((nx_rw() for _ in range(args.repeat)), key=sum)
        w_py = r_py = None
        if P is not None:
            path = tmp / "graph.pyacsets.json"
            t0 = time.perf_counter()
            path.write_text(P.to_json_str())  # its to_json_file passes by_alias twice under pydantic 2
            t1 = time.perf_counter()
            Q = pyacsets.ACSet.read_json("graph", pg.schema, path.read_text())
            t2 = time.perf_counter()
            assert Q.nparts(pg.E) == m
            w_py, r_py = t1 - t0, t2 - t1
    both = lambda w, r: None if w is None else w + r  # noqa: E731
    rows["JSON write"] = {"ours": w_row, "py": w_py, "nx": w_nx}
    rows["JSON read"] = {"ours": r_row, "py": r_py, "nx": r_nx}
    rows["JSON write + read"] = {"ours": w_row + r_row, "py": both(w_py, r_py), "nx": w_nx + r_nx}
    rows["  columnar write + read"] = {"ours": w_col + r_col, "py": both(w_py, r_py), "nx": w_nx + r_nx}

    # memory, in its own pass (tracemalloc slows allocation down)
    del G, P
    mem_ours, kept_ours = peak_bytes(lambda: ours_build_indexed(n, s, t))
    mem_nx, kept_nx = peak_bytes(lambda: nx_build(n, edges))
    mem_py = kept_py = None
    if pyacsets is not None:
        mem_py, kept_py = peak_bytes(lambda: pg.build(n, sl, tl))
    nbytes = sum(X.subpart(name).nbytes for name in ("src", "tgt"))
    deletions = deletion_rows(args, n, s, t, rng)

    # print
    print(f"acset_s2r engine benchmark: {n:,} vertices, {m:,} random edges (seed {args.seed}); "
          f"best of {args.repeat} for acset_s2r and networkx, one run for py-acsets")
    if pyacsets is None:
        print("  py-acsets is not installed (pip install -e '.[bench]'); its column is empty")
    head = f"{'':28}{'acset_s2r':>12}{'py-acsets':>12}{'networkx':>12}{'py-acsets/ours':>16}{'networkx/ours':>15}"
    print(head)
    print("─" * len(head))
    for label, r in rows.items():
        print(f"{label:28}{fmt_time(r['ours']):>12}{fmt_time(r['py']):>12}{fmt_time(r['nx']):>12}"
              f"{ratio(r['py'], r['ours']):>16}{ratio(r['nx'], r['ours']):>15}")
    print(f"{'peak memory, build':28}{fmt_mb(mem_ours):>12}{fmt_mb(mem_py):>12}{fmt_mb(mem_nx):>12}"
          f"{ratio(mem_py, mem_ours):>16}{ratio(mem_nx, mem_ours):>15}")
    print(f"{'retained after build':28}{fmt_mb(kept_ours):>12}{fmt_mb(kept_py):>12}{fmt_mb(kept_nx):>12}"
          f"{ratio(kept_py, kept_ours):>16}{ratio(kept_nx, kept_ours):>15}")
    print()
    print(f"notes: our index build (first incident on src and tgt) {fmt_time(t_index)}; "
          f"incident on src {fmt_time(t_inc_src / q)} per query;")
    if t_py_inc is not None:
        print(f"       py-acsets incident scans every edge: {args.pyacsets_sample} queries timed, scaled to {q:,};")
    print(f"       JSON files: row layout {size_row / 2**20:.1f} MB, columnar {size_col / 2**20:.1f} MB "
          f"(columnar write {fmt_time(w_col)}, read {fmt_time(r_col)}); networkx is node_link_data + json;")
    print(f"       our src and tgt columns hold {nbytes / 2**20:.1f} MB of the peak.")
    print()
    head = f"{'':36}{'acset_s2r':>12}{'peer':>12}{'peer/ours':>12}  peer"
    print(head)
    print("─" * len(head))
    for label, r in deletions.items():
        peer = r.get("nx", r.get("sets"))
        name = "networkx" if "nx" in r else "Python sets"
        print(f"{label:36}{fmt_time(r['ours']):>12}{fmt_time(peer):>12}{ratio(peer, r['ours']):>12}  "
              f"{name if peer is not None else ''}")
    print(f"  mark-as-deleted vs pop-and-swap: {ratio(deletions['delete 10% of edges, pop-and-swap']['ours'], deletions['  mark-as-deleted']['ours'])}"
          f" (pop-and-swap time / marking time); with gc {ratio(deletions['delete 10% of edges, pop-and-swap']['ours'], deletions['  mark + gc']['ours'])}")
    print()
    t_all = t_build + t_index
    targets = [
        ("build ≥ 10x faster than py-acsets and faster than networkx (bulk add; indexes are lazy)",
         t_py is not None and t_py / t_build >= 10 and t_build < t_nx,
         f"{ratio(t_py, t_build)} and {ratio(t_nx, t_build)}"),
        ("the same, counting our index build (first incident on src and tgt)",
         t_py is not None and t_py / t_all >= 10 and t_all < t_nx,
         f"{ratio(t_py, t_all)} and {ratio(t_nx, t_all)}"),
        ("incident ≤ 2 µs per query", t_inc / q <= 2e-6, fmt_time(t_inc / q)),
        ("JSON write + read < 3 s (row layout)", w_row + r_row < 3, fmt_time(w_row + r_row)),
    ]
    print("targets (issue 2):")
    for text, ok, got in targets:
        print(f"  [{'met' if ok else 'MISSED'}] {text}: {got}")


if __name__ == "__main__":
    main()
