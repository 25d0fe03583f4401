"""Bad input at every public entry point: our own error, a message naming the culprit, and
nothing changed (the ACSet equal to a copy taken before, the folder byte for byte as it was).

Each row is (call, error, words): ``call(env)`` gets a fresh :class:`Env` with an ACSet
``X`` and a folder ``tmp`` holding a few files our writers made.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acset_s2r import ACSet, Schema, catalog
from acset_s2r.errors import (
    AcsetS2RError,
    SchemaError,
    SerializationError,
)
from acset_s2r.serialization import (
    COLUMNAR_FORMAT,
    acset_from_json,
    from_columnar_json,
    read_json,
    read_schema_json,
    schema_from_json,
    schema_to_json,
    to_columnar_json,
    write_json,
)

SchGraph, SchWG = catalog.SchGraph, catalog.SchWeightedGraph
SchLabel = SchGraph.extend("SchVLabel", attrtypes=["Label"], attrs=[("vlabel", "V", "Label")])
SchCount = SchGraph.extend("SchVCount", attrtypes=["N"], attrs=[("n", "V", "N")])


class Env:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.X = ACSet(SchWG, Weight=float)
        self.X.add_parts("V", 3)
        self.X.add_parts("E", 2, src=[0, 1], tgt=[1, 2], weight=[0.5, 1.5])
        self.C = ACSet(SchCount, N=int)
        self.C.add_parts("V", 2, n=[1, 2])
        write_json(self.X, tmp / "rows.json")
        write_json(self.X, tmp / "cols.json", columnar=True)
        for name, data in {"x80": b"\x80", "utf16": '{"V": []}'.encode("utf-16"), "bin": bytes(range(256)),
                           "deep": b"[" * 100_000 + b"]" * 100_000}.items():
            (tmp / name).write_bytes(data)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else "dir") for p in sorted(root.rglob("*"))}


def col(**over) -> dict:
    return {"format": COLUMNAR_FORMAT, "types": {}, "nparts": {"V": 0}, "columns": {}} | over


CASES = [
    # -- the JSON readers
    (lambda e: read_json(e.tmp / "x80", SchGraph), SerializationError, ["x80", "UTF-8", "0x80"]),
    (lambda e: read_json(e.tmp / "utf16", SchGraph), SerializationError, ["utf16", "UTF-8", "0xff"]),
    (lambda e: read_json(e.tmp / "bin", SchGraph), SerializationError, ["bin", "UTF-8", "offset 128"]),
    (lambda e: read_schema_json(e.tmp / "x80"), SchemaError, ["x80", "UTF-8"]),
    (lambda e: read_json(e.tmp / "deep", SchGraph), SerializationError, ["deep", "nested too deeply"]),
    (lambda e: read_json(e.tmp / "missing.json", SchGraph), SerializationError, ["missing.json"]),
    (lambda e: acset_from_json(col(types=[]), SchGraph), SerializationError, ["'types'", "list"]),
    (lambda e: acset_from_json(col(nparts=[]), SchGraph), SerializationError, ["'nparts'", "list"]),
    (lambda e: acset_from_json(col(columns=3), SchGraph), SerializationError, ["'columns'", "int"]),
    (lambda e: acset_from_json(col(types={"Weight": "float"}), SchWG), SerializationError, ["Weight", "[kind, width]"]),
    (lambda e: acset_from_json(col(nparts={"V": 2.0}), SchGraph), SerializationError, ["V", "2.0"]),
    (lambda e: acset_from_json(col(format="acset_s2r.columnar/9"), SchGraph), SerializationError,
     ["acset_s2r.columnar/9", "format"]),
    (lambda e: from_columnar_json(col()), SerializationError, ["schema"]),
    (lambda e: from_columnar_json([1]), SerializationError, ["list"]),
    (lambda e: from_columnar_json(to_columnar_json(e.X), SchLabel), SerializationError,
     ["SchVLabel", "Weight", "Label"]),
    (lambda e: read_json(e.tmp / "cols.json", SchWG.extend("SchMore", obs=["Z"])), SerializationError,
     ["Z", "SchMore", "cols.json"]),
    (lambda e: acset_from_json({"V": [{"_id": 1, "vlabel": [{}]}], "Label": []}, SchLabel), SerializationError,
     ["table V", "row 1", "vlabel"]),
    (lambda e: acset_from_json({"V": [{"_id": 1, "vlabel": 1}, {"_id": 2, "vlabel": "a"}]}, SchLabel),
     SerializationError, ["Label", "int", "str", "Label=object"]),
    (lambda e: acset_from_json({"V": [{"_id": 1}], "E": [{"_id": 1, "src": 1.0, "tgt": 1}]}, SchGraph),
     SerializationError, ["table E", "row 1", "src", "1.0"]),
    (lambda e: schema_from_json('{"Ob": [{"name": "V"}], "Hom": 3}'), SchemaError, ["Hom"]),
    (lambda e: schema_from_json("[" * 100_000), SchemaError, ["nested too deeply"]),
]


@pytest.mark.parametrize("call, error, words", CASES)
def test_bad_input_raises_our_error_naming_it_and_changes_nothing(call, error, words, tmp_path):
    env = Env(tmp_path)
    before = (env.X.copy(), env.C.copy(), snapshot(tmp_path))
    with pytest.raises(error) as err:
        call(env)
    for w in words:
        assert w in str(err.value), (w, str(err.value))
    assert (env.X, env.C, snapshot(tmp_path)) == before


# -- the fixes that are not errors ------------------------------------------------------------
def test_schema_json_keeps_the_name():
    for s in catalog.BUILTIN_SCHEMAS.values():
        assert schema_from_json(schema_to_json(s)) == s
        assert schema_from_json(json.dumps(schema_to_json(s))).name == s.name


def test_a_list_of_whole_numbers_reads_back_as_it_was():
    X = acset_from_json({"V": [{"_id": 1, "vlabel": [1, 2]}], "Label": []}, SchLabel)
    assert X.subpart(0, "vlabel") == [1, 2] and all(type(v) is int for v in X.subpart(0, "vlabel"))
    # a float vector stays one
    Y = acset_from_json({"V": [{"_id": 1, "vlabel": [1.5, 2]}], "Label": []}, SchLabel)
    assert Y.subpart(0, "vlabel").tolist() == [1.5, 2.0]


def test_mixed_values_read_when_the_type_is_bound():
    X = acset_from_json({"V": [{"_id": 1, "vlabel": 1}, {"_id": 2, "vlabel": "a"}]}, SchLabel, Label=object)
    assert X.subpart("vlabel").tolist() == [1, "a"]


def test_a_json_file_with_a_byte_order_mark_is_read(tmp_path):
    X = ACSet(SchGraph)
    X.add_parts("V", 2)
    write_json(X, tmp_path / "g.json")
    (tmp_path / "bom.json").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "g.json").read_bytes())
    assert read_json(tmp_path / "bom.json", SchGraph) == X


def test_every_error_above_is_ours():
    assert all(issubclass(err, AcsetS2RError) for _, err, _ in CASES)
