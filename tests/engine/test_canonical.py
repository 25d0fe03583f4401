"""Canonical forms, isomorphism hashes and automorphisms.

Cases from ACSets.jl's test/NautyInterface.jl (0-based), brute force over every
permutation on small graphs, and invariance under random renumbering of random
instances with attributes and variables.
"""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.canonical import (
    automorphism_generators, automorphisms, canonical_form, canonical_hash, canonical_labelling,
)
from acset_s2r.catalog import SchGraph
from acset_s2r.homs import ACSetTransformation, count_homomorphisms, is_isomorphic
from acset_s2r.literals import acset
from acset_s2r.strategies import schemas_and_acsets


def add_v5e7(G=None, flag=True):
    # one of two isomorphic graphs with 5 vertices and 7 edges, added beside what G has
    G = ACSet(SchGraph) if G is None else G
    vs = G.add_parts("V", 5)
    s, t = ([0, 1, 2, 1, 2, 0, 3], [1, 2, 0, 0, 1, 2, 4]) if flag else ([1, 2, 0, 2, 0, 1, 4], [2, 0, 1, 1, 2, 0, 3])
    G.add_parts("E", 7, src=vs[s], tgt=vs[t])
    return G


def test_empty_graph():
    assert canonical_form(ACSet(SchGraph)) == ACSet(SchGraph)


def test_two_isomorphic_graphs_have_one_canonical_form():
    G, H = add_v5e7(), add_v5e7(flag=False)
    assert canonical_form(G) == canonical_form(H)
    assert is_isomorphic(G, canonical_form(G))
    for f in automorphisms(G):
        assert f.is_natural()
    GHGH = add_v5e7(add_v5e7(add_v5e7(add_v5e7(), False)), False)
    HGHG = add_v5e7(add_v5e7(add_v5e7(add_v5e7(flag=False))), False)
    assert canonical_form(GHGH) == canonical_form(HGHG)
    assert canonical_hash(GHGH) == canonical_hash(HGHG)


def test_the_square_has_eight_automorphisms():
    # NautyInterface.jl's "square" (its two parallel pairs of edges make the eight)
    sqr = acset(SchGraph, V=4, src=[0, 1, 2, 3, 0, 1, 2, 3], tgt=[1, 2, 3, 0, 3, 2, 1, 0])
    autos = list(automorphisms(sqr))
    assert len(autos) == 8 == count_homomorphisms(sqr, sqr, iso=True)
    assert all(f.is_natural() for f in autos)
    assert len({tuple(f["E"].tolist()) for f in autos}) == 8


SchDecGraph = SchGraph.extend("SchDecGraph", attrtypes=["X"], attrs=[("dec", "E", "X")])


def test_labelled_cycles():
    G = acset(SchDecGraph, X=str, V=4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0], dec=["a", "b", "c", "d"])
    H = acset(SchDecGraph, X=str, V=4, src=[0, 2, 1, 3], tgt=[2, 1, 3, 0], dec=["a", "b", "c", "d"])
    assert canonical_hash(G) == canonical_hash(H)
    assert canonical_form(G) == canonical_form(H)
    assert len(list(automorphisms(G))) == 1   # the labels break the rotations
    G1 = acset(SchDecGraph, X=str, V=1, src=[0], tgt=[0], dec=["a"])
    H1 = acset(SchDecGraph, X=str, V=1, src=[0], tgt=[0], dec=["b"])
    assert canonical_hash(G1) != canonical_hash(H1)


def test_symmetric_acsets_stay_cheap():
    empty = acset(SchGraph, V=30)
    assert len(automorphism_generators(empty)) == 29    # transpositions generate S_30
    assert canonical_form(empty) == empty
    assert sorted(canonical_labelling(empty)["V"].tolist()) == list(range(30))


def brute_force_automorphisms(X):
    n, m = X.nparts("V"), X.nparts("E")
    src, tgt = X.subpart("src"), X.subpart("tgt")
    out = 0
    for pv in itertools.permutations(range(n)):
        pv = np.asarray(pv, dtype=np.int64)
        for pe in itertools.permutations(range(m)):
            pe = np.asarray(pe, dtype=np.int64)
            if np.array_equal(src[pe], pv[src]) and np.array_equal(tgt[pe], pv[tgt]):
                out += 1
    return out


small_graph = st.integers(1, 4).flatmap(
    lambda n: st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4).map(
        lambda es: acset(SchGraph, V=n, src=[s for s, _ in es], tgt=[t for _, t in es])))


@settings(max_examples=80)
@given(small_graph, small_graph)
def test_against_brute_force_on_small_graphs(X, Y):
    assert len(list(automorphisms(X))) == brute_force_automorphisms(X)
    iso = X.size() == Y.size() and any(
        np.array_equal(Y.subpart("src")[list(pe)], np.asarray(pv)[X.subpart("src")])
        and np.array_equal(Y.subpart("tgt")[list(pe)], np.asarray(pv)[X.subpart("tgt")])
        for pv in itertools.permutations(range(X.nparts("V")))
        for pe in itertools.permutations(range(X.nparts("E")))
    )
    assert (canonical_hash(X) == canonical_hash(Y)) == iso
    assert (canonical_form(X) == canonical_form(Y)) == iso


def renumber(X, perms):
    """X with part i of each object (and variable k of each AttrType) renamed perms[ob][i]."""
    S = X.schema
    Y = ACSet(S, **X.types)
    order = {k: np.argsort(p) for k, p in perms.items()}
    for t in S.attrtypes:
        Y.add_parts(t, X.nparts(t))
    for ob in S.obs:
        Y.add_parts(ob, X.nparts(ob))
    for h in S.homs:
        col = X.subpart(h.name)[order[h.dom]]
        out = np.full(len(col), -1, dtype=np.int64)
        out[col >= 0] = perms[h.codom][col[col >= 0]]
        Y.set_subpart(Y.parts(h.dom), h.name, out)
    for a in S.attrs:
        rows = order[a.dom]
        ok = X.is_defined(a.name)[rows]
        vals = X.subpart(a.name)[rows[ok]]
        if vals.dtype == object:
            vals = [AttrVar(int(perms[a.codom][v.k])) if v.__class__ is AttrVar else v for v in vals.tolist()]
        if ok.any():
            Y.set_subpart(np.flatnonzero(ok), a.name, vals)
    return Y


@settings(max_examples=60)
@given(schemas_and_acsets(max_parts=5, max_vars=2), st.randoms(use_true_random=False))
def test_hash_is_invariant_under_renumbering(pair, rnd):
    _, X = pair
    kinds = list(X.schema.obs) + list(X.schema.attrtypes)
    perms = {k: np.asarray(rnd.sample(range(X.nparts(k)), X.nparts(k)), dtype=np.int64) for k in kinds}
    Y = renumber(X, perms)
    assert canonical_hash(X) == canonical_hash(Y)
    assert canonical_form(X) == canonical_form(Y)
    assert is_isomorphic(X, canonical_form(X))
    iso = ACSetTransformation({k: p if k in X.schema.obs else [AttrVar(int(i)) for i in p] for k, p in perms.items()}, X, Y)
    assert iso.is_iso()


@settings(max_examples=60)
@given(st.data())
def test_hash_separates_what_the_search_separates(data):
    schema, X = data.draw(schemas_and_acsets(max_parts=3, max_attrtypes=1, max_attrs=1))
    from acset_s2r.strategies import acsets
    Y = data.draw(acsets(schema, max_parts=3, types={t: X.types[t] for t in schema.attrtypes}))
    assert (canonical_hash(X) == canonical_hash(Y)) == is_isomorphic(X, Y)
