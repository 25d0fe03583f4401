"""Σ with attributes: values pushed along F, attribute variables for the rest.

Cases from Catlab's test/categorical_algebra/pointwise/varacsetcats/FunctorialDataMigrations.jl
("Sigma migrations with attributes", "Sigma with attributes"), 0-based; a property: the
unit X -> ΔΣX preserves every value of X, and variables are exactly the unset positions.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import AttrVar, Schema
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import MigrationError
from acset_s2r.homs import is_isomorphic
from acset_s2r.literals import acset
from acset_s2r.migration import SchemaFunctor, delta, sigma
from acset_s2r.present import parse_present

SchWG = parse_present("""@present SchWG <: SchGraph begin
  Color::AttrType
  color::Attr(V, Color)
  src ⋅ color == tgt ⋅ color
end""")
SchTwoThings = Schema.build("SchTwoThings", obs=["Th1", "Th2"], homs=[("f", "Th1", "Th2")],
                            attrtypes=["Property", "ID"], attrs=[("id", "Th1", "ID")])
SchThing1 = SchTwoThings.extend("SchThing1WithProp", attrs=[("prop", "Th1", "Property")])
SchThing2 = SchTwoThings.extend("SchThing2WithProp", attrs=[("prop", "Th2", "Property")])


def test_catlab_identity_sigma_keeps_variables():
    Y = acset(SchWeightedGraph, types={"Weight": object}, V=2, Weight=1, src=0, tgt=[0, 1], weight=[AttrVar(0), "X"])
    assert is_isomorphic(sigma(SchemaFunctor(SchWeightedGraph, SchWeightedGraph), Y), Y)


def test_catlab_things_with_properties():
    Y = acset(SchThing1, types={"Property": bool, "ID": str}, Th1=2, Th2=4, f=[0, 2], prop=[False, True],
              id=["ffee cup", "doughnut"])
    F = SchemaFunctor(SchThing1, SchThing2, attrs={"prop": ["f", "prop"]})
    XX = sigma(F, Y)
    assert XX.incident(False, ["f", "prop"]).tolist() == XX.incident("ffee cup", "id").tolist() == [0]
    assert XX.subpart(XX.parts("Th1"), ["f", "prop"]).tolist() == [False, True]
    assert XX.nparts("Property") == 2  # Th2 parts 1 and 3 carry no value: two variables
    assert delta(F, XX).subpart("prop").tolist() == [False, True]


def test_catlab_monochromatic_components():
    G = acset(SchGraph, V=4, src=[0, 1], tgt=[1, 2])  # a path of 3 and a lone vertex
    S = sigma(SchemaFunctor(SchGraph, SchWG), G)
    expected = acset(SchWG, types={"Color": object}, V=4, Color=2, src=[1, 2], tgt=[2, 0],
                     color=[AttrVar(0), AttrVar(0), AttrVar(0), AttrVar(1)])
    assert is_isomorphic(S, expected)


def test_tied_values_that_differ_raise():
    X = acset(SchWG, types={"Color": str}, V=2, src=[0], tgt=[1], color=["red", "blue"])
    with pytest.raises(MigrationError, match="tie the values"):
        sigma(SchemaFunctor(SchWG, SchWG), X)


@given(st.integers(1, 4), st.data())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_values_survive_and_the_rest_are_variables(n, data):
    m = data.draw(st.integers(0, 4))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    colours = data.draw(st.lists(st.one_of(st.none(), st.sampled_from(["r", "g"])), min_size=n, max_size=n))
    X = acset(SchWG, types={"Color": object}, V=n, src=data.draw(ends), tgt=data.draw(ends), color=colours)
    try:
        S = sigma(SchemaFunctor(SchWG, SchWG), X)
    except MigrationError:
        return  # two colours in one component
    got = S.subpart("color").tolist()
    for v, c in enumerate(colours):
        if c is not None:
            assert c in got
    assert S.nparts("Color") == len({v for v in got if v.__class__ is AttrVar})
    for s, t in zip(S.subpart("src").tolist(), S.subpart("tgt").tolist()):
        assert got[s] == got[t]  # the equation holds
