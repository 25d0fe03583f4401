"""ACSets.jl instance JSON: fixtures, row layout, malformed input, columnar variant (atomic writes: test_fileio)."""

import copy
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, catalog, serialization
from acset_s2r.acset import AttrSpec
from acset_s2r.errors import AcsetS2RError, SerializationError
from acset_s2r.schema import Schema
from acset_s2r.serialization import (
    COLUMNAR_FORMAT,
    AttrVar,
    acset_from_json,
    acset_to_json,
    from_columnar_json,
    read_json,
    read_schema_json,
    to_columnar_json,
    write_json,
    write_schema_json,
)
from acset_s2r.strategies import schemas_and_acsets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catlab"
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SchGraph, SchWG, SchLPN, SchPN = (
    catalog.SchGraph,
    catalog.SchWeightedGraph,
    catalog.SchLabelledPetriNet,
    catalog.SchPetriNet,
)

# Every fixture file, by what it holds. A new fixture must be added here (see the test below).
INSTANCE_FIXTURES = {"algebraicpetri__sir.json": SchLPN, "algebraicpetri__cycle_2.json": SchGraph}
SCHEMA_FIXTURES = {"py_acsets__catlab_PetriNet.json": SchPN, "py_acsets__catlab_LabelledPetriNet.json": SchLPN}
JSON_SCHEMA_FIXTURES = {"acsets_jl__acset.schema.json", "py_acsets__jsonschema_PetriNet.json"}


def load(name: str):
    return json.loads((FIXTURES / name).read_text())


def strict_loads(text: str):
    """json.loads that refuses NaN/Infinity, which ACSets.jl cannot read."""

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def semantic(data: dict, schema: Schema) -> dict:
    """Rows without ``_id`` (after checking it is 1..n), tables with no rows dropped, 0-homs dropped."""
    out = {}
    homs = set(schema.hom_names)
    for table, rows in data.items():
        assert [r.get("_id", i + 1) for i, r in enumerate(rows)] == list(range(1, len(rows) + 1))
        clean = [{k: v for k, v in r.items() if k != "_id" and not (k in homs and v == 0)} for r in rows]
        if table in schema.attrtypes and not any(clean):
            continue
        out[table] = clean
    return out


def weighted_example() -> ACSet:
    X = ACSet(SchWG, Weight=float)
    X.add_parts("V", 3)
    X.add_parts("E", 3, src=[0, 1, -1], tgt=[1, 2, 0], weight=[0.5, None, 2.0])
    return X


# -- every fixture ----------------------------------------------------------------------------
def test_every_fixture_is_covered_and_the_notice_is_kept():
    on_disk = {p.name for p in FIXTURES.glob("*.json")}
    assert on_disk == set(INSTANCE_FIXTURES) | set(SCHEMA_FIXTURES) | JSON_SCHEMA_FIXTURES
    notice = (FIXTURES / "NOTICE.md").read_text()
    assert "MIT" in notice and all(name in notice for name in on_disk)


def test_sir_reads_as_its_json_says():
    raw = load("algebraicpetri__sir.json")
    X = read_json(FIXTURES / "algebraicpetri__sir.json", SchLPN)
    for ob in SchLPN.obs:
        assert X.nparts(ob) == len(raw[ob])
    assert X.subpart("it").tolist() == [r["it"] - 1 for r in raw["I"]]
    assert X.subpart("is").tolist() == [r["is"] - 1 for r in raw["I"]]
    assert X.subpart("os").tolist() == [r["os"] - 1 for r in raw["O"]]
    assert list(X.subpart("tname")) == [r["tname"] for r in raw["T"]]
    assert list(X.subpart("sname")) == [r["sname"] for r in raw["S"]]
    assert X.types["Name"] == AttrSpec("str")  # inferred, as ACSets.jl issue 45 asks
    # S = 1 is the susceptible species; infection (T 1) takes it as an input
    assert X.incident(0, "is").tolist() == [i for i, r in enumerate(raw["I"]) if r["is"] == 1]


def test_cycle_reads_as_a_two_cycle():
    X = read_json(FIXTURES / "algebraicpetri__cycle_2.json", SchGraph)
    assert (X.nparts("V"), X.nparts("E")) == (2, 2)
    assert X.subpart("src").tolist() == [0, 1] and X.subpart("tgt").tolist() == [1, 0]
    assert X.incident(0, "tgt").tolist() == [1] and X.incident(1, "tgt").tolist() == [0]


@pytest.mark.parametrize("name", sorted(INSTANCE_FIXTURES))
def test_instance_fixture_round_trips(name, tmp_path):
    schema = INSTANCE_FIXTURES[name]
    X = read_json(FIXTURES / name, schema)
    out = tmp_path / name
    write_json(X, out)
    Y = read_json(out, schema)
    assert Y == X and Y.types == X.types
    # what we wrote says the same as the fixture, in the current layout
    written = strict_loads(out.read_text())
    assert list(written) == list(schema.obs) + list(schema.attrtypes)
    assert all("_id" in r for ob in schema.obs for r in written[ob])
    assert semantic(written, schema) == semantic(load(name), schema)
    # and the columnar variant too
    write_json(X, tmp_path / "c.json", columnar=True)
    assert read_json(tmp_path / "c.json", schema) == X


@pytest.mark.parametrize("name", sorted(SCHEMA_FIXTURES))
def test_schema_fixture_round_trips(name, tmp_path):
    raw = load(name)
    s = read_schema_json(FIXTURES / name)
    write_schema_json(s, tmp_path / name)
    again = read_schema_json(tmp_path / name)
    assert again == s
    written = json.loads((tmp_path / name).read_text())
    for key in ("Ob", "AttrType"):
        assert [e["name"] for e in written[key]] == [e["name"] for e in raw[key]]
    for key in ("Hom", "Attr"):
        assert written[key] == [{k: e[k] for k in ("name", "dom", "codom")} for e in raw[key]]
    assert written["equations"] == []
    builtin = SCHEMA_FIXTURES[name]
    assert set(s.homs) == set(builtin.homs) and set(s.attrs) == set(builtin.attrs)


def test_acsets_jl_json_schema_fixture_accepts_what_we_write(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    meta = load("acsets_jl__acset.schema.json")
    for name in SCHEMA_FIXTURES:
        write_schema_json(read_schema_json(FIXTURES / name), tmp_path / name)
        jsonschema.validate(json.loads((tmp_path / name).read_text()), meta)


def test_py_acsets_json_schema_describes_the_legacy_petri_layout():
    jsonschema = pytest.importorskip("jsonschema")
    meta = load("py_acsets__jsonschema_PetriNet.json")
    # the SIR net without its labels is a PetriNet document in py-acsets' layout
    sir = load("algebraicpetri__sir.json")
    legacy = {ob: [{k: v for k, v in r.items() if k not in ("tname", "sname")} for r in sir[ob]] for ob in sir}
    jsonschema.validate(legacy, meta)
    X = acset_from_json(legacy, SchPN)
    written = acset_to_json(X)
    with pytest.raises(jsonschema.ValidationError, match="_id"):
        jsonschema.validate(written, meta)  # py-acsets' schema forbids _id ...
    stripped = {ob: [{k: v for k, v in r.items() if k != "_id"} for r in rows] for ob, rows in written.items()}
    jsonschema.validate(stripped, meta)  # ... and is otherwise satisfied by what we write
    assert acset_from_json(stripped, SchPN) == X
    # the tables the JSON Schema requires are the Petri net's objects, its columns the homs
    assert set(meta["required"]) == set(SchPN.obs)
    for ob in SchPN.obs:
        assert set(meta["definitions"][ob]["properties"]) == {h.name for h in SchPN.homs_out(ob)}


# -- row layout -------------------------------------------------------------------------------------
def test_row_layout_is_one_based_with_zero_for_undefined():
    data = acset_to_json(weighted_example())
    assert list(data) == ["V", "E", "Weight"]
    assert data["V"] == [{"_id": 1}, {"_id": 2}, {"_id": 3}]
    assert data["E"] == [
        {"_id": 1, "src": 1, "tgt": 2, "weight": 0.5},
        {"_id": 2, "src": 2, "tgt": 3, "weight": None},
        {"_id": 3, "src": 0, "tgt": 1, "weight": 2.0},
    ]
    assert data["Weight"] == []


def test_reading_the_row_layout():
    data = {
        "V": [{"_id": 1}, {"_id": 2}],
        "E": [{"_id": 1, "src": 2, "tgt": 0, "weight": None}, {"_id": 2, "src": 1, "tgt": 2, "weight": 3}],
        "Weight": [],
    }
    X = acset_from_json(data, SchWG, Weight=float)
    assert X.subpart("src").tolist() == [1, 0] and X.subpart("tgt").tolist() == [-1, 1]
    assert X.is_defined("weight").tolist() == [False, True] and X.subpart(1, "weight") == 3.0
    assert X.incident(1, "tgt").tolist() == [1] and X.incident(0, "src").tolist() == [1]


def test_attribute_variables_are_written_and_read():
    X = ACSet(SchLPN, Name=object)
    X.add_parts("Name", 3)  # variable 2 is used by nothing and must survive the round trip
    X.add_parts("T", 2, tname=[AttrVar(1), "infect"])
    X.add_parts("S", 1, sname=[AttrVar(0)])
    data = acset_to_json(X)
    assert data["T"] == [{"_id": 1, "tname": {"_var": 2}}, {"_id": 2, "tname": "infect"}]
    assert data["S"] == [{"_id": 1, "sname": {"_var": 1}}]
    assert data["Name"] == [{"_id": 1}, {"_id": 2}, {"_id": 3}]  # one row per variable
    Y = acset_from_json(json.dumps(data), SchLPN)
    assert Y == X and Y.nparts("Name") == 3
    assert Y.subpart(0, "tname") == AttrVar(1) and Y.types["Name"] == AttrSpec("object")
    assert from_columnar_json(json.loads(json.dumps(to_columnar_json(X)))) == X


def test_legacy_val_variables_are_read_and_written_back_as_var():
    data = {"T": [{"tname": {"val": 1}}], "S": [{"sname": "S"}]}
    X = acset_from_json(data, SchLPN)
    assert X.subpart(0, "tname") == AttrVar(0) and X.subpart(0, "sname") == "S"
    assert X.nparts("Name") == 1  # no table: as many variables as the largest one used
    assert acset_to_json(X)["T"] == [{"_id": 1, "tname": {"_var": 1}}]


def test_legacy_layout_without_ids_and_tables():
    legacy = {"E": [{"src": 1, "tgt": 1}], "V": [{}]}  # order of keys does not matter
    X = acset_from_json(legacy, SchWG)
    Y = ACSet(SchWG)
    Y.add_parts("V", 1)
    Y.add_parts("E", 1, src=[0], tgt=[0])
    assert X == Y and X.types["Weight"] == AttrSpec("object")  # nothing to infer from
    assert acset_from_json({}, SchGraph) == ACSet(SchGraph)


def test_vector_attributes_keep_partly_missing_components(tmp_path):
    X = ACSet(SchWG, Weight=(float, 2))
    X.add_parts("V", 1)
    X.add_parts("E", 3, src=0, tgt=0, weight=[[1.0, np.nan], [2.0, 3.0], [np.nan, np.nan]])
    data = acset_to_json(X)
    assert [r["weight"] for r in data["E"]] == [[1.0, None], [2.0, 3.0], None]
    write_json(X, tmp_path / "v.json")
    Y = read_json(tmp_path / "v.json", SchWG, Weight=(float, 2))
    assert Y == X
    assert read_json(tmp_path / "v.json", SchWG).types["Weight"] == AttrSpec("float", 2)  # inferred


def test_int_bool_and_str_columns_with_undefined_values():
    schema = Schema.build(
        "SchT", obs=["X"], attrtypes=["I", "B", "S"], attrs=[("i", "X", "I"), ("b", "X", "B"), ("s", "X", "S")]
    )
    X = ACSet(schema, I=int, B=bool, S=str)
    X.add_parts("X", 3, i=[1, None, -(2**40)], b=[True, False, None], s=["a", None, "ü"])
    data = acset_to_json(X)
    assert data["X"][1] == {"_id": 2, "i": None, "b": False, "s": None}
    Y = acset_from_json(json.dumps(data), schema)
    assert Y == X and Y.types == X.types


# -- malformed input --------------------------------------------------------------------------------
def good() -> dict:
    return {
        "V": [{"_id": 1}, {"_id": 2}, {"_id": 3}],
        "E": [{"_id": 1, "src": 1, "tgt": 2, "weight": None}, {"_id": 2, "src": 2, "tgt": 3, "weight": 2.0}],
        "Weight": [],
    }


def mutate(path, value):
    def apply(d):
        here = d
        for k in path[:-1]:
            here = here[k]
        if value is DELETE:
            del here[path[-1]]
        else:
            here[path[-1]] = value
        return d

    return apply


DELETE = object()
ROW2 = ["table E", "row 2"]
MALFORMED = [
    pytest.param(mutate(["E", 1, "src"], 4), {}, ROW2 + ["column src", "4"], id="dangling-fk"),
    pytest.param(mutate(["E", 1, "tgt"], -1), {}, ROW2 + ["column tgt"], id="negative-fk"),
    pytest.param(mutate(["E", 1, "tgt"], "3"), {}, ROW2 + ["column tgt"], id="string-fk"),
    pytest.param(mutate(["E", 1, "tgt"], 2**70), {}, ROW2 + ["column tgt"], id="huge-fk"),
    pytest.param(mutate(["E", 1, "tgt"], True), {}, ROW2 + ["column tgt"], id="bool-fk"),
    pytest.param(mutate(["E", 1, "tgt"], 2.0), {}, ROW2 + ["column tgt"], id="float-fk"),
    pytest.param(mutate(["E", 1, "colour"], "red"), {}, ROW2 + ["colour"], id="unknown-column"),
    pytest.param(mutate(["V", 2, "src"], 1), {}, ["table V", "row 3", "src"], id="column-of-other-table"),
    pytest.param(mutate(["Vertices"], []), {}, ["Vertices"], id="unknown-table"),
    pytest.param(mutate(["E", 1, "_id"], 3), {}, ROW2 + ["_id"], id="id-out-of-order"),
    pytest.param(mutate(["E", 1, "_id"], True), {}, ROW2 + ["_id"], id="id-not-int"),
    pytest.param(mutate(["E", 1], [2, 3]), {}, ROW2, id="row-not-object"),
    pytest.param(mutate(["E"], {"_id": 1}), {}, ["table E"], id="table-not-list"),
    pytest.param(mutate(["E", 1, "weight"], "heavy"), {"Weight": float}, ROW2 + ["column weight"], id="str-for-float"),
    pytest.param(mutate(["E", 1, "weight"], True), {"Weight": float}, ROW2 + ["column weight"], id="bool-for-float"),
    pytest.param(mutate(["E", 1, "weight"], 2.5), {"Weight": int}, ROW2 + ["column weight"], id="frac-for-int"),
    pytest.param(mutate(["E", 1, "weight"], 2**70), {"Weight": int}, ROW2 + ["column weight"], id="int-overflow"),
    pytest.param(mutate(["E", 1, "weight"], 2.0), {"Weight": str}, ROW2 + ["column weight"], id="float-for-str"),
    pytest.param(mutate(["E", 1, "weight"], 1), {"Weight": bool}, ROW2 + ["column weight"], id="int-for-bool"),
    pytest.param(mutate(["E", 1, "weight"], [1.0]), {"Weight": float}, ROW2 + ["column weight"], id="list-for-float"),
    pytest.param(mutate(["E", 1, "weight"], 2.0), {"Weight": (float, 2)}, ROW2 + ["column weight"], id="scalar-for-vector"),
    pytest.param(mutate(["E", 1, "weight"], [1, 2, 3]), {"Weight": (float, 2)}, ROW2 + ["column weight"], id="vector-width"),
    pytest.param(mutate(["E", 1, "weight"], ["a", "b"]), {"Weight": (float, 2)}, ROW2 + ["column weight"], id="vector-of-str"),
    pytest.param(mutate(["E", 1, "weight"], []), {"Weight": (float, 2)}, ROW2 + ["column weight"], id="empty-vector"),
    pytest.param(mutate(["E", 1, "weight"], [1.5, 2]), {"Weight": (int, 2)}, ROW2 + ["column weight"], id="int-vector-frac"),
    pytest.param(mutate(["E", 1, "weight"], {"_var": 1}), {"Weight": float}, ROW2 + ["column weight"], id="var-for-float"),
    pytest.param(mutate(["E", 1, "weight"], {"_var": 0}), {}, ROW2 + ["column weight"], id="var-zero"),
    pytest.param(mutate(["E", 1, "weight"], {"_var": 1, "x": 2}), {}, ROW2 + ["column weight"], id="var-extra-key"),
    pytest.param(mutate(["E", 1, "weight"], {"_var": 2}), {}, ROW2 + ["column weight", "dangling"], id="dangling-var"),
    pytest.param(mutate(["Weight"], [{"_id": 1, "value": 3}]), {}, ["table Weight", "row 1", "value"], id="attrtype-column"),
    pytest.param(mutate(["Weight"], [{"_id": 2}]), {}, ["table Weight", "row 1", "_id"], id="attrtype-id"),
]


@pytest.mark.parametrize("change, types, words", MALFORMED)
def test_malformed_input_names_table_row_column(change, types, words, monkeypatch):
    data = change(good())
    built = []

    class Recording(ACSet):
        def __init__(self, *args, **kwargs):
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(serialization, "ACSet", Recording)
    with pytest.raises(SerializationError) as err:
        acset_from_json(json.dumps(data), SchWG, **types)
    for w in words:
        assert w in str(err.value)
    assert built == []  # everything was checked before any ACSet was made


def test_the_good_document_is_accepted():
    X = acset_from_json(good(), SchWG)
    assert X.is_defined("weight").tolist() == [False, True] and X.subpart(1, "weight") == 2.0
    assert X.types["Weight"] == AttrSpec("float")


@pytest.mark.parametrize("text", ['{"V": [', "[1, 2]", "null", '{"V": [{"_id": 1}]}garbage'])
def test_invalid_json_raises_serialization_error(text, tmp_path):
    with pytest.raises(SerializationError):
        acset_from_json(text, SchGraph)
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SerializationError, match="bad.json"):
        read_json(path, SchGraph)
    assert path.read_text() == text


def test_reading_a_fixture_with_the_wrong_schema():
    with pytest.raises(SerializationError, match="not objects or attribute types of SchGraph"):
        read_json(FIXTURES / "algebraicpetri__sir.json", SchGraph)
    with pytest.raises(SerializationError, match="cannot read"):
        read_json(FIXTURES / "no_such_file.json", SchGraph)


def test_serialization_errors_are_library_errors():
    assert issubclass(SerializationError, AcsetS2RError) and issubclass(SerializationError, ValueError)


# -- a failed write leaves the old file ---------------------------------------------------------------------
def test_unserialisable_value_leaves_the_old_file(tmp_path):
    out = tmp_path / "g.json"
    write_json(weighted_example(), out)
    before = out.read_bytes()
    X = ACSet(SchWG, Weight=object)
    X.add_parts("V", 1)
    X.add_parts("E", 2, src=0, tgt=0, weight=[1, {1, 2}])
    with pytest.raises(SerializationError) as err:
        write_json(X, out)
    assert all(w in str(err.value) for w in ("table E", "row 2", "column weight", "set"))
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["g.json"]
    with pytest.raises(SerializationError, match="row 2"):
        write_json(X, tmp_path / "c.json", columnar=True)
    assert os.listdir(tmp_path) == ["g.json"]


@pytest.mark.parametrize("value", [{"_var": 1}, object(), np.arange(2), [1, {2}]])
def test_values_without_a_json_form_are_refused_by_name(value):
    X = ACSet(SchWG, Weight=object)
    X.add_parts("V", 1)
    X.add_parts("E", 2, src=0, tgt=0, weight=[np.int64(3), None])
    X.set_subpart(1, "weight", value)
    with pytest.raises(SerializationError, match="table E, row 2, column weight"):
        acset_to_json(X)
    X.set_subpart(1, "weight", [1, "two", None])  # lists of JSON values are fine
    assert acset_from_json(acset_to_json(X), SchWG, Weight=object) == X
    assert acset_to_json(X)["E"][0]["weight"] == 3  # numpy scalars become plain numbers


def test_write_json_gives_a_normal_file_mode(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    fresh = tmp_path / "sub" / "fresh.json"
    write_json(weighted_example(), fresh)  # creates the folder too
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask
    kept = tmp_path / "kept.json"
    kept.write_text("{}")
    kept.chmod(0o640)
    write_json(weighted_example(), kept)
    assert kept.stat().st_mode & 0o777 == 0o640
    assert read_json(kept, SchWG, Weight=float) == weighted_example()


# -- columnar variant ---------------------------------------------------------------------------------
def test_columnar_layout_and_round_trip(tmp_path):
    X = weighted_example()
    data = to_columnar_json(X)
    assert data["format"] == COLUMNAR_FORMAT
    assert data["nparts"] == {"V": 3, "E": 3}
    assert data["columns"] == {"src": [1, 2, 0], "tgt": [2, 3, 1], "weight": [0.5, None, 2.0]}
    assert data["types"] == {"Weight": ["float", None]}
    Y = from_columnar_json(strict_loads(json.dumps(data)))  # the schema comes from the file
    assert Y == X and Y.schema == SchWG and Y.types == X.types
    write_json(X, tmp_path / "x.json", columnar=True)
    assert read_json(tmp_path / "x.json", SchWG) == X


def test_columnar_round_trip_of_vectors_and_variables():
    X = ACSet(SchLPN, Name=object)
    X.add_parts("Name", 2)
    X.add_parts("T", 2, tname=[AttrVar(1), 7])
    X.add_parts("S", 2, sname=["s", None])
    X.add_parts("I", 1, it=[1], **{"is": [0]})
    Y = from_columnar_json(json.loads(json.dumps(to_columnar_json(X))))
    assert Y == X and Y.subpart(0, "tname") == AttrVar(1)
    V = ACSet(SchWG, Weight=(int, 3))
    V.add_parts("V", 2)
    V.add_parts("E", 2, src=[0, 1], tgt=[1, -1], weight=[[1, 2, 3], [4, 5, 6]])
    V.clear_subpart([1], "weight")
    W = from_columnar_json(json.loads(json.dumps(to_columnar_json(V))))
    assert W == V and W.types == V.types and W.is_defined("weight").tolist() == [True, False]


@pytest.mark.parametrize(
    "path, value, words",
    [
        (["columns", "src"], [1, 2], ["table E", "column src", "2 values"]),
        (["columns", "tgt"], [1, 9, 1], ["table E", "row 2", "column tgt"]),
        (["columns", "weight"], [0.5, "x", 1.0], ["table E", "row 2", "column weight"]),
        (["columns", "colour"], [1, 2, 3], ["colour"]),
        (["nparts", "V"], "three", ["V"]),
        (["types", "Weight"], ["complex", None], ["Weight"]),
        (["nparts"], DELETE, ["nparts"]),
    ],
)
def test_malformed_columnar_input(path, value, words):
    data = json.loads(json.dumps(to_columnar_json(weighted_example())))
    with pytest.raises(SerializationError) as err:
        acset_from_json(mutate(path, value)(data), SchWG)
    for w in words:
        assert w in str(err.value)


# -- properties -----------------------------------------------------------------------------------------
@SETTINGS
@given(schemas_and_acsets(max_parts=5, max_vars=3))
def test_random_instances_round_trip_through_json(pair):
    schema, X = pair
    text = json.dumps(acset_to_json(X))
    data = strict_loads(text)
    assert list(data) == list(schema.obs) + list(schema.attrtypes)
    for ob in schema.obs:
        assert [r["_id"] for r in data[ob]] == list(range(1, X.nparts(ob) + 1))
        for h in schema.homs_out(ob):
            assert [r[h.name] for r in data[ob]] == (X.subpart(h.name) + 1).tolist()
    Y = acset_from_json(text, schema, **X.types)
    assert Y == X and Y.types == X.types
    assert acset_to_json(Y) == data


@SETTINGS
@given(schemas_and_acsets(max_parts=5, max_vars=3))
def test_random_instances_round_trip_through_columnar_json(pair):
    schema, X = pair
    before = copy.deepcopy(acset_to_json(X))
    Y = from_columnar_json(strict_loads(json.dumps(to_columnar_json(X))))
    assert Y == X and Y.types == X.types and Y.schema == schema
    assert acset_to_json(X) == before  # writing did not touch X


@SETTINGS
@given(schemas_and_acsets(max_parts=5, min_obs=1), st.data())
def test_a_dangling_key_anywhere_is_located(pair, data):
    schema, X = pair
    cells = [(h, i) for h in schema.homs for i in range(X.nparts(h.dom))]
    assume(cells)
    h, i = data.draw(st.sampled_from(cells))
    doc = acset_to_json(X)
    doc[h.dom][i][h.name] = X.nparts(h.codom) + data.draw(st.integers(1, 3))
    with pytest.raises(SerializationError) as err:
        acset_from_json(json.dumps(doc), schema, **X.types)
    assert f"table {h.dom}, row {i + 1}, column {h.name}:" in str(err.value)
