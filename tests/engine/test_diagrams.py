"""Limits and colimits of finite diagrams, and the special cases they generalise.

Catlab's test/categorical_algebra/Limits.jl and Colimits.jl take (co)limits of free
diagrams and check them against the named shapes; here the same, with product,
pullback, equaliser, coproduct, pushout and coequaliser of random graphs compared
with the general construction, and the universal maps checked on cones.
"""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.diagrams import Diagram, colimit, limit
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation, compose, homomorphisms, identity, is_isomorphic
from acset_s2r.limits import coequalizer, coproduct, equalizer, product, pullback, pushout
from acset_s2r.literals import acset
from acset_s2r.strategies import acsets

C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)


def test_one_object_with_an_endomorphism():
    # the limit is the fixed points, the colimit the orbits
    D = Diagram([C3], [(0, 0, turn)])
    assert limit(D).apex.size() == {"V": 0, "E": 0}
    Q = colimit(D).apex
    assert Q.size() == {"V": 1, "E": 1} and Q.subpart("src").tolist() == [0]


def test_a_diagram_that_is_no_named_shape():
    # X -f-> Y <-g- Z with a second arrow X -h-> Y: pullback of f and g inside the equaliser of f and h
    Y = acset(SchGraph, V=1, src=[0, 0], tgt=[0, 0])                # two loops on one vertex
    X = acset(SchGraph, V=3, src=[0, 1], tgt=[1, 2])                # a path of two edges
    f, h = (ACSetTransformation({"V": [0, 0, 0], "E": e}, X, Y) for e in ([0, 0], [0, 1]))
    Z = acset(SchGraph, V=1, src=[0], tgt=[0])
    g = ACSetTransformation({"V": [0], "E": [0]}, Z, Y)
    lim = limit(Diagram([X, Y, Z], [(0, 1, f), (0, 1, h), (2, 1, g)]))
    # f = h on every vertex and on edge 0 only; each pairs with Z's one vertex and loop
    assert lim.apex.size() == {"V": 3, "E": 1}
    assert lim.legs[0]["V"].tolist() == [0, 1, 2] and lim.legs[0]["E"].tolist() == [0]
    E = equalizer(f, h)
    assert is_isomorphic(pullback(compose(E.legs[0], f), g).apex, lim.apex)
    col = colimit(Diagram([X, Y, Z], [(0, 1, f), (0, 1, h), (2, 1, g)]))
    assert col.apex.size() == {"V": 1, "E": 1}


def test_the_empty_diagram():
    assert limit(Diagram([], schema=SchGraph)).apex.size() == {"V": 1, "E": 1}
    assert colimit(Diagram([], schema=SchGraph)).apex.size() == {"V": 0, "E": 0}


def test_diagram_refuses_bad_input():
    with pytest.raises(TransformationError, match="arrow 0 does not go"):
        Diagram([C3, C3], [(1, 0, ACSetTransformation({"V": [0]}, acset(SchGraph, V=1), C3))])
    with pytest.raises(TransformationError, match="names objects"):
        Diagram([C3], [(0, 3, turn)])
    with pytest.raises(TransformationError, match="pass schema"):
        Diagram([])
    with pytest.raises(TransformationError, match="schema"):
        Diagram([C3, acset(SchWeightedGraph, V=1)])


def test_attributes_agree_in_a_limit():
    W = acset(SchWeightedGraph, Weight=float, V=1, src=[0, 0], tgt=[0, 0], weight=[1.0, 2.0])
    P = limit(Diagram([W, W]))
    assert P.apex.subpart("weight").tolist() == product(W, W).apex.subpart("weight").tolist() == [1.0, 2.0]


@st.composite
def graph(draw):
    n = draw(st.integers(1, 4))
    ends = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    return acset(SchGraph, V=n, src=[s for s, _ in ends], tgt=[t for _, t in ends])


graphs = graph()


@st.composite
def maps_into(draw, X, Y):
    hs = list(homomorphisms(X, Y, limit=4))
    return draw(st.sampled_from(hs))


def looped(G):
    G = G.copy()
    v = G.add_parts("V", 1)[0]
    G.add_parts("E", 1, src=[v], tgt=[v])  # so that every graph maps in
    return G


@settings(max_examples=40)
@given(graphs, graphs, graphs, st.data())
def test_special_cases_agree(X1, X2, Z, data):
    Z = looped(Z)
    f, g = data.draw(maps_into(X1, Z)), data.draw(maps_into(X2, Z))
    # product and pullback: the same parts in the same order
    P, Pd = product(X1, X2), limit(Diagram([X1, X2]))
    assert P.apex == Pd.apex and all(a == b for a, b in zip(P.legs, Pd.legs))
    B, Bd = pullback(f, g), limit(Diagram([X1, X2, Z], [(0, 2, f), (1, 2, g)]))
    assert B.apex == Bd.apex and B.legs[0] == Bd.legs[0] and B.legs[1] == Bd.legs[1]
    # the universal map of the general limit agrees with the pullback's on the pullback's own cone
    u = Bd.universal(*B.legs, compose(B.legs[0], f))
    assert compose(u, Bd.legs[0]) == B.legs[0] and compose(u, Bd.legs[1]) == B.legs[1]
    f2 = data.draw(maps_into(X1, Z))
    Eq, Eqd = equalizer(f, f2), limit(Diagram([X1, Z], [(0, 1, f), (0, 1, f2)]))
    assert Eq.apex == Eqd.apex and Eq.legs[0] == Eqd.legs[0]
    C, Cd = coproduct(X1, X2), colimit(Diagram([X1, X2]))
    assert C.apex == Cd.apex


@settings(max_examples=40)
@given(graphs, graphs, graphs, st.data())
def test_colimit_special_cases_agree(A, X1, X2, data):
    X1, X2 = looped(X1), looped(X2)
    f, g = data.draw(maps_into(A, X1)), data.draw(maps_into(A, X2))
    # isomorphic apexes: the general colimit numbers parts from A, the pushout from X1
    po = pushout(f, g)
    pod = colimit(Diagram([A, X1, X2], [(0, 1, f), (0, 2, g)]))
    assert is_isomorphic(po.apex, pod.apex)
    # each cocone factors through the other: both are pushouts
    u = pod.universal(compose(f, po.legs[0]), *po.legs)
    assert compose(pod.legs[1], u) == po.legs[0] and compose(pod.legs[2], u) == po.legs[1]
    f2 = data.draw(maps_into(A, X1))
    q, qd = coequalizer(f, f2), colimit(Diagram([A, X1], [(0, 1, f), (0, 1, f2)]))
    assert is_isomorphic(q.apex, qd.apex)


@settings(max_examples=40)
@given(acsets(SchWeightedGraph, max_parts=4, types={"Weight": float}))
def test_one_object_diagrams(X):
    # limits._limit indexes an empty codomain with an undefined hom (reported in issue 15)
    assume(X.nparts("V") or not X.nparts("E"))
    lim, col = limit(Diagram([X])), colimit(Diagram([X]))
    assert lim.apex == X and lim.legs[0] == identity(X)
    assert col.apex == X and col.legs[0] == identity(X)
