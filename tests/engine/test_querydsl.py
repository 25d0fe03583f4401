"""The From/Where/Select query DSL.

Cases from ACSets.jl's test/Query.jl (0-based; its From(:V) on the edge attribute dec reads
From("E") here); properties against a row-by-row filter on random weighted graphs, the
Boolean laws of conditions, and marked instances with gaps in their ids.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import Schema
from acset_s2r.catalog import SchWeightedGraph
from acset_s2r.errors import QueryError
from acset_s2r.literals import acset
from acset_s2r.conjunctive import query
from acset_s2r.querydsl import From, Where

SchDDS = Schema.build("SchDDS", obs=["X"], homs=[("phi", "X", "X")])
SchDecGraph = Schema.build("SchDecGraph", obs=["E", "V"], homs=[("src", "E", "V"), ("tgt", "E", "V")],
                           attrtypes=["X"], attrs=[("dec", "E", "X")])
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_acsetsjl_dds():
    d = acset(SchDDS, X=5, phi=[3, 0, 4, 4, 1])
    assert From("X")(d).tolist() == d.parts("X").tolist()
    assert From("X").select("X")(d)["X"].tolist() == [0, 1, 2, 3, 4]
    assert From("X").select("phi")(d)["phi"].tolist() == d.subpart("phi").tolist()


def decgraph():
    return acset(SchDecGraph, types={"X": str}, V=4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0], dec=["a", "b", "c", "d"])


def test_acsetsjl_decgraph():
    g = decgraph()
    assert From("E").where("dec", lambda x: x != "a").select("dec")(g)["dec"].tolist() == ["b", "c", "d"]
    assert From("E").where(Where("src", 0) & Where("tgt", 1)).select("dec")(g)["dec"].tolist() == ["a"]
    assert From("E").where(["src", "tgt"], lambda x, y: x + 1 == y)(g).tolist() == [0, 1, 2]
    df = From("E").select("E", "src")(g, as_frame=True)
    assert df["E"].tolist() == [0, 1, 2, 3] and df["src"].tolist() == [0, 1, 2, 3]


def test_or_not_paths_and_errors():
    g = decgraph()
    assert From("E").where(Where("src", 0) | Where("dec", "c"))(g).tolist() == [0, 2]
    assert From("E").where(~Where("src", 0))(g).tolist() == [1, 2, 3]
    assert From("E").where("src", 1).where("tgt", 2)(g).tolist() == [1]
    assert From("E").where(["tgt"], 3)(g).tolist() == [2]
    with pytest.raises(QueryError, match="not a column of E"):
        From("E").where("nope", 1)(g)
    with pytest.raises(QueryError, match="not an object"):
        From("W")(g)
    with pytest.raises(QueryError, match="ill-typed path"):
        From("E").where(["src", "tgt"], 3)(g)  # a list with a value is a path
    with pytest.raises(QueryError, match="the function failed"):
        From("E").where("dec", lambda d: d / 2)(g)
    with pytest.raises(QueryError, match="combine with other conditions"):
        Where("src", 0) & 3


def test_marked_instance_with_gaps():
    g = acset(SchDecGraph, types={"X": str}, V=4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0], dec=["a", "b", "c", "d"],
              part_type="marked")
    g.rem_parts("E", [0, 2])
    assert From("E")(g).tolist() == [1, 3]
    got = From("E").where("dec", "d").select("E", "tgt")(g)
    assert got["E"].tolist() == [3] and got["tgt"].tolist() == [0]


# -- properties ---------------------------------------------------------------------------------
@st.composite
def weighted(draw):
    n = draw(st.integers(1, 4))
    m = draw(st.integers(0, 8))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    return acset(SchWeightedGraph, types={"Weight": int}, V=n, E=m, src=draw(ends), tgt=draw(ends),
                 weight=draw(st.lists(st.integers(-2, 2), min_size=m, max_size=m)))


def conditions():
    leaf = st.one_of(
        st.builds(Where, st.sampled_from(["src", "tgt"]), st.integers(0, 3)),
        st.builds(Where, st.just("weight"), st.integers(-2, 2)),
        st.just(Where("weight", lambda w: w > 0)),
        st.just(Where(["src", "tgt"], lambda s, t: s <= t)),
    )
    return st.recursive(leaf, lambda c: st.one_of(st.builds(lambda a, b: a & b, c, c),
                                                  st.builds(lambda a, b: a | b, c, c), st.builds(lambda a: ~a, c)),
                        max_leaves=5)


def naive(cond, G, e):
    if hasattr(cond, "columns"):
        vals = [G.subpart(e, c) for c in cond.columns]
        return bool(cond.test(*vals)) if callable(cond.test) else vals[0] == cond.test
    if hasattr(cond, "b"):
        a, b = naive(cond.a, G, e), naive(cond.b, G, e)
        return (a and b) if type(cond).__name__ == "_Both" else (a or b)
    return not naive(cond.a, G, e)


@given(weighted(), conditions())
@SETTINGS
def test_filter_agrees_with_a_row_by_row_scan(G, cond):
    assert From("E").where(cond)(G).tolist() == [e for e in range(G.nparts("E")) if naive(cond, G, e)]


@given(weighted(), conditions(), conditions())
@SETTINGS
def test_boolean_laws(G, a, b):
    q = lambda c: set(From("E").where(c)(G).tolist())  # noqa: E731
    every = set(range(G.nparts("E")))
    assert q(~(a & b)) == q(~a | ~b) and q(~(a | b)) == q(~a & ~b)
    assert q(a | ~a) == every and not q(a & ~a)
    assert q(a & b) == q(a) & q(b) and q(a | b) == q(a) | q(b)


@given(weighted(), st.integers(0, 3), st.integers(-2, 2))
@SETTINGS
def test_agrees_with_the_conjunctive_query(G, v, w):
    dsl = From("E").where(Where("src", v) & Where("weight", w)).select("tgt")(G)["tgt"]
    cq = query(G, [("E", {"src": v, "weight": w, "tgt": "y"})], select=["y"])
    assert dsl.tolist() == cq[:, 0].tolist()
