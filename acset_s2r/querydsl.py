"""A query DSL over one object's parts, as ACSets.jl's ``From(:E) |> Where(:src, 1) |> Select(:dec)``.

In Python the pipe is method chaining, and ``&``, ``|`` and ``~`` combine conditions::

    From("E").where(Where("src", 0) & Where("tgt", 1)).select("dec")
    From("E").where("src", 0).where("tgt", 1).select("dec")          # the same
    From("E").where(Where("dec", lambda d: d != "a") | ~Where("src", 2))
    From("E").where(["src", "tgt"], lambda s, t: s + 1 == t)         # a predicate of several columns

A column is a hom, an attribute, a path (``"src.vlabel"`` or ``["src", "vlabel"]``), or
the object's own name (or ``"_id"``) for the part ids. ``Where(column, value)`` keeps the
parts whose column equals ``value``; ``Where(column, function)`` those where the function
of the column's values is true (called with Python scalars, one part at a time).

Calling the query on an ACSet returns the ids of the parts that pass, or with
``select`` a dict ``{column: values}`` in part order (ACSets.jl returns pairs). Unlike
:func:`acset_s2r.conjunctive.query`, which joins several tables, this reads one table, and
works on ``part_type="marked"`` instances as they are (ids with gaps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import AcsetS2RError, QueryError
from acset_s2r.conjunctive import _equal

__all__ = ["From", "Where"]


class _Condition:
    """A test on the parts of one object; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def mask(self, X: ACSet, ob: str, ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __and__(self, other: _Condition) -> _Condition:
        return _Both(self, _condition(other))

    def __or__(self, other: _Condition) -> _Condition:
        return _Either(self, _condition(other))

    def __invert__(self) -> _Condition:
        return _Not(self)


def _condition(c: Any) -> _Condition:
    if not isinstance(c, _Condition):
        raise QueryError(f"conditions combine with other conditions (Where(...)), got {c!r}")
    return c


class Where(_Condition):
    """Keep the parts whose ``column`` equals ``test``, or on which ``test(values...)`` is true.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.schema import Schema
    >>> SchDecGraph = Schema.build("SchDecGraph", obs=["E", "V"], homs=[("src", "E", "V"), ("tgt", "E", "V")],
    ...                            attrtypes=["X"], attrs=[("dec", "E", "X")])
    >>> g = acset(SchDecGraph, types={"X": str}, V=4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0], dec=["a", "b", "c", "d"])
    >>> From("E").where(Where("src", 0) & Where("tgt", 1)).select("dec")(g)   # Where(:src, 1) & Where(:tgt, 2)
    {'dec': array(['a'], dtype=object)}
    >>> From("E").where(Where("dec", lambda d: d != "a") & ~Where("src", 3))(g)
    array([1, 2])
    >>> From("E").where(["src", "tgt"], lambda s, t: s + 1 == t)(g)
    array([0, 1, 2])
    """

    __slots__ = ("columns", "test")

    def __init__(self, column: str | Sequence[str], test: Any) -> None:
        if isinstance(column, str):
            columns: tuple[Any, ...] = (column,)
        elif isinstance(column, (list, tuple)) and column and not callable(test):
            columns = (tuple(column),)  # a path compared with a value
        elif isinstance(column, (list, tuple)) and column:
            columns = tuple(column)
        else:
            raise QueryError(f"Where needs a column name, a path or a list of columns, got {column!r}")
        self.columns, self.test = columns, test

    def __repr__(self) -> str:
        cols = self.columns[0] if len(self.columns) == 1 else list(self.columns)
        return f"Where({cols!r}, {getattr(self.test, '__name__', self.test)!r})"

    def mask(self, X: ACSet, ob: str, ids: np.ndarray) -> np.ndarray:
        cols = [_column(X, ob, ids, c) for c in self.columns]
        if not callable(self.test):
            return _equal(cols[0], self.test) if len(ids) else np.zeros(0, dtype=bool)
        rows = zip(*(c.tolist() if c.ndim == 1 else list(c) for c in cols))
        test: Callable[..., Any] = self.test
        try:
            return np.fromiter((bool(test(*row)) for row in rows), dtype=bool, count=len(ids))
        except AcsetS2RError:
            raise
        except Exception as e:
            raise QueryError(f"{self!r}: the function failed: {e!r}") from None


class _Both(_Condition):
    __slots__ = ("a", "b")

    def __init__(self, a: _Condition, b: _Condition) -> None:
        self.a, self.b = a, b

    def __repr__(self) -> str:
        return f"({self.a!r} & {self.b!r})"

    def mask(self, X: ACSet, ob: str, ids: np.ndarray) -> np.ndarray:
        m = self.a.mask(X, ob, ids)
        if m.any():  # the second test runs only on the parts the first kept
            m[m] = self.b.mask(X, ob, ids[m])
        return m


class _Either(_Condition):
    __slots__ = ("a", "b")

    def __init__(self, a: _Condition, b: _Condition) -> None:
        self.a, self.b = a, b

    def __repr__(self) -> str:
        return f"({self.a!r} | {self.b!r})"

    def mask(self, X: ACSet, ob: str, ids: np.ndarray) -> np.ndarray:
        m = self.a.mask(X, ob, ids)
        rest = ~m
        if rest.any():
            m[rest] = self.b.mask(X, ob, ids[rest])
        return m


class _Not(_Condition):
    __slots__ = ("a",)

    def __init__(self, a: _Condition) -> None:
        self.a = a

    def __repr__(self) -> str:
        return f"~{self.a!r}"

    def mask(self, X: ACSet, ob: str, ids: np.ndarray) -> np.ndarray:
        return ~self.a.mask(X, ob, ids)


def _column(X: ACSet, ob: str, ids: np.ndarray, column: Any) -> np.ndarray:
    if column == ob or column == "_id":
        return ids
    path = tuple(column.split(".")) if isinstance(column, str) and "." in column else column
    path = (path,) if isinstance(path, str) else tuple(path)
    try:
        start = X.schema.arrow(path[0]).dom
    except AcsetS2RError:
        start = None
    if start != ob:
        raise QueryError(f"{column!r} is not a column of {ob} (a hom, attribute or path starting at {ob}, or {ob!r})")
    try:
        return np.asarray(X.subpart(ids, list(path)))
    except AcsetS2RError as e:
        raise QueryError(f"column {column!r} of {ob}: {e}") from None


class From:
    """The parts of ``ob``, to filter with :meth:`where` and project with :meth:`select`; call on an ACSet.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> G = acset(SchGraph, V=3, src=[0, 1, 1], tgt=[1, 2, 0])
    >>> From("E")(G)
    array([0, 1, 2])
    >>> From("E").where("src", 1).select("E", "tgt")(G)
    {'E': array([1, 2]), 'tgt': array([2, 0])}
    """

    __slots__ = ("ob", "condition", "columns")

    def __init__(self, ob: str, condition: _Condition | None = None, columns: tuple[Any, ...] = ()) -> None:
        if not isinstance(ob, str):
            raise QueryError(f"From needs an object name, got {ob!r}")
        self.ob, self.condition, self.columns = ob, condition, columns

    def __repr__(self) -> str:
        out = f"From({self.ob!r})"
        if self.condition is not None:
            out += f".where({self.condition!r})"
        if self.columns:
            out += f".select({', '.join(map(repr, self.columns))})"
        return out

    def where(self, column: Any, test: Any = None, /) -> From:
        """Keep the parts that pass: a condition, or the arguments of :class:`Where`; conditions accumulate by ``&``."""
        cond = _condition(column) if test is None and isinstance(column, _Condition) else Where(column, test)
        both = cond if self.condition is None else self.condition & cond
        return From(self.ob, both, self.columns)

    def select(self, *columns: Any) -> From:
        """Return these columns (homs, attributes, paths, or the object's name for the ids)."""
        if not columns:
            raise QueryError("select needs at least one column")
        return From(self.ob, self.condition, self.columns + columns)

    def __call__(self, X: ACSet, *, as_frame: bool = False) -> Any:
        if not isinstance(X, ACSet):
            raise QueryError(f"a query runs on an ACSet, got {type(X).__name__}")
        if self.ob not in X.schema.obs:
            raise QueryError(f"From: {self.ob!r} is not an object of {X.schema.name}; objects: {list(X.schema.obs)}")
        ids = X.parts(self.ob)
        if self.condition is not None and len(ids):
            ids = ids[self.condition.mask(X, self.ob, ids)]
        if not self.columns:
            return ids
        out = {(c if isinstance(c, str) else ".".join(c)): _column(X, self.ob, ids, c) for c in self.columns}
        if as_frame:
            try:
                import pandas as pd
            except ImportError:
                raise ImportError("as_frame=True needs pandas: pip install 'acset_s2r[pandas]'") from None
            return pd.DataFrame({k: list(v) if v.ndim > 1 else v for k, v in out.items()})
        return out
