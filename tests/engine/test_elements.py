"""The category of elements and its inverse.

Cases from Catlab's test/categorical_algebra/CatElements.jl, 0-based (``πₑ`` is
``pi_e`` here); the round trip as a property on random instances with variables.
"""

import pytest
from hypothesis import given, settings

from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.elements import SchElements, draw_elements, elements, elements_graph, inverse_elements
from acset_s2r.errors import InstanceError
from acset_s2r.homs import ACSetTransformation, homomorphisms, identity, is_isomorphic
from acset_s2r.literals import acset
from acset_s2r.schema import Schema
from acset_s2r.strategies import schemas_and_acsets

arr = acset(SchGraph, V=2, src=[0], tgt=[1])
p0 = acset(SchGraph, V=2, src=[0, 1], tgt=[1, 0])


def test_arrow_elements():
    el = elements(arr)
    assert el.size() == {"El": 3, "Arr": 2, "Ob": 2, "Hom": 2, "Val": 0}
    assert el.subpart("pi_e").tolist() == [0, 0, 1]
    assert el.subpart("pi_a").tolist() == [0, 1]
    assert el.subpart("src").tolist() == [2, 2]
    assert el.subpart("tgt").tolist() == [0, 1]
    assert el.subpart("nameo").tolist() == ["V", "E"]
    assert el.subpart("nameh").tolist() == ["src", "tgt"]
    assert el.subpart("dom").tolist() == [1, 1]
    assert el.subpart("cod").tolist() == [0, 0]
    assert inverse_elements(el, SchGraph) == arr


def test_shuffled_elements_give_the_same_graph():
    # element-specific indices moved, the data unchanged (V/E and src/tgt swapped)
    el2 = acset(SchElements, Name=str, Value=object, El=4, Arr=4, Ob=2, Hom=2,
                pi_e=[1, 0, 1, 0], src=[1, 3, 1, 3], tgt=[0, 2, 2, 0], pi_a=[1, 1, 0, 0],
                nameo=["E", "V"], dom=[0, 0], cod=[1, 1], nameh=["tgt", "src"])
    assert inverse_elements(el2, SchGraph) == p0
    el3 = elements(p0)
    el3.set_subpart(el3.parts("Arr"), "src", [3, 2, 3, 2])  # swap the two edges' arrows
    assert inverse_elements(el3, SchGraph) != p0
    assert is_isomorphic(inverse_elements(el3, SchGraph), p0)


# the schema Catlab presents from the elements of p0, and its SIR instance
ThPetri = Schema.build("ThPetri", obs=["V_1", "V_2", "E_1", "E_2"],
                       homs=[("src_E_1", "E_1", "V_1"), ("tgt_E_1", "E_1", "V_2"),
                             ("src_E_2", "E_2", "V_2"), ("tgt_E_2", "E_2", "V_1")])
sir = acset(ThPetri, V_1=3, V_2=2, E_1=3, E_2=3, src_E_1=[0, 1, 1], tgt_E_1=[0, 0, 1],
            src_E_2=[0, 0, 1], tgt_E_2=[1, 1, 2])


def test_dibipartite_elements_round_trip():
    assert inverse_elements(elements(sir), sir) == sir
    hs = list(homomorphisms(sir, sir))
    assert len(hs) == 24
    for h in hs:
        eh = elements(h)
        assert eh.dom == elements(sir) and eh.is_natural()


def test_two_targets_for_one_edge_are_refused():
    bad = acset(SchElements, Name=str, Value=object, El=2, Arr=3, Ob=2, Hom=2, pi_e=[0, 1],
                src=[1, 1, 0], tgt=[0, 0, 0], pi_a=[0, 1, 1], nameo=["V", "E"], dom=[1, 1], cod=[0, 0],
                nameh=["src", "tgt"])
    with pytest.raises(InstanceError, match="tgt arrow 2"):
        inverse_elements(bad, SchGraph)
    twice = acset(SchElements, Name=str, Value=object, El=2, Arr=3, Ob=2, Hom=2, pi_e=[0, 1],
                  src=[1, 1, 1], tgt=[0, 0, 0], pi_a=[0, 1, 1], nameo=["V", "E"], dom=[1, 1], cod=[0, 0],
                  nameh=["src", "tgt"])
    with pytest.raises(InstanceError, match="2 tgt arrows"):
        inverse_elements(twice, SchGraph)


def test_elements_of_a_graph_homomorphism():
    e1 = acset(SchGraph, V=1, src=[0, 0], tgt=[0, 0])
    swap = ACSetTransformation({"V": [0], "E": [1, 0]}, e1, e1)
    eswap = elements(swap)
    assert eswap["El"].tolist() == [0, 2, 1]
    assert eswap["Arr"].tolist() == [1, 0, 3, 2]
    assert elements(identity(sir)) == identity(elements(sir))


def test_attributes_are_values_on_elements(tmp_path):
    W = acset(SchWeightedGraph, Weight=float, V=2, src=[0, 1], tgt=[1, 1], weight=[0.5, 2.0])
    el = elements(W)
    assert el.subpart("nameo").tolist() == ["V", "E", "Weight"]
    assert el.subpart("value").tolist() == [0.5, 2.0]
    assert inverse_elements(el, W) == W
    g = elements_graph(el)
    assert g.number_of_nodes() == 4 and g.number_of_edges() == 4
    assert any("weight=0.5" in d["label"] for _, d in g.nodes(data=True))
    assert draw_elements(el, tmp_path / "w.png").read_bytes()[:4] == b"\x89PNG"


@settings(max_examples=60)
@given(schemas_and_acsets(max_parts=5, max_vars=2))
def test_inverse_of_elements_is_the_acset(pair):
    _, X = pair
    assert inverse_elements(elements(X), X) == X
