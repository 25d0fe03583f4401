"""Files our writers made, mutated as structures and as raw bytes, read back.

Reading may only raise our own errors, or return an ACSet that our writer accepts and
that round-trips. Bounded by max_examples; the CI profile (tests/conftest.py) derandomises.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.errors import AcsetS2RError
from acset_s2r.serialization import acset_from_json, acset_to_json, read_json, to_columnar_json, write_json
from acset_s2r.strategies import schemas_and_acsets

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))

ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from([2**63, -(2**70), 1.5, 1.0, float("inf")]),
    st.text(max_size=3), st.just([]), st.just({}), st.just([{}]), st.just({"_var": 1}), st.just([1, 2]),
).map(copy.deepcopy)  # st.just hands out one object; a later mutation must not change it


def _paths(data, prefix=()):
    """Every place in a JSON value: (path, value)."""
    yield prefix, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data[:4]):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated(draw, data):
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p, _ in _paths(data) if p]
        if not places:
            break
        path = draw(st.sampled_from(places))
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        how = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if how == "replace":
            parent[path[-1]] = draw(ODD)
        elif how == "delete":
            del parent[path[-1]]
        elif isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[str(path[-1]) + "_"] = parent[path[-1]]
    return data


def _check(read, X: ACSet, tmp: Path):
    """The reading contract: our error, or an ACSet the writer accepts and that round-trips."""
    try:
        Y = read()
    except AcsetS2RError:
        return
    for columnar in (False, True):
        out = tmp / ("back.json" if not columnar else "back_col.json")
        write_json(Y, out, columnar=columnar)
        assert read_json(out, Y.schema, **Y.types) == Y


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(st.data(), schemas_and_acsets(), st.booleans())
def test_structurally_mutated_json_reads_or_raises_ours(folder, data, pair, columnar):
    _, X = pair
    doc = to_columnar_json(X) if columnar else acset_to_json(X)
    bad = data.draw(mutated(doc))
    types = X.types if data.draw(st.booleans(), label="bind types") else {}
    _check(lambda: acset_from_json(json.dumps(bad), X.schema, **types), X, folder)


@FUZZ
@given(st.data(), schemas_and_acsets(), st.booleans())
def test_byte_mutated_json_reads_or_raises_ours(folder, data, pair, columnar):
    _, X = pair
    path = folder / "x.json"
    write_json(X, path, columnar=columnar)
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        i = data.draw(st.integers(0, max(len(raw) - 1, 0)), label="at")
        how = data.draw(st.sampled_from(["flip", "cut", "insert"]), label="how")
        if how == "flip" and raw:
            raw[i] = data.draw(st.integers(0, 255), label="byte")
        elif how == "cut":
            del raw[i:]
        else:
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=4), label="bytes")
    path.write_bytes(bytes(raw))
    _check(lambda: read_json(path, X.schema, **X.types), X, folder)


try:  # the Parquet layout, when this version has it
    from acset_s2r import parquet
except ImportError:  # pragma: no cover
    parquet = None


@pytest.mark.skipif(parquet is None, reason="no Parquet layout in this version")
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), schemas_and_acsets())
def test_byte_mutated_parquet_reads_or_raises_ours(folder, data, pair):
    _, X = pair
    out = folder / "pq"
    shutil.rmtree(out, ignore_errors=True)
    parquet.write_parquet(X, out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    target = data.draw(st.sampled_from(files), label="file")
    raw = bytearray(target.read_bytes())
    i = data.draw(st.integers(0, len(raw) - 1), label="at")
    if data.draw(st.booleans(), label="cut"):
        del raw[i:]
    else:
        raw[i] = data.draw(st.integers(0, 255), label="byte")
    target.write_bytes(bytes(raw))
    _check(lambda: parquet.read_parquet(out), X, folder)
