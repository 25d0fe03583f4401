"""Mark-as-deleted parts (``part_type="marked"``): stable ids, ``gc`` compaction.

Cases from ACSets.jl's test/ACSets.jl (the DDS cases run for every part type, "Garbage
collection" on MadDecGraph, "Recursive deletion" with BitSetParts), 0-based. Properties:
pop-and-swap and mark-as-deleted agree after ``gc`` (the survivors match and the maps
relabel one into the other); the stateful test in test_stateful.py runs marked instances too.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar, Schema
from acset_s2r.catalog import SchGraph
from acset_s2r.errors import InstanceError
from acset_s2r.homs import ACSetTransformation, count_homomorphisms
from acset_s2r.literals import acset
from acset_s2r.strategies import acsets, schemas

SchDDS = Schema.build("SchDDS", obs=["X"], homs=[("phi", "X", "X")])
SchDecGraph = Schema.build("SchDecGraph", obs=["E", "V"], homs=[("src", "E", "V"), ("tgt", "E", "V")],
                           attrtypes=["X"], attrs=[("dec", "E", "X")])
RecSch = Schema.build("RecSch", obs=["Thing", "Node", "Edge"],
                      homs=[("src", "Edge", "Node"), ("tgt", "Edge", "Node"), ("thing", "Thing", "Node")])


@pytest.mark.parametrize("part_type", ["dense", "marked"])
def test_acsetsjl_dds_deletion(part_type):
    dds = ACSet(SchDDS, part_type=part_type)
    assert dds.add_part("X") == 0
    dds.set_subpart(0, "phi", 0)
    assert dds.add_part("X", phi=0) == 1 and dds.add_part("X", phi=0) == 2
    assert dds.incident(0, "phi").tolist() == [0, 1, 2]
    dds.rem_part("X", 1)
    assert dds.nparts("X") == 2
    if part_type == "dense":  # 2 moved into the hole
        assert dds.subpart("phi").tolist() == [0, 0]
        assert dds.incident(0, "phi").tolist() == [0, 1]
    else:  # ids stay; what pointed at 1 would be undefined
        assert dds.parts("X").tolist() == [0, 2]
        assert dds.subpart("phi").tolist() == [0, 0]
        assert dds.incident(0, "phi").tolist() == [0, 2]
        with pytest.raises(InstanceError, match="part 1 is deleted"):
            dds.subpart(1, "phi")
        with pytest.raises(InstanceError, match="deleted X part"):
            dds.set_subpart(0, "phi", 1)
        assert dds.add_part("X") == 3  # a deleted id is never reused
        assert dds.nparts("X") == 3
    dds = ACSet(SchDDS, part_type=part_type)
    dds.add_parts("X", 4, phi=[1, 2, 2, 3])
    dds.rem_parts("X", [0, 3])
    if part_type == "dense":
        assert dds.subpart("phi").tolist() == [0, 0]
    else:
        assert dds.parts("X").tolist() == [1, 2] and dds.subpart("phi").tolist() == [2, 2]
        assert dds.incident(2, "phi").tolist() == [1, 2]


def test_acsetsjl_garbage_collection():
    g = acset(SchDecGraph, types={"X": object}, V=4, E=4, X=3, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0],
              dec=["a", "b", AttrVar(2), AttrVar(0)], part_type="marked")
    g.rem_parts("E", [0, 3])
    g.rem_part("V", 0)
    g.rem_part("X", 0)
    assert g.subpart("src").tolist() == [1, 2]
    assert g.subpart("tgt").tolist() == [2, 3]
    assert g.subpart("dec").tolist() == ["b", AttrVar(2)]
    with pytest.raises(InstanceError, match="call gc"):
        count_homomorphisms(g, g)
    maps = g.gc()
    assert {k: v.tolist() for k, v in maps.items()} == {"E": [1, 2], "V": [1, 2, 3], "X": [1, 2]}
    assert g.subpart("src").tolist() == [0, 1]
    assert g.subpart("tgt").tolist() == [1, 2]
    assert g.subpart("dec").tolist() == ["b", AttrVar(1)]
    assert g.is_compact() and count_homomorphisms(g, g, no_bind=["X"]) == 2  # variable 0 is free


def test_acsetsjl_recursive_deletion_marked():
    d = acset(RecSch, Node=3, Thing=3, thing=[0, 1, 2], Edge=3, src=[0, 0, 1], tgt=[0, 1, 2], part_type="marked")
    d.cascading_rem_parts("Node", [0])
    assert d.size() == {"Thing": 2, "Node": 2, "Edge": 1}
    for h in ("thing", "src", "tgt"):  # ids are not updated, so 0 is the deleted node
        assert d.incident(0, h).tolist() == []
    assert d.parts("Edge").tolist() == [2]


def test_marked_display_copy_and_equality():
    g = acset(SchGraph, V=3, E=2, src=[0, 1], tgt=[1, 2], part_type="marked")
    g.rem_part("V", 1)
    assert repr(g) == "ACSet(SchGraph: V=2, E=2)"
    assert g.subpart("src").tolist() == [0, -1]  # edge 1 started at the deleted vertex
    assert "│ 2 │" in str(g)
    h = g.copy()
    assert h == g and h.parts("V").tolist() == [0, 2]
    h.gc()
    assert h != g and h.parts("V").tolist() == [0, 1]
    with pytest.raises(InstanceError, match="part_type"):
        ACSet(SchGraph, part_type="bitset")


# -- pop-and-swap and mark-as-deleted agree after gc ------------------------------------------
def marked_copy(X):
    M = ACSet(X.schema, part_type="marked", **X.types)
    for t in X.schema.attrtypes:
        M.add_parts(t, X.nparts(t))
    for ob in X.schema.obs:
        M.add_parts(ob, X.nparts(ob))
    for name in X.schema.hom_names + X.schema.attr_names:
        ob = X.schema.arrow(name).dom
        if X.nparts(ob):
            M.set_subpart(X.parts(ob), name, X.subpart(name))
            undefined = np.flatnonzero(~X.is_defined(name))
            if len(undefined):
                M.clear_subpart(undefined, name)
    return M


@st.composite
def instance_and_deletions(draw):
    schema = draw(schemas(max_obs=3, max_homs=4, max_attrtypes=1, max_attrs=2, max_equations=0)
                  .filter(lambda s: not {"ob", "n"} & set(s.hom_names + s.attr_names)))
    X = draw(acsets(schema, max_parts=5, max_vars=2))
    steps = []
    for _ in range(draw(st.integers(1, 4))):
        ob = draw(st.sampled_from(list(schema.obs) + list(schema.attrtypes)))
        steps.append((ob, draw(st.lists(st.integers(0, 4), max_size=3)), draw(st.booleans())))
    return X, steps


@given(instance_and_deletions())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_pop_and_swap_and_marked_agree_after_gc(case):
    X, steps = case
    D, M = X.copy(), marked_copy(X)
    assert M == marked_copy(X)
    S = X.schema
    where = {x: np.arange(X.nparts(x)) for x in (*S.obs, *S.attrtypes)}  # original id -> D's id, -1 gone
    for ob, picks, cascade in steps:
        live = np.flatnonzero(where[ob] >= 0)
        if not len(live):
            continue
        originals = sorted({int(live[i % len(live)]) for i in picks})
        d_ids, m_ids = where[ob][originals], originals  # M keeps the original ids
        if cascade and ob in S.obs:
            moved = D.cascading_rem_parts(ob, d_ids)
            gone = M.cascading_rem_parts(ob, m_ids)
            for o in S.obs:
                assert (gone[o] >= 0).sum() == M.nparts(o) == D.nparts(o)
        else:
            moved = {ob: D.rem_parts(ob, d_ids)}
            M.rem_parts(ob, m_ids)
        for o, m in moved.items():
            ok = where[o] >= 0
            where[o][ok] = m[where[o][ok]]
    maps = M.gc()
    assert M.is_compact()
    comps = {}
    for x in (*S.obs, *S.attrtypes):
        survivors = np.flatnonzero(where[x] >= 0)
        assert maps[x].tolist() == survivors.tolist()  # gc keeps the original order
        comps[x] = where[x][survivors] if x in S.obs else [AttrVar(int(k)) for k in where[x][survivors]]
    # the relabelling is a natural, attribute-preserving bijection M -> D
    f = ACSetTransformation(comps, M, D)
    assert f.is_iso()
