"""Homs left undefined into an object with no parts, and partly undefined bool attributes:
sub-ACSets, limits and colimits handle them (they used to index an empty array)."""

import numpy as np

from acset_s2r import ACSet, SchGraph, Schema, coproduct, product
from acset_s2r.subobjects import Subobject


def _dangling_edges(n: int) -> ACSet:
    X = ACSet(SchGraph)
    X.add_parts("E", n)  # src and tgt undefined, V empty
    return X


def test_a_subobject_of_edges_into_no_vertices():
    X = _dangling_edges(3)
    S = Subobject(X, E=[0, 2])
    sub = S.hom().dom
    assert sub.nparts("E") == 2 and sub.nparts("V") == 0
    assert np.all(sub.subpart("src") == -1)
    assert (~S).hom().dom.nparts("E") == 1


def test_the_product_of_edges_into_no_vertices():
    X = _dangling_edges(2)
    P = product(X, X).apex
    assert P.nparts("E") == 4 and P.nparts("V") == 0
    assert np.all(P.subpart("tgt") == -1)


def test_a_coproduct_of_partly_undefined_bool_attributes():
    S = Schema.build("SchFlag", obs=["V"], attrtypes=["Flag"], attrs=[("flag", "V", "Flag")])
    A, B = ACSet(S, Flag=bool), ACSet(S, Flag=bool)
    A.add_parts("V", 2, flag=[True, False])
    B.add_parts("V", 2)
    B.set_subpart(0, "flag", False)  # the other stays undefined
    C = coproduct(A, B).apex
    assert C.subpart("flag")[:3].tolist() == [True, False, False]
    assert C.is_defined("flag").tolist() == [True, True, True, False]


def test_json_refuses_an_instance_with_marked_gaps_until_gc(tmp_path):
    import pytest

    from acset_s2r.errors import InstanceError
    from acset_s2r.serialization import read_json, write_json

    X = ACSet(SchGraph, part_type="marked")
    X.add_parts("V", 3)
    X.add_parts("E", 1, src=[0], tgt=[2])
    X.rem_part("V", 1)
    for columnar in (False, True):
        with pytest.raises(InstanceError, match="gc"):
            write_json(X, tmp_path / "g.json", columnar=columnar)
    assert not (tmp_path / "g.json").exists()
    X.gc()
    write_json(X, tmp_path / "g.json")
    assert read_json(tmp_path / "g.json", SchGraph).subpart("tgt").tolist() == [1]
