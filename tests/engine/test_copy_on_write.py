"""Copy-on-write columns: an ACSet read from Parquet keeps the decoded buffers as read-only
columns, and must behave exactly as one built by hand, through every kind of mutation,
failure, copy and pickle, without ever writing the buffers it adopted."""

from __future__ import annotations

import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import rule

from acset_s2r import ACSet, AcsetS2RError, Schema
from acset_s2r.errors import InstanceError
from acset_s2r.parquet import read_parquet, write_parquet
from acset_s2r.serialization import AttrVar
from tests.engine.test_stateful import ACSetMachine, ACSetMachineMarked

SCH = Schema.build(
    "SchCow",
    obs=["V", "E"],
    homs=[("src", "E", "V"), ("tgt", "E", "V"), ("parent", "V", "V")],
    attrtypes=["Weight", "Pos", "Count", "Flag", "Label", "Note", "IVec"],
    attrs=[("weight", "E", "Weight"), ("pos", "V", "Pos"), ("count", "V", "Count"), ("flag", "E", "Flag"),
           ("label", "V", "Label"), ("note", "E", "Note"), ("ivec", "E", "IVec")],
)
TYPES = dict(Weight=float, Pos=(float, 2), Count=int, Flag=bool, Label=str, Note=object, IVec=(int, 2))
# the columns a read adopts from Arrow's buffers rather than building itself
ADOPTED = ["src", "tgt", "parent", "weight", "pos", "count", "ivec"]


def hand(part_type: str = "dense") -> ACSet:
    """Every kind of column, with undefined values and attribute variables."""
    X = ACSet(SCH, part_type=part_type, **TYPES)
    X.add_parts("Label", 2)
    X.add_parts("Note", 1)
    X.add_parts("V", 5, parent=[-1, 0, 0, 1, 4], pos=[[0, 1], [2, 3], [np.nan, np.nan], [4, 5], [6, 7]],
                count=[3, None, 1, 2, 0], label=["a", None, AttrVar(1), "d", AttrVar(0)])
    X.add_parts("E", 6, src=[0, 1, 2, 3, 4, -1], tgt=[1, 2, 3, 4, 0, 0],
                weight=[0.5, np.nan, 1.5, 2.5, 3.5, 4.5], flag=[True, False, None, True, False, True],
                note=[[1, 2], None, "x", AttrVar(0), 3.5, None],
                ivec=[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]])
    X.clear_subpart([1], "ivec")
    return X


@pytest.fixture
def folder(tmp_path):
    write_parquet(hand(), tmp_path / "x")
    return tmp_path / "x"


def snapshot(X: ACSet) -> dict[str, tuple[np.ndarray, np.ndarray, bool]]:
    """The arrays the ACSet holds now, with a copy of their contents and whether they are read-only."""
    arrays = [*X._cols.items(), *(("?" + k, m) for k, m in X._defined.items())]
    return {k: (v, v.copy(), not v.flags.writeable) for k, v in arrays}


def unchanged(snap) -> None:
    for name, (arr, was, frozen) in snap.items():
        if frozen:  # an adopted (or shared) buffer is never written, nor made writable
            assert not arr.flags.writeable, name
            assert np.array_equal(arr, was, equal_nan=arr.dtype.kind == "f"), name


def agree(Y: ACSet, X: ACSet) -> None:
    assert Y == X
    for name in (*SCH.attr_names, *SCH.hom_names):
        np.testing.assert_array_equal(Y.is_defined(name), X.is_defined(name))
        for v in range(-1, 6):
            if name in SCH.hom_names:
                assert Y.incident(v, name).tolist() == X.incident(v, name).tolist(), (name, v)


MUTATIONS = {
    "add one V": lambda X: X.add_part("V", parent=2, pos=[1.0, 1.0], count=7, label="z"),
    "add E": lambda X: X.add_parts("E", 3, src=[0, 1, 2], tgt=4, weight=1.0, flag=[True, None, False],
                                    ivec=[[0, 0], [1, 1], [2, 2]], note=["n", None, AttrVar(0)]),
    "add no E": lambda X: X.add_parts("E", 0),
    "add E, no values": lambda X: X.add_parts("E", 2),
    "add a variable": lambda X: X.add_parts("Label", 1),
    "set a hom": lambda X: X.set_subpart([0, 5], "src", [4, 3]),
    "set the self hom": lambda X: X.set_subpart(0, "parent", 3),
    "set a float": lambda X: X.set_subpart([1, 2], "weight", [9.0, None]),
    "set a vector": lambda X: X.set_subpart(2, "pos", [5.0, 6.0]),
    "set an int": lambda X: X.set_subpart([1, 0], "count", [8, None]),
    "set a bool": lambda X: X.set_subpart([2], "flag", [True]),
    "set an int vector": lambda X: X.set_subpart(1, "ivec", [4, 4]),
    "set a str": lambda X: X.set_subpart([1], "label", ["q"]),
    "set an object": lambda X: X.set_subpart(3, "note", [1, "t"]),
    "clear every column": lambda X: [X.clear_subpart([0, 2], name) for name in ("weight", "flag", "note", "ivec", "src")]
    + [X.clear_subpart([1, 3], name) for name in ("pos", "count", "label", "parent")],
    "remove a V": lambda X: X.rem_parts("V", [1]),
    "remove Vs": lambda X: X.rem_parts("V", [0, 3, 4]),
    "remove Es": lambda X: X.rem_parts("E", [5, 0]),
    "remove a variable": lambda X: X.rem_parts("Label", [0]),
    "cascade": lambda X: X.cascading_rem_parts("V", [0]),
    "free variables": lambda X: (X.add_parts("Note", 2), X.rem_free_vars()),
    "copy parts in": lambda X: X.copy_parts(hand(), V=[1, 2], E=[0]),
    "remove every part": lambda X: (X.rem_parts("E", X.parts("E")), X.rem_parts("V", X.parts("V"))),
}


def test_a_read_adopts_the_numeric_columns_read_only(folder):
    Y = read_parquet(folder)
    agree(Y, hand())
    assert [name for name in ADOPTED if Y._cols[name].flags.writeable] == []
    # writes of nothing copy nothing
    before = dict(Y._cols)
    assert Y.add_parts("E", 0, src=[], weight=[]).tolist() == []
    Y.set_subpart([], "src", [])
    Y.clear_subpart([], "count")
    assert all(Y._cols[name] is before[name] for name in ADOPTED)
    agree(Y, hand())


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_mutations_of_a_read_acset_match_one_built_by_hand(what, folder):
    X, Y = hand(), read_parquet(folder)
    snap = snapshot(Y)
    MUTATIONS[what](X)
    MUTATIONS[what](Y)
    agree(Y, X)
    unchanged(snap)
    agree(read_parquet(folder), hand())  # the file still holds what was written
    # and again, on top: whatever was copied on the first write is now the ACSet's own
    for Z in (X, Y):
        Z.add_parts("V", 5, count=1)
        Z.add_parts("E", 2, src=[0, 1], tgt=4, weight=1.0, flag=True, ivec=[[0, 0], [1, 1]], note="n")
        Z.set_subpart([0], "parent", 2)
    agree(Y, X)


@pytest.mark.parametrize("what", sorted(MUTATIONS))
def test_mutations_after_a_pickle_round_trip(what, folder):
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        X, Y = hand(), read_parquet(folder)
        P = pickle.loads(pickle.dumps(Y, protocol=protocol))
        agree(P, Y)
        snap = snapshot(P)
        MUTATIONS[what](X)
        MUTATIONS[what](P)
        agree(P, X)
        unchanged(snap)
        agree(Y, hand())


def test_a_copy_shares_no_writable_buffer(folder):
    Y = read_parquet(folder)
    Y.set_subpart(0, "src", 2)  # src is now Y's own, writable; tgt is still adopted
    Z = Y.copy()
    for store in ("_cols", "_defined"):
        for name, a in getattr(Y, store).items():
            b = getattr(Z, store)[name]
            if a.flags.writeable or b.flags.writeable:
                assert not np.shares_memory(a, b), (store, name)
    assert np.shares_memory(Y._cols["tgt"], Z._cols["tgt"])  # read-only: shared, not copied
    X = hand()
    X.set_subpart(0, "src", 2)
    for what in ("set a hom", "clear every column", "add E", "remove Vs"):
        MUTATIONS[what](Z)
        agree(Y, X)  # a change to the copy leaves the original alone
    Z2 = Y.copy()
    for what in ("set a hom", "remove Es"):
        MUTATIONS[what](Y)
    agree(Z2, X)  # and the other way round


@pytest.mark.parametrize("call", [
    lambda Y: Y.set_subpart([0, 1], "src", [1, 99]),
    lambda Y: Y.set_subpart([0], "count", ["three"]),
    lambda Y: Y.set_subpart([0], "pos", [[1.0, 2.0, 3.0]]),
    lambda Y: Y.add_parts("E", 2, src=[0, 99]),
    lambda Y: Y.add_parts("V", 1, label=[AttrVar(5)]),
    lambda Y: Y.rem_parts("V", [0, 99]),
    lambda Y: Y.clear_subpart([7], "weight"),
    lambda Y: Y.cascading_rem_parts("V", [0, 99]),
    lambda Y: Y.copy_parts(hand(), V=[0, 99]),
])
def test_a_failure_leaves_a_read_acset_as_it_was(call, folder):
    Y = read_parquet(folder)
    snap = snapshot(Y)
    with pytest.raises(AcsetS2RError):
        call(Y)
    agree(Y, hand())
    unchanged(snap)
    assert all(Y._cols[name] is snap[name][0] for name in ADOPTED)  # nothing was even copied


def marked_with_adopted_columns() -> ACSet:
    """A marked ACSet whose columns are read-only arrays, as a reader would hand over."""
    X = hand()
    K = ACSet(SCH, part_type="marked", **TYPES)
    K.add_parts("Label", 2)
    K.add_parts("Note", 1)
    parts = {ob: X.nparts(ob) for ob in SCH.obs}
    checked = {}
    for ob in SCH.obs:
        cols = {}
        for name in (*(h.name for h in SCH.homs_out(ob)), *(a.name for a in SCH.attrs_of(ob))):
            v = X.subpart(name).copy()
            v.flags.writeable = False
            cols[name] = v
        checked |= K._check_subparts(ob, parts[ob], cols, parts)
    K._adopt(parts, checked, {name: X.is_defined(name) for name in ("count", "flag", "ivec")})
    return K


def test_marked_deletion_and_gc_of_adopted_columns():
    X, K = hand("marked"), marked_with_adopted_columns()
    assert not K._cols["src"].flags.writeable
    agree(K, X)
    snap = snapshot(K)
    for Z in (X, K):
        Z.rem_parts("V", [1, 3])
        Z.rem_parts("E", [0])
        Z.rem_parts("Label", [1])
    agree(K, X)
    unchanged(snap)
    C = K.copy()
    for Z in (X, K):
        Z.gc()
        Z.add_parts("E", 1, src=0, tgt=1, weight=2.0)
    agree(K, X)
    unchanged(snap)
    assert C.parts("V").tolist() == [0, 2, 4]  # the copy taken before gc kept its marks


def test_adopt_refuses_and_changes_nothing():
    X = hand()
    with pytest.raises(InstanceError, match="already has parts"):
        X._adopt({"V": 1}, {})
    Y = ACSet(SCH, **TYPES)
    checked = Y._check_subparts("V", 2, {"parent": [0, 1]}, {"V": 2})
    with pytest.raises(InstanceError, match="defined mask of count"):
        Y._adopt({"V": 2}, checked, {"count": np.ones(3, dtype=bool)})
    assert Y == ACSet(SCH, **TYPES)
    Y._adopt({"V": 2, "E": 0}, checked)
    assert Y.subpart("parent").tolist() == [0, 1] and not Y.is_defined("count").any()
    assert Y.incident(1, "parent").tolist() == [1]


# -- the stateful machines of test_stateful.py, with columns made read-only between steps ----------
def freeze(X: ACSet) -> None:
    """Make every array the ACSet holds read-only, as adopted or unpickled buffers are."""
    for store in (X._cols, X._defined, X._alive or {}):
        for arr in store.values():
            arr.flags.writeable = False


class FrozenMachine(ACSetMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().teardown()

    @rule()
    def freeze(self):
        freeze(self.X)

    @rule()
    def parquet_round_trip(self):
        write_parquet(self.X, self.tmp / "x")
        Y = read_parquet(self.tmp / "x")
        assert Y == self.X
        self.X = Y

    @rule()
    def pickle_round_trip(self):
        self.X = pickle.loads(pickle.dumps(self.X, protocol=5))


class FrozenMarkedMachine(ACSetMachineMarked):
    @rule()
    def freeze(self):
        freeze(self.X.X)
        freeze(self.X.K)


_SETTINGS = settings(max_examples=40, stateful_step_count=30, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow])
TestFrozen = FrozenMachine.TestCase
TestFrozen.settings = _SETTINGS
TestFrozenMarked = FrozenMarkedMachine.TestCase
TestFrozenMarked.settings = _SETTINGS


def test_a_read_acset_does_not_see_its_files_overwritten_in_place(tmp_path):
    """The adopted buffers are Arrow's decoded copies, not views of the memory-mapped files."""
    for options in ({}, {"compression": "none", "use_dictionary": False}):
        folder = tmp_path / f"x{len(options)}"
        write_parquet(hand(), folder)
        if options:  # plain, uncompressed pages, which a reader could map rather than decode
            import pyarrow.parquet as pq

            t = pq.read_table(folder / "E.parquet")
            pq.write_table(t, folder / "E.parquet", **options)
        Y = read_parquet(folder)
        for path in folder.glob("*.parquet"):
            with open(path, "r+b") as f:
                f.seek(4)
                f.write(b"\xff" * (path.stat().st_size - 8))
        agree(Y, hand())
