"""The join planner of homomorphism search against brute force, backtracking and networkx.

Each test forces the planner onto the joins (no size threshold) and compares it with an
independent enumerator, with the backtracking search (the planner switched off) and,
on simple digraphs, with networkx's ``DiGraphMatcher``.
"""

import contextlib
import itertools

import networkx as nx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from networkx.algorithms.isomorphism import DiGraphMatcher

from acset_s2r import ACSet, homs
from acset_s2r.catalog import SchGraph, SchPetriNet
from acset_s2r.homs import ACSetTransformation, count_homomorphisms, homomorphisms
from acset_s2r.strategies import acsets, schemas

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def planner(on: bool, cap: int = homs._JOIN_CAP):
    saved = homs._JOIN_MIN_PARTS, homs._JOIN_CAP
    homs._JOIN_MIN_PARTS, homs._JOIN_CAP = (0 if on else 1 << 60), cap
    try:
        yield
    finally:
        homs._JOIN_MIN_PARTS, homs._JOIN_CAP = saved


def _val(Z, name, i):
    return Z.subpart(i, name) if Z.is_defined(name, [i])[0] else None


def _natural(X, Y, comps):
    for h in X.schema.homs:
        for x in range(X.nparts(h.dom)):
            fx = X.subpart(x, h.name)
            if Y.subpart(comps[h.dom][x], h.name) != (comps[h.codom][fx] if fx >= 0 else -1):
                return False
    for a in X.schema.attrs:
        for x in range(X.nparts(a.dom)):
            u, v = _val(X, a.name, x), _val(Y, a.name, comps[a.dom][x])
            if not (u is None and v is None) and (u is None or v is None or not np.array_equal(u, v)):
                return False
    return True


def brute(X, Y, monic=False, initial=None):
    obs = X.schema.obs
    found = set()
    for choice in itertools.product(*(itertools.product(range(Y.nparts(o)), repeat=X.nparts(o)) for o in obs)):
        comps = dict(zip(obs, choice))
        if monic and any(len(set(c)) < len(c) for c in choice):
            continue
        if initial and any(comps[o][x] != y for o, m in initial.items() for x, y in m.items()):
            continue
        if _natural(X, Y, comps):
            found.add(choice)
    return found


def keys(maps):
    return {tuple(tuple(f[o].tolist()) for o in f.dom.schema.obs) for f in maps}


def both(X, Y, **kw):
    """(count, set of maps) from the joins, checked equal to the backtracking answer."""
    with planner(True):
        n, got = count_homomorphisms(X, Y, **kw), keys(homomorphisms(X, Y, **kw))
    with planner(False):
        assert count_homomorphisms(X, Y, **kw) == n
        assert keys(homomorphisms(X, Y, **kw)) == got
    assert n == len(got)
    return n, got


def some_initial(X, Y, data):
    ob = data.draw(st.sampled_from([o for o in X.schema.obs if X.nparts(o) and Y.nparts(o)] or [None]))
    if ob is None:
        return None
    x = data.draw(st.integers(0, X.nparts(ob) - 1))
    return {ob: {x: data.draw(st.integers(0, Y.nparts(ob) - 1))}}


@st.composite
def pairs(draw, schema_strategy, xmax=2, ymax=3):
    schema = draw(schema_strategy)
    types = {t: bool for t in schema.attrtypes}
    return draw(acsets(schema, max_parts=xmax, types=types)), draw(acsets(schema, max_parts=ymax, types=types))


random_schemas = schemas(max_obs=3, max_homs=4, max_attrtypes=1, max_attrs=2, max_equations=0).filter(
    lambda s: not {"ob", "n"} & set(s.hom_names + s.attr_names)
)


@SETTINGS
@given(pairs(random_schemas), st.booleans(), st.data())
def test_random_schemas_against_brute_force(pair, monic, data):
    X, Y = pair
    initial = data.draw(st.sampled_from([None, "some"]))
    initial = some_initial(X, Y, data) if initial else None
    n, got = both(X, Y, monic=monic, initial=initial)
    assert got == brute(X, Y, monic, initial)


@SETTINGS
@given(pairs(st.just(SchPetriNet), xmax=2, ymax=3), st.booleans(), st.data())
def test_petri_nets_against_brute_force(pair, monic, data):
    X, Y = pair
    initial = some_initial(X, Y, data) if data.draw(st.booleans()) else None
    _, got = both(X, Y, monic=monic, initial=initial)
    assert got == brute(X, Y, monic, initial)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.booleans())
def test_sim2real_schema_agrees_with_backtracking(data, monic):
    from acset_s2r.sim2real.schema import SchSim2RealTrajectory

    Y = data.draw(acsets(SchSim2RealTrajectory, max_parts=3))
    n, got = both(Y, Y, monic=monic)
    ident = tuple(tuple(range(Y.nparts(o))) for o in Y.schema.obs)
    assert ident in got  # the identity is always there
    for k in got:
        ACSetTransformation(dict(zip(Y.schema.obs, k)), Y, Y)  # natural, or this raises


def digraph(n, p, seed):
    rng = np.random.default_rng(seed)
    m = rng.random((n, n)) < p
    np.fill_diagonal(m, False)
    s, t = np.nonzero(m)
    G = ACSet(SchGraph)
    G.add_parts("V", n)
    G.add_parts("E", len(s), src=s, tgt=t)
    return G, nx.DiGraph(list(zip(s.tolist(), t.tolist())))


def test_patterns_against_networkx_and_initial():
    Y, gy = digraph(40, 0.15, 1)
    gy.add_nodes_from(range(40))
    for k in (3, 4):
        # the directed k-cycle and the k-edge path
        for edges in ([(i, (i + 1) % k) for i in range(k)], [(i, i + 1) for i in range(k)]):
            nv = max(max(e) for e in edges) + 1
            X = ACSet(SchGraph)
            X.add_parts("V", nv)
            X.add_parts("E", len(edges), src=[e[0] for e in edges], tgt=[e[1] for e in edges])
            want = sum(1 for _ in DiGraphMatcher(gy, nx.DiGraph(edges)).subgraph_monomorphisms_iter())
            with planner(True):
                assert count_homomorphisms(X, Y, monic=True) == want
                plain = count_homomorphisms(X, Y)
                fixed = sum(count_homomorphisms(X, Y, monic=True, initial={"V": {0: v}}) for v in range(40))
                assert fixed == want  # the counts with vertex 0 fixed partition the whole
                with planner(True, cap=10):  # joins that outgrow the cap hand back to backtracking
                    assert count_homomorphisms(X, Y, monic=True) == want
            with planner(False):
                assert count_homomorphisms(X, Y) == plain


def test_options_on_the_join_path():
    Y, _ = digraph(30, 0.2, 2)
    X = ACSet(SchGraph)
    X.add_parts("V", 3)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
    with planner(True):
        every = list(homomorphisms(X, Y, monic=True))
        assert len(every) == count_homomorphisms(X, Y, monic=True) > 0
        some = list(homomorphisms(X, Y, monic=True, filter=lambda f: f["V"][0] < 5))
        assert keys(some) == {k for k in keys(every) if k[0][0] < 5}
        assert len(list(homomorphisms(X, Y, take=3))) == 3
        assert keys(homomorphisms(X, Y, monic=True, random=7)) == keys(every)
        allowed = {0: [1, 2, 3]}
        pred = keys(homomorphisms(X, Y, predicates={"V": allowed}))
        with planner(False):
            assert pred == keys(homomorphisms(X, Y, predicates={"V": allowed}))
        try:
            list(homomorphisms(X, Y, max=1))
        except homs.TransformationError:
            pass
        else:
            raise AssertionError("max=1 should raise with more than one map")
