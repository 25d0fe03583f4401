"""ACSet and transformation literals (Catlab's @acset, @acset_transformation(s))."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import ACSetTransformation, homomorphism
from acset_s2r.literals import acset, acset_transformation, acset_transformations, parse_acset
from acset_s2r.schema import Schema

SchLabeledGraph = SchGraph.extend("SchLabeledGraph", attrtypes=["Label"], attrs=[("label", "V", "Label")])


def cycle(n, labels):
    return acset(SchLabeledGraph, Label=str, V=n, src=list(range(n)),
                 tgt=[(i + 1) % n for i in range(n)], label=labels)


def test_literal_equals_the_same_instance_built_by_hand():
    X = ACSet(SchGraph)
    X.add_parts("V", 3)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
    assert acset(SchGraph, V=3, E=2, src=[0, 1], tgt=[1, 2]) == X
    assert parse_acset(SchGraph, "V=3; E=2; src=[0,1]; tgt=[1,2]") == X
    assert parse_acset(SchGraph, "begin\n  V = 3\n  E = 2\n  src = [0, 1]\n  tgt = [1, 2]\nend") == X


def test_counts_are_read_off_columns_and_scalars_broadcast():
    X = acset(SchWeightedGraph, Weight=float, V=1, src=0, tgt=0, weight=[1.0, 2.0, 3.0])
    assert X.nparts("E") == 3 and X.subpart("src").tolist() == [0, 0, 0]
    assert acset(SchGraph).size() == {"V": 0, "E": 0}


@pytest.mark.parametrize(
    "data, words",
    [
        ({"V": 2, "W": 1}, ["'W'", "objects"]),
        ({"V": 2, "E": 3, "src": [0, 1]}, ["src", "2 values", "E=3"]),
        ({"V": 2, "src": [0, 5], "tgt": [0, 0]}, ["src", "5", "dangling"]),
        ({"V": -1}, ["V", "-1"]),
        ({"V": 1.5}, ["V", "1.5"]),
    ],
)
def test_bad_literals_name_the_keyword(data, words):
    with pytest.raises(InstanceError) as err:
        acset(SchGraph, **data)
    for w in words:
        assert w in str(err.value)


@pytest.mark.parametrize("text, word", [("V=3; print(1)", "print"), ("V=3; V=4", "twice"), ("V=", "line 1"),
                                        ("src=[open('x')]", "literal")])
def test_bad_text_is_refused_without_running_it(text, word):
    with pytest.raises(InstanceError, match=word):
        parse_acset(SchGraph, text)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_literal_round_trips_any_graph(data):
    n = data.draw(st.integers(0, 4))
    m = data.draw(st.integers(0, 5)) if n else 0
    src = data.draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=m, max_size=m))
    tgt = data.draw(st.lists(st.integers(0, max(n - 1, 0)), min_size=m, max_size=m))
    X = acset(SchGraph, V=n, E=m, src=src, tgt=tgt)
    assert acset(SchGraph, V=n, src=X.subpart("src"), tgt=X.subpart("tgt")) == X
    assert parse_acset(SchGraph, f"V={n}; E={m}; src={src}; tgt={tgt}") == X


# Catlab test/categorical_algebra/pointwise/acsetcats/HomSearch.jl, "As a macro" (0-based ids here)
def test_catlab_acset_transformation_macro_cases():
    g = cycle(4, ["a", "b", "c", "d"])
    h = cycle(4, ["b", "c", "d", "a"])
    alpha = acset_transformation(g, h)
    beta = acset_transformation(g, h, V=[3, 0, 1, 2], E=[3, 0, 1, 2], monic=True)
    gamma = acset_transformation(g, h, monic=["V"])
    assert alpha["V"][0] == 3 and alpha["E"][0] == 3
    assert alpha == beta == gamma
    x = acset(SchGraph, V=2, E=2, src=[0, 0], tgt=[1, 1])
    assert len(acset_transformations(x, x)) == len(acset_transformations(x, x, monic=["V"])) == 4
    assert len(acset_transformations(x, x, monic=True)) == 2
    assert len(acset_transformations(x, x, V=[0, 1], monic=["E"])) == 2
    with pytest.raises(TransformationError, match="not natural"):
        acset_transformation(g, h, V=[3, 2, 1, 0], E=[0, 1, 2, 3])


def test_partial_components_must_extend_uniquely():
    P = acset(SchGraph, V=2, E=1, src=[0], tgt=[1])
    C3 = acset(SchGraph, V=3, E=3, src=[0, 1, 2], tgt=[1, 2, 0])
    f = acset_transformation(P, C3, E={0: 1})
    assert f == ACSetTransformation({"V": [1, 2], "E": [1]}, P, C3)
    assert f == homomorphism(P, C3, initial={"E": {0: 1}})
    with pytest.raises(TransformationError, match="more than one"):
        acset_transformation(P, C3)
    loop = acset(SchGraph, V=1, E=1, src=0, tgt=0)
    with pytest.raises(TransformationError, match="no transformation"):
        acset_transformation(loop, P, V={0: 0})
    with pytest.raises(TransformationError, match="'W'"):
        acset_transformation(P, C3, W=[0])
    with pytest.raises(TransformationError, match="3 entries"):
        acset_transformation(P, C3, V=[0, 1, 2])


def test_literal_with_an_attribute_type_and_a_schema_with_loops():
    S = Schema.build("SchDDS", obs=["X"], homs=[("phi", "X", "X")])
    X = acset(S, X=3, phi=[1, 2, 0])
    assert X.subpart(0, ["phi", "phi"]) == 2
    labelled = parse_acset(SchLabeledGraph, "V=2; label=['a', None]", Label=str)
    assert labelled.is_defined("label").tolist() == [True, False]
    assert np.array_equal(acset(SchLabeledGraph, Label=str, V=2, label="z").subpart("label"), ["z", "z"])
