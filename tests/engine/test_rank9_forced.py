"""A left-out transformation component inferred when the others force it (issue 14, rank 9).

Catlab's CatElements.jl builds the map of categories of elements from its action on
elements alone ("a strict ACSet transformation uniquely determined by its action on
vertices", test/categorical_algebra/pointwise/csetcats/CatElements.jl checks it); here the
arrow component is left out and must come back as elements(f) gives it. Graph cases:
edges forced into a simple graph, vertices forced by the edges, reflexive loops forced
by refl; properties check any inferred component against the map it was dropped from.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, ACSetTransformation, elements, homomorphisms
from acset_s2r.catalog import SchGraph, SchReflexiveGraph
from acset_s2r.errors import TransformationError
from acset_s2r.strategies import acsets, schemas_and_acsets

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _graph(nv, src, tgt):
    g = ACSet(SchGraph)
    g.add_parts("V", nv)
    g.add_parts("E", len(src), src=src, tgt=tgt)
    return g


def test_catlab_elements_map_from_its_action_on_elements():
    X = _graph(3, [0, 1], [1, 2])
    Y = _graph(2, [0, 1, 1], [1, 0, 1])
    for f in homomorphisms(X, Y):
        ef = elements(f)
        given = {k: v for k, v in ef.components.items() if k not in ("Arr", "Value")}
        inferred = ACSetTransformation(given, ef.dom, ef.codom, infer=True)
        assert inferred == ef
        assert inferred["Arr"].tolist() == ef["Arr"].tolist()


def test_edges_forced_into_a_simple_graph_and_not_into_a_multigraph():
    X = _graph(2, [0, 0], [1, 1])
    Y = _graph(3, [0, 1], [1, 2])
    assert ACSetTransformation({"V": [1, 2]}, X, Y, infer=True)["E"].tolist() == [1, 1]
    Y.add_part("E", src=1, tgt=2)
    with pytest.raises(TransformationError, match="E part 0 has 2 possible images"):
        ACSetTransformation({"V": [1, 2]}, X, Y, infer=True)
    with pytest.raises(TransformationError, match="E part 0 has 0 possible images"):
        ACSetTransformation({"V": [2, 1]}, X, Y, infer=True)


def test_vertices_forced_by_edges():
    X = _graph(3, [0], [1])
    Y = _graph(2, [1], [0])
    with pytest.raises(TransformationError, match="V part 2 is reached by no known hom"):
        ACSetTransformation({"E": [0]}, X, Y, infer=True)
    X2 = _graph(2, [0, 1], [1, 0])
    Y2 = _graph(2, [0, 1], [1, 0])
    assert ACSetTransformation({"E": [1, 0]}, X2, Y2, infer=True)["V"].tolist() == [1, 0]
    with pytest.raises(TransformationError, match="no natural map exists"):
        ACSetTransformation({"E": [1, 1]}, X2, Y2, infer=True)


def test_inference_is_opt_in():
    X = _graph(2, [0], [1])
    Y = _graph(2, [0], [1])
    with pytest.raises(TransformationError, match="missing component E.*infer=True"):
        ACSetTransformation({"V": [0, 1]}, X, Y)


def test_cset_transformation_infers_too():
    from acset_s2r import CSetTransformation
    from acset_s2r.catalog import SchWeightedGraph
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("V", 2)
    X.add_parts("E", 1, src=0, tgt=1, weight=1.0)
    Y = X.copy()
    Y.set_subpart(0, "weight", 2.0)  # a C-set map ignores the weights
    assert CSetTransformation({"V": [0, 1]}, X, Y, infer=True)["E"].tolist() == [0]


def test_reflexive_loops_forced_by_refl_even_with_parallel_edges():
    X = ACSet(SchReflexiveGraph)
    X.add_parts("V", 2)
    X.add_parts("E", 2, src=[0, 1], tgt=[0, 1])
    X.set_subpart([0, 1], "refl", [0, 1])
    Y = X.copy()
    Y.add_parts("E", 2, src=[0, 1], tgt=[0, 1])  # loops that are not refl
    assert ACSetTransformation({"V": [1, 0]}, X, Y, infer=True)["E"].tolist() == [1, 0]


@given(schemas_and_acsets(max_parts=3), st.data())
@SETTINGS
def test_an_inferred_component_is_the_one_dropped(sx, data):
    S, X = sx
    Y = data.draw(acsets(S, max_parts=3, types={t: X.types[t] for t in S.attrtypes}))
    fs = homomorphisms(X, Y, take=5)
    for f in fs:
        ob = data.draw(st.sampled_from(S.obs))
        given = {k: v for k, v in f.components.items() if k != ob and k in S.obs}
        try:
            g = ACSetTransformation(given, X, Y, infer=True)
        except TransformationError as e:
            # f itself satisfies every square, so only ambiguity can stop the inference
            assert "do not determine" in str(e)
            continue
        assert np.array_equal(g[ob], f[ob])
