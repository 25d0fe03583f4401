"""ACSets.jl-compatible JSON for schemas and instances, plus a columnar variant.

Schema JSON (``schema_to_json`` ... ``write_schema_json``) is ACSets.jl's
``ACSetSchema`` layout: ``Ob``, ``Hom``, ``AttrType``, ``Attr`` and ``equations``, with
a ``version`` key. Catlab-era and py-acsets files (no ``equations``) are read too.

The row layout is what ACSets.jl reads and writes: one key per object (schema order),
then one per attribute type; each a list of rows with a 1-based ``_id``, 1-based hom
values (0 = undefined), ``null`` for an undefined attribute and ``{"_var": k}`` for
an attribute variable (older Catlab wrote ``{"val": k}``). Legacy files without
``_id`` or without some tables (AlgebraicPetri's examples) are read too.

The columnar layout (``to_columnar_json``) stores each column as one list; it is
smaller and several times faster to read, and is not understood by ACSets.jl.

Files laid out as we write them, with numeric columns, are written and read column by
column in numpy by :mod:`acset_s2r.jsonfast`; whatever it declines is read here, and this
module alone decides what a file means and what is refused.
"""

from __future__ import annotations

import itertools
import json
import operator
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import orjson

from acset_s2r import jsonfast
from acset_s2r.acset import ACSet, AttrSpec, AttrVar, attr_spec
from acset_s2r.errors import AcsetS2RError, SchemaError, SerializationError
from acset_s2r.fileio import atomic_write_bytes, atomic_write_text
from acset_s2r.schema import Equation, Schema

COLUMNAR_FORMAT = "acset_s2r.columnar/1"
ACSETS_JL_VERSION = "0.2.27"
SCHEMA_FORMAT_VERSION = "0.0.1"


def _read_file(path: Path, what: str, error: type[AcsetS2RError], parse: Callable[[str], Any],
               fast: Callable[[bytes], Any] | None = None) -> Any:
    """``parse`` the text of ``path``; a failure to read or parse names the file.

    ``fast``, if given, is tried on the bytes first; it returns None for what it does not read.
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise error(f"cannot read {what + ' ' if what else ''}{path}: {err}") from None
    if fast is not None:
        out = fast(raw)
        if out is not None:
            return out
    try:
        text = raw.decode("utf-8-sig")  # JSON is UTF-8; a byte-order mark is harmless
    except UnicodeDecodeError as err:
        raise error(
            f"{path} is not UTF-8 text (byte 0x{raw[err.start]:02x} at offset {err.start}); "
            "JSON files are UTF-8"
        ) from None
    try:
        return parse(text)
    except error as err:
        raise error(f"{path}: {err}") from None


def _decoded(data: Any, error: type[AcsetS2RError], what: str) -> Any:
    """JSON text decoded (a decoding error becomes ``error``); anything else as it is."""
    if not isinstance(data, (str, bytes)):
        return data
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass  # NaN tokens, integers past 64 bits and deep nesting: the standard library says which
    try:
        return json.loads(data)
    except json.JSONDecodeError as err:
        raise error(f"{what}: {err}") from None
    except RecursionError:
        raise error(f"{what}: arrays or objects nested too deeply") from None


# -- schemas --------------------------------------------------------------------------
def schema_to_json(schema: Schema) -> dict:
    """The ACSets.jl JSON of ``schema`` as a dict, with its ``name`` (ACSets.jl ignores the key).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> data = schema_to_json(SchGraph)
    >>> data["Ob"], data["Hom"][0]
    ([{'name': 'V'}, {'name': 'E'}], {'name': 'src', 'dom': 'E', 'codom': 'V'})
    """
    return {
        "version": {"ACSetSchema": SCHEMA_FORMAT_VERSION, "ACSets": ACSETS_JL_VERSION},
        "name": schema.name,
        "Ob": [{"name": o} for o in schema.obs],
        "Hom": [{"name": h.name, "dom": h.dom, "codom": h.codom} for h in schema.homs],
        "AttrType": [{"name": t} for t in schema.attrtypes],
        "Attr": [{"name": a.name, "dom": a.dom, "codom": a.codom} for a in schema.attrs],
        "equations": [
            {"name": e.name, "dom": e.dom, "codom": e.codom, "paths": [list(e.lhs), list(e.rhs)]}
            for e in schema.equations
        ],
    }


def _schema_entries(data: Mapping, key: str, fields: tuple[str, ...]) -> list[tuple]:
    rows = data.get(key, [])
    if not isinstance(rows, list):
        raise SchemaError(f"schema JSON: {key} must be a list")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or any(f not in row for f in fields):
            raise SchemaError(f"schema JSON: {key}[{i}] must have keys {list(fields)}: {row!r}")
        out.append(tuple(row[f] for f in fields))
    return out


def _schema_equations(data: Mapping) -> list[Equation]:
    eqs = []
    for i, e in enumerate(data.get("equations") or []):
        paths = e.get("paths") if isinstance(e, Mapping) else None
        if not isinstance(paths, list) or len(paths) != 2 or not all(
            isinstance(p, list) and all(isinstance(x, str) for x in p) for p in paths
        ):
            raise SchemaError(f"schema JSON: equations[{i}] needs 'paths' with two lists of names")
        if not isinstance(e.get("dom"), str) or not isinstance(e.get("codom"), str):
            raise SchemaError(f"schema JSON: equations[{i}] needs 'dom' and 'codom' object names")
        eqs.append(Equation(e.get("name"), e["dom"], e["codom"], paths[0], paths[1]))
    return eqs


def schema_from_json(data: Mapping | str, name: str = "Schema") -> Schema:
    """Read ACSets.jl schema JSON (a dict or its text), Catlab-era and py-acsets variants too.

    The name comes from a ``name`` key if the data has one, else from ``name``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> schema_from_json(schema_to_json(SchWeightedGraph), name="SchWeightedGraph") == SchWeightedGraph
    True
    >>> schema_from_json('{"Ob": [{"name": "V"}], "Hom": []}').obs
    ('V',)
    """
    data = _decoded(data, SchemaError, "schema JSON is malformed")
    if not isinstance(data, Mapping):
        raise SchemaError("schema JSON must be an object with keys Ob, Hom, AttrType, Attr")
    missing = [k for k in ("Ob", "Hom") if k not in data]
    if missing:
        raise SchemaError(f"schema JSON lacks required keys {missing}")
    eqs = _schema_equations(data)  # a bad equation is reported first, as it always was
    return Schema(
        data["name"] if isinstance(data.get("name"), str) else name,
        [o for (o,) in _schema_entries(data, "Ob", ("name",))],
        _schema_entries(data, "Hom", ("name", "dom", "codom")),
        [t for (t,) in _schema_entries(data, "AttrType", ("name",))],
        _schema_entries(data, "Attr", ("name", "dom", "codom")),
        eqs,
    )


def read_schema_json(path: str | os.PathLike, name: str | None = None) -> Schema:
    """Read a schema JSON file; it is named ``name``, or after the file's stem (not its ``name`` key).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r.catalog import SchGraph
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.json"
    >>> write_schema_json(SchGraph, path)
    >>> read_schema_json(path).name
    'graph'
    >>> read_schema_json(path, name="SchGraph") == SchGraph
    True
    """
    path = Path(path)
    schema = _read_file(path, "schema file", SchemaError, lambda text: schema_from_json(text, path.stem))
    return attrs.evolve(schema, name=name or path.stem)


def write_schema_json(schema: Schema, path: str | os.PathLike) -> None:
    """Write ``schema`` atomically as indented ACSets.jl JSON (see :func:`read_schema_json`).

    Missing parent folders are created (the package's one rule, :mod:`acset_s2r.fileio`).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> from acset_s2r.catalog import SchGraph
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "graph.json"
    >>> write_schema_json(SchGraph, path)
    >>> json.loads(path.read_text())["Hom"][1]
    {'name': 'tgt', 'dom': 'E', 'codom': 'V'}
    """
    atomic_write_text(path, json.dumps(schema_to_json(schema), indent=2) + "\n")


# -- writing --------------------------------------------------------------------------
def _json_values(X: ACSet, name: str) -> list:
    col = X.subpart(name)
    if X.schema.is_hom(name):
        return (col + 1).tolist()
    spec = X.types[X.schema.codom(name)]
    defined = X.is_defined(name)
    if spec.kind in ("str", "object"):
        vals = _object_values(X, name, col.tolist())
        return [{"_var": v.k + 1} if isinstance(v, AttrVar) else v for v in vals]
    vals = col.tolist()
    if spec.width and spec.kind == "float":
        # a row is undefined only if every component is NaN; other NaNs are written as null
        return [None if all(x != x for x in v) else [None if x != x else x for x in v] for v in vals]
    if not defined.all():
        vals = [v if ok else None for v, ok in zip(vals, defined.tolist())]
    return vals


def _check_jsonable(v: Any, table: str, row: int, col: str) -> None:
    # A dict is refused too: in this layout it would read back as an attribute variable.
    if isinstance(v, (list, tuple)):
        for x in v:
            _check_jsonable(x, table, row, col)
    elif not (v is None or isinstance(v, (bool, int, float, str, AttrVar))):
        raise SerializationError(
            f"table {table}, row {row}, column {col}: {v!r} ({type(v).__name__}) cannot be written as JSON"
        )


def _object_values(X: ACSet, name: str, vals: list) -> list:
    if X.types[X.schema.codom(name)].kind == "object":
        table = X.schema.dom(name)
        vals = [v.item() if isinstance(v, np.generic) else v for v in vals]
        for i, v in enumerate(vals):
            _check_jsonable(v, table, i + 1, name)
    return vals


def acset_to_json(X: ACSet) -> dict:
    """The ACSets.jl row layout of ``X`` as a dict.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> acset_to_json(X)
    {'V': [{'_id': 1}, {'_id': 2}], 'E': [{'_id': 1, 'src': 1, 'tgt': 2, 'weight': 0.5}], 'Weight': []}
    """
    X.require_compact("ACSets.jl JSON")  # its ids are positions: 1..n with no gaps
    out: dict[str, Any] = {}
    for ob in X.schema.obs:
        names = [h.name for h in X.schema.homs_out(ob)] + [a.name for a in X.schema.attrs_of(ob)]
        n = X.nparts(ob)
        cols = [range(1, n + 1)] + [_json_values(X, name) for name in names]
        out[ob] = list(map(_row_maker(["_id"] + names), *cols))
    for t in X.schema.attrtypes:
        out[t] = [{"_id": k} for k in range(1, X.nparts(t) + 1)]
    return out


def _row_maker(keys: list[str]) -> Callable[..., dict]:
    """A function of one value per key returning the row dict: three times faster than
    ``dict(zip(keys, values))`` per row. Only the arity is compiled; the keys are bound values."""
    args = ", ".join(f"v{i}" for i in range(len(keys)))
    body = ", ".join(f"k{i}: v{i}" for i in range(len(keys)))
    params = ", ".join(f"k{i}" for i in range(len(keys)))
    return eval(f"lambda {params}: lambda {args}: {{{body}}}")(*keys)  # noqa: S307 -- no user text in the code


def _dumps(data: Any) -> bytes:
    """Compact JSON bytes: orjson, or the standard library for what orjson refuses
    (integers past 64 bits in an object column)."""
    try:
        return orjson.dumps(data)
    except orjson.JSONEncodeError:
        return json.dumps(data, separators=(",", ":")).encode("utf-8")



def _acset_json_bytes(X: ACSet) -> bytes | np.ndarray:
    """``_dumps(acset_to_json(X))``, built from the columns (see :mod:`acset_s2r.jsonfast`)."""
    X.require_compact("ACSets.jl JSON")
    out = jsonfast.rows_json(X, _json_values)
    return _dumps(acset_to_json(X)) if out is None else out  # None: orjson refuses a value


def write_json(X: ACSet, path: str | os.PathLike, columnar: bool = False) -> None:
    """Write ``X`` atomically as ACSets.jl JSON (or the columnar variant).

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> write_json(X, path)
    >>> read_json(path, SchWeightedGraph, Weight=float) == X
    True
    """
    atomic_write_bytes(path, _columnar_json_bytes(X) if columnar else _acset_json_bytes(X))


# -- reading --------------------------------------------------------------------------
def _infer_type(values: list) -> Any:
    """The storage type that fits every value: ACSets.jl issue 45's attribute type inference.

    None when the values mix kinds (numbers and strings, say): the caller must bind the
    type, as a silent ``object`` column would surprise.
    """
    seen = [v for v in values if v is not None]
    if not seen or any(isinstance(v, AttrVar) for v in seen):
        return object
    kinds = {"bool" if isinstance(v, bool) else "number" if isinstance(v, (int, float)) else type(v).__name__
             for v in seen}
    if len(kinds) > 1:
        return None
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
        flat = [x for v in seen for x in v if x is not None]  # null: a missing component
        # whole-number lists stay lists: a float vector would turn [1, 2] into [1.0, 2.0]
        if len(widths) == 1 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in flat) and any(
            isinstance(x, float) for x in flat
        ):
            return (float, widths.pop())
    return object


def _attr_value(v: Any, table: str, row: int, col: str) -> Any:
    if isinstance(v, dict):
        k = v.get("_var", v.get("val"))
        if not isinstance(k, int) or isinstance(k, bool) or k < 1 or len(v) != 1:
            raise SerializationError(
                f"table {table}, row {row}, column {col}: cannot read attribute value {v!r} "
                "(a variable is {\"_var\": k} with k >= 1)"
            )
        return AttrVar(k - 1)
    return v


def _scalar_fits(kind: str, x: Any) -> bool:
    if kind == "bool":
        return isinstance(x, bool)
    if isinstance(x, bool):
        return False
    if kind == "int":
        if isinstance(x, float) and x.is_integer():
            x = int(x)
        return isinstance(x, int) and -(2**63) <= x < 2**63
    if kind == "float" and isinstance(x, (int, float)):
        try:
            float(x)
        except OverflowError:
            return False
        return True
    return False


_PLAIN = {"float": {float}, "int": {int}, "bool": {bool}, "str": {str}}


def _fits_fast(spec: AttrSpec, values: list) -> bool:
    """The common all-good column, checked at C speed; False means look row by row."""
    seen = set(map(type, values)) - {type(None)}
    if spec.width:
        rows = [v for v in values if v is not None]
        if seen - {list} or set(map(len, rows)) - {spec.width}:
            return False
        flat = itertools.chain.from_iterable(rows)
        seen = set(map(type, flat)) - {type(None)}
    if not seen <= _PLAIN[spec.kind]:
        return False
    if spec.kind == "int":
        try:
            np.asarray([v for v in values if v is not None], dtype=np.int64)
        except OverflowError:
            return False
    return True


def _check_attr_values(spec: AttrSpec, values: list, table: str, col: str) -> None:
    """Every value fits ``spec`` (None is undefined); checked before anything is built."""
    if spec.kind == "object":
        # what the writer would refuse (a dict inside a list) is refused here, not after reading
        if not set(map(type, values)) <= {type(None), bool, int, float, str, AttrVar}:
            for i, v in enumerate(values):
                _check_jsonable(v, table, i + 1, col)
        return
    if _fits_fast(spec, values):
        return
    for i, v in enumerate(values):
        if v is None:
            continue
        if spec.kind == "str":
            ok = isinstance(v, str)
        elif spec.width:
            ok = (
                isinstance(v, list)
                and len(v) == spec.width
                and all(x is None or _scalar_fits(spec.kind, x) for x in v)
            )
        else:
            ok = _scalar_fits(spec.kind, v)
        if not ok:
            raise SerializationError(f"table {table}, row {i + 1}, column {col}: {v!r} does not fit the type {spec}")


def _check_hom_values(vals: list, table: str, col: str, codom: str, n_codom: int) -> np.ndarray:
    """The 1-based values as int64, once each is a part of ``codom`` or 0."""
    if set(map(type, vals)) <= {int}:
        try:
            arr = np.asarray(vals, dtype=np.int64) if vals else np.zeros(0, dtype=np.int64)
        except OverflowError:
            arr = None
        if arr is not None and (not len(arr) or (arr.min() >= 0 and arr.max() <= n_codom)):
            return arr
    for i, v in enumerate(vals):
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= n_codom:
            raise SerializationError(
                f"table {table}, row {i + 1}, column {col}: {v!r} is not a part of {codom} "
                f"(1..{n_codom}, or 0 for undefined)"
            )
    return np.asarray(vals, dtype=np.int64)


def _rows_fine(rows: list, allowed: set[str]) -> bool:
    """The common all-good table, checked at C speed; False means look row by row."""
    if not set(map(type, rows)) <= {dict}:
        return False
    keys = sum(map(len, rows))
    known = {k: sum(map(operator.contains, rows, itertools.repeat(k))) for k in allowed}
    if sum(known.values()) != keys:
        return False  # a key that is not a column
    n = len(rows)
    if known.get("_id", 0) == n:
        ids = list(map(operator.itemgetter("_id"), rows))
    elif known.get("_id", 0) == 0:
        return True  # legacy files leave the ids out
    else:
        return False
    return set(map(type, ids)) <= {int} and ids == list(range(1, n + 1))


def _check_rows(table: str, rows: Any, allowed: set[str]) -> list:
    if not isinstance(rows, list):
        raise SerializationError(f"table {table} must be a list of rows, got {type(rows).__name__}")
    if _rows_fine(rows, allowed):
        return rows
    for i, row in enumerate(rows, 1):
        if type(row) is not dict and not isinstance(row, Mapping):
            raise SerializationError(f"table {table}, row {i}: a row must be an object, got {row!r}")
        if not row.keys() <= allowed:
            raise SerializationError(
                f"table {table}, row {i}: unknown column(s) {sorted(row.keys() - allowed)}; "
                f"{table} has {sorted(allowed - {'_id'})}"
            )
        rid = row.get("_id", i)
        if rid != i or type(rid) is not int:  # not a bool, not 1.0
            raise SerializationError(
                f"table {table}, row {i}, column _id: {rid!r}, expected {i} (1-based, in order)"
            )
    return rows


def _check_vars(schema: Schema, cols: Mapping[str, list], sizes: Mapping[str, int]) -> None:
    """Attribute variables index their AttrType's table, when the file has one."""
    for a in schema.attrs:
        n = sizes.get(a.codom)
        if n is None or AttrVar not in set(map(type, cols[a.name])):
            continue
        for i, v in enumerate(cols[a.name]):
            if isinstance(v, AttrVar) and v.k >= n:
                raise SerializationError(
                    f"table {a.dom}, row {i + 1}, column {a.name}: variable {v.k + 1} is dangling; "
                    f"{a.codom} has {n} variable(s)"
                )


def _var_counts(schema: Schema, cols: Mapping[str, list], sizes: Mapping[str, int]) -> dict[str, int]:
    """Variables per AttrType: its table's length, or (legacy files) the largest one used."""
    out = {}
    for t in schema.attrtypes:
        used = [v.k + 1 for a in schema.attrs if a.codom == t and a.name in cols
                for v in cols[a.name] if isinstance(v, AttrVar)]
        out[t] = sizes.get(t, max(used, default=0))
    return out


def acset_from_json(data: Mapping | str, schema: Schema, **types: Any) -> ACSet:
    """Build an ACSet of ``schema`` from the ACSets.jl row layout.

    Attribute types not bound in ``types`` are inferred from the values.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> acset_from_json(acset_to_json(X), SchWeightedGraph) == X  # Weight is inferred as float
    True
    """
    data = _decoded(data, SerializationError, "malformed JSON")
    if not isinstance(data, Mapping):
        raise SerializationError(f"an ACSet JSON file is an object of tables, got {type(data).__name__}")
    if data.get("format") == COLUMNAR_FORMAT:
        return from_columnar_json(data, schema, **types)
    if isinstance(data.get("format"), str) and "format" not in schema.obs and "format" not in schema.attrtypes:
        raise SerializationError(
            f"unknown format tag {data['format']!r}; this version reads the ACSets.jl row layout "
            f"and {COLUMNAR_FORMAT!r}"
        )
    unknown = set(data) - set(schema.obs) - set(schema.attrtypes)
    if unknown:
        raise SerializationError(
            f"tables {sorted(unknown)} are not objects or attribute types of {schema.name}"
        )
    tables: dict[str, list] = {}
    for ob in schema.obs:
        allowed = {"_id"} | {h.name for h in schema.homs_out(ob)} | {a.name for a in schema.attrs_of(ob)}
        tables[ob] = _check_rows(ob, data.get(ob, []), allowed)
    # AttrType tables hold one {"_id": k} row per variable; legacy files leave them out
    nvars = {t: len(_check_rows(t, data[t], {"_id"})) for t in schema.attrtypes if t in data}
    cols: dict[str, list] = {}
    for ob, rows in tables.items():
        for h in schema.homs_out(ob):
            vals = [row.get(h.name, 0) for row in rows]
            cols[h.name] = _check_hom_values(vals, ob, h.name, h.codom, len(tables[h.codom]))
        for a in schema.attrs_of(ob):
            vals = [row.get(a.name) for row in rows]
            if dict in set(map(type, vals)):  # attribute variables
                vals = [_attr_value(v, ob, i + 1, a.name) for i, v in enumerate(vals)]
            cols[a.name] = vals
    _check_vars(schema, cols, nvars)
    bound = dict(types)
    for t in schema.attrtypes:
        if t not in bound:
            values = [v for a in schema.attrs if a.codom == t for v in cols[a.name]]
            bound[t] = _infer_type(values)
            if bound[t] is None:
                kinds = sorted({type(v).__name__ for v in values if v is not None and not isinstance(v, AttrVar)})
                raise SerializationError(
                    f"attribute type {t}: values mix {', '.join(kinds)}; bind it to read them, "
                    f"e.g. {t}=object"
                )
    specs = {t: attr_spec(b) for t, b in bound.items()}
    for a in schema.attrs:
        if a.codom in specs:
            _check_attr_values(specs[a.codom], cols[a.name], a.dom, a.name)
    # everything is checked: from here on a failure is our bug, not the file's
    X = ACSet(schema, **bound)
    try:
        for t, n in _var_counts(schema, cols, nvars).items():
            X.add_parts(t, n)
        for ob in schema.obs:
            X.add_parts(ob, len(tables[ob]))
        for ob in schema.obs:
            ids = X.parts(ob)
            for h in schema.homs_out(ob):
                X.set_subpart(ids, h.name, cols[h.name] - 1)
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
    _check_attr_values(spec, values, table, name)
    if all(defined):
        X.set_subpart(ids, name, values)
    else:
        keep = np.flatnonzero(defined)
        X.set_subpart(ids[keep], name, [values[i] for i in keep])


def read_json(path: str | os.PathLike, schema: Schema, **types: Any) -> ACSet:
    """Read an ACSet JSON file (row or columnar layout).

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "g.json"
    >>> write_json(X, path, columnar=True)
    >>> read_json(path, SchWeightedGraph).subpart("weight")
    array([0.5])
    """
    return _read_file(Path(path), "", SerializationError, lambda text: acset_from_json(text, schema, **types),
                      fast=lambda raw: _read_fast(raw, schema, types))


def _read_fast(raw: bytes, schema: Schema, types: Mapping[str, Any]) -> ACSet | None:
    """The file read from its bytes (see :mod:`acset_s2r.jsonfast`), or None for the general path."""
    out = jsonfast.read_rows(raw, schema, types, general=acset_from_json)
    return _read_columnar_fast(raw, schema, types) if out is None else out


def _read_columnar_fast(raw: bytes, schema: Schema, types: Mapping[str, Any]) -> ACSet | None:
    return jsonfast.read_columnar(raw, schema, types, COLUMNAR_FORMAT, from_columnar_json)



# -- columnar variant -----------------------------------------------------------------------
def to_columnar_json(X: ACSet) -> dict:
    """One list per column (1-based homs, as in the row layout); the types are recorded.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> to_columnar_json(X)["columns"]
    {'src': [1], 'tgt': [2], 'weight': [0.5]}
    """
    return _columnar_document(X, _json_values)


def _columnar_document(X: ACSet, values: Callable[[ACSet, str], Any]) -> dict:
    X.require_compact("columnar JSON")
    return {
        "format": COLUMNAR_FORMAT,
        "schema": schema_to_json(X.schema),
        "types": {t: [spec.kind, spec.width] for t, spec in X.types.items()},
        "nparts": {ob: X.nparts(ob) for ob in X.schema.obs + X.schema.attrtypes if ob in X.schema.obs or X.nparts(ob)},
        "columns": {name: values(X, name) for name in X.schema.hom_names + X.schema.attr_names},
    }


def _columnar_json_bytes(X: ACSet) -> bytes:
    """``_dumps(to_columnar_json(X))``, with numeric columns dumped from their arrays."""
    def values(X: ACSet, name: str) -> Any:
        whole = jsonfast.numeric_array(X, name)
        return _json_values(X, name) if whole is None else whole

    try:
        return orjson.dumps(_columnar_document(X, values), option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:  # an integer past 64 bits in an object column
        return _dumps(to_columnar_json(X))


def from_columnar_json(data: Mapping, schema: Schema | None = None, **types: Any) -> ACSet:
    """Build an ACSet from the columnar layout; the schema and types recorded in it are used by default.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[0.5])
    >>> from_columnar_json(to_columnar_json(X)) == X  # the schema is read from the data
    True
    """
    if not isinstance(data, Mapping):
        raise SerializationError(f"a columnar ACSet JSON file is an object, got {type(data).__name__}")
    for key in ("types", "nparts", "columns"):
        if not isinstance(data.get(key, {}), Mapping):
            raise SerializationError(
                f"columnar ACSet JSON is malformed: {key!r} must be an object, got {type(data[key]).__name__}"
            )
    try:
        embedded = schema_from_json(data["schema"]) if "schema" in data else None
    except AcsetS2RError as err:
        raise SerializationError(f"columnar ACSet JSON is malformed: its schema: {err}") from None
    if schema is not None and embedded is not None and not _same_shape(schema, embedded):
        raise SerializationError(
            f"the file's schema {embedded.name} differs from {schema.name}: "
            f"{_shape_difference(schema, embedded)}"
        )
    try:
        schema = schema or embedded
        if schema is None:
            raise KeyError("schema")
        stored = {}
        for t, entry in data.get("types", {}).items():
            if not isinstance(entry, list) or len(entry) != 2:
                raise ValueError(f"types[{t!r}] must be [kind, width], got {entry!r}")
            kind, width = entry
            if t not in schema.attrtypes:
                raise ValueError(f"{t} is not an attribute type of {schema.name}")
            numeric = kind in ("float", "int", "bool")
            if not (numeric or kind in ("str", "object")) or not (
                width is None or (numeric and isinstance(width, int) and width >= 1)
            ):
                raise ValueError(f"{t} has unknown storage {[kind, width]!r}")
            stored[t] = AttrSpec(kind, width)
        nparts, columns = data["nparts"], data["columns"]
        sizes = {ob: nparts.get(ob, 0) for ob in schema.obs}
        var_sizes = {t: nparts[t] for t in schema.attrtypes if t in nparts}
        unknown = (set(nparts) - set(schema.obs) - set(schema.attrtypes)) | (set(columns) - set(schema.hom_names + schema.attr_names))
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not objects, homs or attributes of {schema.name}")
        for ob, n in (sizes | var_sizes).items():
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise ValueError(f"nparts of {ob} is {n!r}, not a count")
    except (KeyError, TypeError, ValueError, AcsetS2RError) as err:
        raise SerializationError(f"columnar ACSet JSON is malformed: {err}") from None
    specs = {t: attr_spec(b) for t, b in (stored | types).items()}
    cols: dict[str, list] = {}
    parsed: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for name in schema.hom_names + schema.attr_names:
        if name not in columns:
            continue
        ob = schema.dom(name)
        vals = columns[name]
        if vals.__class__ is jsonfast.RawColumn:  # from jsonfast.read_columnar: numbers not yet decoded
            parsed[name] = vals.parse(schema, name, specs, sizes)
            continue
        if not isinstance(vals, list) or len(vals) != sizes[ob]:
            got = f"{len(vals)} values" if isinstance(vals, list) else type(vals).__name__
            raise SerializationError(f"table {ob}, column {name}: {got}, but {ob} has {sizes[ob]} parts")
        if schema.is_hom(name):
            vals = _check_hom_values(vals, ob, name, schema.codom(name), sizes[schema.codom(name)])
        else:
            if dict in set(map(type, vals)):  # attribute variables
                vals = [_attr_value(v, ob, i + 1, name) for i, v in enumerate(vals)]
            if schema.codom(name) in specs:
                _check_attr_values(specs[schema.codom(name)], vals, ob, name)
        cols[name] = vals
    _check_vars(schema, cols, var_sizes)
    X = ACSet(schema, **(stored | types))
    try:
        for t, n in _var_counts(schema, cols, var_sizes).items():
            X.add_parts(t, n)
        for ob in schema.obs:
            X.add_parts(ob, sizes[ob])
        for name, vals in cols.items():
            ob = schema.dom(name)
            if schema.is_hom(name):
                X.set_subpart(X.parts(ob), name, vals - 1)
            else:
                _set_attr_column(X, name, vals, ob)
        for name, (vals, defined) in parsed.items():
            ids = X.parts(schema.dom(name))
            X.set_subpart(ids, name, vals - 1 if schema.is_hom(name) else vals)
            if defined is not None and not defined.all():
                X.clear_subpart(ids[~defined], name)
    except AcsetS2RError as err:
        if isinstance(err, SerializationError):
            raise
        raise SerializationError(f"columnar ACSet JSON: {err}") from None
    return X



def _shape(schema: Schema) -> tuple:
    return (set(schema.obs), set(schema.homs), set(schema.attrtypes), set(schema.attrs))


def _same_shape(a: Schema, b: Schema) -> bool:
    """The same objects, homs and attributes (names and equations aside)."""
    return _shape(a) == _shape(b)


def _shape_difference(given: Schema, stored: Schema) -> str:
    parts = []
    for label, x, y in zip(("objects", "homs", "attribute types", "attributes"), _shape(given), _shape(stored)):
        names = lambda items: sorted(getattr(i, "name", i) for i in items)  # noqa: E731
        if x - y:
            parts.append(f"{label} {names(x - y)} only in {given.name}")
        if y - x:
            parts.append(f"{label} {names(y - x)} only in the file")
    return "; ".join(parts)
