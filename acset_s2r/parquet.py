"""ACSets as Parquet folders: one file per object, the schema beside them.

A folder written by :func:`write_parquet` holds

- ``schema.json``: the ACSets.jl schema JSON, with its ``name`` and an ``acset_s2r`` key
  that records the format, the bound attribute types and the number of parts per object;
- ``<Ob>.parquet`` per object: one row per part, an ``_id`` column (0-based part ids),
  each hom out of ``Ob`` as ``int64`` ids (null = undefined), each attribute with its
  Arrow type (``float64``, ``int64``, ``bool``, ``string``; a vector as a fixed-size list
  whose components are never null; null = undefined). ``object`` attributes are JSON text, an attribute variable written
  ``{"_var": k}`` as in the row JSON. A column with no undefined value is declared not
  nullable (Parquet's ``required``). The file's key-value metadata repeats the schema
  document under ``acset_s2r``, so a lone file still says what it is.

Numeric columns go to Arrow and back without a Python object per row; ``str`` and
``object`` columns hold Python objects in the ACSet, so they are converted row by row.
A float vector row is null when every component is NaN (what the row JSON writes as
``null``); a partly NaN row is kept as it is.

``write_parquet(X, folder, float32=...)`` stores the float attributes it names (or all of
them, with ``True``) as ``float32``, halving them on disk; this is lossy (about 7 significant
digits: a time of 4,000 s keeps steps of about 0.0002 s) and opt-in. ``schema.json`` lists
those columns under ``float32``; reading gives float64 again, rounded.

Reading checks every file against ``schema.json`` (tables, columns, Arrow types, row
counts, ids, foreign keys, the metadata) before it builds anything, and names the file
and column of the first disagreement. Writing goes to a temporary folder beside the
target, which then replaces the target by renames: a failed write leaves it as it was.

pyarrow is imported when a function needs it, so ``import acset_s2r`` stays light.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet, AttrSpec
from acset_s2r.errors import AcsetS2RError, SerializationError
from acset_s2r.serialization import AttrVar, schema_from_json, schema_to_json

__all__ = ["PARQUET_FORMAT", "SCHEMA_FILE", "read_parquet", "write_parquet"]

PARQUET_FORMAT = "acset_s2r.parquet/1"
SCHEMA_FILE = "schema.json"
ID = "_id"
_META_KEY = b"acset_s2r"
_JSON_ENCODING = {b"acset_s2r.encoding": b"json"}
# object names become file names: keep them to what every filesystem accepts
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


# -- Arrow types ----------------------------------------------------------------------------
def arrow_type(spec: AttrSpec, float32: bool = False):
    """The Arrow type an attribute bound to ``spec`` is stored as (``float32``: a float stored narrow)."""
    import pyarrow as pa

    floats = pa.float32() if float32 else pa.float64()
    base = {"float": floats, "int": pa.int64(), "bool": pa.bool_()}.get(spec.kind, pa.string())
    # a vector's components are never null (an undefined vector is a null row): saying so
    # spares Parquet a level per component, a quarter of the time to write and read vectors
    return pa.list_(pa.field("element", base, nullable=False), spec.width) if spec.width else base


def _columns(X_schema, ob: str) -> list[str]:
    return [h.name for h in X_schema.homs_out(ob)] + [a.name for a in X_schema.attrs_of(ob)]


def _json_default(value: Any) -> Any:
    if isinstance(value, AttrVar):
        return {"_var": value.k + 1}  # 1-based, as in ACSets.jl JSON
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)


def _encode_object(value: Any, ob: str, name: str, row: int) -> str | None:
    if value is None:
        return None
    bad = _unjsonable(value)
    if bad is None:
        try:
            return json.dumps(value, default=_json_default, allow_nan=True)
        except (TypeError, ValueError):
            bad = value
    raise SerializationError(
        f"table {ob}, row {row}, column {name}: {bad!r} ({type(bad).__name__}) cannot be written as JSON"
    )


def _unjsonable(value: Any) -> Any:
    """The first part of ``value`` JSON cannot hold; a dict counts, as it would read back as a variable."""
    if isinstance(value, (list, tuple)):
        for x in value:
            bad = _unjsonable(x)
            if bad is not None:
                return bad
        return None
    if value is None or isinstance(value, (bool, int, float, str, AttrVar, np.bool_, np.integer, np.floating)):
        return None
    return value


def _decode_object(text: str) -> Any:
    value = json.loads(text)
    if isinstance(value, dict):
        return AttrVar(value["_var"] - 1)
    return value


def arrow_column(X: ACSet, name: str, float32: bool = False):
    """The column of hom or attribute ``name`` as an Arrow array (numeric data not copied,
    unless ``float32`` narrows a float column)."""
    import pyarrow as pa

    schema = X.schema
    col = X.subpart(name)
    if schema.is_hom(name):
        # the mask only where a value is undefined: building it is most of the cost of the array
        return pa.array(col, type=pa.int64(), mask=col < 0 if len(col) and col.min() < 0 else None)
    spec: AttrSpec = X.types[schema.codom(name)]
    if spec.kind == "str" and not _has_vars(col):
        return pa.array(col, type=pa.string())
    if spec.kind in ("str", "object"):
        ob = schema.dom(name)
        return pa.array([_encode_object(v, ob, name, i) for i, v in enumerate(col.tolist())], type=pa.string())
    if spec.kind == "float":
        nan = np.isnan(col)
        null = nan.all(axis=1) if spec.width else nan
    else:
        null = ~X.is_defined(name)
    if float32 and spec.kind == "float":
        col = col.astype(np.float32)
    if not spec.width:
        return pa.array(col, type=arrow_type(spec, float32), mask=null if null.any() else None)
    values = pa.array(np.ascontiguousarray(col).ravel(), type=arrow_type(AttrSpec(spec.kind), float32))
    mask = pa.array(null) if null.any() else None
    return pa.FixedSizeListArray.from_arrays(values, type=arrow_type(spec, float32), mask=mask)


def _has_vars(col: np.ndarray) -> bool:
    return AttrVar in set(map(type, col.tolist()))


def _json_encoded(X: ACSet, name: str) -> bool:
    """Object columns are JSON text, and str columns that hold attribute variables."""
    if X.schema.is_hom(name):
        return False
    kind = X.types[X.schema.codom(name)].kind
    return kind == "object" or (kind == "str" and _has_vars(X.subpart(name)))


def nvars(X: ACSet, t: str) -> int:
    """How many attribute variables AttrType ``t`` has (0 where the engine keeps none)."""
    try:
        return X.nparts(t)
    except AcsetS2RError:
        return 0


def arrow_table(X: ACSet, ob: str, float32: frozenset[str] = frozenset()):
    """The parts of ``ob`` as an Arrow table: ``_id``, then its homs and attributes
    (those in ``float32`` stored as float32)."""
    import pyarrow as pa

    names = _columns(X.schema, ob)
    if ID in names:
        raise SerializationError(f"table {ob}: a hom or attribute is named {ID}, the id column's name")
    fields = [pa.field(ID, pa.int64(), nullable=False)]
    arrays = [pa.array(X.parts(ob))]
    for name in names:
        arr = arrow_column(X, name, name in float32)
        # a column without an undefined value is declared required: Parquet then stores no
        # definition levels for it, a sixth of the time to write such a column and a third to read it
        fields.append(pa.field(name, arr.type, nullable=arr.null_count > 0,
                               metadata=_JSON_ENCODING if _json_encoded(X, name) else None))
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


# -- the folder's document --------------------------------------------------------------------
def _document(X: ACSet, float32: frozenset[str] = frozenset()) -> dict:
    ours = {
        "format": PARQUET_FORMAT,
        "types": {t: [spec.kind, spec.width] for t, spec in X.types.items()},
        "nparts": {ob: X.nparts(ob) for ob in X.schema.obs},
        "nvars": {t: nvars(X, t) for t in X.schema.attrtypes},
    }
    if float32:  # absent otherwise: a full-precision folder's document is as it always was
        ours["float32"] = sorted(float32)
    return schema_to_json(X.schema) | {"name": X.schema.name, "acset_s2r": ours}


def _float_attrs(schema, specs: Mapping[str, AttrSpec]) -> list[str]:
    return [a.name for a in schema.attrs if specs[a.codom].kind == "float"]


def _float32_columns(X: ACSet, float32: bool | Any) -> frozenset[str]:
    """The float attributes ``float32`` names: none, all (True), or the names given."""
    floats = _float_attrs(X.schema, X.types)
    if float32 is True:
        return frozenset(floats)
    if float32 is False or float32 is None:
        return frozenset()
    names = [float32] if isinstance(float32, str) else list(float32)
    for name in names:
        if name not in floats:
            raise SerializationError(
                f"float32: {name!r} is not a float attribute of {X.schema.name} (those are {', '.join(floats) or 'none'})"
            )
    return frozenset(names)


def _read_document(folder: Path) -> tuple[Any, dict[str, AttrSpec], dict[str, int], dict]:
    path = folder / SCHEMA_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SerializationError(f"{folder} is not an ACSet Parquet folder: it has no {SCHEMA_FILE}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SerializationError(f"{path}: cannot read the schema: {err}") from None
    try:
        schema = schema_from_json(doc)
        ours = doc["acset_s2r"]
        if ours.get("format") != PARQUET_FORMAT:
            raise ValueError(f"format is {ours.get('format')!r}, expected {PARQUET_FORMAT!r}")
        specs = {}
        for t in schema.attrtypes:
            kind, width = ours["types"][t]
            numeric = kind in ("float", "int", "bool")
            if not (numeric or kind in ("str", "object")) or not (
                width is None or (numeric and type(width) is int and width >= 1)
            ):
                raise ValueError(f"attribute type {t} has unknown storage {[kind, width]!r}")
            specs[t] = AttrSpec(kind, width)
        nparts = {ob: ours["nparts"][ob] for ob in schema.obs}
        nparts |= {t: ours.get("nvars", {}).get(t, 0) for t in schema.attrtypes}
        for ob, n in nparts.items():
            if type(n) is not int or n < 0:
                raise ValueError(f"nparts of {ob} is {n!r}, not a count")
        extra = set(ours["types"]) - set(schema.attrtypes) or set(ours["nparts"]) - set(schema.obs)
        if extra:
            raise ValueError(f"{sorted(extra)} are not in the schema")
        narrow = ours.get("float32", [])
        if not isinstance(narrow, list) or not set(narrow) <= set(_float_attrs(schema, specs)):
            raise ValueError(f"float32 is {narrow!r}, not a list of float attributes")
    except (AcsetS2RError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise SerializationError(f"{path}: malformed ACSet schema document: {err}") from None
    return schema, specs, nparts, doc


# -- writing ----------------------------------------------------------------------------------
def _write_options(table) -> dict:
    """Encodings and codecs per leaf column, chosen for the time to write and read them back.

    int64 leaves (ids, runs, links) are delta-encoded and bit-packed, and not compressed:
    the packing already took what a codec would (zstd left a 1M-edge graph's file the same
    size and added a quarter to the time to write it). float leaves are byte-stream split
    and compressed with LZ4, within a few per cent of zstd's size on simulator-like random
    walks and faster to write and to read. Other leaves (bools, text) are dictionary-encoded
    and zstd-compressed.

    No column statistics (min, max, null count per column chunk) are written: they are what
    a reader skips row groups by, of no use to ``read_parquet`` (which reads every value) and
    little to a query over a file of one or two row groups, and computing them took a sixth
    of the time to write a 1M-edge graph.
    """
    import pyarrow as pa

    encoding, dictionary, compression = {}, [], {}
    for field in table.schema:
        t = field.type
        leaf, path = (t.value_type, f"{field.name}.list.element") if pa.types.is_fixed_size_list(t) else (t, field.name)
        if pa.types.is_int64(leaf):
            encoding[path], compression[path] = "DELTA_BINARY_PACKED", "none"
        elif pa.types.is_float64(leaf) or pa.types.is_float32(leaf):
            encoding[path], compression[path] = "BYTE_STREAM_SPLIT", "lz4"
        else:
            dictionary.append(path)
            compression[path] = "zstd"
    return {"compression": compression, "use_dictionary": dictionary, "column_encoding": encoding,
            "write_statistics": False}


def _is_ours(folder: Path) -> bool:
    """An empty folder, or one this module wrote: the only folders a write may replace."""
    if not any(folder.iterdir()):
        return True
    try:
        doc = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
        return doc["acset_s2r"]["format"] == PARQUET_FORMAT
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_files(tmp: Path, tables: Mapping[str, Any], text: str) -> None:
    """Write and fsync every file of the folder, and the folder, side by side in threads:
    pyarrow and fsync release the GIL, and fsyncs in flight together share the filesystem's
    journal commits (three files' fsyncs took 2.7 ms together against 10 ms one after another
    here)."""
    import pyarrow.parquet as pq
    from concurrent.futures import ThreadPoolExecutor

    def write(path: Path, t) -> None:
        pq.write_table(t, path, **_write_options(t))
        _fsync(path)

    # largest first, so the long write starts at once
    order = sorted(tables, key=lambda ob: -tables[ob].nbytes)
    paths = {ob: tmp / f"{ob}.parquet" for ob in order}
    for path in (*paths.values(), tmp / SCHEMA_FILE):
        path.touch()  # every name exists before the folder's own fsync starts beside the writes
    # 'with' waits for every thread before an error propagates: the caller's cleanup never
    # races a write still in progress
    with ThreadPoolExecutor(max_workers=min(len(order) + 1, 8)) as pool:
        futures = [pool.submit(write, paths[ob], tables[ob]) for ob in order] + [pool.submit(_fsync, tmp)]
        (tmp / SCHEMA_FILE).write_text(text, encoding="utf-8")
        _fsync(tmp / SCHEMA_FILE)
        for f in futures:
            f.result()


def write_parquet(X: ACSet, folder: str | os.PathLike, float32: bool | Any = False) -> None:
    """Write ``X`` to ``folder`` as one Parquet file per object and ``schema.json``.

    The folder is replaced as a whole: the files are written to a temporary folder
    beside it, which is then renamed into place. An existing folder is replaced only
    if it is empty or was written by this function. Every file, the new folder and the
    rename are fsynced: when this returns, the new folder is on disk.

    ``float32`` (``True`` for every float attribute, or their names) stores floats in half
    the bytes. It is lossy: a value reads back rounded to float32 (relative error up to
    6e-8), so a folder written this way no longer reads back equal to ``X``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r import ACSet, SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 3)
    >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, -1], weight=[0.5, 1.5])
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "graph"
    >>> write_parquet(X, folder)
    >>> sorted(p.name for p in folder.iterdir())
    ['E.parquet', 'V.parquet', 'schema.json']
    >>> read_parquet(folder) == X
    True
    >>> write_parquet(X, folder, float32=["weight"])
    >>> read_parquet(folder).subpart("weight").dtype, read_parquet(folder) == X  # 0.5 and 1.5 are exact in float32
    (dtype('float64'), True)
    """
    for ob in X.schema.obs:
        if not _SAFE_NAME.fullmatch(ob) or ob + ".parquet" == SCHEMA_FILE:
            raise SerializationError(f"object {ob!r} cannot name a Parquet file; use letters, digits and _")
    narrow = _float32_columns(X, float32)
    doc = _document(X, narrow)
    text = json.dumps(doc, indent=1)
    # every table is built before a file is touched: a value that cannot be written fails here
    tables = {}
    for ob in X.schema.obs:
        t = arrow_table(X, ob, narrow)
        tables[ob] = t.replace_schema_metadata({_META_KEY: json.dumps(doc | {"object": ob})})
    target = Path(os.path.realpath(folder))
    if target.exists() and not (target.is_dir() and _is_ours(target)):
        raise SerializationError(
            f"refusing to replace {folder}: it is not a folder written by write_parquet (or an empty one)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    old = None
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # mkdtemp makes it 0700
        _write_files(tmp, tables, text + "\n")
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
            os.rename(target, old / "acset")
        try:
            os.rename(tmp, target)
        except BaseException:
            if old is not None:
                os.rename(old / "acset", target)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not (old / "acset").exists():
            shutil.rmtree(old, ignore_errors=True)
        raise
    try:
        _fsync(target.parent)  # the rename itself, so that a crash now cannot bring the old folder back
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# -- reading ----------------------------------------------------------------------------------
def _same_type(got, want) -> bool:
    import pyarrow as pa

    if pa.types.is_string(want):
        return pa.types.is_string(got) or pa.types.is_large_string(got)
    if pa.types.is_fixed_size_list(want) and pa.types.is_fixed_size_list(got):
        # folders written before vectors' components were declared never null read as well
        return got.list_size == want.list_size and got.value_type == want.value_type
    return got == want


def _open(path: Path):
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path, memory_map=True)  # read in place, not through a buffer
    except FileNotFoundError:
        raise SerializationError(f"{path}: missing table (the schema names this object)") from None
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError and others on a damaged file
        raise SerializationError(f"{path}: not a readable Parquet file: {err}") from None


def _check_file(path: Path, pf, ob: str, schema, specs, nparts, doc) -> None:
    meta = pf.schema_arrow.metadata or {}
    if _META_KEY in meta:
        try:
            own = json.loads(meta[_META_KEY])
        except ValueError:
            own = None
        want = doc | {"object": ob}
        if own != want:
            raise SerializationError(
                f"{path}: its metadata (key acset_s2r) disagrees with {SCHEMA_FILE} "
                "(schema, attribute types or part counts differ)"
            )
    names = [ID] + _columns(schema, ob)
    have = pf.schema_arrow.names
    for name in names:
        if name not in have:
            raise SerializationError(f"{path}, column {name}: missing (the schema gives {ob} this column)")
    for name in have:
        if name not in names:
            raise SerializationError(f"{path}, column {name}: not a hom or attribute of {ob} in {SCHEMA_FILE}")
    import pyarrow as pa

    narrow = set(doc["acset_s2r"].get("float32", []))
    for name in names:
        got = pf.schema_arrow.field(name).type
        if name == ID or schema.is_hom(name):
            want, what = pa.int64(), "part ids"
        else:
            spec = specs[schema.codom(name)]
            want, what = arrow_type(spec, name in narrow), f"{schema.codom(name)} bound to {spec}"
            what += ", stored as float32" if name in narrow else ""
        if not _same_type(got, want):
            raise SerializationError(f"{path}, column {name}: type {got}, expected {want} ({what})")
    rows = pf.metadata.num_rows
    if rows != nparts[ob]:
        raise SerializationError(f"{path}: {rows} rows, but {SCHEMA_FILE} says {ob} has {nparts[ob]} parts")


def _one(col):
    return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)


_BLOCK = 1 << 16


def _counts_up(ids: np.ndarray, n: int) -> bool:
    """Whether ``ids`` is 0, 1, ..., n - 1, compared block by block with one reused arange
    (no n-long temporary: two thirds of the time of a difference of the whole column)."""
    if len(ids) != n:
        return False
    want = np.arange(min(n, _BLOCK))
    same = np.empty(len(want), dtype=bool)
    for start in range(0, n, _BLOCK):
        block = ids[start:start + _BLOCK]
        k = len(block)
        if not np.equal(block, want[:k], out=same[:k]).all():
            return False
        want += _BLOCK
    return True


def _first_bad(ok: np.ndarray) -> int:
    return int(np.flatnonzero(~ok)[0])


def _read_table(path: Path, pf, ob: str, schema, specs, nparts) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Columns of one file as (values, defined) numpy arrays, every value checked."""
    import pyarrow as pa

    try:
        table = pf.read()
    except Exception as err:
        raise SerializationError(f"{path}: cannot read its data: {err}") from None
    n = nparts[ob]
    ids = _one(table.column(ID))
    if ids.null_count or not _counts_up(ids.to_numpy(), n):
        raise SerializationError(f"{path}, column {ID}: the ids must be 0..{n - 1} in order")
    out = {}
    for name in _columns(schema, ob):
        arr = _one(table.column(name))
        if schema.is_hom(name):
            m = nparts[schema.codom(name)]
            # seen as unsigned, a negative id is above every part: one pass tests 0 <= v < m
            if arr.null_count:
                vals = arr.fill_null(-1).to_numpy()
                # every null reads -1, outside; the column is good when nothing else is
                ok = None if np.count_nonzero(vals.view(np.uint64) >= m) == arr.null_count else (
                    (vals >= 0) & (vals < m) | (vals == -1) & ~arr.is_valid().to_numpy(zero_copy_only=False)
                )
            else:  # no nulls: the column's greatest unsigned value decides, without a mask
                vals = arr.to_numpy()
                ok = None if not len(vals) or vals.view(np.uint64).max() < m else (vals >= 0) & (vals < m)
            if ok is not None and not ok.all():
                i = _first_bad(ok)
                raise SerializationError(
                    f"{path}, column {name}, row {i}: {int(vals[i])} is not a part of {schema.codom(name)} "
                    f"(0..{m - 1}, or null for undefined)"
                )
            out[name] = (vals, None)
            continue
        spec = specs[schema.codom(name)]
        meta = table.schema.field(name).metadata or {}
        as_json = spec.kind == "object" or meta.get(b"acset_s2r.encoding") == b"json"
        try:
            out[name] = _attr_numpy(arr, spec, n, as_json)
        except (ValueError, KeyError, TypeError, pa.ArrowException) as err:  # pyarrow: text that is not UTF-8
            raise SerializationError(f"{path}, column {name}: cannot read a value: {err}") from None
    return out


def _attr_numpy(arr, spec: AttrSpec, n: int, as_json: bool) -> tuple[Any, np.ndarray | None]:
    if spec.kind == "str" and not as_json:
        return arr.to_numpy(zero_copy_only=False), None
    if spec.kind in ("str", "object"):
        return [None if s is None else _decode_object(s) for s in arr.to_pylist()], None
    if spec.kind == "float" and not spec.width:
        # an undefined float is NaN: the values alone say it, no mask is kept or needed
        flat = arr.fill_null(spec.fill) if arr.null_count else arr
        flat = flat.to_numpy(zero_copy_only=False)
        return (flat.astype(np.float64) if flat.dtype != np.float64 else flat), None
    null = arr.is_null().to_numpy(zero_copy_only=False) if arr.null_count else None
    if spec.width:
        values = arr.values.slice(arr.offset * spec.width, n * spec.width)
        if values.null_count:
            # Parquet gives a null row null components; a null inside a defined row is an error
            inner = values.is_null().to_numpy(zero_copy_only=False).reshape(n, spec.width)
            if null is None or inner[~null].any():
                raise ValueError("a defined vector has a null component")
            values = values.fill_null(spec.fill)
        flat = values.to_numpy(zero_copy_only=False).reshape(n, spec.width)
    else:
        flat = arr.fill_null(spec.fill).to_numpy(zero_copy_only=False) if null is not None else arr.to_numpy(
            zero_copy_only=False
        )
    if spec.kind == "float" and flat.dtype != np.float64:  # a float32 column widens on reading
        flat = flat.astype(np.float64)
    if null is not None and spec.kind == "float" and spec.width:
        flat = np.where(null[:, None], np.nan, flat)
    return flat, (None if null is None or spec.kind == "float" else ~null)


def read_parquet(folder: str | os.PathLike) -> ACSet:
    """Read a folder written by :func:`write_parquet`; the schema and types come from it.

    Raises :class:`~acset_s2r.errors.SerializationError`, naming the file and column,
    when a table is missing or extra, a file is damaged, or a column's name, type,
    length or values disagree with ``schema.json``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r import ACSet, SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=(float, 2)); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[[0.5, 1.0]])
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "g"
    >>> write_parquet(X, folder)
    >>> Y = read_parquet(folder)
    >>> Y.types["Weight"], Y.subpart("weight")
    (AttrSpec(kind='float', width=2), array([[0.5, 1. ]]))
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SerializationError(f"{folder} is not a folder")
    schema, specs, nparts, doc = _read_document(folder)
    expected = {f"{ob}.parquet" for ob in schema.obs}
    for p in sorted(folder.glob("*.parquet")):
        if p.name not in expected:
            raise SerializationError(f"{p}: not an object of {schema.name} in {SCHEMA_FILE}")
    files = {}
    for ob in schema.obs:
        path = folder / f"{ob}.parquet"
        pf = _open(path)
        _check_file(path, pf, ob, schema, specs, nparts, doc)
        files[ob] = (path, pf)
    cols: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for ob, (path, pf) in files.items():
        cols |= _read_table(path, pf, ob, schema, specs, nparts)
    # every value is checked: from here on a failure is our bug, not the folder's
    X = ACSet(schema, **specs)
    for t in schema.attrtypes:
        if nparts[t]:
            X.add_parts(t, nparts[t])
    obs = {ob: nparts[ob] for ob in schema.obs}
    # foreign keys were checked in _read_table against the part counts, more strictly than
    # _check_subparts would (a stored -1 is refused there, and a fresh ACSet has no deleted
    # parts): they are taken as they are, which spares two passes over each hom column
    checked = {name: (vals, None) for name, (vals, _) in cols.items() if schema.is_hom(name)}
    for ob in schema.obs:
        attrs = {name: cols[name][0] for name in _columns(schema, ob) if not schema.is_hom(name)}
        try:
            checked |= X._check_subparts(ob, nparts[ob], attrs, obs)
        except AcsetS2RError as err:  # a value the checks above cannot see, such as a dangling variable
            raise SerializationError(f"{files[ob][0]}: {err}") from None
    # the decoded buffers become the ACSet's columns, not copied: read-only, copied on first write
    X._adopt(obs, checked, {name: defined for name, (_, defined) in cols.items() if defined is not None})
    return X


def parquet_schema(folder: str | os.PathLike) -> tuple[Any, dict[str, AttrSpec], Mapping[str, int]]:
    """(schema, attribute types, part counts) of a Parquet folder, from its ``schema.json`` only."""
    schema, specs, nparts, _ = _read_document(Path(folder))
    return schema, specs, nparts
