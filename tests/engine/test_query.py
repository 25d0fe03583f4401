"""Conjunctive queries against homomorphism counts and brute force."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchLabelledPetriNet, SchWeightedGraph
from acset_s2r.homs import count_homomorphisms, homomorphisms
from acset_s2r.errors import QueryError
from acset_s2r.conjunctive import Const, query

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TWO_PATH = [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"})]
TRIANGLE = [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"}), ("E", {"src": "z", "tgt": "x"})]


def graph(n, edges, weights=None):
    X = ACSet(SchWeightedGraph, Weight=float) if weights is not None else ACSet(SchGraph)
    X.add_parts("V", n)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    cols = {"weight": weights} if weights is not None else {}
    X.add_parts("E", len(e), src=e[:, 0], tgt=e[:, 1], **cols)
    return X


@st.composite
def multigraphs(draw, max_v=5, max_e=10):
    n = draw(st.integers(1, max_v))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=max_e))
    return n, edges


@SETTINGS
@given(multigraphs())
def test_two_paths_and_triangles_agree_with_hom_counts_and_brute_force(g):
    n, edges = g
    X = graph(n, edges)
    two = sum(1 for a, b in itertools.product(edges, repeat=2) if a[1] == b[0])
    tri = sum(1 for a, b, c in itertools.product(edges, repeat=3) if a[1] == b[0] and b[1] == c[0] and c[1] == a[0])
    assert len(query(X, TWO_PATH)) == two == count_homomorphisms(graph(3, [(0, 1), (1, 2)]), X)
    assert len(query(X, TRIANGLE)) == tri == count_homomorphisms(graph(3, [(0, 1), (1, 2), (2, 0)]), X)
    pairs = query(X, TWO_PATH, select=("x", "z"), distinct=True)
    expected = {(a[0], b[1]) for a, b in itertools.product(edges, repeat=2) if a[1] == b[0]}
    assert {tuple(r) for r in pairs.tolist()} == expected and len(pairs) == len(expected)


@SETTINGS
@given(multigraphs(max_v=4, max_e=6))
def test_rows_are_the_homomorphisms_of_the_representable(g):
    X = graph(*g)
    P = graph(3, [(0, 1), (1, 2)])
    rows = query(X, [("E", {"_id": "e0", "src": "x", "tgt": "y"}), ("E", {"_id": "e1", "src": "y", "tgt": "z"})],
                 select=("x", "y", "z", "e0", "e1"))
    from_homs = {tuple(f["V"].tolist() + f["E"].tolist()) for f in homomorphisms(P, X)}
    assert sorted(map(tuple, rows.tolist())) == sorted(from_homs)


@SETTINGS
@given(multigraphs(), st.data())
def test_constants_and_attribute_variables(g, data):
    n, edges = g
    weights = data.draw(st.lists(st.sampled_from([0.5, 1.0, 2.0]), min_size=len(edges), max_size=len(edges)))
    X = graph(n, edges, weights)
    v = data.draw(st.integers(0, n - 1))
    out = query(X, [("E", {"src": v, "tgt": "y"})])
    assert sorted(out[:, 0].tolist()) == sorted(t for s, t in edges if s == v)
    same = query(X, [("E", {"_id": "e", "weight": "w"}), ("E", {"_id": "f", "weight": "w"})])
    expected = {(e, f) for e in range(len(edges)) for f in range(len(edges)) if weights[e] == weights[f]}
    assert {(int(r["e"]), int(r["f"])) for r in same} == expected
    assert all(weights[r["e"]] == r["w"] for r in same)
    heavy = query(X, [("E", {"src": "x", "weight": 2.0, "_id": "e"})], select="e")
    assert heavy[:, 0].tolist() == [e for e, w in enumerate(weights) if w == 2.0]


def test_string_constants_frames_and_undefined():
    P = ACSet(SchLabelledPetriNet, Name=str)
    P.add_parts("S", 3, sname=["S", "I", None])
    P.add_parts("T", 1, tname=["inf"])
    P.add_parts("I", 2, it=[0, 0], **{"is": [0, 1]})  # "is" is a Python keyword
    P.add_parts("O", 1, ot=[0], os=[1])
    q = [("I", {"it": "t", "is": "s"}), ("S", {"_id": "s", "sname": "name"}), ("T", {"_id": "t", "tname": Const("inf")})]
    frame = query(P, q, select=("name",), as_frame=True)
    assert isinstance(frame, pd.DataFrame) and sorted(frame["name"]) == ["I", "S"]
    nameless = query(P, [("S", {"sname": "name", "_id": "s"})], select="s")
    assert nameless[:, 0].tolist() == [0, 1]  # undefined names match nothing
    empty = query(P, [("S", {"sname": Const("R")})] + q, select=("s", "name"))
    assert len(empty) == 0 and empty.dtype.names == ("s", "name")


def test_bad_queries_name_the_problem():
    X = graph(2, [(0, 1)])
    with pytest.raises(QueryError, match="no column 'weight'"):
        query(X, [("E", {"weight": "w"})])
    with pytest.raises(QueryError, match="'x' is used as a part of E here but as a part of V"):
        query(X, [("E", {"src": "x"}), ("E", {"_id": "x"})])
    with pytest.raises(QueryError, match="not an object"):
        query(X, [("W", {})])
    with pytest.raises(QueryError, match="select names"):
        query(X, TWO_PATH, select=("q",))
