"""migrate_into: Catlab's migrate!(X, Y, F), Δ added to an existing instance (issue 14, rank 9).

Cases translated from Catlab's test/categorical_algebra/pointwise/csetcats/
FunctorialDataMigrations.jl (a DDS migrated to a graph, into a copy of that graph:
the coproduct of the graph with itself) and varacsetcats/FunctorialDataMigrations.jl
(Δ keeps attribute variables), 0-based; properties check migrate_into against delta
and the coproduct.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema, coproduct, delta, migrate_into
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import InstanceError, MigrationError
from acset_s2r.migration import SchemaFunctor
from acset_s2r.strategies import acsets

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SchDDS = Schema.build("SchDDS", obs=["X"], homs=[("phi", "X", "X")])
DDS_TO_GRAPH = SchemaFunctor(SchGraph, SchDDS, obs={"V": "X", "E": "X"}, homs={"src": [], "tgt": ["phi"]})
REVERSE_W = SchemaFunctor(SchWeightedGraph, SchWeightedGraph, homs={"src": ["tgt"], "tgt": ["src"]})


def _cycle3():
    h = ACSet(SchGraph)
    h.add_parts("V", 3)
    h.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    return h


def test_catlab_dds_to_graph_in_place():
    dds = ACSet(SchDDS)
    dds.add_parts("X", 3, phi=[1, 2, 0])
    h = _cycle3()
    assert delta(DDS_TO_GRAPH, dds) == h
    h2 = h.copy()
    new = migrate_into(h2, dds, DDS_TO_GRAPH)
    assert {k: v.tolist() for k, v in new.items()} == {"V": [3, 4, 5], "E": [3, 4, 5]}
    assert h2 == coproduct(h, h).apex


def test_migrate_into_keeps_attribute_variables():
    Y = ACSet(SchWeightedGraph, Weight=object)
    Y.add_parts("Weight", 2)
    Y.add_parts("V", 2)
    Y.add_parts("E", 2, src=[0, 1], tgt=[1, 1], weight=[AttrVar(1), 2.5])
    assert delta(REVERSE_W, Y).subpart("weight").tolist() == [AttrVar(1), 2.5]
    X = ACSet(SchWeightedGraph, Weight=object)
    X.add_parts("Weight", 1)
    X.add_parts("V", 1)
    X.add_parts("E", 1, src=0, tgt=0, weight=AttrVar(0))
    new = migrate_into(X, Y, REVERSE_W)
    assert new["Weight"].tolist() == [1, 2]
    assert X.subpart("src").tolist() == [0, 2, 2] and X.subpart("tgt").tolist() == [0, 1, 2]
    assert X.subpart("weight").tolist() == [AttrVar(0), AttrVar(2), 2.5]


def test_migrate_into_refusals_leave_the_target_as_it_was():
    dds = ACSet(SchDDS)
    dds.add_parts("X", 2, phi=[1, 0])
    with pytest.raises(MigrationError, match="adds to an instance of SchGraph"):
        migrate_into(ACSet(SchDDS), dds, DDS_TO_GRAPH)
    Y = ACSet(SchWeightedGraph, Weight=str)
    Y.add_parts("V", 1)
    Y.add_parts("E", 1, src=0, tgt=0, weight="heavy")
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("V", 2)
    before = X.copy()
    with pytest.raises(InstanceError):
        migrate_into(X, Y, REVERSE_W)
    assert X == before


@given(st.data())
@SETTINGS
def test_migrate_into_is_the_coproduct_with_delta(data):
    Y = data.draw(acsets(SchWeightedGraph, max_parts=4, types={"Weight": object}, max_vars=2))
    X = data.draw(acsets(SchWeightedGraph, max_parts=4, types={"Weight": object}, max_vars=2))
    empty = ACSet(SchWeightedGraph, Weight=object)
    migrate_into(empty, Y, REVERSE_W)
    assert empty == delta(REVERSE_W, Y)
    X2 = X.copy()
    migrate_into(X2, Y, REVERSE_W)
    assert X2 == coproduct(X, delta(REVERSE_W, Y)).apex
