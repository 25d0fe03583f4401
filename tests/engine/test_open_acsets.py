"""Open ACSets as structured cospans, and open Petri nets composed.

Cases from Catlab's test/categorical_algebra/StructuredCospans.jl (0-based); the SIR
model composed from infection and recovery as the Petri-net example.
"""

import pytest

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchGraph, SchLabelledPetriNet, SchWeightedGraph
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import is_isomorphic
from acset_s2r.literals import acset
from acset_s2r.open_acsets import OpenACSet, braid, compose_open, open_identity, otimes

g0 = acset(SchGraph, V=4, src=[0, 1, 1], tgt=[1, 2, 3])      # a fork: one input, two outputs
g = OpenACSet(g0, "V", [0], [2, 3])
h0 = acset(SchGraph, V=4, src=[0, 1, 2], tgt=[2, 2, 3])      # its opposite
h = OpenACSet(h0, "V", [0, 1], [3])


def test_a_fork():
    assert g.apex == g0
    assert [f.nparts("V") for f in g.feet()] == [1, 2]
    assert g.dom == acset(SchGraph, V=1) and g.codom == acset(SchGraph, V=2)
    assert g.leg(0).is_natural()


def test_composition_and_identities():
    k = compose_open(g, h)
    assert k.dom == g.dom and k.codom == h.codom
    assert k.apex.size() == {"V": 6, "E": 6}
    assert k.apex.subpart("src").tolist() == [0, 1, 1, 2, 3, 4]
    assert k.apex.subpart("tgt").tolist() == [1, 2, 3, 4, 4, 5]
    assert compose_open(g, open_identity(g.codom, "V")) == g
    assert compose_open(open_identity(g.dom, "V"), g) == g


def test_monoidal_product_and_braiding():
    k = otimes(g, h)
    assert k.dom.nparts("V") == 3 and k.codom.nparts("V") == 3
    assert k.apex.size() == {"V": 8, "E": 6}
    a, b = acset(SchGraph, V=3), acset(SchGraph, V=2)
    there, back = braid(a, b, "V"), braid(b, a, "V")
    round_trip = compose_open(there, back)
    # braiding there and back is the identity: both feet land on the same parts, and nothing else is there
    assert round_trip.maps[0].tolist() == round_trip.maps[1].tolist()
    assert round_trip.apex == round_trip.dom


def test_weighted_graphs_with_a_plain_boundary():
    w0 = acset(SchWeightedGraph, Weight=float, V=2, src=[0], tgt=[1], weight=[1.5])
    w1 = acset(SchWeightedGraph, Weight=float, V=3, src=[0, 0], tgt=[1, 2], weight=[1.0, 2.0])
    k = compose_open(OpenACSet(w0, "V", [0], [1]), OpenACSet(w1, "V", [0], [1, 2])).apex
    assert k.subpart("src").tolist() == [0, 1, 1]
    assert k.subpart("tgt").tolist() == [1, 2, 3]
    assert k.subpart("weight").tolist() == [1.5, 1.0, 2.0]


SchLabeledGraph = SchGraph.extend("SchLabeledGraph", attrtypes=["Label"],
                                  attrs=[("vlabel", "V", "Label"), ("elabel", "E", "Label")])


def test_attributed_boundary():
    lg0 = acset(SchLabeledGraph, Label=str, V=2, src=[0], tgt=[1], vlabel=["x", "y"], elabel=["f"])
    lh0 = acset(SchLabeledGraph, Label=str, V=3, src=[0, 0], tgt=[1, 2], vlabel=["y", "w", "z"], elabel=["g", "h"])
    lg, lh = OpenACSet(lg0, "V", [0], [1]), OpenACSet(lh0, "V", [0], [1, 2])
    assert lh.foot(1).subpart("vlabel").tolist() == ["w", "z"]
    k = compose_open(lg, lh).apex
    assert k.subpart("src").tolist() == [0, 1, 1] and k.subpart("tgt").tolist() == [1, 2, 3]
    assert k.subpart("vlabel").tolist() == ["x", "y", "w", "z"]
    assert k.subpart("elabel").tolist() == ["f", "g", "h"]
    bad = lh0.copy()
    bad.set_subpart(0, "vlabel", "y'")
    with pytest.raises(TransformationError, match="attributes differ"):
        compose_open(lg, OpenACSet(bad, "V", [0], [1, 2]))
    assert otimes(lg, OpenACSet(bad, "V", [0], [1, 2])).apex.size() == {"V": 5, "E": 3}


def petri(species, transitions):
    """A labelled Petri net from species names and (name, inputs, outputs) transitions."""
    X = ACSet(SchLabelledPetriNet, Name=str)
    X.add_parts("S", len(species), sname=species)
    for name, ins, outs in transitions:
        t = X.add_part("T", tname=name)
        for s in ins:
            X.add_parts("I", 1, it=[t], **{"is": [species.index(s)]})  # "is" is a Python keyword
        for s in outs:
            X.add_parts("O", 1, ot=[t], os=[species.index(s)])
    return X


def test_sir_from_infection_and_recovery():
    infection = OpenACSet(petri(["S", "I"], [("inf", ["S", "I"], ["I", "I"])]), "S", [0], [1])
    recovery = OpenACSet(petri(["I", "R"], [("rec", ["I"], ["R"])]), "S", [0], [1])
    sir = compose_open(infection, recovery)
    expected = petri(["S", "I", "R"], [("inf", ["S", "I"], ["I", "I"]), ("rec", ["I"], ["R"])])
    assert is_isomorphic(sir.apex, expected)
    assert sir.dom.subpart("sname").tolist() == ["S"] and sir.codom.subpart("sname").tolist() == ["R"]
    # two infections side by side share nothing
    assert otimes(infection, infection).apex.size()["T"] == 2


def test_refuses_bad_input():
    with pytest.raises(InstanceError, match="no hom leaves"):
        OpenACSet(g0, "E", [0], [1])
    with pytest.raises(TransformationError, match="not the first foot"):
        compose_open(g, g)
    with pytest.raises(InstanceError, match="has no|parts"):
        OpenACSet(g0, "V", [7])
