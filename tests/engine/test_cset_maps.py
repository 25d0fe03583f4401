"""C-set transformations that ignore attributes, and pullbacks of them with ``attrfun``.

Cases from Catlab's test/categorical_algebra/pointwise/labeledcsetcats/Limits.jl (the
"reflexive graphs" stratification, 0-based); properties: a CSetTransformation is natural
exactly when its hom squares commute, whatever the attributes, and the apex of a pullback
of C-set maps has the sizes of the pullback of the underlying graphs.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import AttrVar
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation, CSetTransformation, compose, homomorphisms, is_isomorphic
from acset_s2r.limits import product, pullback
from acset_s2r.literals import acset
from acset_s2r.migration import restrict

WG = {"Weight": float}


def wg(n, src, tgt, weight, **kw):
    return acset(SchWeightedGraph, types=kw.pop("types", WG), V=n, src=src, tgt=tgt, weight=weight, **kw)


A = wg(2, [0, 1, 0], [0, 1, 1], [-1.0, -1.0, 5.0])
B = wg(3, [0, 1, 2, 0, 1], [0, 1, 2, 1, 2], [-1.0, -1.0, -1.0, 2.0, 3.0])
C = wg(1, [0, 0], [0, 0], [3.1415, 2.71])
SRC, TGT = [0, 0, 1, 2, 2, 3, 4], [1, 2, 3, 3, 4, 5, 5]


def test_catlab_stratification_by_cset_maps():
    AC = CSetTransformation({"V": [0, 0], "E": [0, 0, 1]}, A, C)
    BC = CSetTransformation({"V": [0, 0, 0], "E": [1, 1, 1, 0, 0]}, B, C)
    with pytest.raises(TransformationError, match="weight is not preserved"):
        ACSetTransformation({"V": [0, 0], "E": [0, 0, 1]}, A, C)
    P = pullback(AC, BC).apex
    expected = wg(6, SRC, TGT, [AttrVar(k) for k in [0, 1, 1, 0, 2, 2, 0]], Weight=3, types={"Weight": object})
    assert P.nparts("Weight") == 3 and is_isomorphic(P, expected)
    legs = pullback(AC, BC).legs
    assert all(isinstance(leg, CSetTransformation) and leg.is_natural() for leg in legs)
    prod = pullback(AC, BC, attrfun={"weight": math.prod}).apex
    assert is_isomorphic(prod, wg(6, SRC, TGT, [-5.0, -2.0, -2.0, -5.0, -3.0, -3.0, -5.0], types={"Weight": object}))
    with pytest.raises(TransformationError, match="attrfun must map"):
        pullback(AC, BC, attrfun={"nope": math.prod})


def test_composites_ignore_attributes():
    AC = CSetTransformation({"V": [0, 0], "E": [0, 0, 1]}, A, C)
    to_c = CSetTransformation({"V": [0], "E": [1, 0]}, C, C)
    both = compose(AC, to_c)
    assert isinstance(both, CSetTransformation) and both["E"].tolist() == [1, 1, 0] and both.is_natural()


@st.composite
def weighted(draw, max_v=3, max_e=4):
    n = draw(st.integers(1, max_v))
    m = draw(st.integers(0, max_e))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    return wg(n, draw(ends), draw(ends), draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=m, max_size=m)))


@given(weighted(), weighted())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_cset_maps_are_the_graph_maps(X, Y):
    graph = lambda Z: restrict(Z, SchGraph)  # noqa: E731
    maps = [(f["V"].tolist(), f["E"].tolist()) for f in homomorphisms(graph(X), graph(Y))]
    for v, e in maps:
        assert CSetTransformation({"V": v, "E": e}, X, Y).is_natural()
    if len(maps) >= 2:
        (v1, e1), (v2, e2) = maps[0], maps[-1]
        f, g = (CSetTransformation({"V": v, "E": e}, X, Y) for v, e in ((v1, e1), (v2, e2)))
        P = pullback(f, g).apex
        Q = pullback(*(ACSetTransformation({"V": v, "E": e}, graph(X), graph(Y)) for v, e in ((v1, e1), (v2, e2)))).apex
        assert P.size() == Q.size()
        assert np.array_equal(P.subpart("src"), Q.subpart("src"))
        total = pullback(f, g, attrfun={"weight": sum})
        legs = [leg["E"] for leg in total.legs]
        assert np.allclose(np.asarray(total.apex.subpart("weight"), dtype=float),
                           X.subpart("weight")[legs[0]] + X.subpart("weight")[legs[1]])


def test_catlab_cset_product_and_the_order_of_parts():
    X = acset(SchWeightedGraph, types={"Weight": object}, V=1, src=[0, 0], tgt=[0, 0], weight=["X", "X"])
    assert product(X, X, cset=True).apex.nparts("Weight") == 1  # one distinct pair ("X", "X")
    assert product(X, X).apex.nparts("E") == 4  # strict: equal labels pair up
    # ours: (i, j) is i * |Y| + j; Catlab's is i + j * |X|
    P = product(acset(SchGraph, V=2), acset(SchGraph, V=3))
    assert [(int(a), int(b)) for a, b in zip(P.legs[0]["V"], P.legs[1]["V"])] == [
        (i, j) for i in range(2) for j in range(3)]
