"""SQL over an ACSet, or over a Parquet folder, with embedded DuckDB.

Each object is a table named as the object: an ``_id`` column (0-based part ids), each
hom as a foreign key (``int64``, NULL where undefined), each attribute with its Arrow type
(vectors as ``DOUBLE[w]`` arrays, 1-based in SQL; ``object`` values as JSON text), the
layout of :mod:`acset_s2r.parquet`. An ACSet's numeric columns reach DuckDB as Arrow
buffers over its numpy arrays, not copied; a folder is scanned in place, never loaded.

A table named by an SQL keyword needs double quotes (``SELECT * FROM "Order"``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import QueryError
from acset_s2r.parquet import arrow_table, parquet_schema

__all__ = ["sql", "to_numpy"]

Output = Literal["numpy", "arrow", "pandas"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(source: ACSet | str | os.PathLike):
    import duckdb

    con = duckdb.connect()
    if isinstance(source, ACSet):
        for ob in source.schema.obs:
            con.register(ob, arrow_table(source, ob))
        return con
    folder = Path(source)
    schema, specs, _ = parquet_schema(folder)
    for ob in schema.obs:
        path = str(folder / f"{ob}.parquet").replace("'", "''")
        # Parquet gives fixed-size lists back as variable lists; the cast restores DOUBLE[w]
        casts = [
            f"{_quote(a.name)}::{ {'float': 'DOUBLE', 'int': 'BIGINT', 'bool': 'BOOLEAN'}[spec.kind]}"
            f"[{spec.width}] AS {_quote(a.name)}"
            for a in schema.attrs_of(ob)
            if (spec := specs[a.codom]).width
        ]
        replace = f" REPLACE ({', '.join(casts)})" if casts else ""
        con.execute(f"CREATE VIEW {_quote(ob)} AS SELECT *{replace} FROM read_parquet('{path}')")
    return con


def to_numpy(table) -> dict[str, np.ndarray]:
    """Columns of an Arrow table as numpy arrays, by name.

    Numbers stay numbers: a column with NULLs is a :class:`numpy.ma.MaskedArray`, a
    fixed-size list a 2-D array (masked by rows where NULL); text, variable lists and
    other types are object arrays (None for NULL).
    """
    import pyarrow as pa

    out = {}
    for name, col in zip(table.column_names, table.columns):
        arr = col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        t = arr.type
        null = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
        if pa.types.is_fixed_size_list(t) and (
            pa.types.is_integer(t.value_type) or pa.types.is_floating(t.value_type) or pa.types.is_boolean(t.value_type)
        ):
            w = t.list_size
            values = arr.values.slice(arr.offset * w, len(arr) * w)
            if values.null_count:
                values = values.fill_null(False if pa.types.is_boolean(t.value_type) else 0)
            data = values.to_numpy(zero_copy_only=False).reshape(len(arr), w)
            out[name] = data if null is None else np.ma.MaskedArray(data, np.repeat(null[:, None], w, axis=1))
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            fill = False if pa.types.is_boolean(t) else 0
            data = (arr if null is None else arr.fill_null(fill)).to_numpy(zero_copy_only=False)
            out[name] = data if null is None else np.ma.MaskedArray(data, null)
        else:
            data = np.empty(len(arr), dtype=object)
            data[:] = arr.to_pylist()
            out[name] = data
    return out


def sql(source: ACSet | str | os.PathLike, query: str, output: Output = "numpy") -> Any:
    """Run an SQL query over an ACSet, or over a folder written by :func:`~acset_s2r.parquet.write_parquet`.

    ``output`` is ``"numpy"`` (a dict of columns, see :func:`to_numpy`), ``"arrow"``
    (a :class:`pyarrow.Table`) or ``"pandas"`` (a DataFrame). A statement that returns no
    rows gives None. An SQL error is a :class:`~acset_s2r.errors.QueryError`.

    Examples
    --------
    >>> from acset_s2r import ACSet, SchGraph
    >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
    >>> _ = X.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 0])
    >>> sql(X, "SELECT e1._id AS first, e2._id AS second FROM E e1 JOIN E e2 ON e1.tgt = e2.src ORDER BY 1, 2")
    {'first': array([0, 0, 2]), 'second': array([1, 2, 0])}
    >>> sql(X, "SELECT src, count(*) AS n FROM E GROUP BY src ORDER BY src", output="arrow").num_rows
    2
    """
    if output not in ("numpy", "arrow", "pandas"):
        raise QueryError(f"sql: output must be 'numpy', 'arrow' or 'pandas', got {output!r}")
    if not isinstance(query, str):
        raise QueryError(f"sql: the query must be a string, got {type(query).__name__}")
    import duckdb

    con = _connect(source)
    try:
        try:
            rel = con.sql(query)
            if rel is None:
                return None
            if output == "pandas":
                return rel.df()
            table = rel.to_arrow_table()
        except duckdb.Error as err:
            raise QueryError(f"sql: {err}") from None
        return table if output == "arrow" else to_numpy(table)
    finally:
        con.close()
