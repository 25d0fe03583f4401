"""The rest of the ACSets.jl API (issue 14, rank 9): ensure_size, map over attributes,
naturality_failures, is_cartesian.

Cases from ACSets.jl's test/ACSets.jl (ensure_size!, map) and Catlab's transformation
tests, 0-based; properties check is_cartesian against the fibre-by-fibre definition and
naturality_failures against is_natural.
"""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema
from acset_s2r.catalog import SchGraph
from acset_s2r.errors import InstanceError
from acset_s2r.homs import ACSetTransformation, homomorphisms, identity, is_cartesian, naturality_failures
from acset_s2r.literals import acset

SchSubset = Schema.build("SchSubset", obs=["Set", "Sub"], homs=[("iota", "Sub", "Set")])
SchLabeledDecGraph = Schema.build(
    "SchLabeledDecGraph", obs=["E", "V"], homs=[("src", "E", "V"), ("tgt", "E", "V")],
    attrtypes=["X"], attrs=[("dec", "E", "X"), ("label", "V", "X")])
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_acsetsjl_ensure_size():
    A = acset(SchSubset, Set=2, Sub=1, iota=[0])
    assert A.ensure_size("Sub", 3).tolist() == [1, 2]
    assert A.ensure_size("Sub", 3).tolist() == []  # idempotent
    assert A.ensure_size("Sub", 1).tolist() == [] and A.nparts("Sub") == 3
    with pytest.raises(InstanceError):
        A.ensure_size("Sub", 2.5)


def test_acsetsjl_map():
    g = acset(SchLabeledDecGraph, types={"X": str}, V=4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0],
              dec=["a", "b", "c", "d"], label=["w", "x", "y", "z"])
    f = lambda s: s.upper()  # noqa: E731
    h1 = g.map_attributes(X=f)
    assert h1.subpart("label").tolist() == ["W", "X", "Y", "Z"] and h1.subpart("dec").tolist() == ["A", "B", "C", "D"]
    h2 = g.map_attributes(dec=f, label=lambda s: 3)
    assert h2.subpart("dec").tolist() == ["A", "B", "C", "D"] and h2.subpart("label").tolist() == [3, 3, 3, 3]
    assert g.subpart("dec").tolist() == ["a", "b", "c", "d"]  # the original is untouched
    with pytest.raises(InstanceError, match="not attribute types or attributes"):
        g.map_attributes(Y=f)
    v = acset(SchLabeledDecGraph, types={"X": object}, V=1, X=1, src=[0], tgt=[0], dec=[AttrVar(0)], label=["q"])
    assert v.map_attributes(X=f).subpart("dec").tolist() == [AttrVar(0)]  # variables stay


def test_every_failure_is_listed():
    C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
    f = ACSetTransformation({"V": [0, 0, 0], "E": [0, 1, 2]}, C3, C3, check=False)
    msgs = naturality_failures(f)
    assert len(msgs) == 4 and not f.is_natural()  # all but src of edge 0 and tgt of edge 2
    assert naturality_failures(identity(C3)) == []


@st.composite
def graphs(draw, max_v=3, max_e=4):
    n = draw(st.integers(1, max_v))
    m = draw(st.integers(0, max_e))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    return acset(SchGraph, V=n, src=draw(ends), tgt=draw(ends))


def cartesian_by_fibres(f):
    X, Y = f.dom, f.codom
    for h in ("src", "tgt"):
        for v in range(X.nparts("V")):
            fibre = X.incident(v, h)
            image = sorted(f["E"][fibre].tolist())
            if image != sorted(Y.incident(int(f["V"][v]), h).tolist()) or len(set(image)) != len(image):
                return False
    return True


@given(graphs(), graphs())
@SETTINGS
def test_is_cartesian_is_the_fibre_condition(X, Y):
    for f in itertools.islice(homomorphisms(X, Y), 20):
        assert is_cartesian(f) == cartesian_by_fibres(f)
        assert naturality_failures(f) == []
    assert is_cartesian(identity(X))


@given(graphs(), graphs(), st.data())
@SETTINGS
def test_failures_are_empty_exactly_when_natural(X, Y, data):
    comps = {ob: data.draw(st.lists(st.integers(0, Y.nparts(ob) - 1), min_size=X.nparts(ob), max_size=X.nparts(ob)))
             if Y.nparts(ob) else [] for ob in ("V", "E")}
    if any(X.nparts(ob) and not Y.nparts(ob) for ob in ("V", "E")):
        return
    f = ACSetTransformation(comps, X, Y, check=False)
    assert (naturality_failures(f) == []) == f.is_natural()
