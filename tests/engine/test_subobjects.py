"""Sub-ACSets and their bi-Heyting algebra.

Cases from Catlab's test/categorical_algebra/pointwise/csetcats/Subobjects.jl (Reyes et al.
2004, sec. 9.1), 0-based; the Heyting and co-Heyting laws as properties on random graphs.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r.catalog import SchGraph
from acset_s2r.errors import InstanceError
from acset_s2r.homs import homomorphism, homomorphisms, is_isomorphic
from acset_s2r.limits import coproduct
from acset_s2r.literals import acset
from acset_s2r.subobjects import (
    Subobject, bottom, image, implies, join, meet, negate, non, preimage, subtract, top,
)


def path(n):
    return acset(SchGraph, V=n, src=list(range(n - 1)), tgt=list(range(1, n)))


def cycle(n):
    return acset(SchGraph, V=n, src=list(range(n)), tgt=[(i + 1) % n for i in range(n)])


def plus(*Xs):
    return coproduct(*Xs).apex


def with_edge(X, s, t):
    X = X.copy()
    v = X.add_parts("V", 1)[0]
    X.add_parts("E", 1, src=[s], tgt=[v if t is None else t])
    return X


def test_catlab_sub_graph_and_its_inclusion():
    X = path(4)
    A = Subobject(X, V=[1, 2, 3], E=[1, 2])
    assert A.hom().is_natural() and is_isomorphic(A.acset(), path(3))
    assert Subobject(X, V=np.array([False, True, True, True]), E=np.array([False, True, True])) == A
    with pytest.raises(InstanceError, match=r"not closed under src: E part 0.*V part 0"):
        Subobject(X, V=[1], E=[0])


def test_catlab_lattice():
    X = acset(SchGraph, V=6, src=[0, 1, 2, 3, 3], tgt=[2, 2, 3, 4, 5])
    A, B = Subobject(X, V=range(4), E=range(3)), Subobject(X, V=range(2, 6), E=range(2, 5))
    assert A & B == Subobject(X, V=[2, 3], E=[2])
    assert A | B == top(X) == Subobject(X, V=range(6), E=range(5))
    assert bottom(X) == Subobject(X)


def test_catlab_negation():
    X = with_edge(plus(cycle(1), path(2), cycle(4)), 3, None)  # vertex 7, edge 3 -> 7
    A = Subobject(X, V=[1, 2, 3, 4, 7], E=[2, 6])
    neg_A = Subobject(X, V=[0, 5, 6], E=[0, 4])
    assert negate(A) == neg_A
    assert negate(neg_A) == Subobject(X, V=[1, 2, 3, 4, 7], E=[1, 2, 6])


def test_catlab_non():
    X = plus(path(5), path(2), cycle(1))
    A = Subobject(X, V=[0, 3, 4], E=[3])
    non_A = Subobject(X, V=[v for v in range(8) if v != 4], E=[e for e in range(6) if e != 3])
    assert ~A == non(A) == non_A
    assert ~non_A == Subobject(X, V=[3, 4], E=[3])


def test_catlab_image_and_preimage():
    g1 = path(2)
    g2 = plus(g1, g1)
    g3 = acset(SchGraph, V=2, src=[0, 0, 1], tgt=[0, 1, 1])
    h = list(homomorphisms(g1, g2))[1]
    phi = homomorphism(g2, g3, initial={"V": [0, 0, 1, 1]})
    assert h["V"].tolist() == [2, 3] and h["E"].tolist() == [1]
    assert image(h) == Subobject(g2, V=[2, 3], E=[1])
    assert preimage(h, top(g2)) == top(g1)
    assert preimage(h, Subobject(g2, V=[0])) == bottom(g1)
    assert preimage(h, Subobject(g2, V=[2])) == Subobject(g1, V=[0])
    assert image(phi, image(h)) == Subobject(g3, V=[1], E=[2])


# -- laws on random subobjects -------------------------------------------------------------
@st.composite
def graph_and_subobjects(draw, k=3):
    n = draw(st.integers(1, 5))
    m = draw(st.integers(0, 6))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    X = acset(SchGraph, V=n, E=m, src=draw(ends), tgt=draw(ends))
    subs = []
    for _ in range(k):  # the closure of random parts is a random subobject
        vs = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        es = draw(st.lists(st.booleans(), min_size=m, max_size=m))
        edges = np.array(es, dtype=bool)
        verts = np.array(vs, dtype=bool)
        verts[X.subpart("src")[edges]] = True
        verts[X.subpart("tgt")[edges]] = True
        subs.append(Subobject(X, V=verts, E=edges))
    return X, subs


LAWS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@LAWS
@given(graph_and_subobjects())
def test_heyting_laws(case):
    X, (A, B, C) = case
    assert A & (B | C) == (A & B) | (A & C)
    assert A | (B & C) == (A | B) & (A | C)
    assert A & implies(A, B) <= B
    assert (C & A <= B) == (C <= implies(A, B))  # the defining adjunction
    assert negate(A) == implies(A, bottom(X))
    assert A & negate(A) == bottom(X)
    assert A <= negate(negate(A))


@LAWS
@given(graph_and_subobjects())
def test_co_heyting_laws(case):
    X, (A, B, C) = case
    assert A <= B | subtract(A, B)
    assert (subtract(A, B) <= C) == (A <= B | C)  # the defining adjunction
    assert non(A) == subtract(top(X), A)
    assert A | non(A) == top(X)
    assert non(non(A)) <= A


@LAWS
@given(graph_and_subobjects(k=1), st.data())
def test_image_and_preimage_are_adjoint(case, data):
    Y, (B,) = case
    X = path(data.draw(st.integers(1, 3)))
    fs = list(homomorphisms(X, Y, limit=5))
    if not fs:
        return
    f = data.draw(st.sampled_from(fs))
    A = data.draw(st.sampled_from([top(X), bottom(X)]))
    assert (image(f, A) <= B) == (A <= preimage(f, B))
    assert preimage(f, B).hom().is_natural()
