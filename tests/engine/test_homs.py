"""Transformations and homomorphism search against brute force, networkx and known counts."""

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from networkx.algorithms.isomorphism import DiGraphMatcher

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import TransformationError
from acset_s2r.homs import (
    ACSetTransformation,
    compose,
    count_homomorphisms,
    homomorphism,
    homomorphisms,
    identity,
    is_isomorphic,
)
from acset_s2r.strategies import acsets, schemas

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph(n, edges, schema=SchGraph, **cols):
    X = ACSet(schema, **({"Weight": float} if schema is SchWeightedGraph else {}))
    X.add_parts("V", n)
    e = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    X.add_parts("E", len(e), src=e[:, 0], tgt=e[:, 1], **cols)
    return X


@st.composite
def graphs(draw, max_v=3, max_e=4):
    n = draw(st.integers(1, max_v))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=max_e))
    return graph(n, edges)


def safe(schema_strategy):
    # engine bug: ACSet.add_parts(ob, n, **cols) cannot take columns named "ob" or "n"
    return schema_strategy.filter(lambda s: not {"ob", "n"} & set(s.hom_names + s.attr_names))


@st.composite
def instance_pairs(draw):
    """A random schema (loops, parallel homs, bool attributes) with two small instances."""
    schema = draw(safe(schemas(max_obs=3, max_homs=4, max_attrtypes=1, max_attrs=2, max_equations=0)))
    types = {t: bool for t in schema.attrtypes}
    X = draw(acsets(schema, max_parts=2, types=types))
    Y = draw(acsets(schema, max_parts=3, types=types))
    return X, Y


def _value(Z, name, i):
    return Z.subpart(i, name) if Z.is_defined(name, [i])[0] else None


def natural(X, Y, comps):
    """Pure-Python naturality and strict attribute check, independent of homs.py."""
    for h in X.schema.homs:
        for x in range(X.nparts(h.dom)):
            fx = X.subpart(x, h.name)
            lhs = comps[h.codom][fx] if fx >= 0 else -1
            if Y.subpart(comps[h.dom][x], h.name) != lhs:
                return False
    for a in X.schema.attrs:
        for x in range(X.nparts(a.dom)):
            if _value(X, a.name, x) != _value(Y, a.name, comps[a.dom][x]):
                return False
    return True


def brute_force(X, Y, monic=False):
    """Every natural map, by trying all component maps."""
    obs = X.schema.obs
    spaces = [itertools.product(range(Y.nparts(ob)), repeat=X.nparts(ob)) for ob in obs]
    found = []
    for choice in itertools.product(*spaces):
        comps = dict(zip(obs, choice))
        if monic and any(len(set(c)) < len(c) for c in choice):
            continue
        if natural(X, Y, comps):
            found.append(comps)
    return found


def as_key(f):
    return tuple(tuple(f[ob].tolist()) for ob in f.dom.schema.obs)


# -- transformations -------------------------------------------------------------------
def test_naturality_failure_names_hom_and_part():
    X = graph(2, [(0, 1)])
    with pytest.raises(TransformationError, match=r"hom src.*E part 0"):
        ACSetTransformation({"V": [1, 1], "E": [0]}, X, graph(2, [(0, 1)]))


def test_attribute_failure_names_attribute_and_values():
    X = graph(2, [(0, 1), (1, 0)], SchWeightedGraph, weight=[1.0, 2.0])
    with pytest.raises(TransformationError, match=r"weight.*E part 0.*1\.0.*2\.0"):
        ACSetTransformation({"V": [1, 0], "E": [1, 0]}, X, X)


@pytest.mark.parametrize(
    "comps, message",
    [
        ({"V": [0, 0, 0], "E": [0]}, "3 entries"),
        ({"V": [0, 5], "E": [0]}, "sends part 1 to 5"),
        ({"E": [0]}, "missing component V"),
        ({"V": [0, 0], "E": [0], "W": []}, "not objects"),
        ({"V": [0.5, 0], "E": [0]}, "integer"),
    ],
)
def test_bad_components(comps, message):
    X = graph(2, [(0, 1)])
    with pytest.raises(TransformationError, match=message):
        ACSetTransformation(comps, X, graph(1, [(0, 0)]))


def test_missing_component_of_empty_object_is_fine():
    X = graph(1, [])
    f = ACSetTransformation({"V": [0]}, X, graph(1, [(0, 0)]))
    assert f["E"].tolist() == []


@SETTINGS
@given(instance_pairs())
def test_constructor_accepts_exactly_the_natural_maps(pair):
    X, Y = pair
    obs = X.schema.obs
    spaces = [itertools.product(range(Y.nparts(ob)), repeat=X.nparts(ob)) for ob in obs]
    for choice in itertools.islice(itertools.product(*spaces), 200):
        comps = dict(zip(obs, choice))
        try:
            ACSetTransformation({o: list(c) for o, c in comps.items()}, X, Y)
            accepted = True
        except TransformationError:
            accepted = False
        assert accepted == natural(X, Y, comps)


@SETTINGS
@given(graphs(), graphs(), graphs())
def test_composites_are_homomorphisms_and_laws_hold(X, Y, Z):
    fs, gs = list(homomorphisms(X, Y, limit=5)), list(homomorphisms(Y, Z, limit=5))
    all_xz = {as_key(h) for h in homomorphisms(X, Z)}
    for f in fs:
        assert compose(identity(X), f) == f == compose(f, identity(Y))
        for g in gs:
            fg = compose(f, g)
            assert fg.is_natural()
            ACSetTransformation(fg.components, X, Z)  # checks naturality again
            assert as_key(fg) in all_xz


def test_iso_inverse_and_flags():
    X = graph(3, [(0, 1), (1, 2), (2, 0)])
    rot = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, X, X)
    assert rot.is_iso() and rot.is_monic() and rot.is_epic()
    assert compose(rot, rot.inverse()) == identity(X)
    assert compose(rot, rot, rot) == identity(X)
    collapse = ACSetTransformation({"V": [0, 0, 0], "E": [0, 0, 0]}, X, graph(1, [(0, 0)]))
    assert collapse.is_epic() and not collapse.is_monic()
    with pytest.raises(TransformationError, match="isomorphism"):
        collapse.inverse()


# -- search against brute force --------------------------------------------------------
@SETTINGS
@given(graphs(), graphs())
def test_graph_hom_counts_match_brute_force(X, Y):
    expected = brute_force(X, Y)
    found = [as_key(f) for f in homomorphisms(X, Y)]
    assert len(found) == len(set(found)) == len(expected) == count_homomorphisms(X, Y)
    assert set(found) == {tuple(tuple(c[o]) for o in X.schema.obs) for c in expected}
    assert count_homomorphisms(X, Y, monic=True) == len(brute_force(X, Y, monic=True))


@SETTINGS
@given(instance_pairs())
def test_random_schema_counts_match_brute_force(pair):
    X, Y = pair
    expected = brute_force(X, Y)
    assert count_homomorphisms(X, Y) == len(expected)
    assert sum(1 for _ in homomorphisms(X, Y)) == len(expected)
    assert count_homomorphisms(X, Y, monic=True) == len(brute_force(X, Y, monic=True))
    for f in homomorphisms(X, Y, limit=3):
        assert natural(X, Y, {o: f[o].tolist() for o in X.schema.obs})


@SETTINGS
@given(graphs(), graphs(), st.data())
def test_initial_and_per_object_monic(X, Y, data):
    v = data.draw(st.integers(0, X.nparts("V") - 1))
    w = data.draw(st.integers(0, Y.nparts("V") - 1))
    every = brute_force(X, Y)
    expected = [c for c in every if c["V"][v] == w]
    assert count_homomorphisms(X, Y, initial={"V": {v: w}}) == len(expected)
    injective_v = [c for c in every if len(set(c["V"])) == len(c["V"])]
    assert count_homomorphisms(X, Y, monic=["V"]) == len(injective_v)


@SETTINGS
@given(st.integers(2, 4), st.integers(4, 7), st.floats(0.2, 0.8), st.floats(0.1, 0.6), st.integers(0, 2**31))
def test_monic_count_matches_networkx(n_small, n_big, p_small, p_big, seed):
    small = nx.gnp_random_graph(n_small, p_small, seed=seed, directed=True)
    big = nx.gnp_random_graph(n_big, p_big, seed=seed + 1, directed=True)
    X, Y = graph(n_small, list(small.edges())), graph(n_big, list(big.edges()))
    # networkx matches a subgraph of its first graph onto the second: codomain first
    expected = sum(1 for _ in DiGraphMatcher(big, small).subgraph_monomorphisms_iter())
    assert count_homomorphisms(X, Y, monic=True) == expected


@SETTINGS
@given(graphs(max_v=4, max_e=5), st.randoms(use_true_random=False))
def test_isomorphism_agrees_with_networkx(X, rnd):
    n = X.nparts("V")
    perm = list(range(n))
    rnd.shuffle(perm)
    edges = list(zip(X.subpart("src").tolist(), X.subpart("tgt").tolist()))
    rnd.shuffle(edges)
    Y = graph(n, [(perm[s], perm[t]) for s, t in edges])
    assert is_isomorphic(X, Y)
    f = homomorphism(X, Y, iso=True, any=True)  # automorphisms make it one of several
    assert f is not None and f.is_iso()
    Z = graph(n, edges[1:] + [(0, 0)]) if edges else graph(n, [(0, 0)])
    g1, g2 = nx.MultiDiGraph(), nx.MultiDiGraph()
    g1.add_nodes_from(range(n)), g2.add_nodes_from(range(n))
    g1.add_edges_from(edges), g2.add_edges_from(zip(Z.subpart("src").tolist(), Z.subpart("tgt").tolist()))
    assert is_isomorphic(X, Z) == nx.is_isomorphic(g1, g2)


# -- known counts --------------------------------------------------------------------------
TRIANGLE = [(0, 1), (1, 2), (2, 0)]


def symmetric(g):
    d = nx.DiGraph(g)
    return graph(d.number_of_nodes(), list(d.edges()))


@pytest.mark.parametrize("spokes", [4, 10, 57])
def test_triangle_into_wheel(spokes):
    # a directed 3-cycle lands on a triangle of the wheel in 3 rotations x 2 directions
    W = symmetric(nx.wheel_graph(spokes + 1))
    assert count_homomorphisms(graph(3, TRIANGLE), W) == 6 * spokes


@pytest.mark.parametrize("n", [1, 2, 3, 6])
def test_triangle_into_complete_graph(n):
    K = symmetric(nx.complete_graph(n))
    assert count_homomorphisms(graph(3, TRIANGLE), K) == n * (n - 1) * (n - 2)
    Kloops = graph(n, [(i, j) for i in range(n) for j in range(n)])
    assert count_homomorphisms(graph(3, TRIANGLE), Kloops) == n**3


@SETTINGS
@given(graphs(max_v=5, max_e=8))
def test_homs_from_one_edge_are_edges(Y):
    assert count_homomorphisms(graph(2, [(0, 1)]), Y) == Y.nparts("E")
    assert count_homomorphisms(graph(1, []), Y) == Y.nparts("V")
    assert count_homomorphisms(graph(0, []), Y) == 1


@SETTINGS
@given(safe(schemas(max_obs=3, max_homs=4, max_attrs=0, max_equations=0)).flatmap(
    lambda s: acsets(s, max_parts=4, undefined=False)))
def test_one_map_into_terminal(X):
    # an undefined hom value (a hom into an empty object) cannot go to the defined one
    assume(all((X.subpart(h.name) >= 0).all() for h in X.schema.homs))
    T = ACSet(X.schema)
    for ob in X.schema.obs:
        T.add_parts(ob, 1)
    for h in X.schema.homs:
        T.set_subpart(0, h.name, 0)
    assert count_homomorphisms(X, T) == 1
    assert homomorphism(X, T) == ACSetTransformation({ob: np.zeros(X.nparts(ob), int) for ob in X.schema.obs}, X, T)


def test_limit_laziness_and_bad_arguments():
    X, Y = graph(1, []), graph(5, [])
    assert len(list(homomorphisms(X, Y, limit=3))) == 3
    assert count_homomorphisms(graph(3, []), Y, iso=True) == 0
    assert count_homomorphisms(graph(5, []), Y, iso=True) == 120
    with pytest.raises(TransformationError, match="not objects"):
        homomorphisms(X, Y, monic=["W"])
    with pytest.raises(TransformationError, match="no V part 7"):
        homomorphisms(X, Y, initial={"V": {0: 7}})
    with pytest.raises(TransformationError, match="schema"):
        homomorphisms(X, graph(1, [], SchWeightedGraph))
