"""Unit and property tests of the columnar ACSet (acset_s2r.acset).

Reference answers come from linear scans over plain Python lists, and from
following each row by hand through pop-and-swap, never from the indexes under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrTypeError, InstanceError, PathError, Schema
from acset_s2r.catalog import SchGraph, SchLabelledPetriNet, SchWeightedGraph
from acset_s2r.errors import AcsetS2RError
from acset_s2r.strategies import acsets, schemas, schemas_and_acsets

# A chain A -f-> B -g-> C with attributes at every stage, a self-loop on A and a
# second hom into B, so paths of two homs then an attribute exist.
SchChain = Schema.build(
    "SchChain",
    obs=["A", "B", "C"],
    homs=[("f", "A", "B"), ("g", "B", "C"), ("h", "C", "B"), ("nxt", "A", "A")],
    attrtypes=["Num", "Label", "Vec"],
    attrs=[("x", "A", "Num"), ("y", "C", "Num"), ("name", "C", "Label"), ("pos", "B", "Vec")],
)

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def chain() -> ACSet:
    X = ACSet(SchChain, Num=float, Label=str, Vec=(float, 2))
    X.add_parts("C", 3, y=[10.0, 20.0, 30.0], name=["c0", None, "c2"])
    X.add_parts("B", 4, g=[0, 2, -1, 2], pos=[[0, 1], [2, 3], [4, 5], [6, 7]])
    X.add_parts("A", 5, f=[0, 1, 2, 3, -1], nxt=[1, 2, 3, 4, 0], x=[0.5, 1.5, 2.5, 3.5, 4.5])
    X.set_subpart([0, 1, 2], "h", [1, 1, 0])
    return X


def graph(edges: list[tuple[int, int]], nv: int, weights=None) -> ACSet:
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("V", nv)
    s, t = zip(*edges) if edges else ((), ())
    kw = {} if weights is None else {"weight": weights}
    X.add_parts("E", len(edges), src=list(s), tgt=list(t), **kw)
    return X


# -- naive references --------------------------------------------------------------------
def table(X: ACSet, name: str) -> list:
    """A column as a Python list, None where undefined (homs: -1 -> None)."""
    vals = X.subpart(name)
    ok = X.is_defined(name)
    out = []
    for v, d in zip(vals.tolist(), ok.tolist()):
        out.append(v if d else None)
    return out


def follow(X: ACSet, i: int, path) -> object:
    """Walk one part along a path with per-row list lookups; None when undefined."""
    for name in path:
        if i is None:
            return None
        i = table(X, name)[i]
    return i


def scan_incident(X: ACSet, value, path) -> list[int]:
    dom = X.schema.dom(path[0])
    return [i for i in range(X.nparts(dom)) if follow(X, i, path) == value]


def assert_same_value(a, b) -> None:
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return
    assert a == b


def snapshot(X: ACSet) -> dict:
    """Every column as plain lists, for an independent comparison."""
    return {name: table(X, name) for name in X.schema.hom_names + X.schema.attr_names} | {
        ob: X.nparts(ob) for ob in X.schema.obs
    }


def check_remap(before: dict, X: ACSet, maps: dict[str, np.ndarray], removed: dict[str, set[int]]) -> None:
    """X is ``before`` with ``removed`` deleted and ids renamed by ``maps``; links to
    deleted parts are undefined."""
    schema = X.schema
    for ob in schema.obs:
        mp = maps[ob].tolist()
        assert len(mp) == before[ob]
        gone = {i for i, j in enumerate(mp) if j == -1}
        assert gone == removed[ob]
        kept = sorted(j for j in mp if j != -1)
        assert kept == list(range(X.nparts(ob)))  # a bijection onto the new ids
    for name in schema.hom_names + schema.attr_names:
        dom = schema.dom(name)
        new = table(X, name)
        for i, j in enumerate(maps[dom].tolist()):
            if j == -1:
                continue
            old = before[name][i]
            if schema.is_hom(name):
                want = None if old is None else int(maps[schema.codom(name)][old])
                want = None if want == -1 else want
                assert new[j] == want, (name, i, j)
            else:
                assert_same_value(new[j], old)


def all_in_range(X: ACSet) -> bool:
    for h in X.schema.homs:
        col = X.subpart(h.name)
        if len(col) and (col.min() < -1 or col.max() >= X.nparts(h.codom)):
            return False
    return True


# -- construction and attribute types ------------------------------------------------------
def test_attribute_types_are_bound_per_instance():
    X = ACSet(SchWeightedGraph, Weight=float)
    Y = ACSet(SchWeightedGraph, Weight=int)
    Z = ACSet(SchWeightedGraph, Weight=str)
    V = ACSet(SchWeightedGraph, Weight=(float, 3))
    for A in (X, Y, Z, V):
        A.add_parts("V", 2)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 0], weight=[0.25, 2])
    Y.add_parts("E", 2, src=[0, 1], tgt=[1, 0], weight=[3, 4])
    Z.add_parts("E", 2, src=[0, 1], tgt=[1, 0], weight=["a", "bc"])
    V.add_parts("E", 2, src=[0, 1], tgt=[1, 0], weight=[[1, 2, 3], [4, 5, 6]])
    assert X.subpart("weight").dtype == np.float64 and X.subpart("weight").tolist() == [0.25, 2.0]
    assert Y.subpart("weight").dtype == np.int64 and Y.subpart("weight").tolist() == [3, 4]
    assert Z.subpart("weight").dtype == object and Z.subpart("weight").tolist() == ["a", "bc"]
    w = V.subpart("weight")
    assert w.shape == (2, 3) and w.dtype == np.float64
    assert w.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert str(V.types["Weight"]) == "(float, 3)"
    # unbound attribute types hold any Python object
    O = ACSet(SchWeightedGraph)
    O.add_parts("V", 1)
    O.add_part("E", src=0, tgt=0, weight={"k": [1, 2]})
    assert O.subpart(0, "weight") == {"k": [1, 2]}


def test_fresh_parts_are_undefined():
    X = ACSet(SchChain, Num=float, Label=str, Vec=(float, 2))
    X.add_parts("C", 2)
    X.add_parts("B", 2)
    assert X.subpart("g").tolist() == [-1, -1]
    assert np.isnan(X.subpart("y")).all()
    assert X.subpart("name").tolist() == [None, None]
    assert np.isnan(X.subpart("pos")).all() and X.subpart("pos").shape == (2, 2)
    assert not X.is_defined("pos").any() and not X.is_defined("name").any()


def test_int_and_bool_columns_keep_a_mask():
    Sch = Schema.build("SchFlags", obs=["P"], attrtypes=["I", "B"], attrs=[("i", "P", "I"), ("b", "P", "B")])
    X = ACSet(Sch, I=int, B=bool)
    X.add_parts("P", 3, i=[0, None, 7], b=[False, True, None])
    assert X.is_defined("i").tolist() == [True, False, True]
    assert X.is_defined("b").tolist() == [True, True, False]
    assert X.subpart(2, "i") == 7 and X.subpart(1, "b") is True
    assert X.incident(0, "i").tolist() == [0]  # the undefined row holds 0 but is not incident
    X.clear_subpart(0, "i")
    assert X.is_defined("i").tolist() == [False, False, True]
    assert X.incident(0, "i").tolist() == []


@pytest.mark.parametrize(
    "binding, error",
    [({"Nope": float}, InstanceError), ({"Weight": complex}, AttrTypeError), ({"Weight": (str, 2)}, AttrTypeError),
     ({"Weight": (float, 0)}, AttrTypeError)],
)
def test_bad_bindings_are_rejected(binding, error):
    with pytest.raises(error) as err:
        ACSet(SchWeightedGraph, **binding)
    assert str(next(iter(binding.values()))) in str(err.value) or next(iter(binding)) in str(err.value)


def test_schema_must_be_a_schema():
    with pytest.raises(InstanceError, match="Schema"):
        ACSet("SchGraph")


# -- adding parts ---------------------------------------------------------------------------
def test_add_part_and_add_parts_return_fresh_ids():
    X = ACSet(SchWeightedGraph, Weight=float)
    assert X.add_parts("V", 3).tolist() == [0, 1, 2]
    assert X.add_part("V") == 3
    ids = X.add_parts("E", 2, src=np.array([0, 3]), tgt=(1, 2), weight=np.array([1.0, 2.0]))
    assert ids.dtype == np.int64 and ids.tolist() == [0, 1]
    e = X.add_part("E", src=2, tgt=3, weight=0.5)
    assert e == 2 and isinstance(e, int)
    assert X.subpart("src").tolist() == [0, 3, 2]
    assert X.subpart("tgt").tolist() == [1, 2, 3]
    assert X.subpart("weight").tolist() == [1.0, 2.0, 0.5]
    assert X.nparts("V") == 4 and X.parts("E").tolist() == [0, 1, 2]
    assert X.size() == {"V": 4, "E": 3}
    assert X.add_parts("E", 0).tolist() == [] and X.nparts("E") == 3


def test_add_parts_may_point_into_the_parts_it_adds():
    X = ACSet(SchChain, Num=float, Label=str, Vec=(float, 2))
    X.add_parts("A", 3, nxt=[1, 2, 0])
    assert X.subpart("nxt").tolist() == [1, 2, 0]
    assert X.subpart(0, ["nxt", "nxt", "nxt"]) == 0
    with pytest.raises(InstanceError, match="nxt"):
        X.add_parts("A", 2, nxt=[4, 5])  # 5 would be the third new part


def test_add_parts_many_times_grows_storage():
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("V", 10)
    rng = np.random.default_rng(0)
    edges = []
    for k in range(300):
        s, t = rng.integers(0, 10, 2).tolist()
        X.add_part("E", src=s, tgt=t, weight=float(k))
        edges.append((s, t))
    assert X.subpart("src").tolist() == [s for s, _ in edges]
    assert X.subpart("weight").tolist() == [float(k) for k in range(300)]
    for v in range(10):
        assert X.incident(v, "tgt").tolist() == [i for i, (_, t) in enumerate(edges) if t == v]


def test_vector_attributes():
    X = chain()
    assert X.subpart(1, "pos").tolist() == [2.0, 3.0]
    X.add_part("B", pos=np.array([8.0, 9.0]))
    X.set_subpart(0, "pos", [-1.0, -2.0])
    X.set_subpart([1, 2], "pos", [[10, 11], [12, 13]])
    assert X.subpart("pos").tolist() == [[-1, -2], [10, 11], [12, 13], [6, 7], [8, 9]]
    X.clear_subpart([3], "pos")
    assert X.is_defined("pos").tolist() == [True, True, True, False, True]
    assert np.isnan(X.subpart(3, "pos")).all()
    assert X.subpart([0, 3], ["g", "h", "pos"]).tolist() == [[10, 11], [-1, -2]]
    assert np.isnan(X.subpart(2, ["g", "h", "pos"])).all()
    with pytest.raises(PathError, match="vector"):
        X.incident(1.0, "pos")


# -- failures name the culprit and change nothing --------------------------------------------
FAILURES = [
    ("dangling hom in add_parts", lambda X: X.add_parts("B", 2, g=[0, 3]), InstanceError, ["g", "3", "C"]),
    ("hom below -1", lambda X: X.add_part("A", f=-2), InstanceError, ["f", "-2"]),
    ("float foreign key", lambda X: X.add_part("A", f=1.5), InstanceError, ["f"]),
    ("bool foreign key", lambda X: X.add_part("A", f=True), InstanceError, ["f"]),
    ("wrong number of keys", lambda X: X.add_parts("B", 2, g=[0]), InstanceError, ["g", "2"]),
    ("str into float", lambda X: X.add_parts("A", 2, x=["a", "b"]), AttrTypeError, ["x", "Num"]),
    ("int into str", lambda X: X.add_parts("C", 2, name=["ok", 3]), AttrTypeError, ["name", "3", "position 1"]),
    ("vector too wide", lambda X: X.add_parts("B", 1, pos=[[1, 2, 3]]), AttrTypeError, ["pos", "width 2", "(1, 3)"]),
    ("vector too narrow", lambda X: X.add_part("B", pos=[1]), AttrTypeError, ["pos"]),
    ("valid hom, invalid attr", lambda X: X.add_parts("A", 1, f=[0], x=["no"]), AttrTypeError, ["x"]),
    ("unknown object", lambda X: X.add_parts("D", 1), InstanceError, ["D"]),
    ("unknown subpart", lambda X: X.add_part("A", zzz=1), InstanceError, ["zzz"]),
    ("subpart of another object", lambda X: X.add_part("A", g=0), InstanceError, ["g", "B"]),
    ("negative count", lambda X: X.add_parts("A", -1), InstanceError, ["-1"]),
    ("set dangling hom", lambda X: X.set_subpart([0, 1], "f", [0, 9]), InstanceError, ["f", "9"]),
    ("set on a missing part", lambda X: X.set_subpart(7, "f", 0), InstanceError, ["7", "A"]),
    ("set wrong type", lambda X: X.set_subpart(0, "name", 5), AttrTypeError, ["name"]),
    ("set wrong width", lambda X: X.set_subpart(0, "pos", [1, 2, 3]), AttrTypeError, ["pos"]),
    ("set unknown name", lambda X: X.set_subpart(0, "nope", 1), AcsetS2RError, ["nope"]),
    ("clear on a missing part", lambda X: X.clear_subpart([0, 8], "y"), InstanceError, ["8"]),
    ("remove a missing part", lambda X: X.rem_parts("B", [1, 4]), InstanceError, ["4", "B"]),
    ("remove non-integer ids", lambda X: X.rem_parts("B", [0.5]), InstanceError, ["B"]),
    ("cascade a missing part", lambda X: X.cascading_rem_parts("C", [3]), InstanceError, ["3", "C"]),
    ("cascade unknown object", lambda X: X.cascading_rem_parts("Q", [0]), InstanceError, ["Q"]),
]


@pytest.mark.parametrize("what, call, error, words", FAILURES, ids=[f[0] for f in FAILURES])
def test_failures_raise_our_errors_and_leave_the_instance_unchanged(what, call, error, words):
    X = chain()
    X.incident(0, "f")  # built indexes must survive the failure too
    X.incident("c0", "name")
    before, plain = X.copy(), snapshot(X)
    with pytest.raises(error) as err:
        call(X)
    for w in words:
        assert w in str(err.value), (w, str(err.value))
    assert X == before
    assert snapshot(X) == plain
    assert_hom_incidents_are_scans(X)
    assert X.incident("c0", "name").tolist() == [0]


def test_failed_add_parts_leaves_no_capacity_trace():
    X = chain()
    n = X.nparts("A")
    with pytest.raises(InstanceError):
        X.add_parts("A", 100, f=np.full(100, 99))
    assert X.nparts("A") == n
    assert X.add_part("A") == n  # the next id is unaffected


# -- set_subpart and clear_subpart ------------------------------------------------------------
def test_set_and_clear_subpart():
    X = chain()
    X.set_subpart(4, "f", 2)
    X.set_subpart(np.array([0, 1]), "x", [9.0, 8.0])
    X.set_subpart([2, 3], "x", 7.0)  # a scalar is broadcast
    assert X.subpart("f").tolist() == [0, 1, 2, 3, 2]
    assert X.subpart("x").tolist() == [9.0, 8.0, 7.0, 7.0, 4.5]
    X.clear_subpart([0, 4], "f")
    X.clear_subpart(1, "x")
    X.clear_subpart([2], "name")
    assert X.subpart("f").tolist() == [-1, 1, 2, 3, -1]
    assert np.isnan(X.subpart(1, "x"))
    assert X.subpart("name").tolist() == ["c0", None, None]
    assert X.incident(2, "f").tolist() == [2]
    assert X.incident(0, "f").tolist() == []


def test_set_subpart_repeated_ids_last_write_wins():
    X = chain()
    X.incident(0, "f")
    X.set_subpart([0, 0, 1], "f", [3, 2, 3])
    assert X.subpart("f").tolist()[:2] == [2, 3]
    for v in range(X.nparts("B")):
        assert X.incident(v, "f").tolist() == scan_incident(X, v, ["f"])


# -- subpart -------------------------------------------------------------------------------------
def test_subpart_one_id_many_ids_all_ids():
    X = chain()
    assert X.subpart(2, "f") == 2 and isinstance(X.subpart(2, "f"), int)
    assert X.subpart(0, "x") == 0.5 and isinstance(X.subpart(0, "x"), float)
    assert X.subpart(0, "name") == "c0"
    got = X.subpart(np.array([4, 0, 4]), "f")
    assert isinstance(got, np.ndarray) and got.tolist() == [-1, 0, -1]
    assert X.subpart([], "f").tolist() == []
    assert X.subpart("f").tolist() == [0, 1, 2, 3, -1]
    assert X.subpart("x").tolist() == [0.5, 1.5, 2.5, 3.5, 4.5]
    with pytest.raises(ValueError):
        X.subpart("f")[0] = 3  # the all-ids answer is read-only


def test_subpart_along_paths_propagates_undefined():
    X = chain()
    # A -f-> B -g-> C; f(4) is undefined, g(2) is undefined
    assert X.subpart(["f", "g"]).tolist() == [0, 2, -1, 2, -1]
    y = X.subpart(["f", "g", "y"])
    assert y[[0, 1, 3]].tolist() == [10.0, 30.0, 30.0] and np.isnan(y[[2, 4]]).all()
    assert X.subpart(["f", "g", "name"]).tolist() == ["c0", "c2", None, "c2", None]
    assert X.subpart(1, ["f", "g", "name"]) == "c2"
    assert X.subpart(4, ["f", "g", "name"]) is None
    assert X.subpart(2, ["f", "g"]) == -1
    assert np.isnan(X.subpart(2, ["f", "g", "y"]))
    pos = X.subpart([0, 4, 3], ["f", "g", "h", "pos"])
    assert pos[0].tolist() == [2, 3] and np.isnan(pos[1]).all() and pos[2].tolist() == [0, 1]
    assert X.subpart(["nxt", "nxt", "x"]).tolist() == [2.5, 3.5, 4.5, 0.5, 1.5]
    for path in (["f", "g", "h"], ["nxt", "f", "g", "name"], ["f", "g", "y"], ["f", "h"][:1]):
        got = X.subpart(path)
        for i in range(X.nparts("A")):
            want = follow(X, i, path)
            if path[-1] in ("f", "g", "h", "nxt"):
                assert got[i] == (-1 if want is None else want)
            elif want is None:
                assert got[i] is None or np.isnan(got[i])
            else:
                assert got[i] == want


@pytest.mark.parametrize(
    "args, error, word",
    [((["g", "f"],), PathError, "g"), ((0, "zz"), PathError, "zz"), ((0, []), PathError, "empty"),
     ((9, "f"), InstanceError, "9"), ((0, "f", "g"), InstanceError, "subpart")],
)
def test_subpart_rejects_bad_paths_and_ids(args, error, word):
    X = chain()
    with pytest.raises(error, match=word):
        X.subpart(*args)


# -- incident ---------------------------------------------------------------------------------------
def test_incident_single_hom_and_attribute():
    X = graph([(0, 1), (1, 2), (0, 2), (2, 2)], 3, weights=[1.0, 2.0, 1.0, np.nan])
    assert X.incident(2, "tgt").tolist() == [1, 2, 3]
    assert X.incident(0, "src").tolist() == [0, 2]
    assert X.incident(1, "src").dtype == np.int64
    assert X.incident(1.0, "weight").tolist() == [0, 2]
    assert X.incident(5.0, "weight").tolist() == []
    assert X.incident(7, "tgt").tolist() == []  # not a part: nothing points there
    with pytest.raises(InstanceError, match="tgt"):
        X.incident("v", "tgt")


def test_incident_multi_hom_paths_match_a_scan():
    X = chain()
    for v in range(X.nparts("C")):
        assert X.incident(v, ["f", "g"]).tolist() == scan_incident(X, v, ["f", "g"])
        assert X.incident(v, ["nxt", "f", "g"]).tolist() == scan_incident(X, v, ["nxt", "f", "g"])
    for label in ("c0", "c2", "zz"):
        assert X.incident(label, ["f", "g", "name"]).tolist() == scan_incident(X, label, ["f", "g", "name"])
    assert X.incident("c2", ["f", "g", "name"]).tolist() == [1, 3]
    assert X.incident(30.0, ["g", "y"]).tolist() == [1, 3]
    with pytest.raises(PathError):
        X.incident(0, ["g", "f"])
    with pytest.raises(PathError):
        X.incident(0, [])


def test_incident_tracks_mutations():
    X = chain()
    for v in range(3):
        X.incident(v, ["f", "g"])
    X.set_subpart(2, "g", 1)
    X.add_part("A", f=2)
    X.clear_subpart(0, "f")
    X.set_subpart(0, "name", "c2")
    for v in range(3):
        assert X.incident(v, ["f", "g"]).tolist() == scan_incident(X, v, ["f", "g"])
    assert X.incident("c2", "name").tolist() == [0, 2]


def test_incident_index_survives_many_small_changes():
    # more single-row changes than the overlay holds, so the base is rebuilt in between
    rng = np.random.default_rng(1)
    X = graph([], 20)
    X.add_parts("E", 500, src=rng.integers(0, 20, 500), tgt=rng.integers(0, 20, 500))
    X.incident(0, "src")
    for _ in range(600):
        e = int(rng.integers(0, X.nparts("E")))
        if rng.random() < 0.5:
            X.set_subpart(e, "src", int(rng.integers(-1, 20)))
        else:
            X.add_part("E", src=int(rng.integers(0, 20)))
    src = X.subpart("src").tolist()
    for v in range(20):
        assert X.incident(v, "src").tolist() == [i for i, s in enumerate(src) if s == v]


# -- deletion ------------------------------------------------------------------------------------------
def test_rem_part_pops_and_swaps():
    X = graph([(0, 1), (1, 2), (2, 0), (2, 3)], 4, weights=[0.0, 1.0, 2.0, 3.0])
    old = X.rem_part("V", 1)
    # vertex 3 (the last) moves into slot 1; edges at 1 lose that end
    assert old.tolist() == [0, -1, 2, 1]
    assert X.nparts("V") == 3
    assert X.subpart("src").tolist() == [0, -1, 2, 2]
    assert X.subpart("tgt").tolist() == [-1, 2, 0, 1]
    old = X.rem_parts("E", [0, 2])
    # remove the largest first: 2 <- 3, then 0 <- 1
    assert old.tolist() == [-1, 1, -1, 0]
    assert X.subpart("weight").tolist() == [3.0, 1.0]
    assert X.subpart("src").tolist() == [2, -1]
    assert X.incident(2, "src").tolist() == [0]
    assert X.rem_parts("E", []).tolist() == [0, 1]


def test_rem_parts_removes_in_any_order_and_dedups():
    X = graph([(i % 3, (i + 1) % 3) for i in range(6)], 3, weights=list(map(float, range(6))))
    before = snapshot(X)
    mp = X.rem_parts("E", np.array([4, 1, 4, 0]))
    check_remap(before, X, {"V": np.arange(3), "E": mp}, {"V": set(), "E": {0, 1, 4}})


def test_cascading_rem_parts_on_a_petri_net():
    X = ACSet(SchLabelledPetriNet, Name=str)
    X.add_parts("S", 3, sname=["S", "I", "R"])
    X.add_parts("T", 2, tname=["inf", "rec"])
    X.add_parts("I", 3, it=[0, 0, 1], **{"is": [0, 1, 1]})
    X.add_parts("O", 3, ot=[0, 0, 1], os=[1, 1, 2])
    before = snapshot(X)
    maps = X.cascading_rem_parts("T", [0])
    check_remap(before, X, maps, {"T": {0}, "S": set(), "I": {0, 1}, "O": {0, 1}})
    assert X.subpart("tname").tolist() == ["rec"]
    assert X.subpart(["it", "tname"]).tolist() == ["rec"]
    assert X.subpart(["os", "sname"]).tolist() == ["R"]


def naive_cascade(X: ACSet, ob: str, ids) -> dict[str, set[int]]:
    return naive_cascade_of(snapshot(X), X.schema, ob, ids)


# -- copies, equality, display ------------------------------------------------------------------------
def test_copy_is_equal_and_independent():
    X = chain()
    X.incident(0, "f")
    Y = X.copy()
    assert Y == X and Y is not X
    Y.set_subpart(0, "f", 3)
    Y.set_subpart(0, "name", "changed")
    Y.set_subpart(0, "pos", [100, 100])
    Y.add_part("C", name="new")
    assert X.subpart(0, "f") == 0 and X.subpart(0, "name") == "c0"
    assert X.subpart(0, "pos").tolist() == [0, 1] and X.nparts("C") == 3
    assert X.incident(0, "f").tolist() == [0] and Y.incident(3, "f").tolist() == [0, 3]
    assert Y != X
    X.rem_part("B", 0)
    assert Y.nparts("B") == 4 and Y.subpart("f").tolist() == [3, 1, 2, 3, -1]


def test_structural_equality():
    assert chain() == chain()
    X, Y = chain(), chain()
    Y.set_subpart(2, "x", np.nextafter(2.5, 3))
    assert X != Y
    Y = chain()
    Y.clear_subpart(0, "y")
    assert X != Y
    Y = chain()
    Y.add_part("A")
    assert X != Y
    assert X != graph([], 0) and (X == "chain") is False
    # undefined floats compare equal to each other
    X.clear_subpart(0, "y")
    Y = chain()
    Y.clear_subpart(0, "y")
    assert X == Y
    # same values built differently (in bulk or one by one, with a removal) are equal
    A = graph([(0, 1), (1, 0)], 2, weights=[1.0, 2.0])
    B = graph([(1, 1)], 2, weights=[5.0])
    B.add_part("E", src=0, tgt=1, weight=1.0)
    B.add_part("E", src=1, tgt=0, weight=2.0)
    B.rem_part("E", 0)  # the last edge moves into slot 0
    B.set_subpart([0, 1], "src", [1, 0])
    B.set_subpart([0, 1], "tgt", [0, 1])
    B.set_subpart([0, 1], "weight", [2.0, 1.0])
    assert B != A
    B.set_subpart([0, 1], "src", [0, 1])
    B.set_subpart([0, 1], "tgt", [1, 0])
    B.set_subpart([0, 1], "weight", [1.0, 2.0])
    assert B == A
    with pytest.raises(TypeError):
        hash(A)


def test_str_shows_one_table_per_object():
    X = chain()
    text = str(X)
    lines = text.splitlines()
    assert lines[0] == repr(X)
    headers = [ln for ln in lines if ln.startswith("│ A ") or ln.startswith("│ B ") or ln.startswith("│ C ")]
    assert len(headers) == 3
    head_a = next(ln for ln in lines if ln.startswith("│ A "))
    assert [c.strip() for c in head_a.strip("│").split("│")] == ["A", "f", "nxt", "x"]
    row = lines[lines.index(head_a) + 2 + 4]  # the row of part 4
    assert [c.strip() for c in row.strip("│").split("│")] == ["4", "-", "0", "4.5"]
    assert "c0" in text and "[2. 3.]" in text
    # long tables are cut, with the last rows shown
    G = graph([(0, 0)] * 30, 1)
    gl = str(G).splitlines()
    assert any("⋮" in ln for ln in gl) and any(ln.startswith("│ 29 ") for ln in gl)
    assert not any(ln.startswith("│ 15 ") for ln in gl)


def test_repr_is_one_line():
    X = chain()
    assert repr(X) == "ACSet(SchChain: A=5, B=4, C=3)"
    assert "\n" not in repr(graph([(0, 0)] * 30, 1))


def test_repr_html():
    X = chain()
    X.set_subpart(0, "name", "<b>&")
    html = X._repr_html_()
    assert html.count("<table>") == 3
    assert "&lt;b&gt;&amp;" in html and "<b>&<" not in html
    assert html.count("<tr>") == 3 + 5 + 4 + 3  # one header per table, one row per part


def test_to_dataframes():
    pd = pytest.importorskip("pandas")
    X = chain()
    frames = X.to_dataframes()
    assert set(frames) == {"A", "B", "C"}
    A, B, C = frames["A"], frames["B"], frames["C"]
    assert isinstance(A, pd.DataFrame)
    assert list(A.columns) == ["f", "nxt", "x"] and A.index.name == "A"
    assert A["f"].tolist() == X.subpart("f").tolist()
    assert A["x"].tolist() == X.subpart("x").tolist()
    assert [list(v) for v in B["pos"]] == X.subpart("pos").tolist()
    assert C["name"][0] == "c0" and C["name"][2] == "c2" and pd.isna(C["name"][1])
    assert len(graph([], 0).to_dataframes()["E"]) == 0


# -- properties ---------------------------------------------------------------------------------------
def draw_ids(data, X: ACSet, max_size: int) -> tuple[str, list[int]]:
    """An object and some of its part ids, repeats allowed."""
    ob = data.draw(st.sampled_from(X.schema.obs))
    n = X.nparts(ob)
    return ob, data.draw(st.lists(st.integers(0, n - 1), max_size=max_size) if n else st.just([]))


def assert_hom_incidents_are_scans(X: ACSet) -> None:
    for h in X.schema.homs:
        for v in range(X.nparts(h.codom)):
            assert X.incident(v, h.name).tolist() == scan_incident(X, v, [h.name])


@PROPS
@given(schemas_and_acsets(max_parts=5), st.data())
def test_rem_parts_keeps_homs_in_range_and_remaps_consistently(pair, data):
    schema, X = pair
    ob, ids = draw_ids(data, X, 6)
    for h in schema.homs:  # indexes built before the removal must be maintained through it
        X.incident(0, h.name)
    before = snapshot(X)
    mp = X.rem_parts(ob, ids)
    assert all_in_range(X)
    maps = {o: (mp if o == ob else np.arange(X.nparts(o))) for o in schema.obs}
    check_remap(before, X, maps, {o: (set(ids) if o == ob else set()) for o in schema.obs})
    assert_hom_incidents_are_scans(X)


@PROPS
@given(schemas_and_acsets(max_parts=5), st.data())
def test_cascading_rem_parts_matches_a_naive_fixpoint(pair, data):
    schema, X = pair
    ob, ids = draw_ids(data, X, 3)
    want = naive_cascade(X, ob, ids)
    before = snapshot(X)
    maps = X.cascading_rem_parts(ob, ids)
    check_remap(before, X, maps, want)
    assert all_in_range(X)
    # nothing left points at nothing: every defined hom lands on a surviving part, and
    # no survivor pointed at a removed part before
    for h in schema.homs:
        for i, v in enumerate(before[h.name]):
            if v is not None and v in want[h.codom]:
                assert i in want[h.dom]


@PROPS
@given(schemas_and_acsets(max_parts=5), st.data())
def test_incident_equals_a_scan(pair, data):
    schema, X = pair
    assert_hom_incidents_are_scans(X)
    # a path of two homs, when the schema has one
    twos = [(h.name, k.name) for h in schema.homs for k in schema.homs if h.codom == k.dom]
    if twos:
        path = list(data.draw(st.sampled_from(twos)))
        for v in range(X.nparts(schema.codom(path[-1]))):
            assert X.incident(v, path).tolist() == scan_incident(X, v, path)
    # scalar attributes with hashable values
    for a in schema.attrs:
        spec = X.types[a.codom]
        if spec.width:
            continue
        for v in {v for v in table(X, a.name) if v is not None}:
            assert X.incident(v, a.name).tolist() == scan_incident(X, v, [a.name])


@PROPS
@given(schemas_and_acsets(max_parts=5), st.data())
def test_copy_equals_and_diverges(pair, data):
    schema, X = pair
    Y = X.copy()
    assert Y == X and X == Y
    ob = data.draw(st.sampled_from(schema.obs))
    before = snapshot(X)
    Y.add_part(ob)
    assert Y != X
    assert X.nparts(ob) == before[ob]


@PROPS
@given(st.data())
def test_subpart_paths_match_following_rows(data):
    schema = data.draw(schemas(max_homs=5, max_attrs=3))
    X = data.draw(acsets(schema, max_parts=4, types={t: float for t in schema.attrtypes}))
    ob = data.draw(st.sampled_from(schema.obs))
    path = []
    here = ob
    for _ in range(data.draw(st.integers(1, 3))):
        outs = [h for h in schema.homs_out(here)]
        if not outs:
            break
        h = data.draw(st.sampled_from(outs))
        path.append(h.name)
        here = h.codom
    attrs = schema.attrs_of(here)
    if attrs and data.draw(st.booleans()):
        path.append(data.draw(st.sampled_from(attrs)).name)
    if not path:
        return
    got = X.subpart(path)
    is_attr = schema.is_attr(path[-1])
    for i in range(X.nparts(ob)):
        want = follow(X, i, path)
        if want is None:
            assert np.isnan(got[i]) if is_attr else got[i] == -1
        else:
            assert got[i] == want
        one = X.subpart(i, path)
        assert (np.isnan(one) and want is None) or one == (-1 if want is None and not is_attr else want)


def test_subparts_may_be_named_like_the_parameters():
    # add_parts(ob, n, **subparts): a schema may well call an attribute "n" or "ob"
    Sch = Schema.build("SchNames", obs=["P"], homs=[("ob", "P", "P")], attrtypes=["T"],
                       attrs=[("n", "P", "T"), ("self", "P", "T")])
    X = ACSet(Sch, T=int)
    X.add_parts("P", 2, n=[3, 4], ob=[1, 0], self=[5, 6])
    X.add_part("P", n=7, ob=2, self=8)
    assert X.subpart("n").tolist() == [3, 4, 7]
    assert X.subpart("ob").tolist() == [1, 0, 2]
    assert X.subpart("self").tolist() == [5, 6, 8]


@pytest.mark.parametrize("value", [1.0, [1.0], np.ones((1, 1)), [[1.0, 2.0, 3.0]]])
def test_vectors_are_not_stretched_across_the_width(value):
    X = chain()
    before = X.copy()
    with pytest.raises(AttrTypeError, match="width 2"):
        X.add_parts("B", 1, pos=value)
    with pytest.raises(AttrTypeError, match="width 2"):
        X.set_subpart(0, "pos", value)
    assert X == before
    # one vector for every new part is still fine
    X.add_parts("B", 2, pos=[7.0, 8.0])
    assert X.subpart([4, 5], "pos").tolist() == [[7, 8], [7, 8]]


def test_undefined_links_do_not_read_the_last_row():
    # a copy has no spare capacity, so a -1 used as an index would hit the last part
    X = chain().copy()
    assert X.subpart(4, "f") == -1 and X.subpart(3, ["f", "g"]) == 2
    assert X.subpart(4, ["f", "g"]) == -1
    assert X.subpart(2, ["f", "g", "name"]) is None
    assert np.isnan(X.subpart(2, ["f", "g", "y"]))
    assert np.isnan(X.subpart(2, ["f", "g", "h", "pos"])).all()
    assert X.subpart(["f", "g"]).tolist() == [0, 2, -1, 2, -1]


def test_cascading_rem_parts_follows_chains():
    X = chain()
    X.clear_subpart([0, 1, 2], "h")  # else h: C -> B feeds back and everything goes
    before = snapshot(X)
    # C2 <-g- B1, B3 <-f- A1, A3 <-nxt- A0, A2 <-nxt- A4, A1 (the nxt cycle)
    maps = X.cascading_rem_parts("C", [2])
    want = {"C": {2}, "B": {1, 3}, "A": {0, 1, 2, 3, 4}}
    assert want == naive_cascade_of(before, SchChain, "C", [2])
    check_remap(before, X, maps, want)
    assert X.size() == {"A": 0, "B": 2, "C": 2}
    X = chain()
    X.clear_subpart([0, 1, 2], "h")
    X.clear_subpart(4, "nxt")  # now A1 <-nxt- A0 is the end of the chain
    before = snapshot(X)
    maps = X.cascading_rem_parts("B", [1])
    check_remap(before, X, maps, {"C": set(), "B": {1}, "A": {0, 1}})


def naive_cascade_of(before: dict, schema: Schema, ob: str, ids) -> dict[str, set[int]]:
    """Fixpoint over every hom by full scans of the columns in ``before``."""
    doomed = {o: set() for o in schema.obs}
    doomed[ob] |= {int(i) for i in ids}
    grew = True
    while grew:
        grew = False
        for h in schema.homs:
            for i, v in enumerate(before[h.name]):
                if v is not None and v in doomed[h.codom] and i not in doomed[h.dom]:
                    doomed[h.dom].add(i)
                    grew = True
    return doomed


@pytest.mark.parametrize("kind, vals", [(float, [1.0, 2.0, 1.0]), (str, ["a", "b", "a"]), (int, [1, 2, 1])])
def test_attribute_index_tracks_every_mutation(kind, vals):
    X = ACSet(SchWeightedGraph, Weight=kind)
    X.add_parts("V", 1)
    X.add_parts("E", 3, src=0, weight=vals)
    a, b = vals[0], vals[1]

    def check():
        for v in (a, b):
            assert X.incident(v, "weight").tolist() == scan_incident(X, v, ["weight"])

    check()  # the index now exists
    X.add_parts("E", 2, tgt=0, weight=[b, a])
    X.add_part("E", src=0, weight=a)
    check()
    X.set_subpart([0, 3], "weight", [b, b])
    check()
    X.clear_subpart(1, "weight")
    check()
    X.rem_parts("E", [0, 2])
    check()
    X.cascading_rem_parts("V", [0])
    check()
    assert X.incident(a, "weight").tolist() == [] and X.nparts("E") == 0
