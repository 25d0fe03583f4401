"""Loose transformations: a function per AttrType on the values (Catlab's LooseACSetTransformation).

Cases from Catlab's test/categorical_algebra/pointwise/looseacsetcats/ACSetTransformations.jl
and HomSearch.jl, 0-based; properties check loose search against a strict search from the
instance whose values were mapped by hand, and composition of type components.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema
from acset_s2r.catalog import SchWeightedGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import (
    ACSetTransformation,
    compose,
    count_homomorphisms,
    homomorphisms,
    type_components,
)
from acset_s2r.literals import acset

SchSetAttr = Schema.build("SchSetAttr", obs=["X"], attrtypes=["D"], attrs=[("f", "X", "D")])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def wgraph(T, n, src, tgt, weight):
    return acset(SchWeightedGraph, types={"Weight": T}, V=n, E=len(src), src=src, tgt=tgt, weight=weight)


def half(x):
    return x / 2


# -- looseacsetcats/ACSetTransformations.jl --------------------------------------------------
def test_catlab_half_weights():
    g = wgraph(float, 2, [0], [1], [2.0])
    h = wgraph(float, 4, [0, 1, 2], [1, 2, 3], [1.0, 2.0, 3.0])
    a = ACSetTransformation({"V": [0, 1], "E": [0]}, g, h, type_components={"Weight": half})
    b = ACSetTransformation({"V": [0, 1], "E": [0]}, g, h, type_components={"Weight": half})
    assert a == b
    assert type_components(a)["Weight"](10.0) == 5.0
    assert a.is_natural()
    assert "Weight: half" in repr(a)
    with pytest.raises(TransformationError, match="weight is not preserved"):
        ACSetTransformation({"V": [1, 2], "E": [1]}, g, h, type_components={"Weight": half})
    with pytest.raises(TransformationError, match="weight is not preserved"):
        ACSetTransformation({"V": [0, 1], "E": [0]}, g, h)  # strict: 2.0 is not 1.0


def test_catlab_negated_star_composes_to_identity():
    g = wgraph(bool, 3, [0, 1], [2, 2], [True, False])  # star_graph(3)
    a = ACSetTransformation({"V": [1, 0, 2], "E": [1, 0]}, g, g, type_components={"Weight": np.logical_not})
    assert a.is_natural()
    a2 = compose(a, a)
    assert a2.type_components  # still loose
    assert a2["V"].tolist() == [0, 1, 2]
    assert bool(type_components(a2)["Weight"](True)) is True
    assert a2.is_natural()


# -- looseacsetcats/HomSearch.jl --------------------------------------------------------------
def test_catlab_loose_search():
    s1 = acset(SchSetAttr, types={"D": int}, X=2, f=[1, 1])
    s2 = acset(SchSetAttr, types={"D": int}, X=2, f=[2, 1])
    s3 = acset(SchSetAttr, types={"D": int}, X=2, f=[20, 10])
    assert len(list(homomorphisms(s2, s3))) == 0
    ten = {"D": lambda x: 10 * x}
    found = list(homomorphisms(s2, s3, type_components=ten))
    assert len(found) == 1 and found[0]["X"].tolist() == [0, 1] and found[0].type_components == ten
    assert len(list(homomorphisms(s1, s1, type_components={"D": lambda x: x**x}))) == 4
    assert count_homomorphisms(s1, s1, type_components={"D": lambda x: x**x}) == 4


def test_loose_with_variables_and_bad_components():
    X = acset(SchSetAttr, types={"D": object}, X=2, D=1, f=[3, AttrVar(0)])
    Y = acset(SchSetAttr, types={"D": object}, X=2, f=[6, 7])
    # the value 3 doubles to 6; the variable binds to whatever its image holds
    maps = list(homomorphisms(X, Y, type_components={"D": lambda v: 2 * v}))
    assert sorted((f["X"].tolist(), f["D"].tolist()) for f in maps) == [([0, 0], [6]), ([0, 1], [7])]
    with pytest.raises(TransformationError, match="not an attribute type"):
        list(homomorphisms(X, Y, type_components={"E": abs}))
    with pytest.raises(TransformationError, match="must be a function"):
        list(homomorphisms(X, Y, type_components={"D": 3}))
    with pytest.raises(TransformationError, match="failed on attribute f"):
        list(homomorphisms(X, Y, type_components={"D": lambda v: v / 0}))
    one, two = (acset(SchSetAttr, types={"D": int}, X=1, f=[v]) for v in (1, 2))
    f = ACSetTransformation({"X": [0]}, one, two, type_components={"D": lambda v: 2 * v})
    with pytest.raises(TransformationError, match="no computable inverse"):
        f.inverse()


# -- properties -------------------------------------------------------------------------------
@st.composite
def weighted(draw, max_v=3, max_e=4):
    n = draw(st.integers(1, max_v))
    m = draw(st.integers(0, max_e))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    return wgraph(int, n, draw(ends), draw(ends), draw(st.lists(st.integers(-3, 3), min_size=m, max_size=m)))


FUNCTIONS = st.sampled_from([abs, lambda w: w % 2, lambda w: 0, lambda w: w])


def mapped(X, fn):
    return wgraph(int, X.nparts("V"), X.subpart("src"), X.subpart("tgt"), [fn(int(w)) for w in X.subpart("weight")])


@given(weighted(), weighted(), FUNCTIONS)
@SETTINGS
def test_loose_search_is_strict_search_from_the_mapped_instance(X, Y, fn):
    loose = {tuple(f["V"].tolist()) + tuple(f["E"].tolist()) for f in homomorphisms(X, Y, type_components={"Weight": fn})}
    strict = {tuple(f["V"].tolist()) + tuple(f["E"].tolist()) for f in homomorphisms(mapped(X, fn), Y)}
    assert loose == strict
    assert count_homomorphisms(X, Y, type_components={"Weight": fn}) == len(strict)


@given(weighted(), FUNCTIONS, FUNCTIONS)
@SETTINGS
def test_composite_type_component_is_the_composite_function(X, f, g):
    Y, Z = mapped(X, f), mapped(mapped(X, f), g)
    ident = {ob: X.parts(ob) for ob in ("V", "E")}
    a = ACSetTransformation(ident, X, Y, type_components={"Weight": f})
    b = ACSetTransformation(ident, Y, Z, type_components={"Weight": g})
    ab = compose(a, b)
    assert ab.is_natural()
    for w in range(-3, 4):
        assert type_components(ab)["Weight"](w) == g(f(w))
