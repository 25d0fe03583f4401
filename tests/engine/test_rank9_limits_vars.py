"""Limits of instances with attribute variables (issue 14).

Cases translated from Catlab's test/categorical_algebra/pointwise/varacsetcats/Limits.jl
(the terminal VELabeledGraph with cset=true: one vertex, one loop, a variable per
attribute), and products and pullbacks where a factor's variable meets a value or another
variable, worked by hand. The law: for Z without variables, maps Z -> X × Y are pairs of
maps Z -> X and Z -> Y (counts multiply), and the universal map of a cone composes back.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema, count_homomorphisms, homomorphisms, product, pullback, terminal
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation, compose

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SchVELabeledGraph = SchGraph.extend("SchVELabeledGraph", attrtypes=["Label"],
                                    attrs=[("vlabel", "V", "Label"), ("elabel", "E", "Label")])


def test_catlab_terminal_with_cset_true():
    T = terminal(SchVELabeledGraph, cset=True, Label=str).apex
    assert T.size() == {"V": 1, "E": 1} and T.nparts("Label") == 2
    assert T.subpart(0, "src") == 0 and T.subpart(0, "tgt") == 0
    assert T.subpart(0, "vlabel") == AttrVar(0) and T.subpart(0, "elabel") == AttrVar(1)
    with pytest.raises(TransformationError, match="infinite"):
        terminal(SchVELabeledGraph)


def _wg(nv, edges, weights, nvars=0):
    X = ACSet(SchWeightedGraph, Weight=object)
    X.add_parts("Weight", nvars)
    X.add_parts("V", nv)
    X.add_parts("E", len(edges), src=[s for s, _ in edges], tgt=[t for _, t in edges], weight=weights)
    return X


def test_product_variable_meets_values():
    X = _wg(1, [(0, 0), (0, 0)], [AttrVar(0), 2.5], nvars=1)
    Y = _wg(1, [(0, 0), (0, 0)], [2.5, 3.0])
    P = product(X, Y)
    # (var, 2.5) and (var, 3.0) get variables of their own; (2.5, 2.5) keeps 2.5; (2.5, 3.0) is dropped
    assert P.apex.size() == {"V": 1, "E": 3} and P.apex.nparts("Weight") == 2
    assert P.apex.subpart("weight").tolist() == [AttrVar(0), AttrVar(1), 2.5]
    assert P.legs[0]["E"].tolist() == [0, 0, 1] and P.legs[1]["E"].tolist() == [0, 1, 0]
    assert P.legs[0]["Weight"].tolist() == [AttrVar(0), AttrVar(0)]
    assert P.legs[1]["Weight"].tolist() == [2.5, 3.0]


def test_product_of_variables_pairs_them():
    X = _wg(1, [(0, 0), (0, 0)], [AttrVar(0), AttrVar(1)], nvars=2)
    P = product(X, X)
    # before, the apex reused X's variables and kept only the diagonal pairs
    assert P.apex.size() == {"V": 1, "E": 4} and P.apex.nparts("Weight") == 4
    assert P.legs[1]["Weight"].tolist() == [AttrVar(0), AttrVar(1), AttrVar(0), AttrVar(1)]


def test_variables_do_not_stand_for_undefined():
    X = _wg(1, [(0, 0)], [AttrVar(0)], nvars=1)
    Y = _wg(1, [(0, 0)], [None])
    assert product(X, Y).apex.nparts("E") == 0


def test_pullback_where_a_variable_meets_a_value():
    B = _wg(1, [(0, 0), (0, 0)], ["a", "b"])
    X = _wg(1, [(0, 0)], [AttrVar(0)], nvars=1)
    Y = _wg(1, [(0, 0), (0, 0)], ["b", "a"])
    f = ACSetTransformation({"V": [0], "E": [0], "Weight": ["a"]}, X, B)
    g = ACSetTransformation({"V": [0], "E": [1, 0]}, Y, B)
    Q = pullback(f, g)
    # X's edge lies over B's edge 0, as does Y's edge 1: one apex edge, with a variable
    assert Q.apex.size() == {"V": 1, "E": 1} and Q.apex.nparts("Weight") == 1
    assert Q.legs[0]["E"].tolist() == [0] and Q.legs[1]["E"].tolist() == [1]
    assert Q.legs[0]["Weight"].tolist() == [AttrVar(0)] and Q.legs[1]["Weight"].tolist() == ["a"]
    assert compose(Q.legs[0], f) == compose(Q.legs[1], g)


VALUES = st.sampled_from([1, 2, None, "v0", "v1"])


@st.composite
def weighted(draw, nvars):
    nv = draw(st.integers(1, 2))
    ne = draw(st.integers(0, 3))
    edges = [(draw(st.integers(0, nv - 1)), draw(st.integers(0, nv - 1))) for _ in range(ne)]
    ws = [draw(VALUES) for _ in range(ne)]
    ws = [AttrVar(int(w[1])) if isinstance(w, str) and nvars else (1 if isinstance(w, str) else w) for w in ws]
    return _wg(nv, edges, ws, nvars=nvars)


@given(weighted(2), weighted(2), weighted(0))
@SETTINGS
def test_maps_into_a_product_are_pairs_of_maps(X, Y, Z):
    P = product(X, Y)
    assert count_homomorphisms(Z, P.apex) == count_homomorphisms(Z, X) * count_homomorphisms(Z, Y)
    for f in homomorphisms(Z, X, take=2):
        for g in homomorphisms(Z, Y, take=2):
            u = P.universal(f, g)
            assert compose(u, P.legs[0]) == f and compose(u, P.legs[1]) == g


@given(weighted(2), weighted(2))
@SETTINGS
def test_the_legs_of_a_product_with_variables_are_natural(X, Y):
    P = product(X, Y)
    for leg, F in zip(P.legs, (X, Y)):
        ACSetTransformation(leg.components, P.apex, F)  # checks every square and value
    assert P.universal(*P.legs) == ACSetTransformation(
        {ob: list(range(P.apex.nparts(ob))) for ob in SchWeightedGraph.obs}
        | {"Weight": [AttrVar(k) for k in range(P.apex.nparts("Weight"))]}, P.apex, P.apex)
