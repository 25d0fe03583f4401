"""The fast paths against the paths they shortcut.

``ACSet.incident``'s one-slice lookup against its checked path, the row JSON writer built
from columns against orjson on the row dicts, and the row JSON reader that works on the
bytes against the general reader: on random instances with every kind of attribute, after
mutations, and on damaged files (where the fast reader must step aside, never decide).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import AcsetS2RError, InstanceError
import acset_s2r.serialization as ser
from acset_s2r.jsonfast import _parse_ints, read_rows
from acset_s2r.serialization import (
    _acset_json_bytes,
    _columnar_json_bytes,
    _dumps,
    _read_columnar_fast,
    acset_from_json,
    acset_to_json,
    from_columnar_json,
    read_json,
    to_columnar_json,
    write_json,
)
from acset_s2r.strategies import acsets, schemas, schemas_and_acsets

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NUMERIC = (float, int, bool)
VECTORS = ((float, 2), (int, 2), (bool, 3))  # the row reader reads these from the bytes too


def _graph(n: int = 5, m: int = 12, seed: int = 0) -> ACSet:
    rng = np.random.default_rng(seed)
    G = ACSet(SchGraph)
    G.add_parts("V", n)
    G.add_parts("E", m, src=rng.integers(0, n, m), tgt=rng.integers(0, n, m))
    return G


def _agrees(X: ACSet, value, path) -> None:
    """incident and its checked path give the same ids, or the same error."""
    try:
        want = X._incident_checked(value, path)
    except AcsetS2RError as err:
        with pytest.raises(type(err)) as got:
            X.incident(value, path)
        assert str(got.value) == str(err)
        return
    got = X.incident(value, path)
    assert got.dtype == np.int64 and np.array_equal(got, want), (value, path)


# -- incident ---------------------------------------------------------------------------------
@SETTINGS
@given(schemas_and_acsets(max_parts=7, max_vars=2), st.data())
def test_incident_matches_checked_path(pair, data):
    schema, X = pair
    for h in schema.homs:
        n = X.nparts(h.codom)
        for v in [*range(-2, n + 2), np.int64(0), 2**70]:
            _agrees(X, v, h.name)
        # after a write the index has an overlay, and after many it is rebuilt
        ids = X.parts(h.dom)
        if len(ids) and n:
            X.set_subpart(int(ids[0]), h.name, data.draw(st.integers(-1, n - 1)))
            for v in range(-1, n + 1):
                _agrees(X, v, h.name)
            # the overlay agrees with a scan of the column
            col = X.subpart(h.name)
            for v in range(n):
                assert X.incident(v, h.name).tolist() == np.flatnonzero(col == v).tolist()


def test_incident_through_writes_and_rebuilds():
    G = _graph(6, 40)
    rng = np.random.default_rng(1)
    for step in range(300):
        if step % 7 == 0:
            G.add_parts("E", int(rng.integers(1, 100)), src=int(rng.integers(0, 6)), tgt=0)
        else:
            G.set_subpart(int(rng.integers(0, G.nparts("E"))), "src", int(rng.integers(-1, 6)))
        col = G.subpart("src")
        v = int(rng.integers(0, 6))
        assert G.incident(v, "src").tolist() == np.flatnonzero(col == v).tolist()
    G.rem_parts("E", [0, 3, 5])
    col = G.subpart("src")
    for v in range(6):
        assert G.incident(v, "src").tolist() == np.flatnonzero(col == v).tolist()


def test_incident_bad_inputs_keep_their_errors():
    G = _graph()
    for bad in (1.0, "1", None, [1], np.float64(1.0)):
        with pytest.raises(InstanceError, match="incident on hom src needs an integer part id"):
            G.incident(bad, "src")
    with pytest.raises(AcsetS2RError, match="nope"):
        G.incident(0, "nope")
    with pytest.raises(AcsetS2RError):
        G.incident(0, [])
    # paths as lists, tuples and dotted names still go the long way
    assert np.array_equal(G.incident(1, ["src"]), G.incident(1, "src"))
    assert np.array_equal(G.incident(1, ("tgt",)), G.incident(1, "tgt"))
    # a value past the last vertex and a negative one find nothing
    assert len(G.incident(99, "src")) == 0 and len(G.incident(-1, "src")) == 0


@pytest.mark.parametrize("value", [
    True, False, np.True_, np.int64(1), np.uint64(1), np.int8(2), np.int32(-1), np.array(1), np.array(-1),
    np.array([1]), np.array([1, 2]), np.array([]), 1.0, np.float64(1.0), float("nan"), Fraction(1), Decimal(1),
    -1, -2, 4, 5, 99, 2**70, -(2**70), None, "1", [1], (1,), {1: 2},
], ids=repr)
def test_incident_values_of_every_kind_agree_with_the_checked_path(value):
    """The one-slice lookup tests only ``value >= 0``: every other value must still come back,
    or be refused, exactly as the checked path does, on a clean index and with an overlay."""
    G = _graph()
    G.incident(0, "src")
    _agrees(G, value, "src")
    G.set_subpart(0, "src", 4)  # an overlay: the lookup is no longer one slice
    _agrees(G, value, "src")


def test_incident_fast_result_is_read_only():
    G = _graph()
    G.incident(0, "src")
    out = G.incident(int(G.subpart("src")[0]), "src")
    with pytest.raises(ValueError):
        out[0] = 5


# -- writing ----------------------------------------------------------------------------------
@SETTINGS
@given(schemas_and_acsets(max_parts=7, max_vars=3))
def test_row_bytes_equal_orjson_of_the_rows(pair):
    _, X = pair
    assert bytes(_acset_json_bytes(X)) == _dumps(acset_to_json(X))


def test_row_bytes_wide_values_and_many_chunks():
    X = ACSet(SchWeightedGraph, Weight=object)
    X.add_parts("V", 3)
    weights = ["a,b}{\"", None, 2**70, -(2**63), 1e300, [1, "x,y"], "é\u0000", True, 0.1]
    X.add_parts("E", len(weights), src=0, tgt=[-1, 0, 1, 2, 0, 1, 2, 0, 1], weight=weights)
    assert bytes(_acset_json_bytes(X)) == _dumps(acset_to_json(X))
    big = _graph(100, 70_000, seed=3)  # more rows than one chunk holds
    assert bytes(_acset_json_bytes(big)) == _dumps(acset_to_json(big))


@pytest.mark.parametrize("kind", [float, int, bool])
def test_row_bytes_of_vector_columns(kind):
    # a vector row is written from the 2-D array's dump; an undefined row is null
    rng = np.random.default_rng(1)
    X = ACSet(SchWeightedGraph, Weight=(kind, 3))
    X.add_parts("V", 2)
    n = 70_000
    w = rng.normal(size=(n, 3)) * 10.0 ** rng.integers(-300, 300, size=(n, 3)) if kind is float else (
        rng.integers(-(2**62), 2**62, size=(n, 3)) if kind is int else rng.random((n, 3)) < 0.5)
    X.add_parts("E", n, src=0, tgt=1, weight=w)
    if kind is float:
        X.set_subpart([0, 5], "weight", [[np.nan] * 3, [1.0, np.nan, -0.0]])  # undefined; partly NaN
    X.clear_subpart([1, n - 1], "weight")
    assert bytes(_acset_json_bytes(X)) == _dumps(acset_to_json(X))
    assert _check_fast(bytes(_acset_json_bytes(X)), SchWeightedGraph, {"Weight": (kind, 3)}) == X
    Y = ACSet(SchWeightedGraph, Weight=(kind, 3))
    assert bytes(_acset_json_bytes(Y)) == _dumps(acset_to_json(Y))


def test_row_bytes_short_tokens_after_wide_ones_at_a_rows_end():
    # each piece is written in whole words, so a short token in a wide column, or a one-digit
    # value under a one-letter key closing a row, writes past itself into the next row
    schema = SchWeightedGraph.extend("S", attrtypes=["Tag"], attrs=[("t", "E", "Tag")])
    X = ACSet(schema, Weight=float, Tag=int)
    X.add_parts("V", 3)
    n = 70_000  # more rows than one step writes
    weight = np.where(np.arange(n) % 3 == 0, np.nan, -1.2345678901234567e-300)
    X.add_parts("E", n, src=np.arange(n) % 3, tgt=-1, weight=weight, t=np.arange(n) % 10)
    assert bytes(_acset_json_bytes(X)) == _dumps(acset_to_json(X))
    assert acset_from_json(bytes(_acset_json_bytes(X)), schema, Weight=float, Tag=int) == X


# -- reading ----------------------------------------------------------------------------------
def _slow(raw: bytes, schema, types):
    try:
        return acset_from_json(raw.decode("utf-8-sig"), schema, **types)
    except AcsetS2RError as err:
        return err


def _check_fast(raw: bytes, schema, types, reader=None) -> ACSet | None:
    """The fast reader returns what the general one does, or None; never a different answer."""
    reader = reader or read_rows
    try:
        fast = reader(raw, schema, types)
    except Exception as err:  # noqa: BLE001 -- the fast path must decline, not fail
        pytest.fail(f"{reader.__name__} raised {err!r} on {raw[:300]!r}")
    if fast is not None:
        slow = _slow(raw, schema, types)
        assert isinstance(slow, ACSet), f"{reader.__name__} accepted what the general path refuses: {slow}"
        assert fast == slow and fast.types == slow.types
    return fast


def _check_columnar_fast(raw: bytes, schema, types) -> ACSet | None:
    return _check_fast(raw, schema, types, _read_columnar_fast)


@SETTINGS
@given(schemas(), st.data())
def test_fast_reader_reads_numeric_instances(schema, data):
    types = data.draw(st.fixed_dictionaries({t: st.sampled_from(NUMERIC + VECTORS) for t in schema.attrtypes}))
    X = data.draw(acsets(schema, max_parts=7, types=types))
    raw = bytes(_acset_json_bytes(X))
    fast = _check_fast(raw, schema, types)
    assert fast is not None and fast == X
    # unbound types are inferred as the row path infers them, or left to it
    _check_fast(raw, schema, {})


@SETTINGS
@given(schemas_and_acsets(max_parts=6, max_vars=2))
def test_fast_reader_other_instances(pair):
    schema, X = pair
    raw = bytes(_acset_json_bytes(X))
    types = {t: spec for t, spec in X.types.items()}
    _check_fast(raw, schema, types)
    _check_fast(raw, schema, {})


_EDITS = st.sampled_from(["flip", "drop", "insert", "swap"])


def _damaged(data, write) -> tuple[bytes, object]:
    """A small weighted graph of a numeric weight type, written by ``write`` and then edited
    (bytes flipped, dropped, inserted or swapped) after the offset ``write`` returns."""
    X = ACSet(SchWeightedGraph, Weight=data.draw(st.sampled_from([*NUMERIC, *VECTORS])))
    X.add_parts("V", 3)
    spec = X.types["Weight"]
    value = {"float": st.floats(allow_nan=False, allow_infinity=False), "int": st.integers(-(2**63), 2**63 - 1),
             "bool": st.booleans()}[spec.kind]
    filler = type(spec.fill)()
    if spec.width:
        value, filler = st.lists(value, min_size=spec.width, max_size=spec.width), [filler] * spec.width
    w = data.draw(st.lists(st.one_of(st.none(), value), min_size=4, max_size=4))
    X.add_parts("E", 4, src=[0, 1, 2, -1], tgt=[2, 2, -1, 0], weight=[filler if v is None else v for v in w])
    X.clear_subpart([i for i, v in enumerate(w) if v is None], "weight")
    raw, start = write(X)
    raw = bytearray(raw)
    start = max(0, start - data.draw(st.integers(0, 40)))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(start, len(raw) - 1))
        edit = data.draw(_EDITS)
        byte = data.draw(st.sampled_from(b'0123456789-.,:{}[]"nulltrefase \\\x00'))
        if edit == "flip":
            raw[i] = byte
        elif edit == "drop":
            del raw[i]
        elif edit == "insert":
            raw.insert(i, byte)
        else:
            j = data.draw(st.integers(start, len(raw) - 1))
            raw[i], raw[j] = raw[j], raw[i]
    return bytes(raw), spec


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_reader_on_damaged_files(data):
    raw, spec = _damaged(data, lambda X: (bytes(_acset_json_bytes(X)), 0))
    for types in ({"Weight": spec}, {}):
        _check_fast(raw, SchWeightedGraph, types)


def _hybrid(raw: bytes, schema, types) -> ACSet | None:
    """The row reader with the general reader for the tables it does not read from the bytes."""
    return read_rows(raw, schema, types, general=acset_from_json)


# a graph whose vertices carry names (a str column) and whose edges carry a float vector
SchNamedGraph = SchWeightedGraph.extend("SchNamedGraph", attrtypes=["Name"], attrs=[("name", "V", "Name")])


def _named_graph(names, weights) -> ACSet:
    X = ACSet(SchNamedGraph, Weight=(float, 2), Name=str)
    X.add_parts("V", len(names), name=names)
    n = len(weights)
    X.add_parts("E", n, src=np.arange(n) % len(names), tgt=(np.arange(n) + 1) % len(names), weight=weights)
    return X


def test_tables_with_text_are_read_by_the_general_reader_and_the_rest_from_the_bytes(monkeypatch):
    X = _named_graph(["a", "b,c}{\"", None, "],\"E\":[{\"_id\":1"], np.arange(20.0).reshape(10, 2))
    raw = bytes(_acset_json_bytes(X))
    types = {"Weight": (float, 2), "Name": str}
    seen = []
    monkeypatch.setattr("acset_s2r.serialization._set_attr_column", lambda X, name, values, *a, real=ser._set_attr_column:
                        seen.append((name, len(values))) or real(X, name, values, *a))
    assert _hybrid(raw, SchNamedGraph, types) == X
    assert seen == [("name", 4), ("weight", 0)]  # the edges' weights were not read by the general reader
    assert _check_fast(raw, SchNamedGraph, types, _hybrid) == X
    # without every type bound, or with a hom from a text table into a numeric one: the general path
    assert _hybrid(raw, SchNamedGraph, {"Name": str}) is None
    back = SchNamedGraph.extend("S2", homs=[("first", "V", "E")])
    Y = ACSet(back, Weight=(float, 2), Name=str)
    Y.add_parts("V", 1, name=["a"])
    Y.add_parts("E", 1, src=0, tgt=0, weight=[[1.0, 2.0]])
    assert _hybrid(bytes(_acset_json_bytes(Y)), back, types) is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hybrid_reader_on_damaged_files(data):
    names = data.draw(st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=3))
    X = _named_graph(names, np.arange(8.0).reshape(4, 2))
    raw = bytearray(_acset_json_bytes(X))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(raw) - 1))
        byte = data.draw(st.sampled_from(b'0123456789-.,:{}[]"nulltrefase \\\x00'))
        edit = data.draw(_EDITS)
        if edit == "drop":
            del raw[i]
        elif edit == "insert":
            raw.insert(i, byte)
        else:
            raw[i] = byte
    for types in ({"Weight": (float, 2), "Name": str}, {"Weight": (float, 2), "Name": object}):
        _check_fast(bytes(raw), SchNamedGraph, types, _hybrid)


@SETTINGS
@given(schemas_and_acsets(max_parts=6, max_vars=2))
def test_hybrid_reader_other_instances(pair):
    schema, X = pair
    raw = bytes(_acset_json_bytes(X))
    fast = _check_fast(raw, schema, dict(X.types), _hybrid)
    assert fast is None or fast == X


@pytest.mark.parametrize("token", [b"01", b"-0", b"1.0", b"1e2", b"-", b"+1", b"null", b"true", b" 1", b"1 ",
                                   b"12345678901234567", b"9223372036854775807", b"\x00", b"0x1", b"1e999",
                                   b"-1e999", b"18446744073709551615", b"1.5e-400", b"{}", b"\"1\""])
def test_fast_reader_edge_tokens(token):
    for schema, types in ((SchGraph, {}), (SchWeightedGraph, {"Weight": int}), (SchWeightedGraph, {"Weight": float}),
                          (SchWeightedGraph, {"Weight": bool}), (SchWeightedGraph, {})):
        for col in ("src", "weight"):
            if col == "weight" and schema is SchGraph:
                continue
            row = {"_id": 1, "src": 1, "tgt": 1} | ({"weight": 0.5} if schema is SchWeightedGraph else {})
            text = _dumps({"V": [{"_id": 1}], "E": [row], **({"Weight": []} if schema is SchWeightedGraph else {})})
            old = _dumps(row[col])
            raw = text.replace(b'"' + col.encode() + b'":' + old, b'"' + col.encode() + b'":' + token)
            _check_fast(raw, schema, types)


def test_parse_ints_reads_what_orjson_writes():
    values = [0, 1, -1, 7, 10, 99_999_999, 100_000_000, -12_345_678, 2**53, -(2**53), 9_999_999_999_999_999]
    text = orjson.dumps(values)[1:-1]
    padded = np.concatenate([np.zeros(24, dtype=np.uint8), np.frombuffer(text, dtype=np.uint8)])
    commas = np.flatnonzero(padded == 44)
    lo = np.append(24, commas + 1)
    hi = np.append(commas, len(padded))
    got, defined = _parse_ints(padded, lo, hi, nulls=False)
    assert got.tolist() == values and defined is None


def test_read_json_uses_the_fast_reader_and_the_file_stays_strict(tmp_path, monkeypatch):
    G = _graph(50, 400)
    path = tmp_path / "g.json"
    write_json(G, path)
    assert path.read_bytes() == _dumps(acset_to_json(G))
    assert read_json(path, SchGraph) == G
    calls = []
    import acset_s2r.jsonfast as jsonfast

    monkeypatch.setattr(jsonfast, "read_rows", lambda *a, **k: calls.append(1) or read_rows(*a, **k))
    assert read_json(path, SchGraph) == G and calls
    # a dangling foreign key is still named by the row path
    text = path.read_bytes().replace(b'"src":', b'"src":9', 1)
    path.write_bytes(text)
    with pytest.raises(AcsetS2RError, match=r"table E, row 1, column src"):
        read_json(path, SchGraph)


@SETTINGS
@given(schemas_and_acsets(max_parts=7, max_vars=3))
def test_columnar_bytes_equal_orjson_of_the_lists(pair):
    _, X = pair
    raw = _columnar_json_bytes(X)
    assert raw == _dumps(to_columnar_json(X))
    assert from_columnar_json(orjson.loads(raw)) == X


@SETTINGS
@given(schemas(), st.data())
def test_columnar_fast_reader_reads_numeric_instances(schema, data):
    types = data.draw(st.fixed_dictionaries({t: st.sampled_from(NUMERIC) for t in schema.attrtypes}))
    X = data.draw(acsets(schema, max_parts=7, types=types))
    raw = _columnar_json_bytes(X)
    fast = _check_columnar_fast(raw, schema, {})
    if schema.homs or schema.attrs:  # with no column at all there is nothing to hurry
        assert fast is not None and fast == X
    _check_columnar_fast(raw, schema, types)


@SETTINGS
@given(schemas_and_acsets(max_parts=6, max_vars=2))
def test_columnar_fast_reader_other_instances(pair):
    schema, X = pair
    raw = _columnar_json_bytes(X)
    _check_columnar_fast(raw, schema, {})
    _check_columnar_fast(raw, schema, dict(X.types))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_columnar_fast_reader_on_damaged_files(data):
    def write(X):
        raw = _columnar_json_bytes(X)
        return raw, raw.find(b'"columns"')  # edits in the header are the header decoder's business

    raw, spec = _damaged(data, write)
    for types in ({"Weight": spec}, {}, {"Weight": float}):
        _check_columnar_fast(raw, SchWeightedGraph, types)


def test_only_serialization_imports_the_byte_level_json_module():
    import ast
    from pathlib import Path

    import acset_s2r

    root = Path(acset_s2r.__file__).parent
    importers = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if "jsonfast" in module or any("jsonfast" in n for n in names):
                importers.add(path.relative_to(root).as_posix())
    assert importers == {"serialization.py"}
