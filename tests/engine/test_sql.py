"""SQL over ACSets and Parquet folders agrees with query, subpart and incident."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, catalog
from acset_s2r.errors import QueryError, SerializationError
from acset_s2r.parquet import write_parquet
from acset_s2r.conjunctive import query
from acset_s2r.sql_engine import sql
from acset_s2r.strategies import schemas_and_acsets

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def two_hops(schema):
    return [(f, g) for f in schema.homs for g in schema.homs if f.codom == g.dom]


def rows(result, *names) -> set[tuple]:
    return set(zip(*(np.asarray(result[n]).tolist() for n in names)))


@SETTINGS
@given(pair=schemas_and_acsets(max_parts=8), data=st.data())
def test_a_two_hop_query_agrees_with_query_and_the_path(pair, data, tmp_path):
    schema, X = pair
    paths = two_hops(schema)
    assume(paths)
    f, g = data.draw(st.sampled_from(paths))
    text = (
        f'SELECT a._id AS x, b."{g.name}" AS z FROM "{f.dom}" a JOIN "{g.dom}" b ON a."{f.name}" = b._id '
        f'WHERE b."{g.name}" IS NOT NULL ORDER BY x'
    )
    got = sql(X, text)
    # the path composite, where defined
    ids = X.parts(f.dom)
    z = X.subpart(ids, [f.name, g.name])
    np.testing.assert_array_equal(got["x"], ids[z >= 0])
    np.testing.assert_array_equal(got["z"], z[z >= 0])
    # the conjunctive query, as the same rows
    answer = query(X, [(f.dom, {"_id": "x", f.name: "y"}), (g.dom, {"_id": "y", g.name: "z"})], select=("x", "z"))
    assert sorted(map(tuple, answer.tolist())) == sorted(zip(got["x"].tolist(), got["z"].tolist()))
    # and the same over the Parquet folder, which is not loaded
    write_parquet(X, tmp_path / "x")
    again = sql(tmp_path / "x", text)
    for k in ("x", "z"):
        np.testing.assert_array_equal(again[k], got[k])


@SETTINGS
@given(pair=schemas_and_acsets(max_parts=8), data=st.data())
def test_hom_columns_are_foreign_keys_as_incident_sees_them(pair, data, tmp_path):
    schema, X = pair
    assume(schema.homs)
    h = data.draw(st.sampled_from(schema.homs))
    counts = sql(X, f'SELECT "{h.name}" AS v, list(_id ORDER BY _id) AS ids FROM "{h.dom}" '
                    f'WHERE "{h.name}" IS NOT NULL GROUP BY 1')
    seen = dict(zip(counts["v"].tolist(), counts["ids"].tolist()))
    for v in range(X.nparts(h.codom)):
        assert seen.get(v, []) == X.incident(v, h.name).tolist()
    undefined = sql(X, f'SELECT _id FROM "{h.dom}" WHERE "{h.name}" IS NULL ORDER BY _id')["_id"]
    np.testing.assert_array_equal(undefined, np.flatnonzero(X.subpart(h.name) < 0))


@SETTINGS
@given(pair=schemas_and_acsets(max_parts=8), data=st.data())
def test_numeric_attributes_come_back_as_numpy_columns(pair, data, tmp_path):
    schema, X = pair
    numeric = [a for a in schema.attrs if X.types[a.codom].kind in ("float", "int", "bool")]
    assume(numeric)
    a = data.draw(st.sampled_from(numeric))
    spec = X.types[a.codom]
    write_parquet(X, tmp_path / "x")
    for source in (X, tmp_path / "x"):
        got = sql(source, f'SELECT "{a.name}" AS v FROM "{a.dom}" ORDER BY _id')["v"]
        want, defined = X.subpart(a.name), X.is_defined(a.name)
        assert np.shape(got) == want.shape
        values = np.ma.getdata(got)
        if spec.kind == "float" and spec.width:
            # a row is NULL only when every component is undefined; else its NaNs are kept
            gone = np.isnan(want).all(axis=-1)
            np.testing.assert_array_equal(np.ma.getmaskarray(got).any(axis=-1), gone)
            np.testing.assert_array_equal(values[~gone], want[~gone])
        else:
            mask = np.ma.getmaskarray(got)
            np.testing.assert_array_equal(mask.any(axis=-1) if spec.width else mask, ~defined)
            np.testing.assert_array_equal(values[defined], want[defined])


def test_outputs_and_a_group_by():
    X = ACSet(catalog.SchWeightedGraph, Weight=float)
    X.add_parts("V", 3)
    X.add_parts("E", 4, src=[0, 0, 1, -1], tgt=[1, 2, 2, 0], weight=[1.0, 2.0, np.nan, 4.0])
    q = "SELECT src, count(*) AS n, sum(weight) AS w FROM E GROUP BY src ORDER BY src NULLS LAST"
    got = sql(X, q)
    assert got["n"].tolist() == [2, 1, 1]
    assert np.ma.getmaskarray(got["src"]).tolist() == [False, False, True]  # the undefined hom is NULL
    assert np.ma.getmaskarray(got["w"]).tolist() == [False, True, False]  # the undefined weight is NULL
    assert got["w"][0] == 3.0
    assert sql(X, q, output="arrow").column("n").to_pylist() == [2, 1, 1]
    assert sql(X, q, output="pandas")["n"].tolist() == [2, 1, 1]


def test_bad_queries_are_query_errors(tmp_path):
    X = ACSet(catalog.SchGraph)
    with pytest.raises(QueryError, match="sql: .*Nope"):
        sql(X, "SELECT * FROM Nope")
    with pytest.raises(QueryError, match="output must be"):
        sql(X, "SELECT 1", output="polars")
    with pytest.raises(SerializationError, match="is not an ACSet Parquet folder"):
        sql(tmp_path, "SELECT 1")
