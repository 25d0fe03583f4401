"""Schema functors and the migrations Δ, Σ, Π: functoriality checks, adjunction laws, known answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchGraph, SchReflexiveGraph, SchSim2RealTransfer, SchSymmetricGraph
from acset_s2r.errors import MigrationError
from acset_s2r.homs import ACSetTransformation, compose, count_homomorphisms, identity
from acset_s2r.migration import (
    SchemaFunctor,
    delta,
    delta_map,
    paths_equal,
    pi,
    restrict,
    sigma,
    sigma_counit,
    sigma_map,
    sigma_unit,
)
from acset_s2r.schema import Schema
from acset_s2r.sim2real.schema import SchSim2RealTrajectory
from acset_s2r.strategies import acsets

SchSet = Schema.build("SchSet", obs=["X"])
SchVertices = Schema.build("SchVertices", obs=["V"])
SchTwoSets = Schema.build("SchTwoSets", obs=["A", "B"])
SchLoop = Schema.build("SchLoop", obs=["X"], homs=[("next", "X", "X")])

REVERSE = SchemaFunctor(SchGraph, SchGraph, homs={"src": ["tgt"], "tgt": ["src"]})
TO_SYMMETRIC = SchemaFunctor(SchGraph, SchSymmetricGraph)
TO_REFLEXIVE = SchemaFunctor(SchGraph, SchReflexiveGraph)
COLLAPSE = SchemaFunctor(SchGraph, SchSet, obs={"V": "X", "E": "X"}, homs={"src": [], "tgt": []})
VERTICES = SchemaFunctor(SchVertices, SchGraph)
FUNCTORS = [REVERSE, TO_SYMMETRIC, TO_REFLEXIVE, COLLAPSE, VERTICES]

SETTINGS = settings(max_examples=25, deadline=None)


def graph(nv: int, edges: list[tuple[int, int]]) -> ACSet:
    G = ACSet(SchGraph)
    G.add_parts("V", nv)
    G.add_parts("E", len(edges), src=[s for s, _ in edges], tgt=[t for _, t in edges])
    return G


def _total(X: ACSet) -> bool:
    return all((X.subpart(h) >= 0).all() for h in X.schema.hom_names)


def small(schema: Schema, n: int = 3):
    """Random C-sets with every hom defined (Σ and the adjunction laws are about total maps)."""
    return acsets(schema, max_parts=n, undefined=False).filter(_total)


# -- functors -----------------------------------------------------------------------------------
def test_functor_rejects_bad_endpoints_and_names():
    with pytest.raises(MigrationError, match="src must run E -> V in SchReflexiveGraph, but"):
        SchemaFunctor(SchGraph, SchReflexiveGraph, homs={"src": ["src", "refl"]})
    with pytest.raises(MigrationError, match="hom src goes to an ill-typed path"):
        SchemaFunctor(SchGraph, SchReflexiveGraph, homs={"src": ["refl"]})
    with pytest.raises(MigrationError, match="object V goes to 'W', which is not an object"):
        SchemaFunctor(SchGraph, SchGraph, obs={"V": "W"})
    with pytest.raises(MigrationError, match="not homs of SchGraph"):
        SchemaFunctor(SchGraph, SchGraph, homs={"inv": []})


def test_functor_checks_equations():
    # inv ↦ id would force src == tgt, which SchGraph does not prove
    with pytest.raises(MigrationError, match="inv_src"):
        SchemaFunctor(SchSymmetricGraph, SchGraph, homs={"inv": []})
    # reversal is an automorphism of SchSymmetricGraph: equations hold up to the others
    SchemaFunctor(SchSymmetricGraph, SchSymmetricGraph, homs={"src": ["tgt"], "tgt": ["src"]})
    # inv ↦ inv·inv·inv is inv modulo inv·inv == id
    SchemaFunctor(SchSymmetricGraph, SchSymmetricGraph, homs={"inv": ["inv", "inv", "inv"]})


def test_paths_equal_in_presented_category():
    assert paths_equal(SchSymmetricGraph, "E", ["inv", "inv", "src"], ["src"])
    assert paths_equal(SchSymmetricGraph, "E", ["inv", "src"], ["tgt"])
    assert not paths_equal(SchSymmetricGraph, "E", ["inv", "src"], ["src"])
    assert paths_equal(SchReflexiveGraph, "V", ["refl", "tgt", "refl", "src"], [])


def test_functor_composite_and_inclusion():
    assert REVERSE.then(REVERSE).homs == {"src": ("src",), "tgt": ("tgt",)}
    with pytest.raises(MigrationError, match="not a sub-schema"):
        SchemaFunctor.inclusion(SchReflexiveGraph, SchGraph)


# -- Δ --------------------------------------------------------------------------------------------
@SETTINGS
@given(small(SchGraph, 5))
def test_delta_reverse_is_an_involution(G):
    R = delta(REVERSE, G)
    assert np.array_equal(R.subpart("src"), G.subpart("tgt"))
    assert delta(REVERSE, R) == G
    assert delta(SchemaFunctor.identity(SchGraph), G) == G


def test_delta_follows_composite_paths():
    # E ↦ E, src ↦ inv·src: reading the path vectorised equals reading tgt
    F = SchemaFunctor(SchGraph, SchSymmetricGraph, homs={"src": ["inv", "src"]})
    Y = sigma(TO_SYMMETRIC, graph(3, [(0, 1), (1, 2)]))
    X = delta(F, Y)
    assert np.array_equal(X.subpart("src"), Y.subpart("tgt"))


def test_delta_map_is_natural():
    G = graph(3, [(0, 1), (1, 2)])
    H = graph(1, [(0, 0)])
    f = ACSetTransformation({"V": [0, 0, 0], "E": [0, 0]}, G, H)
    g = delta_map(REVERSE, f)
    assert g.is_natural() and g.dom == delta(REVERSE, G)


def test_restrict_trajectory_instance_to_seed_schema():
    X = ACSet(SchSim2RealTrajectory, TransferGap=float, Real=float, Label=str)
    X.add_parts("Observation", 2, domain=["sim", "real"])
    X.add_parts("RealEnv", 1, observe_real=[1])
    X.add_parts("Policy", 1, deploy=[0], kl_gap=[0.25], policy_name=["pi"])
    X.add_parts("SimEnv", 1, train=[0], observe_sim=[0])
    X.set_subpart(0, "transfer", 0)
    X.add_parts("Step", 3, stream=[0, 0, 1], next_step=[1, -1, -1])
    Y = restrict(X, SchSim2RealTransfer)
    assert Y.schema == SchSim2RealTransfer
    assert Y.size() == {"SimEnv": 1, "RealEnv": 1, "Policy": 1, "Observation": 2}
    assert Y.subpart(0, "kl_gap") == 0.25 and Y.types["TransferGap"] == X.types["TransferGap"]
    for h in SchSim2RealTransfer.hom_names:
        assert np.array_equal(Y.subpart(h), X.subpart(h))


# -- Σ --------------------------------------------------------------------------------------------
def test_sigma_known_answers():
    P = graph(3, [(0, 1), (1, 2)])
    S = sigma(TO_SYMMETRIC, P)  # every edge gets a formal reverse
    assert S.size() == {"V": 3, "E": 4}
    inv = S.subpart("inv")
    assert np.array_equal(inv[inv], np.arange(4))
    assert np.array_equal(S.subpart("src")[inv], S.subpart("tgt"))
    R = sigma(TO_REFLEXIVE, P)  # every vertex gets a loop
    assert R.size() == {"V": 3, "E": 5}
    assert np.array_equal(R.subpart(["refl", "src"]), np.arange(3))
    # collapsing V and E to one set: Σ is the set of connected components
    assert sigma(COLLAPSE, graph(5, [(0, 1), (3, 2)])).nparts("X") == 3
    # free graph on a set of vertices: no edges
    V = ACSet(SchVertices)
    V.add_parts("V", 4)
    assert sigma(VERTICES, V).size() == {"V": 4, "E": 0}


def test_sigma_refuses_infinite_and_undefined():
    F = SchemaFunctor(SchSet, SchLoop)
    X = ACSet(SchSet)
    X.add_parts("X", 1)
    with pytest.raises(MigrationError, match="infinite"):
        sigma(F, X)
    SchWSet = Schema.build("SchWSet", obs=["X"], attrtypes=["T"], attrs=[("w", "X", "T")])
    G = ACSet(SchGraph)
    G.add_parts("E", 1)
    with pytest.raises(MigrationError, match="src is undefined at E part 0"):
        sigma(TO_SYMMETRIC, G)
    assert sigma(SchemaFunctor(SchWSet, SchWSet), ACSet(SchWSet)).nparts("X") == 0  # attributes: see test_sigma_attrs


def _codom_instance(F: SchemaFunctor, data) -> ACSet:
    """A random instance of F.codom that satisfies its equations (Σ of a random graph)."""
    if F.codom.equations:
        return sigma(F, data.draw(small(F.dom, 2)))
    return data.draw(small(F.codom, 2))


@pytest.mark.parametrize("F", FUNCTORS, ids=lambda F: F.codom.name + "<-" + F.dom.name)
@SETTINGS
@given(data=st.data())
def test_sigma_delta_adjunction(F, data):
    X = data.draw(small(F.dom, 3))
    Y = _codom_instance(F, data)
    eta = sigma_unit(F, X)  # natural: checked by the constructor
    counit = sigma_counit(F, Y)
    # triangle identities
    SX = sigma(F, X)
    assert compose(sigma_map(F, eta), sigma_counit(F, SX)) == identity(SX)
    DY = delta(F, Y)
    assert compose(sigma_unit(F, DY), delta_map(F, counit)) == identity(DY)
    # hom-set bijection
    assert count_homomorphisms(SX, Y) == count_homomorphisms(X, DY)


# -- Π ---------------------------------------------------------------------------------------------
def test_pi_along_diagonal_is_product():
    F = SchemaFunctor(SchTwoSets, SchSet, obs={"A": "X", "B": "X"})
    X = ACSet(SchTwoSets)
    X.add_parts("A", 3)
    X.add_parts("B", 4)
    assert pi(F, X).nparts("X") == 12


def test_pi_along_inclusion_fills_missing_with_a_point():
    F = SchemaFunctor(Schema.build("SchA", obs=["A"]), SchTwoSets)
    X = ACSet(F.dom)
    X.add_parts("A", 3)
    assert pi(F, X).size() == {"A": 3, "B": 1}


@pytest.mark.parametrize("F", [REVERSE, COLLAPSE, TO_REFLEXIVE], ids=lambda F: F.codom.name)
@SETTINGS
@given(data=st.data())
def test_delta_pi_adjunction_counts(F, data):
    X = data.draw(small(F.dom, 2))
    Y = _codom_instance(F, data)
    assert count_homomorphisms(delta(F, Y), X) == count_homomorphisms(Y, pi(F, X))


def test_delta_reads_attributes_along_hom_paths():
    from acset_s2r.catalog import SchLabelledPetriNet

    SchInputs = Schema.build("SchInputs", obs=["I"], attrtypes=["Name"], attrs=[("species", "I", "Name")])
    F = SchemaFunctor(SchInputs, SchLabelledPetriNet, attrs={"species": ["is", "sname"]})
    N = ACSet(SchLabelledPetriNet, Name=str)
    N.add_parts("S", 3, sname=["S", None, "R"])
    N.add_parts("T", 1, tname=["infect"])
    N.add_parts("I", 4, it=[0, 0, 0, 0], **{"is": [0, 1, 2, -1]})
    X = delta(F, N)
    assert X.types["Name"] == N.types["Name"]
    assert X.subpart("species").tolist() == ["S", None, "R", None]
    with pytest.raises(MigrationError, match="attribute species must go to a path of homs ending in one attribute"):
        SchemaFunctor(SchInputs, SchLabelledPetriNet, attrs={"species": ["is"]})
