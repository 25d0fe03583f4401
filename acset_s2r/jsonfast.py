"""JSON for numeric ACSet columns, read and written as numpy byte arrays.

Why this module exists: orjson turns JSON into Python objects, one per value, and back.
ACSets.jl's row layout holds one object per part (``{"_id":1,"src":3,"tgt":7}``), so a
1M-edge graph through orjson alone is 1.3M row dicts built to write and decoded to read,
then each column gathered and checked value by value; measured on that graph
(``bench/files.py``'s graph), write + read that way took 2.8-3.6x as long as orjson's own
dumps + loads of the same bytes (with or without a float column), the target being 1x. Here the numbers never become Python objects:
a file laid out exactly as we write it is read and written column by column in numpy,
and orjson still does all the text a number needs (it dumps whole arrays, and decodes
non-integer tokens gathered into one array).

- Writing (:func:`rows_json`): each column becomes its JSON tokens (one orjson dump of the
  array, or one dump per value), copied into the output 8 bytes at a time.
- Reading (:func:`read_rows`, :func:`read_columnar`): every fixed byte (braces, keys,
  commas) is checked in place, integers are parsed in numpy, other numbers decoded by
  orjson, and the general reader's checks run on whole columns; tables with text columns
  (small, in the files we write) are decoded by orjson and given to the general reader as a
  document of their own. Anything else, or any value that would need a message, returns None: ``acset_s2r.serialization`` then reads
  the file its general way, which decides what is refused and says why. So this module
  never decides what a file means; it only gets there sooner.

Only :mod:`acset_s2r.serialization` imports it.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import orjson

from acset_s2r.acset import ACSet, AttrSpec, attr_spec
from acset_s2r.errors import AcsetS2RError
from acset_s2r.schema import Schema

# -- the row layout as bytes, from the columns ------------------------------------------------
# Building 1.3M row dicts for orjson cost more than the rest of a write, so the row layout is
# assembled from column tokens in numpy: each column becomes its JSON tokens (numbers and
# ``null`` from one orjson dump of the array, other values one dump each), and the rows are
# written straight into the output, each piece of every row at once in whole 8-byte words
# (see _write_rows), at positions from the tokens' lengths.
_OPT_NUMPY = orjson.OPT_SERIALIZE_NUMPY


class _Tokens:
    """A column's JSON tokens: ``buf`` holds them back to back, token i at ``starts[i]``, ``lens[i]`` long."""

    __slots__ = ("buf", "starts", "lens")

    def __init__(self, buf: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> None:
        self.buf, self.starts, self.lens = buf, starts, lens

    @classmethod
    def numbers(cls, values: Any) -> _Tokens:
        """Tokens of a 1-D numeric array, or of a list of numbers, bools and None (no commas inside)."""
        raw = orjson.dumps(values, option=_OPT_NUMPY)
        buf = np.frombuffer(raw, dtype=np.uint8)[1:-1]
        if not len(buf):
            return cls(buf, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        commas = np.flatnonzero(buf == 44)
        starts = np.empty(len(commas) + 1, dtype=np.int64)
        starts[0] = 0
        starts[1:] = commas + 1
        ends = np.append(commas, len(buf))
        return cls(buf, starts, ends - starts)

    @classmethod
    def each(cls, values: list) -> _Tokens:
        """Tokens of arbitrary JSON values (strings may hold commas): one dump per value."""
        parts = list(map(orjson.dumps, values))  # what orjson refuses goes to the caller's whole-document path
        lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        starts = np.cumsum(lens) - lens
        return cls(np.frombuffer(b"".join(parts), dtype=np.uint8), starts, lens)


def numeric_array(X: ACSet, name: str) -> np.ndarray | None:
    """The column as an array whose orjson dump is that of the row layout's values (1-based homs,
    scalar floats with NaN dumped as null, fully defined ints and bools), or None."""
    if X.schema.is_hom(name):
        return X.subpart(name) + 1
    spec = X.types[X.schema.codom(name)]
    if spec.kind in ("float", "int", "bool") and not spec.width and (spec.kind == "float" or X.is_defined(name).all()):
        return X.subpart(name)
    return None


def _vector_tokens(X: ACSet, name: str, spec: AttrSpec) -> _Tokens:
    """Tokens of a numeric vector column: each row as orjson dumps it from the 2-D array
    (``[x,y]``, a NaN component as null), and ``null`` for an undefined row (for floats,
    one whose components are all NaN), as the row layout writes them."""
    col = np.ascontiguousarray(X.subpart(name))
    undefined = np.isnan(col).all(axis=1) if spec.kind == "float" else ~X.is_defined(name)
    buf = np.frombuffer(orjson.dumps(col, option=_OPT_NUMPY), dtype=np.uint8)[1:-1]
    starts = np.flatnonzero(buf == 91)  # "[": the rows hold numbers only
    lens = np.flatnonzero(buf == 93) + 1 - starts  # "]"
    if undefined.any():
        buf = np.concatenate([buf, np.frombuffer(b"null", dtype=np.uint8)])
        starts[undefined], lens[undefined] = len(buf) - 4, 4
    return _Tokens(buf, starts, lens)


def _column_tokens(X: ACSet, name: str, json_values: Callable[[ACSet, str], list]) -> _Tokens:
    """The tokens of ``json_values(X, name)``, without a Python object per row where the column is numeric."""
    whole = numeric_array(X, name)
    if whole is not None:
        return _Tokens.numbers(whole)
    spec = X.types[X.schema.codom(name)]
    if spec.width and spec.kind in ("float", "int", "bool"):
        return _vector_tokens(X, name, spec)
    vals = json_values(X, name)
    return _Tokens.numbers(vals) if spec.kind in ("int", "bool") and not spec.width else _Tokens.each(vals)


# for a token of L bytes in an 8-byte word: 0x01 in each of its bytes (little-endian), L = 0..8
_TOKEN_BYTES = np.array([(1 << 8 * L) // 255 for L in range(9)], dtype=np.uint64)
_FIRST = b'{"_id":'  # every row begins so
_CLOSER = np.frombuffer(b'},' + _FIRST[:6], dtype="<u8")[0]  # a row's end, and the next row's first bytes
_ROWS = 1 << 16  # rows per step: positions and gathered words stay small and cache-warm


def _table(keys: list[str], columns: list[_Tokens], n: int) -> tuple[list[bytes], list[_Tokens], int, int]:
    """A table's fixed texts (the last closes a row and separates it from the next), its
    columns with the ids first, its rows, and the bytes of ``{"_id":1,"k":v,...},{"_id":2,...}``."""
    columns = [_Tokens.numbers(np.arange(1, n + 1, dtype=np.int64)), *columns] if n else []
    fixed = [_FIRST] + [b"," + orjson.dumps(k) + b":" for k in keys] + [b"},"]
    size = n * sum(map(len, fixed)) - 1 + sum(int(c.lens.sum()) for c in columns) if n else 0
    return fixed, columns, n, size


def _write_rows(words: np.ndarray, at: int, fixed: list[bytes], columns: list[_Tokens], n: int) -> None:
    """Write a table's rows (see :func:`_table`) from byte ``at`` of the output, whose 8-byte
    words at every byte offset are ``words``; at most 7 bytes past the rows are written too.

    Every piece of a row (fixed text or token) is written in whole 8-byte words from where it
    begins, so up to 7 bytes after it are written as well: whatever followed it in its
    column's text. Pieces are written in row order, one piece of every row at a time, so a
    piece's spill lands on later pieces of its row, written after it, except at a row's end:
    the last token and the fixed text before it can spill up to 5 bytes into the next row,
    whose first pieces are already written. The row's closing word is written last and
    holds ``},`` and the next row's first 6 bytes, which are the same in every row: it puts
    them back.
    """
    if not n:
        return
    fixed_words = [np.frombuffer(f + bytes(-len(f) % 8), dtype="<u8") for f in fixed[:-1]]
    nwords = [-(-int(c.lens.max()) // 8) for c in columns]
    texts = [np.concatenate([c.buf, np.zeros(8 * q, np.uint8)]) for c, q in zip(columns, nwords)]
    sources = [np.ndarray((len(t) - 7,), dtype="<u8", buffer=t, strides=(1,)) for t in texts]
    row_fixed = sum(map(len, fixed))
    for lo in range(0, n, _ROWS):
        hi = min(n, lo + _ROWS)
        lens = [c.lens[lo:hi] for c in columns]
        row_lens = np.full(hi - lo, row_fixed, dtype=np.int64)
        for x in lens:
            row_lens += x
        pos = np.cumsum(row_lens) - row_lens + at
        at += int(row_lens.sum())
        for f, fw, c, length, q, source in zip(fixed, fixed_words, columns, lens, nwords, sources):
            for j, w in enumerate(fw):
                words[pos + 8 * j] = w
            pos += len(f)
            starts = c.starts[lo:hi]
            whole = int(length.min())  # the words every token of the step fills
            for j in range(q):
                if 8 * j < whole:
                    words[pos + 8 * j] = source[starts + 8 * j]
                else:
                    longer = length > 8 * j
                    words[pos[longer] + 8 * j] = source[starts[longer] + 8 * j]
            pos += length
        words[pos] = _CLOSER


def rows_json(X: ACSet, json_values: Callable[[ACSet, str], list]) -> bytes | np.ndarray | None:
    """The compact orjson dump of ``X``'s ACSets.jl row layout (a uint8 array, written as it is),
    built from the columns; ``json_values(X, name)`` gives a column's JSON values where it is
    not numeric. None where orjson refuses a value (an integer past 64 bits in an object column)."""
    tables = []
    for ob in X.schema.obs:
        names = [h.name for h in X.schema.homs_out(ob)] + [a.name for a in X.schema.attrs_of(ob)]
        try:
            tokens = [_column_tokens(X, name, json_values) for name in names]
        except orjson.JSONEncodeError:
            return None
        tables.append((ob, _table(names, tokens, X.nparts(ob))))
    for t in X.schema.attrtypes:
        tables.append((t, _table([], [], X.nparts(t))))
    if not tables:
        return b"{}"
    heads = [(b"{" if i == 0 else b"],") + orjson.dumps(k) + b":[" for i, (k, _) in enumerate(tables)] + [b"]}"]
    total = sum(map(len, heads)) + sum(size for _, (*_, size) in tables)
    out = np.empty(total + 8, dtype=np.uint8)  # 8 bytes for the last spill
    words = np.ndarray((len(out) - 7,), dtype="<u8", buffer=out, strides=(1,))
    at = 0
    for head, (_, (fixed, columns, n, size)) in zip(heads, tables):
        out[at : at + len(head)] = np.frombuffer(head, dtype=np.uint8)  # after the last table's spill
        at += len(head)
        _write_rows(words, at, fixed, columns, n)
        at += size
    out[at : at + 2] = np.frombuffer(b"]}", dtype=np.uint8)
    return out[:total]


# -- the row layout read from the bytes ---------------------------------------------------------
# Decoding 42 MB of rows into 1.3M dicts, then checking them row by row, cost several times an
# orjson dump. A file laid out exactly as rows_json writes it, with numeric columns only
# (scalars, and vectors of a bound type), is read here from the bytes: every fixed byte (braces,
# keys, commas) is checked in place, the tokens between them parsed column by column in numpy
# (integers) or by orjson (other numbers, and vectors), and the same checks as the row path
# made on whole columns. Anything else (other spacing or
# key order, str or object columns, a value out of range, a malformed token) returns None, and
# the general path reads the file and names what is wrong, so what is accepted, what is refused
# and every message stay as they were.
_BOM = b"\xef\xbb\xbf"
_PAD = 24  # zeros before the text, so a token's right-aligned window never starts before it


_NUMERIC = ("float", "int", "bool")


def read_rows(raw: bytes, schema: Schema, types: Mapping[str, Any],
              general: Callable[..., ACSet] | None = None) -> ACSet | None:
    """The ACSet of a row-layout file as :func:`rows_json` writes it, or None.

    Tables whose columns are numeric are read from the bytes (``types`` binds attribute
    types; the others are inferred as the general reader does). With ``general`` (the
    general reader, ``general(data, schema, **types)``) and every attribute type bound,
    the other tables (``str`` or ``object`` columns, typically small) are decoded by orjson
    and read by ``general`` as a document of their own, provided no hom leads from them
    into a table read from the bytes; anything it refuses is left to the general path too.
    """
    try:
        specs = {t: attr_spec(b) for t, b in types.items() if t in schema.attrtypes}
    except AcsetS2RError:
        return None
    if set(types) - set(schema.attrtypes):
        return None
    other = {a.dom for a in schema.attrs if a.codom in specs and specs[a.codom].kind not in _NUMERIC}
    if other and (general is None or set(specs) != set(schema.attrtypes) or any(
            h.dom in other and h.codom not in other for h in schema.homs)):
        return None
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    tables_in_order = (*schema.obs, *schema.attrtypes)
    if not tables_in_order or not raw.startswith(b"{" + orjson.dumps(tables_in_order[0]) + b":["):
        return None  # (before copying the text below)
    buf = np.frombuffer(raw, dtype=np.uint8)
    pad = _PAD
    padded = np.concatenate([np.zeros(pad, dtype=np.uint8), buf, np.zeros(pad, dtype=np.uint8)])
    tables: dict[str, int] = {}
    cols: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    raws: dict[str, list] = {}
    decoded: dict[str, list] = {}
    at = 0
    for i, table in enumerate(tables_in_order):
        head = (b"{" if i == 0 else b",") + orjson.dumps(table) + b":["
        if not raw.startswith(head, at):
            return None
        start = at + len(head)
        # the list ends where the next table's head begins (vectors hold "]"; a long needle is found fast)
        if i + 1 < len(tables_in_order):
            end = raw.find(b"]," + orjson.dumps(tables_in_order[i + 1]) + b":[", start)
        else:
            end = len(raw) - 2 if raw.endswith(b"]}") else -1
        if end < start:
            return None
        if table in other:  # decoded whole; a head found inside a string leaves text orjson refuses
            try:
                decoded[table] = orjson.loads(raw[start - 1 : end + 1])
            except orjson.JSONDecodeError:
                return None
            if type(decoded[table]) is not list:
                return None
            tables[table] = len(decoded[table])
            at = end + 1
            continue
        names = [h.name for h in schema.homs_out(table)] + [a.name for a in schema.attrs_of(table)] if (
            table in schema.obs) else []
        spans = _row_spans(buf[start:end], names, padded, start + pad)
        if spans is None:
            return None
        n, tokens = spans
        tables[table] = n
        for j, (name, (lo, hi)) in enumerate(zip(["_id", *names], tokens)):
            spec = None if name == "_id" or schema.is_hom(name) else specs.get(schema.codom(name))
            kind = "int" if name == "_id" or schema.is_hom(name) else (
                spec.kind if spec is not None and not spec.width else None)
            if kind == "int":
                parsed = _parse_ints(padded, lo + start + pad, hi + start + pad, nulls=name != "_id" and
                                     not schema.is_hom(name))
                if parsed is None:
                    return None
                cols[name] = parsed
            else:
                longest = 24 if spec is None or not spec.width else 32 * spec.width  # 24 a number, and ","
                values = _parse_tokens(padded, lo + start + pad, hi + start + pad, longest)
                if values is None:
                    return None
                raws[name] = values
        at = end + 1
        if not np.array_equal(cols.pop("_id")[0], np.arange(1, n + 1)):
            return None
    if at != len(raw) - 1 or raw[at:] != b"}":
        return None
    bound = dict(types)
    for t in schema.attrtypes:
        if t in bound:
            continue
        seen = set().union(*(map(type, raws[a.name]) for a in schema.attrs if a.codom == t)) - {type(None)}
        bound[t] = {frozenset(): object, frozenset({bool}): bool, frozenset({int}): int,
                    frozenset({float}): float, frozenset({int, float}): float}.get(frozenset(seen))
        if bound[t] is None or bound[t] is object and any(a.codom == t for a in schema.attrs):
            return None
    for name, values in raws.items():
        spec = attr_spec(bound[schema.codom(name)])
        column = _typed_vectors(values, spec) if spec.width else _typed_column(values, spec.kind)
        if column is None:
            return None
        cols[name] = column
    for h in schema.homs:
        vals = cols[h.name][0] if h.name in cols else ()  # (the other tables' homs are general's)
        if len(vals) and (vals.min() < 0 or vals.max() > tables[h.codom]):
            return None
    if decoded:
        variables = {t: [{"_id": k} for k in range(1, tables[t] + 1)] for t in schema.attrtypes}
        try:
            X = general(decoded | variables, schema, **bound)
        except AcsetS2RError:
            return None  # the general path reads the whole file and says what is wrong
    else:
        X = ACSet(schema, **bound)
        for t in schema.attrtypes:
            X.add_parts(t, tables[t])
    for ob in schema.obs:
        if ob not in other:
            X.add_parts(ob, tables[ob])
    for name, (vals, defined) in cols.items():
        ids = X.parts(schema.dom(name))
        X.set_subpart(ids, name, vals - 1 if schema.is_hom(name) else vals)
        if defined is not None and not defined.all():
            X.clear_subpart(ids[~defined], name)
    return X


def _row_spans(seg: np.ndarray, names: list[str], padded: np.ndarray,
               at: int) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]] | None:
    """Rows ``{"_id":t,"name":t,...}`` joined by commas: their count and each column's token
    spans ``[lo, hi)``, once every byte outside the tokens is checked; None if the rows are not so.
    ``seg`` is ``padded[at:at + len(seg)]``, and ``padded`` has at least 8 bytes after it."""
    fixed = [(b"{" if j == 0 else b",") + orjson.dumps(k) + b":" for j, k in enumerate(["_id", *names])]
    if any(f.count(b":") != 1 for f in fixed):
        return None  # a key holding a colon: the colons would not mark the tokens
    if not len(seg):
        return 0, [(np.zeros(0, dtype=np.int64),) * 2 for _ in fixed]
    colons = np.flatnonzero(seg == 58)
    k = len(fixed)
    if not len(colons) or len(colons) % k:
        return None
    n = len(colons) // k
    colons = colons.reshape(n, k)
    starts = [colons[:, j] - len(f) + 1 for j, f in enumerate(fixed)]  # where each fixed text begins
    close = np.append(starts[0][1:] - 2, len(seg) - 1)  # each row's "}", then "," before the next row
    spans = [(colons[:, j] + 1, starts[j + 1] if j + 1 < k else close) for j in range(k)]
    if starts[0][0] != 0 or any((hi <= lo).any() for lo, hi in spans):
        return None  # (tokens in order also keep every position below inside the text)
    every = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))  # 8 bytes at each offset
    for f, s in zip(fixed, starts):
        if s.min() < 0 or s.max() + len(f) > len(seg):
            return None
        for j in range(0, len(f), 8):  # the fixed text compared 8 bytes at a time
            part = f[j : j + 8]
            want = np.uint64(int.from_bytes(part, "little"))
            got = every[s + (at + j)]
            if len(part) < 8:
                got &= np.uint64((1 << 8 * len(part)) - 1)
            if not (got == want).all():
                return None
    if not ((seg[close] == 125).all() and (seg[close[:-1] + 1] == 44).all()):
        return None
    return n, spans


_ZEROS = np.uint64(0x3030303030303030)  # "00000000"
_NULL = np.uint64(int.from_bytes(b"null", "little"))
# for d = 0..8 digits at the end of a word: the bytes kept, and "0" in the bytes before them
_KEEP = np.array([~((1 << 8 * (8 - d)) - 1) & (2**64 - 1) for d in range(9)], dtype=np.uint64)
_FILL = np.array([int(_ZEROS) & ((1 << 8 * (8 - d)) - 1) for d in range(9)], dtype=np.uint64)


def _words(padded: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The 8 bytes ending just before each of ``ends``, as little-endian uint64 (byte 0 lowest)."""
    every = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    return every[ends - 8].astype(np.uint64)


def _eight_digits(words: np.ndarray, digits: np.ndarray) -> tuple[np.ndarray, bool]:
    """Numbers of the last ``digits`` (0..8) bytes of each word, and whether those are all ASCII
    digits; the bytes before them count as "0"."""
    words = (words & _KEEP[digits]) | _FILL[digits]
    b = words.view(np.uint8)
    if len(b) and (b.min() < 48 or b.max() > 57):
        return words, False
    words = words - _ZEROS
    # eight digits to a number in three steps: pairs, then fours, then all eight
    words = (words * np.uint64(10) + (words >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    words = (words * np.uint64(100) + (words >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    words = (words * np.uint64(10000) + (words >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return words.astype(np.int64), True


def _parse_ints(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray, nulls: bool) -> tuple | None:
    """JSON integers (``-?(0|[1-9][0-9]*)``, at most 16 digits) at ``[lo, hi)`` of ``padded`` (which
    has 16 zero bytes before the text), and which were ``null`` (when ``nulls``); None if a token
    is anything else."""
    if not len(lo):
        return np.zeros(0, dtype=np.int64), None
    last = _words(padded, hi)
    lens = hi - lo
    defined = None
    if nulls:
        null = (lens == 4) & (last >> np.uint64(32) == _NULL)
        if null.any():
            defined = ~null
            lens = np.where(null, 1, lens)
            last = np.where(null, _ZEROS, last)
            lo = np.where(null, hi - 1, lo)
    neg = padded[lo] == 45
    digits = lens - neg
    if digits.min() < 1 or digits.max() > 16:
        return None
    value, ok = _eight_digits(last, np.minimum(digits, 8))
    if not ok:
        return None
    if digits.max() > 8:
        high, ok = _eight_digits(_words(padded, hi - 8), np.clip(digits - 8, 0, 8))
        if not ok:
            return None
        value += high * 100_000_000
    if ((digits > 1) & (padded[hi - digits] == 48)).any():
        return None  # a leading zero is not JSON
    return np.where(neg, -value, value), defined


_SPACES = np.uint64(0x2020202020202020)
_COMMA = np.uint64(int.from_bytes(b",       ", "little"))


def _parse_tokens(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray, longest: int = 24) -> list | None:
    """The JSON values at ``[lo, hi)`` of ``padded`` (which has 24 zero bytes after the text),
    decoded by orjson as one array, or None unless that is one value per token, each at most
    ``longest`` bytes (24 holds any number orjson writes)."""
    n = len(lo)
    if not n:
        return []
    lens = hi - lo
    if int(lens.max()) > longest:
        return None
    nwords = -(-int(lens.max()) // 8)
    if nwords > 3:
        text = _token_bytes(padded, lo, hi)
    else:
        text = _token_words(padded, lo, hi, nwords)
    try:
        values = orjson.loads(b"[" + text + b"0]")
    except orjson.JSONDecodeError:
        return None
    return values[:-1] if len(values) == n + 1 else None


def _token_bytes(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> bytes:
    """The tokens at ``[lo, hi)`` (in order, apart), each followed by a comma: for long tokens
    (vectors), every byte of them kept through a mask over the text they span, a step of
    rows at a time (the mask is as long as that text)."""
    parts = []
    for a in range(0, len(lo), _ROWS):
        los, his = lo[a : a + _ROWS], hi[a : a + _ROWS]
        runs = np.empty(2 * len(los), dtype=np.int64)  # the gap before each token, then it and the byte after it
        runs[0] = 0
        runs[2::2] = los[1:] - his[:-1] - 1
        runs[1::2] = his - los + 1  # (a comma goes in that byte)
        chars = padded[int(los[0]) : int(his[-1]) + 1][np.repeat(np.tile(np.array([False, True]), len(los)), runs)]
        chars[np.cumsum(his - los + 1) - 1] = 44
        parts.append(chars.tobytes())
    return b"".join(parts)


def _token_words(padded: np.ndarray, lo: np.ndarray, hi: np.ndarray, nwords: int) -> bytes:
    """The tokens at ``[lo, hi)``, each in ``nwords`` 8-byte words (the bytes past it turned to
    spaces), then a comma: for short tokens (numbers), a gather of words instead of a mask."""
    n, lens = len(lo), hi - lo
    every = np.ndarray((len(padded) - 7,), dtype="<u8", buffer=padded, strides=(1,))
    text = np.empty((n, nwords + 1), dtype="<u8")
    for j in range(nwords):
        own = _TOKEN_BYTES[np.clip(lens - 8 * j, 0, 8)] * np.uint64(0xFF)
        at = np.minimum(lo + 8 * j, hi - 1)  # a word past a short token: any byte of it, all masked
        text[:, j] = (every[at] & own) | (_SPACES & ~own)
    text[:, nwords] = _COMMA
    return text.tobytes()


def _typed_column(values: list, kind: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """A column of a numeric kind from decoded scalars, with which are defined; None where
    the row path would refuse a value (or must name it)."""
    seen = set(map(type, values))
    gaps = type(None) in seen
    if not seen - {type(None)} <= {"float": {int, float}, "int": {int}, "bool": {bool}}[kind]:
        return None
    if kind == "float":
        return np.array(values, dtype=np.float64), None  # None reads as NaN, the float 'undefined'
    defined = np.fromiter(map(operator.is_not, values, itertools.repeat(None)), dtype=bool,
                          count=len(values)) if gaps else None
    if gaps:
        values = np.array(values, dtype=object)
        values[~defined] = 0
    try:
        return np.array(values, dtype=np.int64 if kind == "int" else bool), defined
    except OverflowError:
        return None


def _typed_vectors(values: list, spec: AttrSpec) -> tuple[np.ndarray, np.ndarray | None] | None:
    """A vector column from decoded rows (each a list of ``spec.width`` components, or None),
    with which are defined; None where the row path would refuse a row, or might read it
    otherwise than as the writer wrote it (components other than what orjson writes for the
    kind: floats, with null for NaN; ints; bools)."""
    seen = set(map(type, values))
    if not seen <= {list, type(None)}:
        return None
    rows = [v for v in values if v is not None] if type(None) in seen else values
    if rows and set(map(len, rows)) != {spec.width}:
        return None
    flat = list(itertools.chain.from_iterable(rows))
    if not set(map(type, flat)) <= {"float": {float, type(None)}, "int": {int}, "bool": {bool}}[spec.kind]:
        return None
    try:
        given = np.array(flat, dtype=spec.dtype).reshape(len(rows), spec.width)  # None: NaN
    except OverflowError:
        return None
    if len(rows) == len(values):
        return given, None
    defined = np.fromiter(map(operator.is_not, values, itertools.repeat(None)), dtype=bool, count=len(values))
    out = np.full((len(values), spec.width), spec.fill, dtype=spec.dtype)
    out[defined] = given
    return out, (None if spec.kind == "float" else defined)


# -- the columnar layout read from the bytes ------------------------------------------------------
# As for the row layout: a file as acset_s2r.serialization writes it has its header decoded by orjson
# and checked by the general reader as always, and its numeric columns parsed from the bytes;
# anything else, or any value that would need a message, goes to the general path.
class Decline(Exception):
    """The fast reader leaves this file to the general path."""


class RawColumn:
    """The text of one column's list in a columnar file, parsed once its storage type is known."""

    __slots__ = ("raw", "padded", "lo", "hi")

    def __init__(self, raw: bytes, padded: np.ndarray, lo: int, hi: int) -> None:
        self.raw, self.padded, self.lo, self.hi = raw, padded, lo, hi  # the list is raw[lo:hi]

    def parse(self, schema: Schema, name: str, specs: Mapping[str, AttrSpec],
              sizes: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray | None]:
        ob = schema.dom(name)
        spec = None if schema.is_hom(name) else specs.get(schema.codom(name))
        if spec is not None and (spec.width or spec.kind not in ("float", "int", "bool")) or (
                spec is None and not schema.is_hom(name)):
            raise Decline
        if spec is None or spec.kind == "int":
            inner = np.frombuffer(self.raw, dtype=np.uint8, count=self.hi - self.lo - 2, offset=self.lo + 1)
            commas = np.flatnonzero(inner == 44) + self.lo + 1
            lo = np.append(self.lo + 1, commas + 1)
            hi = np.append(commas, self.hi - 1)
            out = _parse_ints(self.padded, lo + _PAD, hi + _PAD, nulls=spec is not None) if len(inner) else (
                np.zeros(0, dtype=np.int64), None)
        else:
            try:
                out = _typed_column(orjson.loads(self.raw[self.lo : self.hi]), spec.kind)
            except orjson.JSONDecodeError:
                out = None
        if out is None or len(out[0]) != sizes[ob]:
            raise Decline
        if spec is None and len(out[0]) and (out[0].min() < 0 or out[0].max() > sizes[schema.codom(name)]):
            raise Decline
        return out


def read_columnar(raw: bytes, schema: Schema, types: Mapping[str, Any], fmt: str,
                  build: Callable[..., ACSet]) -> ACSet | None:
    """The ACSet of a columnar file of format ``fmt`` as we write it, or None: its header is
    decoded by orjson, its columns handed to ``build`` (the general reader, which checks the
    header and calls :meth:`RawColumn.parse` on each column) as :class:`RawColumn`."""
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    cut = raw.find(b',"columns":{"')
    if not raw.startswith(b'{"format":') or cut < 0:
        return None
    try:
        head = orjson.loads(raw[:cut] + b"}")
    except orjson.JSONDecodeError:
        return None
    if not isinstance(head, dict) or head.get("format") != fmt or "columns" in head:
        return None
    padded = np.concatenate([np.zeros(_PAD, dtype=np.uint8), np.frombuffer(raw, dtype=np.uint8)])
    columns: dict[str, RawColumn] = {}
    at = cut + len(b',"columns":{')
    while True:
        key_end = raw.find(b'":[', at)
        if key_end < 0 or raw[at : at + 1] != b'"' or b"\\" in raw[at:key_end] or b'"' in raw[at + 1 : key_end]:
            return None
        name = raw[at + 1 : key_end].decode("utf-8", "replace")
        end = raw.find(b"]", key_end)
        if end < 0 or name in columns:
            return None
        columns[name] = RawColumn(raw, padded, key_end + 2, end + 1)
        if raw[end + 1 : end + 3] == b',"':
            at = end + 2
        elif raw[end + 1 :] == b"}}":
            break
        else:
            return None
    try:
        return build(head | {"columns": columns}, schema, **types)
    except (Decline, AcsetS2RError):
        return None  # the general path reads the file again and says what is wrong

