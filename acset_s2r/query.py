"""Conjunctive queries on an ACSet, evaluated as joins through the preimage indexes.

Grammar::

    query     := [atom, ...]
    atom      := (ob, {column: term, ...})
    column    := hom name | attribute name | "_id"      # "_id" is the atom's own part
    term      := variable | constant
    variable  := str                                    # "x", "e", "gap"
    constant  := any non-str value | Const(value)       # Const("text") for a string constant

Each atom ranges over the parts of ``ob``; a variable names one value, so every
occurrence of it must agree: ``("E", {"src": "x", "tgt": "y"})`` and
``("E", {"src": "y", "tgt": "z"})`` together are the 2-paths ``x -> y -> z``. A variable
holds part ids (of a hom's codomain, or of ``ob`` for ``_id``) or attribute values,
never both. An undefined hom or attribute value matches nothing.

The answer has one row per way of choosing a part for every atom (SQL's bag
semantics), so its length is the number of homomorphisms from the query's
representable instance. ``select`` projects onto some variables (all of them, in
order of first use, by default) and ``distinct=True`` drops repeated rows.

Atoms are joined one at a time, most-bound first: the next atom is looked up with
``ACSet.incident`` on a bound hom column (or attribute, or its constant), then
filtered on its other columns, never by scanning pairs of tables.

>>> from acset_s2r.catalog import SchGraph
>>> G = ACSet(SchGraph); _ = G.add_parts("V", 3)
>>> _ = G.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 0])
>>> query(G, [("E", {"src": "x", "tgt": "y"}), ("E", {"src": "y", "tgt": "z"})], select=("x", "z"))
array([[0, 2],
       [0, 0],
       [1, 1]])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import PathError, QueryError
from acset_s2r.schema import Attr, Schema

__all__ = ["Const", "query"]


@attrs.frozen
class Const:
    """A constant term (needed for strings, which otherwise name variables)."""

    value: Any


@attrs.frozen
class _Atom:
    ob: str
    columns: tuple[tuple[str, Any], ...]  # (column name, str variable | Const)


def _parse(schema: Schema, atoms: Sequence[Any]) -> tuple[list[_Atom], dict[str, str]]:
    parsed, kinds = [], {}
    for i, atom in enumerate(atoms):
        if not (isinstance(atom, (tuple, list)) and len(atom) == 2 and isinstance(atom[1], Mapping)):
            raise QueryError(f"atom {i} must be (object, {{column: term}}), got {atom!r}")
        ob, cols = atom
        if ob not in schema.obs:
            raise QueryError(f"atom {i}: {ob!r} is not an object of {schema.name}; objects: {list(schema.obs)}")
        columns = []
        for name, term in cols.items():
            if name == "_id":
                kind = f"part of {ob}"
            else:
                try:
                    arrow = schema.arrow(name)
                except PathError:
                    arrow = None
                if arrow is None or arrow.dom != ob:
                    have = [a.name for a in schema.homs_out(ob) + schema.attrs_of(ob)]
                    raise QueryError(f"atom {i}: {ob} has no column {name!r}; it has {have} and _id")
                kind = f"value of {arrow.codom}" if isinstance(arrow, Attr) else f"part of {arrow.codom}"
            if isinstance(term, str):
                if kinds.setdefault(term, kind) != kind:
                    raise QueryError(
                        f"atom {i}: variable {term!r} is used as a {kind} here but as a {kinds[term]} before"
                    )
            elif not isinstance(term, Const):
                term = Const(term)
            columns.append((name, term))
        parsed.append(_Atom(ob, tuple(columns)))
    return parsed, kinds


def _equal(a: np.ndarray, b: Any) -> np.ndarray:
    """Row-wise equality of two columns (or a column and a scalar)."""
    if a.dtype == object or (isinstance(b, np.ndarray) and b.dtype == object):
        bs = b if isinstance(b, np.ndarray) else [b] * len(a)
        return np.fromiter((_same(u, v) for u, v in zip(a, bs)), dtype=bool, count=len(a))
    out = a == b
    return out.all(axis=tuple(range(1, out.ndim))) if out.ndim > 1 else out


def _same(u: Any, v: Any) -> bool:
    try:
        return bool(u == v)
    except (TypeError, ValueError):
        return bool(np.array_equal(np.asarray(u), np.asarray(v)))


def _key(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return tuple(v.tolist())
    return v.item() if isinstance(v, np.generic) else v


def _lookup(X: ACSet, values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """All (row, part) with ``X.name(part) == values[row]``, through ``X.incident``."""
    if values.dtype.kind in "iu":
        uniq, inv = np.unique(values, return_inverse=True)
        hits = [X.incident(u, name) for u in uniq.tolist()]
    else:
        groups: dict[Any, int] = {}
        inv = np.empty(len(values), dtype=np.int64)
        hits = []
        for r, v in enumerate(values):
            k = _key(v)
            g = groups.get(k)
            if g is None:
                g = groups[k] = len(hits)
                hits.append(X.incident(k, name) if k is not None and k == k else np.zeros(0, np.int64))
            inv[r] = g
    if not hits:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lens = np.array([len(h) for h in hits], dtype=np.int64)
    flat = np.concatenate(hits).astype(np.int64)
    per = lens[inv]
    start = np.cumsum(lens) - lens
    offsets = np.repeat(start[inv] - (np.cumsum(per) - per), per) + np.arange(int(per.sum()), dtype=np.int64)
    return np.repeat(np.arange(len(values), dtype=np.int64), per), flat[offsets]


def _invertible(X: ACSet, name: str) -> bool:
    return name in X.schema.hom_names or not X.types[X.schema.codom(name)].width


def _join(X: ACSet, table: dict[str, np.ndarray], n: int, atom: _Atom) -> tuple[dict[str, np.ndarray], int]:
    schema = X.schema
    bound = [(c, t) for c, t in atom.columns if isinstance(t, Const) or t in table]
    ident = next((t for c, t in bound if c == "_id" and not isinstance(t, Const)), None)
    if ident is not None:
        rows, parts = np.arange(n, dtype=np.int64), table[ident]
    else:
        # look up through an index: bound hom columns first, then attributes
        order = sorted(
            (ct for ct in bound if ct[0] != "_id" and _invertible(X, ct[0])),
            key=lambda ct: (not schema.is_hom(ct[0]), isinstance(ct[1], Const)),
        )
        if order:
            name, term = order[0]
            if isinstance(term, Const):
                hit = X.incident(term.value, name) if term.value is not None else np.zeros(0, np.int64)
                rows = np.repeat(np.arange(n, dtype=np.int64), len(hit))
                parts = np.tile(np.asarray(hit, dtype=np.int64), n)
            else:
                rows, parts = _lookup(X, table[term], name)
        else:
            every = X.parts(atom.ob)
            rows, parts = np.repeat(np.arange(n, dtype=np.int64), len(every)), np.tile(every, n)
    keep = np.ones(len(rows), dtype=bool)
    fresh: dict[str, np.ndarray] = {}
    for name, term in atom.columns:
        if name == "_id":
            vals, ok = parts, np.ones(len(parts), dtype=bool)
        else:
            vals, ok = X.subpart(name)[parts], X.is_defined(name)[parts]
        keep &= ok
        if isinstance(term, Const):
            if term.value is None:
                keep[:] = False
            else:
                keep &= _equal(vals, term.value)
        elif term in table:
            keep &= _equal(vals, table[term][rows])
        elif term in fresh:
            keep &= _equal(vals, fresh[term])
        else:
            fresh[term] = vals
    rows = rows[keep]
    out = {v: col[rows] for v, col in table.items()}
    out.update({v: col[keep] for v, col in fresh.items()})
    return out, len(rows)


def query(
    X: ACSet,
    atoms: Sequence[Any],
    select: Sequence[str] | None = None,
    *,
    distinct: bool = False,
    as_frame: bool = False,
) -> Any:
    """Evaluate a conjunctive query (grammar in the module docstring).

    Returns a 2-D int64 array (rows x selected variables) when every selected
    variable holds part ids, a numpy structured array when some hold attribute
    values, or a pandas DataFrame with ``as_frame=True``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 3)
    >>> _ = X.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 2], weight=[0.5, 1.5, 2.5])
    >>> query(X, [("E", {"src": 1, "tgt": "y"})], distinct=True)  # where vertex 1 leads
    array([[2]])
    >>> query(X, [("E", {"src": "x", "weight": "w"})], select="w")["w"]
    array([0.5, 1.5, 2.5])
    """
    if not isinstance(X, ACSet):
        raise QueryError(f"query needs an ACSet, got {type(X).__name__}")
    X.require_compact("query")
    parsed, kinds = _parse(X.schema, atoms)
    variables = list(kinds)
    select = tuple(variables if select is None else ([select] if isinstance(select, str) else select))
    unknown = [v for v in select if v not in kinds]
    if unknown:
        raise QueryError(f"select names {unknown}, which no atom binds; variables: {variables}")
    table: dict[str, np.ndarray] = {}
    n = 1  # one empty assignment
    todo = list(parsed)
    while todo:
        def score(a: _Atom) -> tuple:
            tied = sum(1 for _, t in a.columns if isinstance(t, Const) or t in table)
            return (-tied, X.nparts(a.ob))

        atom = min(todo, key=score)
        todo.remove(atom)
        table, n = _join(X, table, n, atom)
        if n == 0:
            break
    if n == 0:
        table = {v: _empty_like(X, kinds[v]) for v in variables}
    cols = [np.asarray(table[v]) for v in select]
    if distinct and n:
        seen, keep = set(), []
        for r, row in enumerate(zip(*cols)):
            k = tuple(_key(x) for x in row)
            if k not in seen:
                seen.add(k)
                keep.append(r)
        cols = [c[keep] for c in cols]
    rows = len(cols[0]) if cols else n
    if as_frame:
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("as_frame=True needs pandas: pip install 'acset_s2r[pandas]'") from None
        return pd.DataFrame({v: (list(c) if c.ndim > 1 else c) for v, c in zip(select, cols)}, index=pd.RangeIndex(rows))
    if all(kinds[v].startswith("part") for v in select):
        return np.column_stack(cols).astype(np.int64) if cols else np.zeros((rows, 0), np.int64)
    dtype = [(v, c.dtype, c.shape[1:]) for v, c in zip(select, cols)]
    out = np.empty(rows, dtype=dtype)
    for v, c in zip(select, cols):
        out[v] = c
    return out


def _empty_like(X: ACSet, kind: str) -> np.ndarray:
    if kind.startswith("part"):
        return np.zeros(0, np.int64)
    spec = X.types[kind.removeprefix("value of ")]
    return np.zeros((0, spec.width) if spec.width else 0, dtype=spec.dtype)
