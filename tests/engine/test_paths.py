"""Paths with converses as relations, their typechecker, and path equations on instances."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchReflexiveGraph, SchSim2RealTransfer, SchSymmetricGraph
from acset_s2r.errors import PathError
from acset_s2r.paths import (
    Converse,
    Path,
    check_equations,
    compose,
    evaluate,
    parse_path,
    relation,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def sim2real(draw, max_parts=5):
    X = ACSet(SchSim2RealTransfer, TransferGap=float)
    n = {ob: draw(st.integers(0, max_parts)) for ob in SchSimObs}
    keys = lambda m, k: draw(st.lists(st.integers(-1, m - 1), min_size=k, max_size=k))  # noqa: E731
    X.add_parts("Observation", n["Observation"])
    X.add_parts("RealEnv", n["RealEnv"], observe_real=keys(n["Observation"], n["RealEnv"]))
    gaps = draw(st.lists(st.sampled_from([0.1, 0.5, np.nan]), min_size=n["Policy"], max_size=n["Policy"]))
    X.add_parts("Policy", n["Policy"], deploy=keys(n["RealEnv"], n["Policy"]), kl_gap=gaps)
    X.set_subpart(X.parts("Policy"), "transfer", keys(n["Policy"], n["Policy"]))
    X.add_parts("SimEnv", n["SimEnv"], train=keys(n["Policy"], n["SimEnv"]),
                observe_sim=keys(n["Observation"], n["SimEnv"]))
    return X


SchSimObs = ("Observation", "RealEnv", "Policy", "SimEnv")


@st.composite
def symmetric_graphs(draw, broken=False):
    """A symmetric graph (edges in inverse pairs, loops allowed as self-inverse)."""
    n = draw(st.integers(1, 4))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=4))
    src, tgt, inv = [], [], []
    for s, t in pairs:
        k = len(src)
        if s == t and draw(st.booleans()):
            src.append(s), tgt.append(t), inv.append(k)
        else:
            src += [s, t]
            tgt += [t, s]
            inv += [k + 1, k]
    if broken and inv:
        inv = draw(st.lists(st.integers(0, len(inv) - 1), min_size=len(inv), max_size=len(inv)))
    X = ACSet(SchSymmetricGraph)
    X.add_parts("V", n)
    X.add_parts("E", len(src), src=src, tgt=tgt, inv=inv)
    return X


def pairs_of(X, step):
    name, conv = (step.name, True) if isinstance(step, Converse) else (step, False)
    col = X.subpart(name)
    ok = X.is_defined(name)
    rel = {(x, col[x].item()) for x in range(len(col)) if ok[x]}
    return {(b, a) for a, b in rel} if conv else rel


def brute_relation(X, steps):
    dom = compose(*steps, schema=X.schema).dom
    rel = {(x, x) for x in range(X.nparts(dom))}
    for step in steps:
        nxt = pairs_of(X, step)
        rel = {(a, c) for a, b in rel for b2, c in nxt if b == b2}
    return rel


# -- typechecking --------------------------------------------------------------------
def test_seed_composite_is_rejected_with_the_converse_suggested():
    with pytest.raises(PathError) as err:
        parse_path("observe_sim ∘ train", SchSim2RealTransfer)
    msg = str(err.value)
    assert "Policy" in msg and "SimEnv -> Observation" in msg
    assert "compose(Converse('train'), 'observe_sim')" in msg
    with pytest.raises(PathError, match=r"did you mean compose\('train', 'deploy'\)"):
        compose("train", Converse("deploy"), schema=SchSim2RealTransfer)


def test_converse_of_a_step_is_suggested_when_it_fits():
    # observe_real: RealEnv -> Observation; at Observation its converse fits
    with pytest.raises(PathError, match=r"Converse\('observe_real'\)"):
        compose("observe_sim", "observe_real", schema=SchSim2RealTransfer)


def test_parse_forms_agree():
    S = SchSim2RealTransfer
    p = compose(Converse("train"), "observe_sim", schema=S)
    assert (p.dom, p.codom) == ("Policy", "Observation")
    assert parse_path("train⁻¹ ⋅ observe_sim", S) == p
    assert parse_path("train^-1 ; observe_sim", S) == p
    assert parse_path("observe_sim ∘ train†", S) == p
    assert p.converse.bind(S) == compose(Converse("observe_sim"), "train", schema=S)
    with pytest.raises(PathError, match="mixes"):
        parse_path("a ∘ b ; c")
    with pytest.raises(PathError, match="no hom or attribute 'nope'"):
        compose("nope", schema=S)
    with pytest.raises(PathError, match="step"):
        compose(3)


# -- evaluation ---------------------------------------------------------------------------
@SETTINGS
@given(sim2real())
def test_policies_reach_observations_of_their_training_envs(X):
    reached = evaluate(X, compose(Converse("train"), "observe_sim"))
    train, obs = X.subpart("train").tolist(), X.subpart("observe_sim").tolist()
    assert len(reached) == X.nparts("Policy")
    for p, got in enumerate(reached):
        expected = sorted({o for s, o in enumerate(obs) if train[s] == p and o >= 0})
        assert got.tolist() == expected
    offsets, targets = evaluate(X, compose(Converse("train"), "observe_sim"), csr=True)
    assert [targets[offsets[i]:offsets[i + 1]].tolist() for i in range(len(reached))] == [r.tolist() for r in reached]


@SETTINGS
@given(sim2real())
def test_same_gap_relation_through_an_attribute_converse(X):
    src, tgt = relation(X, ["kl_gap", Converse("kl_gap")])
    gaps = X.subpart("kl_gap")
    expected = {(a, b) for a in range(len(gaps)) for b in range(len(gaps)) if gaps[a] == gaps[b]}
    assert set(zip(src.tolist(), tgt.tolist())) == expected


STEPS = ["src", "tgt", "inv", Converse("src"), Converse("tgt"), Converse("inv")]


@SETTINGS
@given(symmetric_graphs(broken=True), st.lists(st.sampled_from(STEPS), min_size=1, max_size=4))
def test_relations_compose_like_brute_force(X, steps):
    try:
        p = compose(*steps, schema=SchSymmetricGraph)
    except PathError:
        assume(False)
    src, tgt = relation(X, p)
    pairs = list(zip(src.tolist(), tgt.tolist()))
    assert pairs == sorted(set(pairs))
    assert set(pairs) == brute_relation(X, steps)
    # a path and its converse denote opposite relations
    csrc, ctgt = relation(X, p.converse)
    assert set(zip(ctgt.tolist(), csrc.tolist())) == set(pairs)


def test_identity_path():
    X = ACSet(SchSymmetricGraph)
    X.add_parts("V", 3)
    assert [r.tolist() for r in evaluate(X, Path.identity("V"))] == [[0], [1], [2]]


# -- equations ------------------------------------------------------------------------------
def test_symmetric_graph_equations_on_valid_and_broken_instances():
    X = ACSet(SchSymmetricGraph)
    X.add_parts("V", 2)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 0], inv=[1, 0])
    assert check_equations(X) == []
    X.set_subpart(1, "inv", 1)  # e1 now its own inverse, e0 -> e1 -> e1
    found = {(v.equation, v.part): (v.lhs_value, v.rhs_value) for v in check_equations(X)}
    # inv_src: src(inv(e1)) = src(e1) = 1 but tgt(e1) = 0; inv_tgt likewise; inv(inv(e0)) = e1 != e0
    assert found == {("inv_src", 1): (1, 0), ("inv_tgt", 1): (0, 1), ("involution", 0): (1, 0)}


@SETTINGS
@given(symmetric_graphs(), symmetric_graphs(broken=True))
def test_equations_match_a_part_by_part_check(good, bad):
    assert check_equations(good) == []
    src, tgt, inv = (bad.subpart(n).tolist() for n in ("src", "tgt", "inv"))
    expected = set()
    for e in range(len(src)):
        if src[inv[e]] != tgt[e]:
            expected.add(("inv_src", e))
        if tgt[inv[e]] != src[e]:
            expected.add(("inv_tgt", e))
        if inv[inv[e]] != e:
            expected.add(("involution", e))
    assert {(v.equation, v.part) for v in check_equations(bad)} == expected


def test_undefined_values_in_equations():
    X = ACSet(SchReflexiveGraph)
    X.add_parts("V", 2)
    X.add_parts("E", 1, src=[0], tgt=[0])
    X.set_subpart([0, 1], "refl", [0, -1])
    found = check_equations(X)
    assert {(v.equation, v.part, v.lhs_value, v.rhs_value) for v in found} == {
        ("refl_src", 1, None, 1),
        ("refl_tgt", 1, None, 1),
    }
    assert "refl_src fails at V part 1" in str(found[0])
