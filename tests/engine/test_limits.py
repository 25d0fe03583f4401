"""Limits and colimits of ACSets: universal properties on random graphs, sizes, known examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation, compose, homomorphism, homomorphisms, identity
from acset_s2r.limits import (
    coequalizer,
    coproduct,
    equalizer,
    finset_pullback,
    initial,
    product,
    pullback,
    pushout,
    terminal,
)
from acset_s2r.strategies import acsets

SETTINGS = settings(max_examples=20, deadline=None)


def _total(X: ACSet) -> bool:
    return all((X.subpart(h) >= 0).all() for h in X.schema.hom_names)


graphs = acsets(SchGraph, max_parts=3, undefined=False).filter(_total)


def graph(nv: int, edges: list[tuple[int, int]]) -> ACSet:
    G = ACSet(SchGraph)
    G.add_parts("V", nv)
    G.add_parts("E", len(edges), src=[s for s, _ in edges], tgt=[t for _, t in edges])
    return G


@st.composite
def map_into(draw, Z: ACSet) -> ACSetTransformation:
    """A random homomorphism from a random small graph into ``Z``."""
    X = draw(graphs)
    found = list(homomorphisms(X, Z, limit=20))
    assume(found)
    return draw(st.sampled_from(found))


def _same(f: ACSetTransformation, g: ACSetTransformation) -> bool:
    return all(np.array_equal(f[ob], g[ob]) for ob in f.dom.schema.obs)


# -- finite sets ---------------------------------------------------------------------------------
@pytest.mark.parametrize("spread", [1, 10**9], ids=["counting", "binary-search"])
@SETTINGS
@given(st.lists(st.integers(0, 4), max_size=12), st.lists(st.integers(0, 4), max_size=12))
def test_finset_pullback_is_the_set_of_matching_pairs(spread, f, g):
    f, g = [v * spread for v in f], [v * spread for v in g]
    i, j = finset_pullback(f, g)
    want = [(a, b) for a in range(len(f)) for b in range(len(g)) if f[a] == g[b]]
    assert list(zip(i.tolist(), j.tolist())) == want


# -- limits ------------------------------------------------------------------------------------
@SETTINGS
@given(graphs, graphs)
def test_product_sizes_and_projections(A, B):
    P = product(A, B)
    for ob in SchGraph.obs:
        assert P.apex.nparts(ob) == A.nparts(ob) * B.nparts(ob)
    # the universal map of the legs themselves is the identity
    assert _same(P.universal(*P.legs), identity(P.apex))


@SETTINGS
@given(graphs, graphs)
def test_pullback_over_terminal_is_product(A, B):
    T = terminal(SchGraph)
    f, g = (T.universal(dom=X) for X in (A, B))
    assert pullback(f, g).apex == product(A, B).apex


@SETTINGS
@given(st.data())
def test_pullback_cones_factor_uniquely(data):
    Z = data.draw(graphs)
    f, g = data.draw(map_into(Z)), data.draw(map_into(Z))
    P = pullback(f, g)
    assert _same(compose(P.legs[0], f), compose(P.legs[1], g))
    assert _same(P.universal(*P.legs), identity(P.apex))  # the apex's own cone
    T = data.draw(graphs)
    for p in homomorphisms(T, f.dom, limit=6):
        for q in homomorphisms(T, g.dom, limit=6):
            if not _same(compose(p, f), compose(q, g)):
                with pytest.raises(TransformationError, match="not a cone"):
                    P.universal(p, q)
                continue
            u = P.universal(p, q)
            assert _same(compose(u, P.legs[0]), p) and _same(compose(u, P.legs[1]), q)
            factoring = [
                h for h in homomorphisms(T, P.apex)
                if _same(compose(h, P.legs[0]), p) and _same(compose(h, P.legs[1]), q)
            ]
            assert len(factoring) == 1 and _same(factoring[0], u)


@SETTINGS
@given(st.data())
def test_equalizer_is_where_maps_agree(data):
    Y = data.draw(graphs)
    X = data.draw(graphs)
    hs = list(homomorphisms(X, Y, limit=10))
    if len(hs) < 1:
        return
    f, g = data.draw(st.sampled_from(hs)), data.draw(st.sampled_from(hs))
    E = equalizer(f, g)
    for ob in SchGraph.obs:
        assert E.apex.nparts(ob) == int(np.sum(f[ob] == g[ob]))
    assert E.legs[0].is_monic()
    assert _same(compose(E.legs[0], f), compose(E.legs[0], g))
    assert _same(E.universal(identity(X)), identity(X)) if _same(f, g) else True


def test_known_pullback_of_graphs():
    # two edges into a loop-free edge 0 -> 1: a path a->b over it pulls back with itself to one edge
    Z = graph(2, [(0, 1)])
    A = graph(3, [(0, 1), (2, 1)])  # two edges into vertex 1
    f = ACSetTransformation({"V": [0, 1, 0], "E": [0, 0]}, A, Z)
    P = pullback(f, f)
    assert P.apex.size() == {"V": 5, "E": 4}  # V: fibre sizes 2² + 1²; E: 2²


def test_terminal_with_attributes_is_refused_and_product_matches_attributes():
    with pytest.raises(TransformationError, match="weight"):
        terminal(SchWeightedGraph)
    W = ACSet(SchWeightedGraph, Weight=float)
    W.add_parts("V", 2)
    W.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 0, 0], weight=[1.0, 2.0, 1.0])
    P = product(W, W)
    # edges pair only with equal weights: 1.0 has 2 edges, 2.0 has 1
    assert P.apex.nparts("E") == 2 * 2 + 1
    assert np.all(P.apex.subpart("weight") == W.subpart("weight")[P.legs[1]["E"]])


# -- colimits ----------------------------------------------------------------------------------
@SETTINGS
@given(graphs, graphs)
def test_coproduct_is_disjoint_union(A, B):
    C = coproduct(A, B)
    for ob in SchGraph.obs:
        assert C.apex.nparts(ob) == A.nparts(ob) + B.nparts(ob)
        image = np.concatenate([C.legs[0][ob], C.legs[1][ob]])
        assert sorted(image.tolist()) == list(range(C.apex.nparts(ob)))
    assert _same(C.universal(*C.legs), identity(C.apex))


@SETTINGS
@given(st.data())
def test_pushout_commutes_and_legs_are_jointly_epic(data):
    A = data.draw(graphs)
    X, Y = data.draw(graphs), data.draw(graphs)
    fs, gs = list(homomorphisms(A, X, limit=5)), list(homomorphisms(A, Y, limit=5))
    if not fs or not gs:
        return
    f, g = data.draw(st.sampled_from(fs)), data.draw(st.sampled_from(gs))
    P = pushout(f, g)
    assert _same(compose(f, P.legs[0]), compose(g, P.legs[1]))
    for ob in SchGraph.obs:
        hit = np.union1d(P.legs[0][ob], P.legs[1][ob])
        assert len(hit) == P.apex.nparts(ob)
    # every cocone factors uniquely
    T = data.draw(graphs)
    for p in homomorphisms(X, T, limit=5):
        for q in homomorphisms(Y, T, limit=5):
            if _same(compose(f, p), compose(g, q)):
                u = P.universal(p, q)
                assert _same(compose(P.legs[0], u), p) and _same(compose(P.legs[1], u), q)
            else:
                with pytest.raises(TransformationError, match="not a cocone"):
                    P.universal(p, q)


def test_pushout_glues_two_edges_at_a_vertex():
    pt = graph(1, [])
    e = graph(2, [(0, 1)])
    P = pushout(
        ACSetTransformation({"V": [1]}, pt, e),
        ACSetTransformation({"V": [0]}, pt, e),
    ).apex
    assert P.size() == {"V": 3, "E": 2}
    assert homomorphism(graph(3, [(0, 1), (1, 2)]), P, any=True) is not None


def test_coequalizer_of_swap_identifies_endpoints():
    e = graph(2, [(0, 1)])
    pt = graph(1, [])
    C = coequalizer(ACSetTransformation({"V": [0]}, pt, e), ACSetTransformation({"V": [1]}, pt, e))
    assert C.apex.size() == {"V": 1, "E": 1}
    assert C.apex.subpart(0, "src") == C.apex.subpart(0, "tgt") == 0


def test_colimit_keeps_attributes_and_refuses_conflicting_glue():
    W = ACSet(SchWeightedGraph, Weight=float)
    W.add_parts("V", 2)
    W.add_parts("E", 2, src=[0, 0], tgt=[1, 1], weight=[1.0, 2.0])
    one = ACSet(SchWeightedGraph, Weight=float)
    one.add_parts("V", 2)
    one.add_parts("E", 1, src=[0], tgt=[1], weight=[1.0])
    f = ACSetTransformation({"V": [0, 1], "E": [0]}, one, W)
    C = pushout(f, f)
    assert C.apex.size() == {"V": 2, "E": 3}
    assert sorted(C.apex.subpart("weight").tolist()) == [1.0, 2.0, 2.0]
    # natural maps preserve attributes, so only unchecked maps can ask to glue 1.0 with 2.0
    bad = ACSetTransformation({"V": [0, 1], "E": [1]}, one, W, check=False)
    with pytest.raises(TransformationError, match="attribute weight differs, 1.0 against 2.0"):
        coequalizer(f, bad)
    assert initial(SchWeightedGraph, Weight=float).apex.size() == {"V": 0, "E": 0}

