"""ACSets.jl's unique_index, copy_parts! and Catlab's induced_subgraph (issue 14, rank 9).

Cases translated from ACSets.jl's test/ACSets.jl (Subset and labelled sets with a unique
index, the recursive-deletion data with a unique thing, the dendrogram copy_parts! cases)
and Catlab's test/graphs/BasicGraphs.jl (induced subgraphs), 0-based. Properties check
copy_parts against a copy, the unique index against a scan, and induced_subgraph against
the definition.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema, induced_subgraph
from acset_s2r.catalog import SchGraph, SchReflexiveGraph, SchWeightedGraph
from acset_s2r.errors import InstanceError
from acset_s2r.strategies import acsets, schemas_and_acsets

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SchSubset = Schema.build("SchSubset", obs=["Set", "Sub"], homs=[("iota", "Sub", "Set")])
SchLabeledSet = Schema.build("SchLabeledSet", obs=["X"], attrtypes=["Label"], attrs=[("label", "X", "Label")])
SchDendrogram = Schema.build("SchDendrogram", obs=["X"], homs=[("parent", "X", "X")],
                             attrtypes=["R"], attrs=[("height", "X", "R")])
SchLDendrogram = SchDendrogram.extend("SchLDendrogram", obs=["L"], homs=[("leafparent", "L", "X")])
RecSch = Schema.build("RecSch", obs=["Thing", "Node", "Edge"],
                      homs=[("thing", "Thing", "Node"), ("src", "Edge", "Node"), ("tgt", "Edge", "Node")])


def test_acsetsjl_subset_unique_index():
    def subset(member):
        X = ACSet(SchSubset, unique_index=["iota"])
        X.add_parts("Set", 2)
        X.add_part("Sub", iota=member)
        return X

    A, B = subset(0), subset(1)
    assert len(A.incident(0, "iota")) == 1 and len(A.incident(1, "iota")) == 0
    assert B.unique_incident(1, "iota") == 0 and B.unique_incident(0, "iota") is None
    A.rem_part("Set", 1)
    assert A.unique_incident(0, "iota") == 0
    B.rem_part("Set", 0)  # pop-and-swap: Set 1 becomes 0, and iota follows it
    assert B.unique_incident(0, "iota") == 0
    # undefined values may repeat: only defined ones are unique
    assert A.ensure_size("Sub", 3).tolist() == [1, 2]
    assert A.subpart([1, 2], "iota").tolist() == [-1, -1]
    with pytest.raises(InstanceError, match="unique index iota: Sub parts 0 and 1"):
        A.set_subpart(1, "iota", 0)
    assert A.subpart("iota").tolist() == [0, -1, -1]


@pytest.mark.parametrize("part_type", ["dense", "marked"])
def test_acsetsjl_unique_indexed_labeled_set(part_type):
    L = ACSet(SchLabeledSet, part_type=part_type, unique_index=["label"], Label=str)
    L.add_parts("X", 2, label=["foo", "bar"])
    assert L.subpart("label").tolist() == ["foo", "bar"]
    assert L.incident("foo", "label").tolist() == [0]
    assert L.unique_incident("bar", "label") == 1
    assert L.unique_incident("nonkey", "label") is None
    L.set_subpart(0, "label", "baz")
    assert L.subpart(0, "label") == "baz" and L.unique_incident("baz", "label") == 0
    assert L.unique_incident("foo", "label") is None
    with pytest.raises(InstanceError, match="unique index label"):
        L.set_subpart(0, "label", "bar")
    with pytest.raises(InstanceError, match="unique index label"):
        L.add_parts("X", 2, label=["qux", "qux"])
    with pytest.raises(InstanceError, match="unique index label"):
        L.add_part("X", label="bar")
    assert L.nparts("X") == 2 and L.subpart("label").tolist() == ["baz", "bar"]
    # swapping two values in one call is allowed: the check sees the state after the write
    L.set_subpart([0, 1], "label", ["bar", "baz"])
    assert L.unique_incident("bar", "label") == 0
    assert L.copy().unique_incident("baz", "label") == 1


def test_unique_index_refusals():
    with pytest.raises(InstanceError, match="not a hom or attribute"):
        ACSet(SchGraph, unique_index=["weight"])
    X = ACSet(SchGraph)
    with pytest.raises(InstanceError, match="no unique index"):
        X.unique_incident(0, "src")


@pytest.mark.parametrize("part_type", ["dense", "marked"])
def test_acsetsjl_recursive_deletion_with_unique_thing(part_type):
    d = ACSet(RecSch, part_type=part_type, unique_index=["thing"])
    d.add_parts("Node", 3)
    d.add_parts("Thing", 3, thing=[0, 1, 2])
    d.add_parts("Edge", 3, src=[0, 0, 1], tgt=[0, 1, 2])
    d.cascading_rem_parts("Node", 0)
    assert d.nparts("Thing") == 2 and d.nparts("Node") == 2 and d.nparts("Edge") == 1
    things = d.subpart(d.parts("Thing"), "thing").tolist()
    assert sorted(things) == sorted(d.parts("Node").tolist())
    for t, n in zip(d.parts("Thing").tolist(), things):
        assert d.unique_incident(n, "thing") == t


def _dendrogram():
    # ACSets.jl's d, after rem_free_vars!: heights [0,0,0,10,A], parents [4,4,4,5,5] (1-based)
    d = ACSet(SchDendrogram, R=object)
    d.add_parts("R", 1)
    d.add_parts("X", 5, parent=[3, 3, 3, 4, 4], height=[0, 0, 0, 10, AttrVar(0)])
    return d


def test_acsetsjl_copy_parts_dendrogram():
    d = _dendrogram()
    d2 = ACSet(SchDendrogram, R=object)
    new = d2.copy_parts(d, X=[3, 4], R=[0])
    assert new["X"].tolist() == [0, 1] and new["R"].tolist() == [0]
    assert d2.nparts("X") == 2
    assert d2.subpart("parent").tolist() == [1, 1]
    assert d2.subpart("height").tolist() == [10, AttrVar(0)]


def test_acsetsjl_disjoint_union_by_copy_parts():
    d = _dendrogram()
    d2 = ACSet(SchDendrogram, R=object)
    d2.add_parts("R", 1)
    d2.add_parts("X", 2, parent=[1, 1], height=[10, AttrVar(0)])
    du = d.copy()
    du.copy_parts(d2)
    assert du.nparts("X") == 7 and du.nparts("R") == 2
    assert du.subpart("parent").tolist() == [3, 3, 3, 4, 4, 6, 6]
    assert du.subpart("height").tolist() == [0, 0, 0, 10, AttrVar(0), 10, AttrVar(1)]


def test_acsetsjl_copy_parts_between_schemas():
    d = _dendrogram()
    ld = ACSet(SchLDendrogram, R=object)
    ld.copy_parts(d)
    assert ld.nparts("L") == 0
    assert ld.subpart("parent").tolist() == d.subpart("parent").tolist()
    ld.add_parts("L", 3, leafparent=[1, 2, 3])
    d3 = ACSet(SchDendrogram, R=object)
    d3.copy_parts(ld)
    assert d3 == d


def test_copy_parts_undefined_outside_selection_and_all_or_nothing():
    d = _dendrogram()
    d2 = ACSet(SchDendrogram, R=object)
    d2.copy_parts(d, X=[0, 4])  # parents 3 and 4: only 4 is copied; the variable is not
    assert d2.subpart("parent").tolist() == [-1, 1]
    assert d2.subpart("height").tolist() == [0, None]
    W = ACSet(SchWeightedGraph, Weight=float)
    W.add_parts("V", 1)
    before = W.copy()
    src = ACSet(SchWeightedGraph, Weight=str)
    src.add_parts("V", 1)
    src.add_parts("E", 1, src=0, tgt=0, weight="heavy")
    with pytest.raises(Exception, match="weight"):
        W.copy_parts(src)
    assert W == before
    with pytest.raises(InstanceError, match="no V part 5"):
        W.copy_parts(src, V=[5])
    with pytest.raises(InstanceError, match="not an object or AttrType of both"):
        W.copy_parts(src, Nope=[0])


@given(schemas_and_acsets(max_parts=5, max_vars=2))
@SETTINGS
def test_copy_parts_of_everything_into_an_empty_instance_is_a_copy(sx):
    S, X = sx
    Y = ACSet(S, **X.types)
    new = Y.copy_parts(X)
    assert Y == X
    assert all(new[x].tolist() == list(range(X.nparts(x))) for x in new)


@given(schemas_and_acsets(max_parts=5, max_vars=2), st.data())
@SETTINGS
def test_copy_parts_appends_to_a_nonempty_instance(sx, data):
    S, X = sx
    Y = data.draw(acsets(S, max_parts=3, types={t: X.types[t] for t in S.attrtypes}, max_vars=2))
    Y0 = Y.copy()
    new = Y.copy_parts(X)
    for x in (*S.obs, *S.attrtypes):
        assert new[x].tolist() == list(range(Y0.nparts(x), Y0.nparts(x) + X.nparts(x)))
    assert induced_subgraph(Y, **{ob: new[ob] for ob in S.obs}).size() == X.size()
    for h in S.homs:
        v = X.subpart(h.name)
        expect = np.where(v >= 0, v + Y0.nparts(h.codom), -1)
        assert Y.subpart(new[h.dom], h.name).tolist() == expect.tolist()
        assert Y.subpart(Y0.parts(h.dom), h.name).tolist() == Y0.subpart(h.name).tolist()


@given(st.lists(st.integers(0, 4), max_size=8), st.lists(st.integers(0, 4), max_size=8))
@SETTINGS
def test_unique_index_agrees_with_a_scan(first, second):
    X = ACSet(SchSubset, unique_index=["iota"])
    X.add_parts("Set", 5)
    for vals in (first, second):
        before = X.subpart("iota").tolist()
        try:
            X.add_parts("Sub", len(vals), iota=vals)
        except InstanceError:
            assert len(set(before + vals)) < len(before + vals)  # refused only on a real duplicate
            assert X.subpart("iota").tolist() == before          # and nothing changed
        else:
            assert len(set(before + vals)) == len(before + vals)
    for s in range(5):
        scan = [i for i, v in enumerate(X.subpart("iota").tolist()) if v == s]
        assert X.unique_incident(s, "iota") == (scan[0] if scan else None)


def test_catlab_induced_subgraph():
    g = ACSet(SchGraph)
    g.add_parts("V", 3)
    g.add_parts("E", 3, src=[0, 0, 1], tgt=[2, 2, 2])
    sub = induced_subgraph(g, V=[0, 2])
    assert sub.nparts("V") == 2
    assert sub.subpart("src").tolist() == [0, 0] and sub.subpart("tgt").tolist() == [1, 1]


def test_induced_subgraph_reflexive_and_errors():
    g = ACSet(SchReflexiveGraph)
    g.add_parts("V", 3)
    g.add_parts("E", 3, src=[0, 1, 2], tgt=[0, 1, 2])
    g.set_subpart([0, 1, 2], "refl", [0, 1, 2])
    g.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
    sub = induced_subgraph(g, V=[0, 1])
    assert sub.size() == {"V": 2, "E": 3}
    assert sub.subpart("refl").tolist() == [0, 1]
    with pytest.raises(InstanceError, match="V part 0 is given but its refl = 0"):
        induced_subgraph(g, V=[0, 1], E=[3])
    with pytest.raises(InstanceError, match="E part 4 is given but its src = 1"):
        induced_subgraph(g, V=[2], E=[4])
    with pytest.raises(InstanceError, match="not an object"):
        induced_subgraph(g, W=[0])


@given(schemas_and_acsets(max_parts=5, max_vars=1), st.data())
@SETTINGS
def test_induced_subgraph_is_the_largest_closed_sub_acset(sx, data):
    S, X = sx
    ob = data.draw(st.sampled_from(S.obs))
    chosen = sorted(data.draw(st.sets(st.integers(0, max(X.nparts(ob) - 1, 0)), max_size=X.nparts(ob))))
    chosen = [c for c in chosen if c < X.nparts(ob)]
    try:
        sub = induced_subgraph(X, **{ob: chosen})
    except InstanceError:
        # only when some chosen part's hom leaves what is kept; check by the definition below
        sub = None
    # brute force: drop parts of the other objects until every hom lands in a kept part
    keep = {o: set(X.parts(o).tolist()) for o in S.obs}
    keep[ob] = set(chosen)
    col = {h.name: X.subpart(h.name).tolist() for h in S.homs}
    changed = True
    while changed:
        changed = False
        for h in S.homs:
            if h.dom == ob:
                continue
            for p in list(keep[h.dom]):
                v = col[h.name][p]
                if v >= 0 and v not in keep[h.codom]:
                    keep[h.dom].discard(p)
                    changed = True
    closed = all(col[h.name][p] < 0 or col[h.name][p] in keep[h.codom] for h in S.homs if h.dom == ob for p in chosen)
    assert (sub is not None) == closed
    if sub is not None:
        assert sub.size() == {o: len(keep[o]) for o in S.obs}
        for h in S.homs:
            old = sorted(keep[h.dom])
            new_of = {o: {p: i for i, p in enumerate(sorted(keep[o]))} for o in S.obs}
            assert sub.subpart(h.name).tolist() == [new_of[h.codom].get(col[h.name][p], -1) for p in old]
