"""Search options: epic, predicates, filter, random, take, max; homomorphism unique unless any=True.

Cases from Catlab's test/categorical_algebra/pointwise/csetcats/HomSearch.jl (0-based;
path_graph(n) is the path 0 -> 1 -> ... -> n-1); properties compare each option with
filtering the full enumeration.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchSymmetricGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import count_homomorphisms, homomorphism, homomorphisms, is_epic, is_monic
from acset_s2r.literals import acset

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph(n, src=(), tgt=()):
    return acset(SchGraph, V=n, E=len(src), src=list(src), tgt=list(tgt))


def path(n):
    return graph(n, range(n - 1), range(1, n))


def key(f):
    return tuple(f["V"].tolist()), tuple(f["E"].tolist())


def test_catlab_predicates():
    g1 = graph(3, [0, 1, 0, 1, 2, 1], [1, 2, 0, 1, 2, 2])  # path(3) with loops and a double arrow
    g2 = graph(2, [0, 0], [1, 1])
    assert len(list(homomorphisms(g2, g1))) == 8
    assert len(list(homomorphisms(g2, g1, predicates={"V": {0: [0, 2]}}))) == 3
    assert len(list(homomorphisms(g2, g1, predicates={"E": {0: [0, 2]}}))) == 2
    assert count_homomorphisms(g2, g1, predicates={"V": {0: lambda y: y in (0, 2)}}) == 3
    with pytest.raises(TransformationError, match="no V part 5"):
        homomorphisms(g2, g1, predicates={"V": {5: [0]}})


def test_catlab_epic():
    g0 = graph(2, [0, 0], [0, 1])  # a loop and an arrow
    g1 = graph(2, [0, 0], [1, 1])  # a double arrow
    g2 = graph(2, [0, 0, 0], [0, 0, 1])  # two loops and an arrow
    assert len(list(homomorphisms(g1, g2, epic=["V"]))) == 1
    assert len(list(homomorphisms(g1, g2, epic=["E"]))) == 0
    assert len(list(homomorphisms(g2, g0, epic=["E"]))) == 1
    assert len(list(homomorphisms(g2, g0, epic=["V"]))) == 1
    g3 = graph(3, [0, 1, 0, 2], [1, 2, 0, 2])  # path(3) with a loop at each end
    assert len(list(homomorphisms(path(4), g3))) == 6
    assert len(list(homomorphisms(path(4), g3, epic=["V"]))) == 2
    assert len(list(homomorphisms(path(4), g3, epic=["E"]))) == 0
    assert len(list(homomorphisms(graph(4), graph(2), epic=True))) == 14  # 2^4 - 2
    assert count_homomorphisms(graph(4), graph(2), epic=True) == 14


def test_catlab_take_max_and_unique():
    assert len(list(homomorphisms(graph(4), graph(2), epic=True, take=7))) == 7
    with pytest.raises(TransformationError, match="more than one homomorphism"):
        homomorphism(graph(1), graph(2))
    with pytest.raises(TransformationError, match="more than max=6"):
        list(homomorphisms(graph(4), graph(2), epic=True, max=6))
    assert len(list(homomorphisms(graph(4), graph(2), epic=True, max=16))) == 14
    with pytest.raises(TransformationError, match="disagree"):
        homomorphisms(graph(1), graph(2), take=1, limit=2)
    g, h = path(3), path(4)
    assert homomorphism(g, h, initial={"V": {0: 1}})["V"].tolist() == [1, 2, 3]
    assert homomorphism(g, graph(1, [0], [0]))["V"].tolist() == [0, 0, 0]  # unique
    assert homomorphism(graph(1, [0], [0]), h) is None


def test_catlab_filter():
    mono = list(homomorphisms(graph(3), graph(5), filter=is_monic))
    assert len(mono) == len(list(homomorphisms(graph(3), graph(5), monic=True))) == 60


def sym_cycle(n):
    s = list(range(n)) + [(i + 1) % n for i in range(n)]
    t = [(i + 1) % n for i in range(n)] + list(range(n))
    inv = list(range(n, 2 * n)) + list(range(n))
    return acset(SchSymmetricGraph, V=n, src=s, tgt=t, inv=inv)


def sym_complete(n):
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    index = {p: k for k, p in enumerate(pairs)}
    return acset(SchSymmetricGraph, V=n, src=[i for i, _ in pairs], tgt=[j for _, j in pairs],
                 inv=[index[(j, i)] for i, j in pairs])


def test_catlab_colouring_and_random():
    K2, K3 = sym_complete(2), sym_complete(3)
    assert homomorphism(sym_cycle(5), K2, any=True) is None
    assert homomorphism(sym_cycle(5), K3, any=True).is_natural()
    assert homomorphism(sym_cycle(6), K2, any=True).is_natural()
    K4 = sym_complete(4)
    ordered = [key(f) for f in homomorphisms(K4, K4)]
    shuffled = [key(f) for f in homomorphisms(K4, K4, random=np.random.default_rng(3))]
    assert sorted(ordered) == sorted(shuffled) and ordered != shuffled
    again = [key(f) for f in homomorphisms(K4, K4, random=3)]
    assert again == [key(f) for f in homomorphisms(K4, K4, random=3)]  # a seed reproduces the order


@st.composite
def graphs(draw, max_v=3, max_e=4):
    n = draw(st.integers(1, max_v))
    m = draw(st.integers(0, max_e))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    return graph(n, draw(ends), draw(ends))


@given(graphs(), graphs(), st.sampled_from([True, ["V"], ["E"]]), st.data())
@SETTINGS
def test_options_filter_the_full_enumeration(X, Y, epic, data):
    every = list(homomorphisms(X, Y))
    obs = ["V", "E"] if epic is True else epic
    onto = {key(f) for f in every if all(len(set(f[o].tolist())) == Y.nparts(o) for o in obs)}
    assert {key(f) for f in homomorphisms(X, Y, epic=epic)} == onto
    assert count_homomorphisms(X, Y, epic=epic) == len(onto)
    allowed = data.draw(st.lists(st.integers(0, Y.nparts("V") - 1), max_size=3), label="allowed")
    kept = {key(f) for f in every if f["V"][0] in allowed}
    assert {key(f) for f in homomorphisms(X, Y, predicates={"V": {0: allowed}})} == kept
    assert {key(f) for f in homomorphisms(X, Y, random=data.draw(st.integers(0, 9)))} == {key(f) for f in every}
    unique = homomorphism(X, Y) if len(every) <= 1 else None
    assert (unique is None) == (len(every) != 1)
    if len(every) > 1:
        with pytest.raises(TransformationError):
            homomorphism(X, Y)
        assert key(homomorphism(X, Y, any=True)) == key(every[0])
    assert is_epic(homomorphism(X, Y, epic=True, any=True)) if onto and epic is True else True
