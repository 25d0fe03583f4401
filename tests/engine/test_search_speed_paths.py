"""The fast paths of the join planner: counted last steps, combined-key probes, dropped columns.

Counts on multigraphs are checked against an oracle that enumerates only vertex maps and
multiplies edge multiplicities (falling factorials when edges must be distinct), which
shares nothing with the joins; multi-object schemas are checked against backtracking and
brute force in test_planner.py, which runs the same paths.
"""

import copy
import itertools
import pickle
from math import perm, prod

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, conjunctive, homs
from acset_s2r.catalog import SchGraph
from acset_s2r.conjunctive import query
from acset_s2r.homs import count_homomorphisms, homomorphisms
from acset_s2r.schema import Schema

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture
def joins(monkeypatch):
    """The planner on every target, with a record of the steps counted from the indexes."""
    monkeypatch.setattr(homs, "_JOIN_MIN_PARTS", 0)
    counted = []
    for name in ("_count_last", "_count_chain"):
        real = getattr(conjunctive, name)

        def spy(*args, real=real, name=name):
            out = real(*args)
            if out is not None:
                counted.append(name)
            return out

        monkeypatch.setattr(conjunctive, name, spy)
    return counted


def graph(n, edges):
    G = ACSet(SchGraph)
    G.add_parts("V", n)
    G.add_parts("E", len(edges), src=[e[0] for e in edges], tgt=[e[1] for e in edges])
    return G


def oracle(nx_, xedges, ny, yedges, monic, allowed):
    """Homomorphisms counted over vertex maps: each group of parallel pattern edges picks
    its images among the parallel edges between the images of its ends."""
    mult = {}
    for e in yedges:
        mult[e] = mult.get(e, 0) + 1
    groups = {}
    for e in xedges:
        groups[e] = groups.get(e, 0) + 1
    total = 0
    maps = itertools.permutations(range(ny), nx_) if monic else itertools.product(range(ny), repeat=nx_)
    for f in maps:
        if any(f[x] not in ys for x, ys in allowed.items()):
            continue
        total += prod(
            perm(mult.get((f[s], f[t]), 0), k) if monic else mult.get((f[s], f[t]), 0) ** k
            for (s, t), k in groups.items()
        )
    return total


@st.composite
def multigraph(draw, max_v, max_e):
    n = draw(st.integers(1, max_v))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=max_e))
    return n, edges


@SETTINGS
@given(multigraph(4, 5), multigraph(6, 16), st.booleans(), st.data())
def test_graph_counts_against_vertex_map_oracle(joins, X, Y, monic, data):
    (nx_, xe), (ny, ye) = X, Y
    allowed, initial, predicates = {}, None, None
    how = data.draw(st.sampled_from(["none", "initial", "predicates"]))
    if how == "initial":
        x, y = data.draw(st.integers(0, nx_ - 1)), data.draw(st.integers(0, ny - 1))
        allowed, initial = {x: {y}}, {"V": {x: y}}
    elif how == "predicates":
        x = data.draw(st.integers(0, nx_ - 1))
        ys = data.draw(st.sets(st.integers(0, ny - 1)))
        allowed, predicates = {x: ys}, {"V": {x: sorted(ys)}}
    want = oracle(nx_, xe, ny, ye, monic, allowed)
    A, B = graph(nx_, xe), graph(ny, ye)
    kw = dict(monic=monic, initial=initial, predicates=predicates)
    assert count_homomorphisms(A, B, **kw) == want
    assert sum(1 for _ in homomorphisms(A, B, **kw)) == want
    saved = conjunctive._DENSE_KEYS
    conjunctive._DENSE_KEYS, conjunctive._KEYS_KEPT = -1, 0  # binary search, nothing cached
    try:
        conjunctive._KEYS.clear()
        assert count_homomorphisms(A, B, **kw) == want
    finally:
        conjunctive._DENSE_KEYS, conjunctive._KEYS_KEPT = saved, 8


def test_the_fast_paths_are_taken_on_the_benchmark_patterns(joins):
    rng = np.random.default_rng(3)
    edges = sorted({(int(a), int(b)) for a, b in rng.integers(0, 25, (120, 2)) if a != b})
    Y = graph(25, edges)
    for pattern in ([(0, 1), (1, 2), (2, 0)], [(0, 1), (1, 2), (2, 3), (3, 0)], [(0, 1), (1, 2), (2, 3)]):
        X = graph(max(map(max, pattern)) + 1, pattern)
        for monic in (False, True):
            joins.clear()
            assert count_homomorphisms(X, Y, monic=monic) == oracle(X.nparts("V"), pattern, 25, edges, monic, {})
            assert joins == (["_count_chain"] if pattern[-1][1] == 0 else ["_count_last"])  # cycles, paths


def test_monic_objects_that_point_at_each_other_are_still_compared(joins):
    # a -> b -> a: each object's parts differ in their hom, but only because the other's do
    S = Schema.build("Loop", obs=["A", "B"], homs=[("f", "A", "B"), ("g", "B", "A")])

    def loop(f, g):
        Z = ACSet(S)
        Z.add_parts("A", len(f))
        Z.add_parts("B", len(g), g=g)
        Z.set_subpart(list(range(len(f))), "f", f)
        return Z

    X, Y = loop([0, 1], [0, 1]), loop([0, 0], [0, 0])
    assert count_homomorphisms(X, Y) == 1  # everything onto part 0
    assert count_homomorphisms(X, Y, monic=True) == 0
    assert list(homomorphisms(X, Y, monic=True)) == []


def test_a_mask_on_the_last_vertex_counts(joins):
    rng = np.random.default_rng(8)
    edges = [tuple(map(int, e)) for e in rng.integers(0, 12, (60, 2))]
    Y, path = graph(12, edges), [(0, 1), (1, 2), (2, 3)]
    for monic in (False, True):
        for allowed in ([1, 2, 3, 4, 5, 6, 7, 8, 9], list(range(11))):  # most vertices: no seed, a mask
            joins.clear()
            want = oracle(4, path, 12, edges, monic, {3: set(allowed)})
            assert count_homomorphisms(graph(4, path), Y, monic=monic, predicates={"V": {3: allowed}}) == want
            assert joins == ["_count_last"]


def test_cached_keys_follow_changes_to_the_target(joins):
    rng = np.random.default_rng(5)
    Y = graph(30, [tuple(map(int, e)) for e in rng.integers(0, 30, (150, 2))])
    tri = graph(3, [(0, 1), (1, 2), (2, 0)])

    def fresh():
        s, t = Y.subpart("src"), Y.subpart("tgt")
        return count_homomorphisms(tri, graph(Y.nparts("V"), list(zip(s.tolist(), t.tolist()))), monic=True)

    before = count_homomorphisms(tri, Y, monic=True)
    assert before == fresh()
    Y.set_subpart(np.arange(100), "tgt", rng.integers(0, 30, 100))  # many changes: the index is rebuilt
    after = count_homomorphisms(tri, Y, monic=True)
    assert after == fresh() != before
    Y.set_subpart([0, 1, 2], "tgt", [(Y.subpart(e, "tgt") + 1) % 30 for e in range(3)])  # a few: overlaid
    assert count_homomorphisms(tri, Y, monic=True) == fresh()
    Y.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    assert count_homomorphisms(tri, Y, monic=True) == fresh()
    Y.add_parts("V", 2)  # the key space grows though no column changed
    Y.add_parts("E", 2, src=[30, 31], tgt=[31, 30])
    assert count_homomorphisms(graph(2, [(0, 1), (1, 0)]), Y, monic=True, initial={"V": {0: 30}}) == 1


@SETTINGS
@given(multigraph(7, 20), st.data())
def test_selected_columns_are_the_projection_of_all(g, data):
    Y = graph(*g)
    atoms = [("E", {"_id": "e", "src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"}),
             ("E", {"src": "z", "tgt": data.draw(st.sampled_from(["x", "w"]))})]
    every = query(Y, atoms)
    names = list(dict.fromkeys(t for _, cols in atoms for t in cols.values()))
    pick = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    got = query(Y, atoms, select=pick)
    assert got.tolist() == every[:, [names.index(v) for v in pick]].tolist()


def test_two_hop_rows_follow_changes_and_undefined_homs():
    rng = np.random.default_rng(11)
    Y = graph(40, [tuple(map(int, e)) for e in rng.integers(0, 40, (300, 2))])
    atoms = [("E", {"_id": "e", "src": "x", "tgt": "y"}), ("E", {"_id": "f", "src": "y", "tgt": "z"})]

    def rows():
        got = query(Y, atoms, select=("e", "f", "x", "y", "z")).tolist()
        Y.incident(0, "tgt")  # with tgt's index built the next query reuses tgt in src's order
        assert query(Y, atoms, select=("e", "f", "x", "y", "z")).tolist() == got
        assert len(got) == len(set(map(tuple, got)))
        return sorted(map(tuple, got))

    def want():
        s, t = Y.subpart("src").tolist(), Y.subpart("tgt").tolist()
        return sorted((e, f, s[e], t[e], t[f]) for e in range(len(s)) for f in range(len(s))
                      if t[e] >= 0 and s[f] >= 0 and t[f] >= 0 and t[e] == s[f])

    assert rows() == want()
    query(Y, [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"})])  # the cached path too
    Y.set_subpart([0, 1, 2], "tgt", [5, 6, 7])  # a few changes: the index overlays them
    assert rows() == want()
    for _ in range(2):  # many: the index is rebuilt
        Y.set_subpart(np.arange(300), "tgt", rng.integers(0, 40, 300))
    assert Y._hom_index["tgt"].stale
    assert rows() == want()
    Y.add_parts("E", 4, src=[1, 2, 3, 4])  # tgt undefined
    assert rows() == want()
    Y.set_subpart(np.arange(100), "src", rng.integers(0, 40, 100))
    assert rows() == want()


def test_enumerated_rows_are_the_backtracked_maps(monkeypatch):
    rng = np.random.default_rng(2)
    edges = sorted({(int(a), int(b)) for a, b in rng.integers(0, 40, (330, 2)) if a != b})
    Y, X = graph(40, edges), graph(4, [(0, 1), (1, 2), (2, 3)])

    def maps(on):
        monkeypatch.setattr(homs, "_JOIN_MIN_PARTS", 0 if on else 1 << 60)
        return [(f["V"].tolist(), f["E"].tolist(), f) for f in homomorphisms(X, Y)]

    fast, slow = maps(True), maps(False)
    assert len(fast) > 3 * 4096  # several chunks of views
    assert [k[:2] for k in fast] == sorted(k[:2] for k in slow)
    for _, _, f in fast[::997]:
        g = homs.ACSetTransformation({"V": f["V"].copy(), "E": f["E"].copy()}, X, Y)
        assert not f["V"].flags.writeable and f.is_natural() and f == g and g == f
        assert f.dom is X and f.codom is Y and f.type_components == {} and repr(f) == repr(g)
        assert homs.compose(f, homs.identity(Y)) == g and copy.copy(f) == g and pickle.loads(pickle.dumps(f)) == g
        assert copy.deepcopy(f) == g and type(copy.copy(f)) is homs.ACSetTransformation


@SETTINGS
@given(st.lists(st.sampled_from([3, 1000, 1 << 30, 1 << 40]), min_size=1, max_size=5), st.data())
def test_rows_are_ordered_lexicographically_whatever_the_key_packing(radix, data):
    n = data.draw(st.integers(0, 40))
    cols = [np.array(data.draw(st.lists(st.integers(0, min(r, 4) - 1), min_size=n, max_size=n)), dtype=np.int64)
            for r in radix]
    order = homs._lex_order(cols, radix)
    got = [tuple(int(c[i]) for c in cols) for i in order]
    assert got == sorted(got)


@pytest.mark.parametrize("dense", [True, False])
def test_cycle_closings_are_pruned_and_exact(monkeypatch, dense):
    if not dense:
        monkeypatch.setattr(conjunctive, "_DENSE_KEYS", -1)
        monkeypatch.setattr(conjunctive, "_KEYS_KEPT", 0)
    pruned = []
    real = conjunctive._prune_chain

    def spy(*args):
        out = real(*args)
        pruned.append(out is not None and not out.all())
        return out

    monkeypatch.setattr(conjunctive, "_prune_chain", spy)
    rng = np.random.default_rng(4)
    edges = [tuple(map(int, e)) for e in rng.integers(0, 12, (45, 2))]  # loops and parallel edges too
    Y = graph(12, edges)

    def listed(X, on, monic):
        monkeypatch.setattr(homs, "_JOIN_MIN_PARTS", 0 if on else 1 << 60)
        return [(tuple(f["V"].tolist()), tuple(f["E"].tolist())) for f in homomorphisms(X, Y, monic=monic)]

    for k in (4, 5):
        cycle = [(i, (i + 1) % k) for i in range(k)]
        X = graph(k, cycle)
        for monic in (False, True):
            pruned.clear()
            want = listed(X, False, monic)
            assert len(want) == oracle(k, cycle, 12, edges, monic, {}) > 0
            assert not any(pruned)  # backtracking
            assert listed(X, True, monic) == sorted(want)
            assert any(pruned)
            assert count_homomorphisms(X, Y, monic=monic) == len(want)
            most = [y for y in range(12) if y not in (2, 7)]  # a mask on the vertex the closing binds
            assert count_homomorphisms(X, Y, monic=monic, predicates={"V": {k - 1: most}}) == oracle(
                k, cycle, 12, edges, monic, {k - 1: set(most)})
        atoms = [("E", {"_id": f"e{i}", "src": f"v{a}", "tgt": f"v{b}"}) for i, (a, b) in enumerate(cycle)]
        pruned.clear()
        rows = query(Y, atoms, select=[f"v{i}" for i in range(k)] + [f"e{i}" for i in range(k)]).tolist()
        assert any(pruned)
        assert sorted((tuple(r[:k]), tuple(r[k:])) for r in rows) == sorted(listed(X, False, False))
    # after changes to the target the reachability is recomputed
    square = graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)])
    monkeypatch.setattr(homs, "_JOIN_MIN_PARTS", 0)
    for _ in range(2):
        Y.set_subpart(np.arange(45), "tgt", rng.integers(0, 12, 45))
        Y.set_subpart(np.arange(45), "tgt", rng.integers(0, 12, 45))
        edges = list(zip(Y.subpart("src").tolist(), Y.subpart("tgt").tolist()))
        assert count_homomorphisms(square, Y) == oracle(4, [(0, 1), (1, 2), (2, 3), (3, 0)], 12, edges, False, {})


def test_cached_indexes_go_with_their_instance(joins):
    import gc

    rng = np.random.default_rng(9)
    ring = [(i, (i + 1) % 30) for i in range(30)]  # every vertex has edges in and out: no masks
    Y = graph(30, ring + [tuple(map(int, e)) for e in rng.integers(0, 30, (150, 2))])
    Y.incident(0, "tgt")
    count_homomorphisms(graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)]), Y, monic=True)
    query(Y, [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"})])
    ident = id(Y)
    stores = (conjunctive._KEYS, conjunctive._ALIGNED, conjunctive._REACH)
    assert all(any(t[0] == ident for t in s) for s in stores)
    del Y
    gc.collect()
    assert not any(t[0] == ident for s in stores for t in s)
