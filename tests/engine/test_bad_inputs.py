"""Bad input at every public entry point: our own error, a message naming the culprit, and
nothing changed (the ACSet equal to a copy taken before, the folder byte for byte as it was).

Each row is (call, error, words): ``call(env)`` gets a fresh :class:`Env` with an ACSet
``X`` and a folder ``tmp`` holding a few files our writers made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from acset_s2r import ACSet, Schema, catalog
from acset_s2r.errors import (
    AcsetS2RError,
    AttrTypeError,
    InstanceError,
    PresentSyntaxError,
    SchemaError,
    SerializationError,
)
from acset_s2r.present import parse_present
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


GOOD_BLOCK = "@present S(FreeSchema) begin\n  (V, E)::Ob\n  src::Hom(E, V)\nend"

CASES = [
    # -- ACSet mutations (the number rule: a part is named by an integer, never a bool or a float)
    (lambda e: e.X.add_parts("V", 10**15), InstanceError, ["V", "memory"]),
    (lambda e: e.X.add_parts("E", 10**15, src=0, tgt=0), InstanceError, ["E", "memory"]),
    (lambda e: e.X.add_parts("V", 2.5), InstanceError, ["V", "2.5"]),
    (lambda e: e.X.add_parts("V", 2.0), InstanceError, ["V", "2.0"]),
    (lambda e: e.X.add_parts("V", "2"), InstanceError, ["V", "'2'"]),
    (lambda e: e.X.add_parts("V", True), InstanceError, ["V", "True"]),
    (lambda e: e.X.add_parts("V", [1, 2]), InstanceError, ["V", "[1, 2]"]),
    (lambda e: e.X.add_parts("V", 2**70), InstanceError, ["V", "int64"]),
    (lambda e: e.X.rem_part("E", 1.5), InstanceError, ["E", "1.5"]),
    (lambda e: e.X.rem_part("E", [0, 1]), InstanceError, ["E", "rem_parts"]),
    (lambda e: e.X.rem_parts("E", ["0"]), InstanceError, ["E", "'0'"]),
    (lambda e: e.X.add_part("E", src=1.0, tgt=0), InstanceError, ["src", "1.0"]),
    (lambda e: e.X.add_part("E", src=True, tgt=0), InstanceError, ["src", "True"]),
    (lambda e: e.X.add_part("E", src=2**70, tgt=0), InstanceError, ["src", "int64"]),
    (lambda e: e.X.add_parts("E", 2, src=np.array([0, 1], dtype=np.uint64) + 2**63, tgt=0), InstanceError,
     ["src", "int64"]),
    (lambda e: e.X.set_subpart(0, "src", 1.0), InstanceError, ["src", "1.0"]),
    (lambda e: e.X.set_subpart(1.0, "src", 1), InstanceError, ["E", "1.0"]),
    (lambda e: e.X.set_subpart(0, "weight", True), AttrTypeError, ["weight", "bool"]),
    (lambda e: e.C.add_part("V", n=2**70), AttrTypeError, ["n", "int64"]),
    (lambda e: e.C.add_part("V", n=True), AttrTypeError, ["n", "bool"]),
    (lambda e: e.C.add_parts("V", 2, n=[1, True]), AttrTypeError, ["n", "True"]),
    (lambda e: e.C.add_part("V", n=1e30), AttrTypeError, ["n", "int64"]),
    (lambda e: e.C.add_part("V", n=2.5), AttrTypeError, ["n"]),
    (lambda e: e.X.subpart(0, "src.nope"), AcsetS2RError, ["nope"]),
    (lambda e: e.X.incident(0, "src.weight"), AcsetS2RError, ["weight"]),
    # -- schema building
    (lambda e: Schema.build("S", obs=["A"], homs=[("f", "A")]), SchemaError, ["('f', 'A')", "(name, dom, codom)"]),
    (lambda e: Schema.build("S", obs=["A"], attrtypes=["T"], attrs=["x"]), SchemaError, ["'x'"]),
    (lambda e: Schema.build("S", obs=["A"], homs=[("f", "A", "A")], equations=["f == f"]), SchemaError,
     ["'f == f'", "equation"]),
    (lambda e: Schema.build("S", obs=["A"], homs=[("f", "A", "A")], equations=[("e", "f", ["f"])]), SchemaError,
     ["equation"]),
    (lambda e: Schema.build("S", obs="VE"), SchemaError, ["obs", "'VE'"]),
    (lambda e: Schema.build(None, obs=["V"]), SchemaError, ["name", "None"]),
    (lambda e: SchGraph.extend("T", homs=[("f", "V")]), SchemaError, ["('f', 'V')"]),
    (lambda e: SchGraph.extend("T", attrtypes="W"), SchemaError, ["attrtypes", "'W'"]),
    # -- @present
    (lambda e: parse_present(None), PresentSyntaxError, ["NoneType"]),
    (lambda e: parse_present(b"@present S(FreeSchema) begin\nend"), PresentSyntaxError, ["bytes"]),
    (lambda e: parse_present(GOOD_BLOCK.replace("src::Hom", "(src, tgt::Hom")), PresentSyntaxError,
     ["line 3", "unbalanced", "(src, tgt"]),
    (lambda e: parse_present(GOOD_BLOCK.replace("(V, E)", "(V, E")), PresentSyntaxError, ["line 2", "unbalanced"]),
    (lambda e: parse_present(GOOD_BLOCK.replace("(V, E)", "V, E)")), PresentSyntaxError, ["line 2", "unbalanced"]),
    (lambda e: parse_present(GOOD_BLOCK + "\n\n" + GOOD_BLOCK.replace("S(", "T(")), PresentSyntaxError,
     ["line 6", "second @present", "T(FreeSchema)"]),
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
def test_the_good_block_parses_and_so_do_two_blocks_one_at_a_time():
    from acset_s2r.present import present_blocks

    text = GOOD_BLOCK + "\n" + GOOD_BLOCK.replace("S(", "T(")
    assert [parse_present(b).name for _, b in present_blocks(text)] == ["S", "T"]


def test_dotted_paths_in_subpart_and_incident():
    X = ACSet(SchLabel, Label=str)
    X.add_parts("V", 2, vlabel=["a", "b"])
    X.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 0, 1])
    assert X.subpart("src.vlabel").tolist() == X.subpart(X.parts("E"), ["src", "vlabel"]).tolist() == ["a", "b", "b"]
    assert X.subpart(2, "tgt.vlabel") == "b"
    assert X.incident("b", "src.vlabel").tolist() == X.incident("b", ["src", "vlabel"]).tolist() == [1, 2]


def test_whole_floats_fill_int_attributes_but_never_name_parts():
    X = ACSet(SchCount, N=int)
    X.add_parts("V", 2, n=[1.0, 2.0])
    assert X.subpart("n").tolist() == [1, 2]
    X.add_parts("E", 1, src=np.int32(0), tgt=np.array([1], dtype=np.uint8))
    assert X.subpart("tgt").tolist() == [1]


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
