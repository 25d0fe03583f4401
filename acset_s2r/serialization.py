"""ACSets.jl-compatible JSON for instances, plus a columnar variant.

The row layout is what ACSets.jl reads and writes: one key per object (schema order),
then one per attribute type; each a list of rows with a 1-based ``_id``, 1-based hom
values (0 = undefined), ``null`` for an undefined attribute and ``{"_var": k}`` for
an attribute variable (older Catlab wrote ``{"val": k}``). Legacy files without
``_id`` or without some tables (AlgebraicPetri's examples) are read too.

The columnar layout (``to_columnar_json``) stores each column as one list; it is
smaller and several times faster to read, and is not understood by ACSets.jl.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet, AttrSpec
from acset_s2r.errors import AcsetS2RError, SerializationError
from acset_s2r.schema import Schema

COLUMNAR_FORMAT = "acset_s2r.columnar/1"


@attrs.frozen
class AttrVar:
    """An attribute variable: the k-th (1-based) element of an AttrType's table."""

    k: int

    def __repr__(self) -> str:
        return f"AttrVar({self.k})"


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- writing --------------------------------------------------------------------------
def _json_values(X: ACSet, name: str) -> list:
    col = X.subpart(name)
    if X.schema.is_hom(name):
        return (col + 1).tolist()
    spec = X.types[X.schema.codom(name)]
    defined = X.is_defined(name)
    if spec.kind in ("str", "object"):
        return [{"_var": v.k} if isinstance(v, AttrVar) else v for v in col.tolist()]
    vals = col.tolist()
    if not defined.all():
        vals = [v if ok else None for v, ok in zip(vals, defined.tolist())]
    return vals


def acset_to_json(X: ACSet) -> dict:
    """The ACSets.jl row layout of ``X`` as a dict."""
    out: dict[str, Any] = {}
    for ob in X.schema.obs:
        names = [h.name for h in X.schema.homs_out(ob)] + [a.name for a in X.schema.attrs_of(ob)]
        n = X.nparts(ob)
        cols = [range(1, n + 1)] + [_json_values(X, name) for name in names]
        keys = ["_id"] + names
        out[ob] = [dict(zip(keys, row)) for row in zip(*cols)]
    for t in X.schema.attrtypes:
        nvars = 0
        for a in X.schema.attrs:
            if a.codom == t and X.types[t].kind in ("str", "object"):
                ks = [v.k for v in X.subpart(a.name) if isinstance(v, AttrVar)]
                nvars = max([nvars] + ks)
        out[t] = [{"_id": k} for k in range(1, nvars + 1)]
    return out


def write_json(X: ACSet, path: str | os.PathLike, columnar: bool = False) -> None:
    """Write ``X`` atomically as ACSets.jl JSON (or the columnar variant)."""
    data = to_columnar_json(X) if columnar else acset_to_json(X)
    atomic_write_text(path, json.dumps(data, separators=(",", ":")))


# -- reading --------------------------------------------------------------------------
def _infer_type(values: list) -> Any:
    """The storage type that fits every value: ACSets.jl issue 45's attribute type inference."""
    seen = [v for v in values if v is not None]
    if not seen:
        return object
    if any(isinstance(v, (dict, AttrVar)) for v in seen):
        return object
    if all(isinstance(v, bool) for v in seen):
        return bool
    if all(isinstance(v, int) and not isinstance(v, bool) for v in seen):
        return int
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seen):
        return float
    if all(isinstance(v, str) for v in seen):
        return str
    if all(isinstance(v, list) for v in seen):
        widths = {len(v) for v in seen}
        flat = [x for v in seen for x in v]
        if len(widths) == 1 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in flat):
            return (float, widths.pop())
    return object


def _attr_value(v: Any, table: str, row: int, col: str) -> Any:
    if isinstance(v, dict):
        k = v.get("_var", v.get("val"))
        if not isinstance(k, int) or len(v) != 1:
            raise SerializationError(f"table {table}, row {row}, column {col}: cannot read attribute value {v!r}")
        return AttrVar(k)
    return v


def acset_from_json(data: Mapping | str, schema: Schema, **types: Any) -> ACSet:
    """Build an ACSet of ``schema`` from the ACSets.jl row layout.

    Attribute types not bound in ``types`` are inferred from the values.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as err:
            raise SerializationError(f"malformed JSON: {err}") from None
    if not isinstance(data, Mapping):
        raise SerializationError(f"an ACSet JSON file is an object of tables, got {type(data).__name__}")
    if data.get("format") == COLUMNAR_FORMAT:
        return from_columnar_json(data, schema, **types)
    unknown = set(data) - set(schema.obs) - set(schema.attrtypes)
    if unknown:
        raise SerializationError(
            f"tables {sorted(unknown)} are not objects or attribute types of {schema.name}"
        )
    tables: dict[str, list] = {}
    for ob in schema.obs:
        rows = data.get(ob, [])
        if not isinstance(rows, list):
            raise SerializationError(f"table {ob} must be a list of rows")
        allowed = {"_id"} | {h.name for h in schema.homs_out(ob)} | {a.name for a in schema.attrs_of(ob)}
        for i, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise SerializationError(f"table {ob}, row {i + 1}: a row must be an object, got {row!r}")
            extra = row.keys() - allowed
            if extra:
                raise SerializationError(
                    f"table {ob}, row {i + 1}: unknown column(s) {sorted(extra)}; {ob} has {sorted(allowed - {'_id'})}"
                )
            rid = row.get("_id", i + 1)
            if rid != i + 1:
                raise SerializationError(f"table {ob}, row {i + 1}: _id is {rid!r}, expected {i + 1} (1-based, in order)")
        tables[ob] = rows
    cols: dict[str, list] = {}
    for ob, rows in tables.items():
        for h in schema.homs_out(ob):
            vals = [row.get(h.name, 0) for row in rows]
            for i, v in enumerate(vals):
                if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= len(tables[h.codom]):
                    raise SerializationError(
                        f"table {ob}, row {i + 1}, column {h.name}: {v!r} is not a part of {h.codom} "
                        f"(1..{len(tables[h.codom])}, or 0 for undefined)"
                    )
            cols[h.name] = vals
        for a in schema.attrs_of(ob):
            cols[a.name] = [_attr_value(row.get(a.name), ob, i + 1, a.name) for i, row in enumerate(rows)]
    bound = dict(types)
    for t in schema.attrtypes:
        if t not in bound:
            values = [v for a in schema.attrs if a.codom == t for v in cols[a.name]]
            bound[t] = _infer_type(values)
    X = ACSet(schema, **bound)
    try:
        for ob in schema.obs:
            X.add_parts(ob, len(tables[ob]))
        for ob in schema.obs:
            ids = X.parts(ob)
            for h in schema.homs_out(ob):
                X.set_subpart(ids, h.name, np.asarray(cols[h.name], dtype=np.int64) - 1)
            for a in schema.attrs_of(ob):
                _set_attr_column(X, a.name, cols[a.name], ob)
    except AcsetS2RError as err:
        if isinstance(err, SerializationError):
            raise
        raise SerializationError(f"table {ob}: {err}") from None
    return X


def _set_attr_column(X: ACSet, name: str, values: list, table: str) -> None:
    spec: AttrSpec = X.types[X.schema.codom(name)]
    n = len(values)
    if not n:
        return
    ids = X.parts(table)
    if spec.kind in ("str", "object"):
        X.set_subpart(ids, name, values)
        return
    defined = [v is not None for v in values]
    for i, v in enumerate(values):
        if v is not None and (isinstance(v, (str, dict, AttrVar)) or (spec.width is None and isinstance(v, list))):
            raise SerializationError(f"table {table}, row {i + 1}, column {name}: {v!r} is not a {spec}")
    if all(defined):
        X.set_subpart(ids, name, values)
    else:
        keep = np.flatnonzero(defined)
        X.set_subpart(ids[keep], name, [values[i] for i in keep])


def read_json(path: str | os.PathLike, schema: Schema, **types: Any) -> ACSet:
    """Read an ACSet JSON file (row or columnar layout)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SerializationError(f"cannot read {path}: {err}") from None
    try:
        return acset_from_json(text, schema, **types)
    except SerializationError as err:
        raise SerializationError(f"{path}: {err}") from None


# -- columnar variant -----------------------------------------------------------------------
def to_columnar_json(X: ACSet) -> dict:
    """One list per column (1-based homs, as in the row layout); the types are recorded."""
    return {
        "format": COLUMNAR_FORMAT,
        "schema": X.schema.to_json(),
        "types": {t: [spec.kind, spec.width] for t, spec in X.types.items()},
        "nparts": {ob: X.nparts(ob) for ob in X.schema.obs},
        "columns": {name: _json_values(X, name) for name in X.schema.hom_names + X.schema.attr_names},
    }


def from_columnar_json(data: Mapping, schema: Schema | None = None, **types: Any) -> ACSet:
    schema = schema or Schema.from_json(data["schema"])
    try:
        stored = {t: AttrSpec(kind, width) for t, (kind, width) in data.get("types", {}).items()}
        nparts, columns = data["nparts"], data["columns"]
    except (KeyError, TypeError, ValueError) as err:
        raise SerializationError(f"columnar ACSet JSON is malformed: {err!r}") from None
    X = ACSet(schema, **(stored | types))
    for ob in schema.obs:
        X.add_parts(ob, int(nparts.get(ob, 0)))
    for name in schema.hom_names + schema.attr_names:
        if name not in columns:
            continue
        ob = schema.dom(name)
        vals = columns[name]
        if len(vals) != X.nparts(ob):
            raise SerializationError(f"column {name} has {len(vals)} values but {ob} has {X.nparts(ob)} parts")
        try:
            if schema.is_hom(name):
                X.set_subpart(X.parts(ob), name, np.asarray(vals, dtype=np.int64) - 1)
            else:
                vals = [_attr_value(v, ob, i + 1, name) for i, v in enumerate(vals)]
                _set_attr_column(X, name, vals, ob)
        except AcsetS2RError as err:
            raise SerializationError(f"column {name}: {err}") from None
    return X
