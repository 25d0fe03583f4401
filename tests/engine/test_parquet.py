"""ACSets in Parquet folders: round trips, the layout other readers see, bad folders refused."""

import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import acset_s2r.parquet as parquet_module
from acset_s2r import ACSet, catalog
from acset_s2r.errors import SerializationError
from acset_s2r.parquet import SCHEMA_FILE, read_parquet, write_parquet
from acset_s2r.serialization import AttrVar, read_json, read_schema_json
from acset_s2r.strategies import acsets, schemas_and_acsets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catlab"
INSTANCE_FIXTURES = {"algebraicpetri__sir.json": catalog.SchLabelledPetriNet, "algebraicpetri__cycle_2.json": catalog.SchGraph}
SCHEMA_FIXTURES = ["py_acsets__catlab_PetriNet.json", "py_acsets__catlab_LabelledPetriNet.json"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


def weighted() -> ACSet:
    X = ACSet(catalog.SchWeightedGraph, Weight=float)
    X.add_parts("V", 3)
    X.add_parts("E", 3, src=[0, 1, -1], tgt=[1, 2, 0], weight=[0.5, None, 2.0])
    return X


@pytest.mark.parametrize("name", sorted(INSTANCE_FIXTURES))
def test_instance_fixture_round_trips(name, tmp_path):
    X = read_json(FIXTURES / name, INSTANCE_FIXTURES[name])
    write_parquet(X, tmp_path / "x")
    Y = read_parquet(tmp_path / "x")
    assert Y == X and Y.types == X.types and Y.schema == X.schema


@pytest.mark.parametrize("name", SCHEMA_FIXTURES)
@given(data=st.data())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_schema_fixture_instances_round_trip(name, data, tmp_path):
    schema = read_schema_json(FIXTURES / name)
    X = data.draw(acsets(schema))
    write_parquet(X, tmp_path / "x")
    Y = read_parquet(tmp_path / "x")
    assert Y == X and Y.types == X.types and Y.schema == schema


@SETTINGS
@given(pair=schemas_and_acsets())
def test_random_instances_round_trip(pair, tmp_path):
    _, X = pair
    folder = tmp_path / "x"
    write_parquet(X, folder)  # written over the last example's folder: replacing is exercised too
    Y = read_parquet(folder)
    assert Y == X and Y.types == X.types and Y.schema == X.schema
    for name in X.schema.attr_names:
        np.testing.assert_array_equal(Y.is_defined(name), X.is_defined(name))


def test_the_layout_other_readers_see(tmp_path):
    X = ACSet(catalog.SchWeightedGraph.extend("S", attrtypes=["Tag"], attrs=[("tag", "V", "Tag")]),
              Weight=(float, 2), Tag=object)
    X.add_parts("Tag", 3)
    X.add_parts("V", 3, tag=[AttrVar(2), "a", None])
    X.add_parts("E", 2, src=[0, -1], tgt=[1, 2], weight=[[0.5, 1.0], [np.nan, np.nan]])
    write_parquet(X, tmp_path / "x")
    e = pq.read_table(tmp_path / "x" / "E.parquet")
    assert e.column_names == ["_id", "src", "tgt", "weight"]
    assert e.schema.field("weight").type == pa.list_(pa.field("element", pa.float64(), nullable=False), 2)
    assert e.column("src").to_pylist() == [0, None]  # undefined hom: null
    assert e.column("weight").to_pylist() == [[0.5, 1.0], None]  # every component NaN: undefined
    v = pq.read_table(tmp_path / "x" / "V.parquet")
    assert v.column("tag").to_pylist() == ['{"_var": 3}', '"a"', None]  # 1-based, as ACSets.jl writes
    doc = json.loads((tmp_path / "x" / SCHEMA_FILE).read_text())
    assert doc["Ob"] == [{"name": "V"}, {"name": "E"}] and doc["acset_s2r"]["types"]["Weight"] == ["float", 2]
    assert doc["acset_s2r"]["nvars"] == {"Weight": 0, "Tag": 3}
    meta = json.loads(pq.read_schema(tmp_path / "x" / "E.parquet").metadata[b"acset_s2r"])
    assert meta["object"] == "E" and meta["Hom"] == doc["Hom"]
    assert read_parquet(tmp_path / "x") == X
    # ids and links delta-packed and left uncompressed, floats byte-stream split and LZ4, text zstd
    chunks = {c.path_in_schema: c for rg in [pq.ParquetFile(tmp_path / "x" / "E.parquet").metadata.row_group(0)]
              for c in (rg.column(i) for i in range(rg.num_columns))}
    assert "DELTA_BINARY_PACKED" in chunks["src"].encodings and chunks["src"].compression == "UNCOMPRESSED"
    assert "BYTE_STREAM_SPLIT" in chunks["weight.list.element"].encodings
    assert chunks["weight.list.element"].compression.startswith("LZ4")
    assert not any(c.is_stats_set for c in chunks.values())  # no min/max per chunk: a sixth of the write
    tag = pq.ParquetFile(tmp_path / "x" / "V.parquet").metadata.row_group(0).column(1)
    assert tag.path_in_schema == "tag" and tag.compression == "ZSTD"


def test_columns_without_undefined_values_are_declared_required(tmp_path):
    X = weighted()  # src and weight have an undefined value, tgt has none
    write_parquet(X, tmp_path / "x")
    schema = pq.read_schema(tmp_path / "x" / "E.parquet")
    assert {f.name: f.nullable for f in schema} == {"_id": False, "src": True, "tgt": False, "weight": True}
    parquet_schema = pq.ParquetFile(tmp_path / "x" / "E.parquet").schema
    assert parquet_schema.column(2).max_definition_level == 0  # no levels stored for tgt
    X.set_subpart(1, "weight", 2.5)
    X.set_subpart(2, "src", 2)
    write_parquet(X, tmp_path / "x")
    assert not any(f.nullable for f in pq.read_schema(tmp_path / "x" / "E.parquet"))
    assert read_parquet(tmp_path / "x") == X


def test_large_numeric_columns_come_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    X = ACSet(catalog.SchWeightedGraph, Weight=(float, 5))
    X.add_parts("V", 1000)
    w = rng.normal(size=(50_000, 5))
    w[7, 2] = np.nan  # a partly undefined vector is kept as it is
    X.add_parts("E", 50_000, src=rng.integers(-1, 1000, 50_000), tgt=rng.integers(0, 1000, 50_000), weight=w)
    write_parquet(X, tmp_path / "x")
    Y = read_parquet(tmp_path / "x")
    assert Y == X
    np.testing.assert_array_equal(Y.subpart("weight"), w)


def test_vectors_whose_components_may_be_null_read_as_before(tmp_path):
    # folders written before components were declared never null; a null component is refused
    X = ACSet(catalog.SchWeightedGraph, Weight=(float, 2))
    X.add_parts("V", 2)
    X.add_parts("E", 3, src=0, tgt=1, weight=[[0.5, np.nan], [np.nan, np.nan], [1.0, 2.0]])
    write_parquet(X, tmp_path / "x")
    path = tmp_path / "x" / "E.parquet"
    t = pq.read_table(path)
    i = t.column_names.index("weight")
    old = pa.array([[0.5, float("nan")], None, [1.0, 2.0]], type=pa.list_(pa.float64(), 2))
    rewrite(path, t.set_column(i, "weight", old))
    assert read_parquet(tmp_path / "x") == X
    rewrite(path, t.set_column(i, "weight", pa.array([[0.5, None], None, [1.0, 2.0]], type=old.type)))
    with pytest.raises(SerializationError, match=r"E\.parquet, column weight: .*null component"):
        read_parquet(tmp_path / "x")


# -- writes are atomic --------------------------------------------------------------------------
def test_a_failed_write_leaves_the_folder_as_it_was(tmp_path):
    folder = tmp_path / "x"
    write_parquet(weighted(), folder)
    before = snapshot(folder)
    bad = ACSet(catalog.SchWeightedGraph, Weight=object)
    bad.add_parts("V", 1)
    bad.add_parts("E", 2, src=0, tgt=0, weight=[1, {1, 2}])
    with pytest.raises(SerializationError, match=r"table E, row 1, column weight"):
        write_parquet(bad, folder)
    assert snapshot(folder) == before and siblings(folder) == ["x"]


@pytest.mark.parametrize("failing", ["E.parquet", "V.parquet", "fsync"])
def test_a_write_failing_on_disk_leaves_the_folder_as_it_was(tmp_path, monkeypatch, failing):
    """The files are written side by side in threads: a failure in any of them fails the
    write, after every thread has stopped, and leaves neither the folder changed nor a
    temporary folder behind."""
    import acset_s2r.parquet as parquet

    folder = tmp_path / "x"
    write_parquet(weighted(), folder)
    before = snapshot(folder)
    write_table, fsync = pq.write_table, parquet._fsync

    def broken_write(table, path, **kw):
        write_table(table, path, **kw)
        if Path(path).name == failing:
            raise OSError(28, "No space left on device")

    def broken_fsync(path):
        if Path(path).name.endswith(".tmp"):  # the new folder's own fsync
            raise OSError(5, "Input/output error")
        fsync(path)

    monkeypatch.setattr(pq, "write_table", broken_write)
    monkeypatch.setattr(parquet, "_fsync", broken_fsync if failing == "fsync" else fsync)
    Y = weighted()
    Y.add_parts("V", 2)
    with pytest.raises(OSError, match="No space left" if failing != "fsync" else "Input/output"):
        write_parquet(Y, folder)
    assert snapshot(folder) == before and siblings(folder) == ["x"]
    monkeypatch.undo()
    write_parquet(Y, folder)
    assert read_parquet(folder) == Y and siblings(folder) == ["x"]


def test_a_folder_that_is_not_ours_is_not_replaced(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(SerializationError, match="refusing to replace"):
        write_parquet(weighted(), folder)
    assert snapshot(folder) == {"notes.txt": b"mine"}
    (tmp_path / "f").write_text("a file")
    with pytest.raises(SerializationError, match="refusing to replace"):
        write_parquet(weighted(), tmp_path / "f")


def test_replacing_a_folder_leaves_nothing_behind(tmp_path):
    folder = tmp_path / "x"
    write_parquet(weighted(), folder)
    Y = ACSet(catalog.SchGraph)
    Y.add_parts("V", 2)
    write_parquet(Y, folder)
    assert read_parquet(folder) == Y
    assert sorted(p.name for p in folder.iterdir()) == ["E.parquet", "V.parquet", SCHEMA_FILE]
    assert siblings(folder) == ["x"]


# -- bad folders are refused, naming file and column ---------------------------------------------------
@pytest.fixture
def written(tmp_path):
    folder = tmp_path / "x"
    write_parquet(weighted(), folder)
    return folder


def rewrite(path: Path, table: pa.Table) -> None:
    pq.write_table(table.replace_schema_metadata(pq.read_schema(path).metadata), path)


def test_a_truncated_file(written):
    path = written / "E.parquet"
    path.write_bytes(path.read_bytes()[: os.path.getsize(path) // 2])
    with pytest.raises(SerializationError, match=r"E\.parquet: not a readable Parquet file"):
        read_parquet(written)


def test_a_missing_table(written):
    (written / "V.parquet").unlink()
    with pytest.raises(SerializationError, match=r"V\.parquet: missing table"):
        read_parquet(written)


def test_an_extra_table(written):
    (written / "W.parquet").write_bytes((written / "V.parquet").read_bytes())
    with pytest.raises(SerializationError, match=r"W\.parquet: not an object"):
        read_parquet(written)


def test_a_missing_schema_file(written):
    (written / SCHEMA_FILE).unlink()
    with pytest.raises(SerializationError, match="has no schema.json"):
        read_parquet(written)


def test_a_column_of_the_wrong_type(written):
    path = written / "E.parquet"
    t = pq.read_table(path)
    i = t.column_names.index("weight")
    rewrite(path, t.set_column(i, "weight", pa.array(["a", None, "b"])))
    with pytest.raises(SerializationError, match=r"E\.parquet, column weight: type string, expected double"):
        read_parquet(written)


def test_a_missing_and_an_extra_column(written):
    path = written / "E.parquet"
    t = pq.read_table(path)
    rewrite(path, t.drop_columns(["tgt"]))
    with pytest.raises(SerializationError, match=r"E\.parquet, column tgt: missing"):
        read_parquet(written)
    rewrite(path, t.append_column("extra", pa.array([1, 2, 3])))
    with pytest.raises(SerializationError, match=r"E\.parquet, column extra: not a hom or attribute"):
        read_parquet(written)


def test_a_dangling_foreign_key(written):
    path = written / "E.parquet"
    t = pq.read_table(path)
    rewrite(path, t.set_column(t.column_names.index("tgt"), "tgt", pa.array([1, 2, 3])))
    with pytest.raises(SerializationError, match=r"E\.parquet, column tgt, row 2: 3 is not a part of V"):
        read_parquet(written)


@pytest.mark.parametrize("values, row, shown", [
    ([0, -1, 1], 1, -1),  # -1 stored as a value, not as null, in a column without nulls
    ([0, None, 3], 2, 3),  # a dangling key in a column that has nulls
    ([None, -1, 0], 1, -1),
    ([0, 1, -(2**63)], 2, -(2**63)),  # the extremes of int64, with and without nulls
    ([2**63 - 1, 1, 0], 0, 2**63 - 1),
    ([None, 0, -(2**63)], 2, -(2**63)),
    ([None, 2**63 - 1, None], 1, 2**63 - 1),
])
def test_foreign_keys_are_checked_with_and_without_nulls(written, values, row, shown):
    path = written / "E.parquet"
    t = pq.read_table(path)
    rewrite(path, t.set_column(t.column_names.index("src"), "src", pa.array(values, type=pa.int64())))
    with pytest.raises(SerializationError, match=rf"E\.parquet, column src, row {row}: {shown} is not a part of V"):
        read_parquet(written)


@pytest.mark.parametrize("ids", [[0, 2, 1], [1, 2, 3], [0, 1, None]])
def test_ids_out_of_order_are_refused(written, ids):
    path = written / "E.parquet"
    t = pq.read_table(path)
    rewrite(path, t.set_column(0, "_id", pa.array(ids, type=pa.int64())))
    with pytest.raises(SerializationError, match=r"E\.parquet, column _id: the ids must be 0\.\.2 in order"):
        read_parquet(written)


@pytest.mark.parametrize("n", [0, 1, parquet_module._BLOCK - 1, parquet_module._BLOCK, 2 * parquet_module._BLOCK + 3])
def test_the_ids_check_across_blocks(n):
    ids = np.arange(n)
    assert parquet_module._counts_up(ids, n)
    assert not parquet_module._counts_up(ids, n + 1)
    for i in {0, n // 2, n - 1} if n else ():
        bad = ids.copy()
        bad[i] += 1
        assert not parquet_module._counts_up(bad, n)


def test_a_schema_file_that_disagrees(written):
    doc = json.loads((written / SCHEMA_FILE).read_text())
    doc["Hom"] = [h for h in doc["Hom"] if h["name"] != "tgt"]
    (written / SCHEMA_FILE).write_text(json.dumps(doc))
    with pytest.raises(SerializationError, match=r"V\.parquet: its metadata \(key acset_s2r\) disagrees"):
        read_parquet(written)
    doc["acset_s2r"]["nparts"]["E"] = 4
    (written / SCHEMA_FILE).write_text(json.dumps(doc))
    with pytest.raises(SerializationError, match=r"schema\.json"):
        read_parquet(written)


def test_files_without_our_metadata_are_checked_column_by_column(written):
    for name in ("V", "E"):
        path = written / f"{name}.parquet"
        pq.write_table(pq.read_table(path).replace_schema_metadata(None), path)
    assert read_parquet(written) == weighted()
    doc = json.loads((written / SCHEMA_FILE).read_text())
    doc["acset_s2r"]["types"]["Weight"] = ["int", None]
    (written / SCHEMA_FILE).write_text(json.dumps(doc))
    with pytest.raises(SerializationError, match=r"E\.parquet, column weight: type double, expected int64"):
        read_parquet(written)


def test_a_malformed_schema_file(written):
    (written / SCHEMA_FILE).write_text("{not json")
    with pytest.raises(SerializationError, match=r"schema\.json: cannot read the schema"):
        read_parquet(written)
    (written / SCHEMA_FILE).write_text(json.dumps({"Ob": [], "Hom": []}))
    with pytest.raises(SerializationError, match="malformed ACSet schema document"):
        read_parquet(written)


def test_not_a_folder(tmp_path):
    with pytest.raises(SerializationError, match="is not a folder"):
        read_parquet(tmp_path / "nothing")


def test_a_str_column_holding_variables_reads_back(tmp_path):
    X = ACSet(catalog.SchLabelledPetriNet, Name=str)
    X.add_parts("Name", 2)
    X.add_parts("S", 3, sname=["S", AttrVar(1), None])
    write_parquet(X, tmp_path / "x")
    assert read_parquet(tmp_path / "x") == X
    plain = ACSet(catalog.SchLabelledPetriNet, Name=str)
    plain.add_parts("T", 2, tname=["inf", None])
    write_parquet(plain, tmp_path / "y")
    assert pq.read_table(tmp_path / "y" / "T.parquet").column("tname").to_pylist() == ["inf", None]  # plain text
    assert read_parquet(tmp_path / "y") == plain


# -- float32, opt-in and lossy ---------------------------------------------------------------
def vectors(n: int = 500) -> ACSet:
    rng = np.random.default_rng(0)
    X = ACSet(catalog.SchWeightedGraph, Weight=(float, 3))
    X.add_parts("V", n)
    w = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-30, 30, size=(n, 1))
    w[3] = np.nan  # undefined row
    X.add_parts("E", n, src=rng.integers(0, n, n), tgt=rng.integers(0, n, n), weight=w)
    return X


def test_float32_rounds_each_float_to_the_nearest_float32(tmp_path):
    X = vectors()
    write_parquet(X, tmp_path / "f", float32=True)
    Y = read_parquet(tmp_path / "f")
    w = X.subpart("weight")
    assert Y.subpart("weight").dtype == np.float64
    np.testing.assert_array_equal(Y.subpart("weight"), w.astype(np.float32).astype(np.float64))
    assert np.isnan(Y.subpart("weight")[3]).all()
    ok = np.isfinite(w)
    assert np.max(np.abs(Y.subpart("weight")[ok] - w[ok]) / np.abs(w[ok])) <= 2.0**-24  # half an ulp
    for name in ("src", "tgt"):
        np.testing.assert_array_equal(Y.subpart(name), X.subpart(name))
    assert json.loads((tmp_path / "f" / SCHEMA_FILE).read_text())["acset_s2r"]["float32"] == ["weight"]
    assert pq.read_schema(tmp_path / "f" / "E.parquet").field("weight").type == pa.list_(pa.field("element", pa.float32(), nullable=False), 3)


def test_float32_halves_the_float_columns(tmp_path):
    X = vectors(20_000)
    write_parquet(X, tmp_path / "wide")
    write_parquet(X, tmp_path / "narrow", float32=["weight"])
    size = lambda f: os.path.getsize(tmp_path / f / "E.parquet")  # noqa: E731
    assert size("narrow") < 0.6 * size("wide")


def test_float32_names_only_float_attributes(tmp_path):
    X = ACSet(catalog.SchWeightedGraph, Weight=int)
    X.add_parts("V", 2)
    X.add_parts("E", 1, src=[0], tgt=[1], weight=[3])
    with pytest.raises(SerializationError, match="'weight' is not a float attribute"):
        write_parquet(X, tmp_path / "f", float32=["weight"])
    with pytest.raises(SerializationError, match="'nope' is not a float attribute"):
        write_parquet(vectors(5), tmp_path / "f", float32="nope")
    assert not (tmp_path / "f").exists()


def test_a_float32_column_the_schema_file_does_not_list(tmp_path):
    write_parquet(vectors(5), tmp_path / "f", float32=True)
    doc = json.loads((tmp_path / "f" / SCHEMA_FILE).read_text())
    del doc["acset_s2r"]["float32"]
    (tmp_path / "f" / SCHEMA_FILE).write_text(json.dumps(doc))
    with pytest.raises(SerializationError, match="its metadata .* disagrees"):
        read_parquet(tmp_path / "f")
    for ob in ("V", "E"):  # as another writer would leave them: no metadata of ours
        path = tmp_path / "f" / f"{ob}.parquet"
        pq.write_table(pq.read_table(path).replace_schema_metadata(None), path)
    with pytest.raises(SerializationError, match=r"E.parquet, column weight: type .*float.*expected .*double"):
        read_parquet(tmp_path / "f")


def test_sql_reads_a_float32_folder(tmp_path):
    from acset_s2r.sql_engine import sql

    X = vectors(50)
    write_parquet(X, tmp_path / "f", float32=True)
    got = sql(tmp_path / "f", "SELECT count(*) AS n, sum(weight[1]) AS s FROM E WHERE weight IS NOT NULL")
    w = X.subpart("weight")[:, 0].astype(np.float32).astype(np.float64)
    assert int(got["n"][0]) == 49
    assert got["s"][0] == pytest.approx(np.nansum(w), rel=1e-6)
