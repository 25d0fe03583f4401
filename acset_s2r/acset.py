"""Columnar ACSets: one numpy column per hom and attribute, with preimage indexes.

Part ids are 0-based ``int64``; an undefined hom value is ``-1`` (ACSets.jl writes 0
in its 1-based JSON). Attribute types are bound per instance::

    X = ACSet(SchWeightedGraph, Weight=float)     # float64 column, NaN = undefined
    Y = ACSet(SchObs, Vec=(float, 4))             # 2-D column of width 4
    Z = ACSet(SchLabelledPetriNet, Name=str)      # object column, None = undefined

``int`` and ``bool`` columns keep a mask of which values are defined. Every mutation
validates all its input before it touches anything, so a failed call leaves the
ACSet as it was.

Columns are copied on write: a reader may hand the ACSet read-only arrays (a Parquet
file's decoded buffers, see ``_adopt``), which are shared until the first in-place write
copies them. Every in-place write goes through ``_writable`` / ``_owned``.

Attribute variables (Catlab's ``AttrVar``) are the parts of an AttrType:
``X.add_parts("Weight", 2)`` makes ``AttrVar(0)`` and ``AttrVar(1)``, which ``str`` and
``object`` columns may hold in place of a value (numeric columns have no room for them).

Deletion is pop-and-swap by default. ``ACSet(S, part_type="marked")`` marks deleted
parts instead (ACSets.jl's ``BitSetParts``/``MarkAsDeleted``): ids stay stable, new parts
never reuse a deleted id, and :meth:`ACSet.gc` compacts. Until then ``parts`` lists the
live ids and columns read by ``subpart(name)`` hold only live rows; the algebra
(homomorphisms, limits, migration, conjunctive queries) needs compact ids and asks for ``gc()``.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.errors import AttrTypeError, InstanceError, PathError
from acset_s2r.schema import Schema

_NO_PARTS = np.zeros(0, dtype=np.int64)
_NO_PARTS.flags.writeable = False
_INT64 = np.iinfo(np.int64)


def _part_numbers(values: Any, what: str) -> np.ndarray:
    """Part ids, counts and foreign keys as int64: the package's number rule.

    A part is named by an integer (Python int or numpy integer). A bool, a float (even
    1.0), a string or an int beyond int64 is refused, so that a float array reaching an
    id slot by accident is caught rather than truncated. (Attribute values differ: an int
    attribute also takes whole floats, and no numeric attribute takes a bool.)
    """
    try:
        arr = np.asarray(values)
    except (OverflowError, ValueError, TypeError):
        raise InstanceError(f"{what} must be integers, got {values!r}") from None
    if arr.dtype.kind == "u" and arr.size and arr.max() > _INT64.max:
        raise InstanceError(f"{what} must fit in int64, got {int(arr.max())}")
    if arr.dtype.kind in "iu" or (arr.size == 0 and arr.dtype.kind in "fO"):
        return arr.astype(np.int64, copy=False)
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        for v in flat:
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise InstanceError(f"{what} must be integers, got {v!r} ({type(v).__name__})")
            if not _INT64.min <= v <= _INT64.max:
                raise InstanceError(f"{what} must fit in int64, got {v}")
        return np.asarray(flat, dtype=np.int64).reshape(arr.shape)
    shown = values if arr.ndim == 0 else arr.ravel()[0].item()
    raise InstanceError(f"{what} must be integers (not {arr.dtype.name}), got {shown!r}")


@attrs.frozen
class AttrVar:
    """An attribute variable: part ``k`` (0-based) of an AttrType, standing for an unknown value.

    Catlab's ``AttrVar(k + 1)``; in ACSets.jl JSON it is ``{"_var": k + 1}``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=object); _ = X.add_parts("V", 1)
    >>> X.add_parts("Weight", 2)                  # add_parts!(X, :Weight, 2)
    array([0, 1])
    >>> _ = X.add_parts("E", 2, src=0, tgt=0, weight=[AttrVar(1), 2.5])
    >>> X.subpart(0, "weight"), X.nparts("Weight")
    (AttrVar(1), 2)
    """

    k: int = attrs.field(validator=attrs.validators.instance_of(int))

    def __repr__(self) -> str:
        return f"AttrVar({self.k})"


@attrs.frozen
class AttrSpec:
    """How one attribute type is stored: ``kind`` in float/int/bool/str/object, and a vector width."""

    kind: str
    width: int | None = None

    @property
    def dtype(self) -> np.dtype:
        return np.dtype({"float": np.float64, "int": np.int64, "bool": np.bool_}.get(self.kind, object))

    @property
    def fill(self) -> Any:
        return {"float": np.nan, "int": 0, "bool": False}.get(self.kind)

    @property
    def masked(self) -> bool:
        """int and bool columns have no spare value for 'undefined', so they keep a mask."""
        return self.kind in ("int", "bool")

    @property
    def python_type(self) -> type:
        return {"float": float, "int": int, "bool": bool, "str": str}.get(self.kind, object)

    def __str__(self) -> str:
        base = self.python_type.__name__
        return f"({base}, {self.width})" if self.width else base


def attr_spec(t: Any) -> AttrSpec:
    """Read an AttrType binding: a Python type, a numpy dtype, or ``(type, width)``.

    Examples
    --------
    >>> attr_spec(float)
    AttrSpec(kind='float', width=None)
    >>> attr_spec((float, 3)).width
    3
    """
    if isinstance(t, AttrSpec):
        return t
    if isinstance(t, tuple):
        if len(t) != 2 or not isinstance(t[1], int) or t[1] < 1:
            raise AttrTypeError(f"vector attribute type must be (type, width>=1), got {t!r}")
        base = attr_spec(t[0])
        if base.kind not in ("float", "int", "bool"):
            raise AttrTypeError(f"vector attributes must be numeric, got {t!r}")
        return AttrSpec(base.kind, t[1])
    if t is None or t is object or t is Any:
        return AttrSpec("object")
    if t is str:
        return AttrSpec("str")
    if t is bool:
        return AttrSpec("bool")
    try:
        kind = np.dtype(t).kind
    except TypeError:
        raise AttrTypeError(f"cannot store attribute type {t!r}; use float, int, bool, str, object or (float, d)") from None
    if kind == "f":
        return AttrSpec("float")
    if kind in "iu":
        return AttrSpec("int")
    if kind == "b":
        return AttrSpec("bool")
    if kind in "UO":
        return AttrSpec("str" if kind == "U" else "object")
    raise AttrTypeError(f"cannot store attribute type {t!r}")


class PreimageIndex:
    """The preimage of an integer column: value -> sorted row ids.

    A CSR base (argsort + offsets) is built in numpy when first needed; later changes
    go to a small overlay, and the base is rebuilt once the overlay outgrows a quarter
    of it, so each change costs O(1) amortised and a clean lookup is one slice.
    """

    __slots__ = ("_stale", "fast", "order", "starts", "offsets", "nbase", "added", "removed", "pending")
    REBUILD_MIN = 256

    def __init__(self) -> None:
        self.order = _NO_PARTS
        self.stale = True

    # ``fast`` is ``starts`` while a lookup is one slice (built, no overlay) and None otherwise,
    # so ACSet.incident tests one attribute on its hot path; every write to ``stale`` keeps it so
    @property
    def stale(self) -> bool:
        return self._stale

    @stale.setter
    def stale(self, value: bool) -> None:
        self._stale = value
        if value:
            self.fast = None

    def rebuild(self, col: np.ndarray) -> None:
        import scipy.sparse  # deferred: it costs ~0.1 s to import and only indexes need it

        rows = np.flatnonzero(col >= 0)
        values = col[rows]
        nvalues = int(values.max()) + 1 if len(values) else 0
        # COO -> CSR is a stable counting sort in C: O(n + values), 3-4x faster than argsort
        grouped = scipy.sparse.coo_array(
            (rows, (values, np.arange(len(rows)))), shape=(nvalues, len(rows))
        ).tocsr()
        order = np.asarray(grouped.data, dtype=np.int64)
        order.flags.writeable = False
        offsets = np.asarray(grouped.indptr, dtype=np.int64)
        # a list for scalar lookups (no numpy scalar boxing), an array for batched gathers
        self.order, self.starts, self.offsets, self.nbase = order, offsets.tolist(), offsets, len(col)
        self.added: dict[int, set[int]] = {}
        self.removed: set[int] = set()
        self.pending = 0
        self.stale = False
        self.fast = self.starts

    def change(self, rows: Iterable[int], old: Iterable[int], new: Iterable[int]) -> None:
        if self.stale:
            return
        for r, o, n in zip(rows, old, new):
            if r < self.nbase and r not in self.removed:
                self.removed.add(r)
            elif o >= 0:
                self.added[o].discard(r)
            if n >= 0:
                self.added.setdefault(n, set()).add(r)
            self.pending += 1
            self.fast = None
        if self.pending > max(self.REBUILD_MIN, self.nbase >> 2):
            self.stale = True

    def gather(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i, row)`` for every row in the preimage of ``values[i]``, in one pass (clean base only)."""
        off = self.offsets
        if len(off) < 2:
            return _NO_PARTS, _NO_PARTS
        ok = (values >= 0) & (values < len(off) - 1)
        v = np.where(ok, values, 0)
        lo = off[v]
        lens = np.where(ok, off[v + 1] - lo, 0)
        total = int(lens.sum())
        which = np.repeat(np.arange(len(values), dtype=np.int64), lens)
        # position within each group: a running index minus the group's first output slot
        ends = np.cumsum(lens)
        pos = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - lo, lens)
        return which, self.order[pos]

    def get(self, value: int) -> np.ndarray:
        starts = self.starts
        if 0 <= value < len(starts) - 1:
            base = self.order[starts[value] : starts[value + 1]]
        else:
            base = _NO_PARTS
        if not self.pending:
            return base
        extra = self.added.get(value)
        if self.removed:
            base = [r for r in base.tolist() if r not in self.removed]
        if extra:
            base = sorted(set(base).union(extra))
        out = np.asarray(base, dtype=np.int64)
        out.flags.writeable = False
        return out


class ValueIndex:
    """The preimage of a hashable attribute column, as value -> set of rows."""

    __slots__ = ("rows",)

    def __init__(self, values: Iterable[Any]) -> None:
        self.rows: dict[Any, set[int]] = {}
        for r, v in enumerate(values):
            if _is_defined_scalar(v):
                self.rows.setdefault(v, set()).add(r)

    def change(self, rows, old, new) -> None:
        for r, o, n in zip(rows, old, new):
            if _is_defined_scalar(o):
                self.rows[o].discard(r)
            if _is_defined_scalar(n):
                self.rows.setdefault(n, set()).add(r)

    def get(self, value: Any) -> np.ndarray:
        return np.asarray(sorted(self.rows.get(value, ())), dtype=np.int64)


def _distinct(rows: np.ndarray) -> np.ndarray:
    """The ids in ``rows`` once each; increasing ids (the common case) skip the sort."""
    if len(rows) < 2 or bool(np.all(rows[1:] > rows[:-1])):
        return rows
    return np.unique(rows)


def _distinct_sorted(rows: np.ndarray) -> np.ndarray:
    """Sort ids known to be distinct; already increasing ones (the usual case) are kept."""
    if len(rows) < 2 or bool(np.all(rows[1:] > rows[:-1])):
        return rows
    return np.sort(rows)


def gather_defined(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``values[ids]`` where ``ids >= 0``: an undefined (-1) id reads ``values``' zero, for the
    caller to mask, and an empty ``values`` (a codomain with no parts) gives zeros, not an error.

    Examples
    --------
    >>> gather_defined(np.array([5, 7]), np.array([1, -1]))
    array([7, 5])
    >>> gather_defined(np.zeros(0, dtype=bool), np.array([-1, -1]))
    array([False, False])
    """
    if len(values) == 0:
        return np.zeros(len(ids), dtype=values.dtype)
    return values[np.maximum(ids, 0)]


def _pop_and_swap(n_old: int, rows: np.ndarray) -> np.ndarray:
    """The old ids kept, at their new positions, when ``rows`` (sorted, distinct) are deleted
    one by one from the highest, each replaced by the last part."""
    source = np.arange(n_old, dtype=np.int64)
    n = n_old
    for i in rows[::-1].tolist():
        n -= 1
        source[i] = source[n]
    return source[:n]


def _owned(store: dict[str, np.ndarray], key: str) -> np.ndarray:
    """``store[key]``, about to be written in place: a read-only array (adopted from a
    reader's buffers, shared by ``copy()``, or unpickled read-only) is replaced by a
    copy first, so whatever it came from is never written (copy on write)."""
    arr = store[key]
    if not arr.flags.writeable:
        arr = store[key] = arr.copy()
    return arr


def _share(arr: np.ndarray, n: int) -> np.ndarray:
    """Rows ``:n`` for a copy of an ACSet: read-only arrays are shared (each side copies
    before writing), writable ones copied, so two ACSets never share a writable buffer."""
    return arr[:n] if not arr.flags.writeable else arr[:n].copy()


def _is_defined_scalar(v: Any) -> bool:
    return v is not None and v == v  # NaN is the float 'undefined'


class ACSet:
    """An instance of a :class:`Schema`: a set of parts per object, with columns.

    See the module docstring for how attribute types are bound and stored.

    Examples
    --------
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float)
    >>> X.add_parts("V", 3)
    array([0, 1, 2])
    >>> X.add_parts("E", 2, src=[0, 1], tgt=[1, 2], weight=[0.5, 1.5])
    array([0, 1])
    >>> X
    ACSet(SchWeightedGraph: V=3, E=2)
    """

    # marked-deletion state, None for the default dense instances: ob -> live mask, dead count
    _alive: dict[str, np.ndarray] | None = None
    _ndead: dict[str, int] | None = None
    # homs and attributes whose defined values must be distinct (ACSets.jl's unique_index)
    _unique: frozenset[str] = frozenset()

    def __init__(self, schema: Schema, /, *, part_type: str = "dense", unique_index: Iterable[str] = (),
                 **types: Any) -> None:
        if not isinstance(schema, Schema):
            raise InstanceError(f"ACSet needs a Schema, got {type(schema).__name__}")
        if part_type not in ("dense", "marked"):
            raise InstanceError(f"part_type must be 'dense' (pop-and-swap) or 'marked' (mark as deleted), got {part_type!r}")
        unknown = set(types) - set(schema.attrtypes)
        if unknown:
            raise InstanceError(
                f"{sorted(unknown)} are not attribute types of {schema.name}; it has {list(schema.attrtypes)}"
            )
        self.schema = schema
        self.types: dict[str, AttrSpec] = {t: attr_spec(types.get(t, object)) for t in schema.attrtypes}
        self._n = {ob: 0 for ob in schema.obs}
        self._nvars = {t: 0 for t in schema.attrtypes}
        self._cap = {ob: 0 for ob in schema.obs}
        self._dom = {h.name: h.dom for h in schema.homs} | {a.name: a.dom for a in schema.attrs}
        self._spec = {a.name: self.types[a.codom] for a in schema.attrs}
        self._cols: dict[str, np.ndarray] = {}
        self._defined: dict[str, np.ndarray] = {}
        for h in schema.homs:
            self._cols[h.name] = np.full(0, -1, dtype=np.int64)
        for name, spec in self._spec.items():
            self._cols[name] = self._empty_attr(spec, 0)
            if spec.masked:
                self._defined[name] = np.zeros(0, dtype=bool)
        self._hom_index = {h.name: PreimageIndex() for h in schema.homs}
        self._attr_index: dict[str, ValueIndex] = {}
        if part_type == "marked":
            self._alive = {x: np.ones(0, dtype=bool) for x in (*schema.obs, *schema.attrtypes)}
            self._ndead = {x: 0 for x in self._alive}
        if isinstance(unique_index, str):
            unique_index = [unique_index]
        for name in unique_index:
            if name not in self._dom:
                raise InstanceError(f"unique_index: {name!r} is not a hom or attribute of {schema.name}")
            if name in self._spec and self._spec[name].width:
                raise InstanceError(f"unique_index: attribute {name} is vector-valued and cannot be indexed")
        self._unique = frozenset(unique_index)

    @staticmethod
    def _empty_attr(spec: AttrSpec, n: int) -> np.ndarray:
        shape = (n, spec.width) if spec.width else (n,)
        return np.full(shape, spec.fill, dtype=spec.dtype)

    # -- sizes -------------------------------------------------------------------
    def _check_ob(self, ob: str) -> None:
        if ob not in self._n:
            raise InstanceError(
                f"{ob!r} is not an object of {self.schema.name}; objects: {list(self.schema.obs)}"
                + (f", attribute types: {list(self._nvars)}" if self._nvars else "")
            )

    def nparts(self, ob: str) -> int:
        """How many parts ``ob`` has.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.nparts("V"), X.nparts("E")
        (3, 2)

        On an AttrType it counts the attribute variables (``nparts(X, :Weight)``).
        """
        n = self._nvars.get(ob)
        if n is None:
            self._check_ob(ob)
            n = self._n[ob]
        return n if self._ndead is None else n - self._ndead[ob]

    def parts(self, ob: str) -> np.ndarray:
        """The ids of ``ob``'s parts, ``0 .. nparts(ob) - 1``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.parts("E")
        array([0, 1])

        With ``part_type="marked"`` these are the live ids, which may have gaps.
        """
        if self._ndead is not None and self._ndead.get(ob):
            return np.flatnonzero(self._alive[ob][: self._rows(ob)]).astype(np.int64)
        return np.arange(self.nparts(ob), dtype=np.int64)

    def _rows(self, ob: str) -> int:
        """Rows in use: the parts plus the deleted ones not yet collected."""
        n = self._nvars.get(ob)
        return self._n[ob] if n is None else n

    def _holes(self, ob: str) -> bool:
        return self._ndead is not None and self._ndead[ob] > 0

    def is_compact(self) -> bool:
        """Whether the part ids of every object are ``0 .. nparts - 1`` (always, unless marked parts await ``gc``).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph, part_type="marked"); _ = X.add_parts("V", 3)
        >>> _ = X.rem_parts("V", [1]); X.is_compact()
        False
        >>> _ = X.gc(); X.is_compact()
        True
        """
        return self._ndead is None or not any(self._ndead.values())

    def require_compact(self, what: str) -> None:
        """Raise :class:`InstanceError` unless :meth:`is_compact`: ``what`` needs ids without gaps.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph, part_type="marked"); _ = X.add_parts("V", 2); _ = X.rem_part("V", 0)
        >>> X.require_compact("homomorphism search")
        Traceback (most recent call last):
        ...
        acset_s2r.errors.InstanceError: homomorphism search needs part ids without gaps, but ACSet(SchGraph: V=1) has deleted parts marked in V; call gc() first
        """
        if not self.is_compact():
            marked = [x for x, k in self._ndead.items() if k]
            raise InstanceError(
                f"{what} needs part ids without gaps, but {self!r} has deleted parts marked in "
                f"{', '.join(marked)}; call gc() first"
            )

    def _grow(self, ob: str, need: int, written: Iterable[str] = ()) -> None:
        """Room for ``need`` rows of ``ob``; the caller fills rows ``nparts..need`` of the columns
        ``written``, so those are not filled first (a pass over every new row of a large read)."""
        cap = self._cap[ob]
        if need <= cap:
            return
        cap = max(need, 2 * cap, 16)
        n = self._n[ob]
        for name, dom in self._dom.items():
            if dom != ob:
                continue
            old = self._cols[name]
            spec = self._spec.get(name)
            if name in written:
                new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
                new[need:] = -1 if spec is None else spec.fill
            else:
                new = np.full(cap, -1, dtype=np.int64) if spec is None else self._empty_attr(spec, cap)
            new[:n] = old[:n]
            self._cols[name] = new
            if name in self._defined:
                mask = np.zeros(cap, dtype=bool)
                mask[:n] = self._defined[name][:n]
                self._defined[name] = mask
        if self._alive is not None:
            alive = np.ones(cap, dtype=bool)
            alive[:n] = self._alive[ob][:n]
            self._alive[ob] = alive
        self._cap[ob] = cap

    # -- validation ----------------------------------------------------------------
    def _arrow_from(self, ob: str, name: str) -> str:
        if name not in self._dom:
            raise InstanceError(
                f"{name!r} is not a hom or attribute of {self.schema.name}; "
                f"{ob} has {[a for a, d in self._dom.items() if d == ob]}"
            )
        if self._dom[name] != ob:
            raise InstanceError(f"{name!r} starts at {self._dom[name]}, not at {ob}")
        return name

    def _hom_values(self, name: str, values: Any, n: int, extra: int = 0) -> np.ndarray:
        """Validate foreign keys; ``extra`` parts of the codomain are being added alongside."""
        arr = _part_numbers(values, f"hom {name}: foreign keys")
        arr = np.broadcast_to(arr, (n,)) if arr.ndim == 0 else arr
        if arr.shape != (n,):
            raise InstanceError(f"hom {name}: expected {n} values, got shape {arr.shape}")
        codom = self.schema.codom(name)
        limit = self._n[codom] + extra
        if n:
            lo, hi = int(arr.min()), int(arr.max())
            if lo < -1 or hi >= limit:
                bad = int(np.flatnonzero((arr < -1) | (arr >= limit))[0])
                raise InstanceError(
                    f"hom {name}: value {int(arr[bad])} at position {bad} is a dangling foreign key; "
                    f"{codom} has parts 0..{limit - 1} (-1 means undefined)"
                )
            if self._holes(codom):
                old = (arr >= 0) & (arr < self._n[codom])
                dead = old & ~self._alive[codom][np.where(old, arr, 0)]
                if dead.any():
                    bad = int(np.flatnonzero(dead)[0])
                    raise InstanceError(f"hom {name}: value {int(arr[bad])} at position {bad} is a deleted {codom} part")
        return arr

    def _attr_values(self, name: str, values: Any, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        spec = self._spec[name]
        shape = (n, spec.width) if spec.width else (n,)
        where = f"attribute {name} ({self.schema.codom(name)} bound to {spec})"
        if spec.kind in ("str", "object"):
            if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
                values = [values] * n
            arr = np.empty(n, dtype=object)
            vals = list(values)
            if len(vals) != n:
                raise InstanceError(f"{where}: expected {n} values, got {len(vals)}")
            arr[:] = vals if n else []
            t = self.schema.codom(name)
            nvars = self._nvars[t]
            live = self._alive[t] if self._holes(t) else None
            for i, v in enumerate(vals):
                if v.__class__ is AttrVar:
                    if not 0 <= v.k < nvars or (live is not None and not live[v.k]):
                        raise InstanceError(
                            f"{where}: {v!r} at position {i} is a dangling variable; "
                            f"{self.schema.codom(name)} has {nvars} variable(s)"
                        )
                elif spec.kind == "str" and v is not None and not isinstance(v, str):
                    raise AttrTypeError(f"{where}: value {v!r} at position {i} is not a str")
            return arr, None
        if spec.kind != "bool" and isinstance(values, (list, tuple)) and any(v.__class__ is bool for v in values):
            # numpy would read [1, True] as [1, 1]
            raise AttrTypeError(f"{where}: {values!r} holds a bool, which is not a {spec.kind}")
        raw = np.asarray(values)
        if n == 0 and raw.size == 0:
            raw = raw.astype(spec.dtype).reshape(shape)  # [] has shape (0,) even for vectors
        if raw.dtype == object:
            for i, v in enumerate(raw.ravel().tolist()):
                if v.__class__ is AttrVar:
                    raise AttrTypeError(
                        f"{where}: {v!r} at position {i}: a {spec} column cannot hold attribute variables; "
                        f"bind {self.schema.codom(name)} to object or str"
                    )
            defined = np.array([v is not None for v in raw.ravel()]).reshape(raw.shape)
            for i, v in enumerate(raw.ravel().tolist()):
                if v is not None and isinstance(v, bool) != (spec.kind == "bool"):
                    # the number rule: a bool is never a number, and a number never a bool
                    raise AttrTypeError(f"{where}: value {v!r} at position {i} is not a {spec.kind}")
            try:
                raw = np.where(defined, raw, spec.fill).astype(spec.dtype)
            except (TypeError, ValueError, OverflowError):
                raise AttrTypeError(f"{where}: values {values!r} are not {spec.kind}s (or do not fit int64)") from None
        else:
            defined = None
        if raw.size and raw.dtype.kind not in "biuf":
            raise AttrTypeError(f"{where}: values of dtype {raw.dtype} are not {spec.kind}s")
        if raw.size and (raw.dtype.kind == "b") != (spec.kind == "bool"):
            raise AttrTypeError(f"{where}: values of dtype {raw.dtype} are not {spec.kind}s (a bool is not a number)")
        if spec.kind == "int" and raw.dtype.kind == "f":
            if not np.all(np.isfinite(raw)) or np.any(np.mod(raw, 1) != 0) or np.any(np.abs(raw) >= 2.0**63):
                raise AttrTypeError(f"{where}: values that are not whole numbers within int64")
        if spec.width and (raw.ndim == 0 or raw.shape[-1] != spec.width):
            # numpy would stretch a scalar or a 1-vector across the width: a silent wrong value
            raise AttrTypeError(f"{where}: expected vectors of width {spec.width}, got shape {raw.shape}")
        try:
            arr = np.broadcast_to(raw.astype(spec.dtype, copy=False), shape)  # stored by a copy below
        except ValueError:
            raise AttrTypeError(f"{where}: expected shape {shape}, got {raw.shape}") from None
        mask = None
        if spec.masked:
            mask = np.ones(n, dtype=bool) if defined is None else np.broadcast_to(
                defined if defined.ndim <= 1 else defined.all(axis=-1), (n,)
            )
        return arr, mask

    # -- mutation -------------------------------------------------------------------
    def add_parts(self, ob: str, n: int, /, **subparts: Any) -> np.ndarray:
        """Add ``n`` parts to ``ob`` with optional columns of subpart values; return their ids.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph)
        >>> X.add_parts("V", 2)
        array([0, 1])
        >>> X.add_parts("E", 3, src=0, tgt=[0, 1, 1])  # one value is broadcast to every new part
        array([0, 1, 2])
        >>> X.subpart("tgt")
        array([0, 1, 1])
        """
        if np.ndim(n) != 0:
            raise InstanceError(f"the number of parts to add to {ob} must be one integer, got {n!r}")
        n = int(_part_numbers(n, f"the number of parts to add to {ob}"))
        if n < 0:
            raise InstanceError(f"cannot add {n} parts to {ob}")
        self._check_room(ob, n)
        if ob in self._nvars:
            if subparts:
                raise InstanceError(f"{ob} is an attribute type: its parts (variables) have no subparts")
            start = self._nvars[ob]
            self._nvars[ob] = start + n
            if self._alive is not None:
                self._alive[ob] = np.concatenate([self._alive[ob][:start], np.ones(n, dtype=bool)])
            return np.arange(start, start + n, dtype=np.int64)
        self._check_ob(ob)
        checked = self._check_subparts(ob, n, subparts, {ob: n})
        start = self._n[ob]
        stop = start + n
        if not n:  # checked, and nothing to write: read-only columns are not copied for it
            return np.zeros(0, dtype=np.int64)
        try:  # allocate (and copy read-only columns) before anything changes: out of memory changes nothing
            ids = np.arange(start, stop, dtype=np.int64)
            self._grow(ob, stop, written=checked)
            cols = {name: self._writable(name) for name in checked}
            masks = {name: _owned(self._defined, name) for name, (_, mask) in checked.items() if mask is not None}
        except MemoryError:
            raise InstanceError(f"not enough memory to add {n} parts to {ob}") from None
        for name, (arr, mask) in checked.items():
            cols[name][start:stop] = arr
            if mask is not None:
                masks[name][start:stop] = mask
        self._n[ob] = stop
        rows = range(start, stop)
        for name, (arr, _) in checked.items():
            ix = self._hom_index.get(name)
            if ix is not None and not ix.stale:
                if n > 64:
                    ix.stale = True
                else:
                    ix.change(rows, [-1] * n, arr.tolist())
            elif name in self._attr_index:
                self._attr_index[name].change(rows, [None] * n, self._plain(name, np.arange(start, stop)))
        return ids

    def _check_subparts(self, ob: str, n: int, subparts: Mapping[str, Any],
                        adding: Mapping[str, int]) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """Validate the columns of ``n`` new parts of ``ob``: name -> (values, defined mask or None).

        ``adding`` counts the parts being added alongside, per object, which foreign keys may
        already name. Nothing is written.
        """
        checked = {}
        for name, values in subparts.items():
            self._arrow_from(ob, name)
            if name in self._spec:
                checked[name] = self._attr_values(name, values, n)
            else:
                checked[name] = (self._hom_values(name, values, n, adding.get(self.schema.codom(name), 0)), None)
        start = self._n[ob]
        for name in self._unique.intersection(checked):
            self._check_unique(name, np.arange(start, start + n), *checked[name])
        return checked

    def _adopt(self, parts: Mapping[str, int], checked: Mapping[str, tuple[np.ndarray, np.ndarray | None]],
               defined: Mapping[str, np.ndarray] | None = None) -> None:
        """Give each object in ``parts`` (all without parts) its ``parts[ob]`` parts, taking the
        columns ``checked`` (from :meth:`_check_subparts`) as they are, without copying them.

        This is how a reader keeps its decoded buffers: the arrays become the ACSet's, so the
        caller must not write them afterwards; read-only ones are copied on their first write.
        ``defined`` overrides the defined masks of masked (int, bool) columns. Columns not in
        ``checked`` are undefined. All or nothing: on an error the ACSet is unchanged.
        """
        for ob in parts:
            self._check_ob(ob)
            if self._rows(ob):
                raise InstanceError(f"_adopt: {ob} already has parts")
        defined = defined or {}
        cols, masks = {}, {}
        try:
            for name, ob in self._dom.items():
                if ob not in parts:
                    continue
                n, spec = parts[ob], self._spec.get(name)
                if name in checked:
                    arr, mask = checked[name]
                    # a broadcast value (stride 0) becomes a column of its own here
                    cols[name] = np.ascontiguousarray(arr)
                else:
                    cols[name] = np.full(n, -1, dtype=np.int64) if spec is None else self._empty_attr(spec, n)
                    mask = np.zeros(n, dtype=bool)
                if name in self._defined:
                    mask = defined.get(name, mask)
                    if mask is None or mask.dtype != np.bool_ or mask.shape != (n,):
                        raise InstanceError(f"_adopt: the defined mask of {name} is not {n} bools")
                    masks[name] = np.ascontiguousarray(mask)
                expect = (n, spec.width) if spec is not None and spec.width else (n,)
                if cols[name].shape != expect:
                    raise InstanceError(f"_adopt: column {name} has shape {cols[name].shape}, expected {expect}")
            alive = {ob: np.ones(n, dtype=bool) for ob, n in parts.items()} if self._alive is not None else {}
        except MemoryError:
            raise InstanceError(f"not enough memory to add parts to {', '.join(parts)}") from None
        self._cols |= cols
        self._defined |= masks
        if self._alive is not None:
            self._alive |= alive
        for ob, n in parts.items():
            self._n[ob] = self._cap[ob] = n
        for name in cols:
            if name in self._hom_index:
                self._hom_index[name].stale = True
            self._attr_index.pop(name, None)

    def _writable(self, name: str) -> np.ndarray:
        """The column of ``name``, to be written in place (copied first if it is read-only)."""
        return _owned(self._cols, name)

    def _check_room(self, ob: str, n: int) -> None:
        """Refuse a count whose new rows alone would not fit in this machine's memory."""
        row = 8  # the returned id
        for name, dom in self._dom.items():
            if dom == ob:
                col = self._cols[name]
                row += col.itemsize * (col.shape[1] if col.ndim == 2 else 1) + (name in self._defined)
        try:
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            memory = 2**40
        if (self._n.get(ob, 0) + n) * row > memory:
            raise InstanceError(
                f"cannot add {n} parts to {ob}: they need {n * row / 2**30:.3g} GiB, "
                f"more than this machine's {memory / 2**30:.3g} GiB of memory"
            )

    def add_part(self, ob: str, /, **subparts: Any) -> int:
        """Add one part; keyword arguments give its subparts.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 2)
        >>> X.add_part("E", src=1, tgt=0)
        0
        """
        wrapped = {k: [v] if self._spec_width(k) is None else np.asarray(v)[None] for k, v in subparts.items()}
        return int(self.add_parts(ob, 1, **wrapped)[0])

    def _spec_width(self, name: str) -> int | None:
        spec = self._spec.get(name)
        return None if spec is None else spec.width

    def _ids(self, ob: str, ids: Any) -> np.ndarray:
        arr = _part_numbers(ids, f"part ids of {ob}").ravel()
        n = self._n[ob]
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            bad = int(arr[(arr < 0) | (arr >= n)][0])
            raise InstanceError(f"{ob} has no part {bad} (it has parts 0..{n - 1})")
        if arr.size and self._holes(ob) and not self._alive[ob][arr].all():
            bad = int(arr[~self._alive[ob][arr]][0])
            raise InstanceError(f"{ob} part {bad} is deleted (marked, awaiting gc)")
        return arr

    def set_subpart(self, ids: Any, name: str, values: Any) -> None:
        """Set ``name`` on the given parts (an id or an array of ids).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.set_subpart(1, "tgt", 0)
        >>> X.subpart("tgt")
        array([1, 0])
        """
        if name not in self._dom:
            self.schema.arrow(name)
        ob = self._dom[name]
        scalar = np.ndim(ids) == 0
        rows = self._ids(ob, ids)
        if scalar and self._spec_width(name) is None:
            values = [values]
        elif scalar:
            values = np.asarray(values)[None]
        if name in self._spec:
            arr, mask = self._attr_values(name, values, len(rows))
        else:
            arr, mask = self._hom_values(name, values, len(rows)), None
        if name in self._unique:
            self._check_unique(name, rows, arr, mask)
        if not len(rows):
            return
        col = self._writable(name)
        masks = _owned(self._defined, name) if mask is not None else None
        ix = self._hom_index.get(name) or self._attr_index.get(name)
        # The index sees each row once, with its value before and after (repeated ids: last wins).
        if ix is not None and getattr(ix, "stale", False):
            ix = None  # a stale index is rebuilt from the column on its next use
        touched = _distinct(rows) if ix is not None else None
        old = self._plain(name, touched) if ix is not None else None
        col[rows] = arr
        if mask is not None:
            masks[rows] = mask
        if ix is not None:
            ix.change(touched.tolist(), old, self._plain(name, touched))

    def _check_unique(self, name: str, rows: np.ndarray, arr: np.ndarray, mask: np.ndarray | None) -> None:
        """Refuse a write that would give two parts the same value of a uniquely indexed ``name``."""
        vals = np.broadcast_to(arr, (len(rows),)).tolist()
        if mask is not None:
            vals = [v if ok else None for v, ok in zip(vals, np.broadcast_to(mask, (len(rows),)).tolist())]
        final = dict(zip(rows.tolist(), vals))  # repeated ids: the last write wins
        hom = name in self._hom_index
        seen: dict[Any, int] = {}
        for r, v in final.items():
            if (v < 0) if hom else not _is_defined_scalar(v):
                continue
            holders = [p for p in self._incident_one(v, name).tolist() if p not in final]
            if v in seen or holders:
                other = seen[v] if v in seen else holders[0]
                raise InstanceError(
                    f"unique index {name}: {self._dom[name]} parts {other} and {r} would both have "
                    f"{name} = {v!r}; a uniquely indexed {name} takes each value at most once"
                )
            seen[v] = r

    def unique_incident(self, value: Any, name: str) -> int | None:
        """The one part whose ``name`` is ``value``, or None (a ``unique_index`` lookup).

        ``incident`` still returns an array of at most one id, as ACSets.jl's does.

        Examples
        --------
        >>> from acset_s2r import Schema
        >>> SchLabeledSet = Schema.build("SchLabeledSet", obs=["X"], attrtypes=["Label"],
        ...                              attrs=[("label", "X", "Label")])
        >>> L = ACSet(SchLabeledSet, unique_index=["label"], Label=str)
        >>> _ = L.add_parts("X", 2, label=["foo", "bar"])
        >>> L.unique_incident("bar", "label"), L.unique_incident("baz", "label")
        (1, None)
        >>> L.set_subpart(0, "label", "bar")
        Traceback (most recent call last):
        ...
        acset_s2r.errors.InstanceError: unique index label: X parts 1 and 0 would both have label = 'bar'; a uniquely indexed label takes each value at most once
        """
        if name not in self._unique:
            raise InstanceError(
                f"unique_incident: {name!r} has no unique index; declare it with ACSet(..., unique_index=[{name!r}])"
            )
        if name in self._hom_index and not isinstance(value, (int, np.integer)):
            raise InstanceError(f"unique_incident on hom {name} needs an integer part id, got {value!r}")
        rows = self._incident_one(value, name)
        return int(rows[0]) if len(rows) else None

    def clear_subpart(self, ids: Any, name: str) -> None:
        """Make ``name`` undefined on the given parts.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.clear_subpart([0], "src")
        >>> X.subpart("src")  # -1: undefined
        array([-1,  1])
        """
        ob = self._dom.get(name) or self.schema.arrow(name).dom
        rows = self._ids(ob, ids)
        spec = self._spec.get(name)
        if spec is None:
            self.set_subpart(rows, name, np.full(len(rows), -1))
            return
        self._clear_rows(name, _distinct(rows))

    # -- reading --------------------------------------------------------------------
    def subpart(self, *args: Any) -> Any:
        """``subpart(name)`` for all parts, or ``subpart(ids, name)``; ``name`` may be a path.

        One id gives a scalar, an array of ids an array. Undefined values propagate
        along a path as -1 (homs), NaN (float) or None (object).

        Examples
        --------
        >>> from acset_s2r.catalog import SchReflexiveGraph
        >>> X = ACSet(SchReflexiveGraph); _ = X.add_parts("V", 2)
        >>> X.add_parts("E", 3, src=[0, 1, 0], tgt=[0, 1, 1])
        array([0, 1, 2])
        >>> X.set_subpart([0, 1], "refl", [0, 1])
        >>> X.subpart("tgt")
        array([0, 1, 1])
        >>> int(X.subpart(2, "tgt"))
        1
        >>> X.subpart([0, 1], ["refl", "src"])  # a path, left to right
        array([0, 1])
        """
        if len(args) == 1:
            ids, path = None, args[0]
        elif len(args) == 2:
            ids, path = args
        else:
            raise InstanceError("subpart takes (name) or (ids, name)")
        if isinstance(path, str):
            path = self._dotted(path)
        path = tuple(path)
        if not path:
            raise PathError("subpart needs a non-empty path")
        start = self.schema.arrow(path[0]).dom
        self.schema.path_codom(start, path)
        if ids is None:
            vals = self.parts(start) if len(path) > 1 or self._holes(start) else None
        else:
            vals = self._ids(start, ids)
        for step, name in enumerate(path):
            m = self._n[self._dom[name]]
            col = self._cols[name]
            if vals is None:
                out = col[:m].view()
                out.flags.writeable = False
                return out
            if step == 0:
                out = col[vals]
            else:
                ok = vals >= 0
                spec = self._spec.get(name)
                out = np.full((len(vals), spec.width) if spec and spec.width else len(vals),
                              -1 if spec is None else spec.fill, dtype=col.dtype)
                out[ok] = col[vals[ok]]
            vals = out
        if ids is not None and np.ndim(ids) == 0:
            v = vals[0]
            return v.item() if isinstance(v, np.generic) else v
        return vals

    def _dotted(self, path: str) -> tuple[str, ...]:
        """``"src.vlabel"`` is the path ``("src", "vlabel")``, as in Constraint (a name with a dot wins)."""
        return (path,) if path in self._dom or "." not in path else tuple(path.split("."))

    def is_defined(self, name: str, ids: Any = None) -> np.ndarray:
        """Boolean mask of parts where ``name`` has a value.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 1)
        >>> _ = X.add_parts("E", 2, src=0, tgt=0)
        >>> X.set_subpart(1, "weight", 2.5)
        >>> X.is_defined("weight")
        array([False,  True])
        """
        ob = self.schema.arrow(name).dom
        if ids is None:
            rows = self.parts(ob) if self._holes(ob) else slice(0, self._n[ob])
        else:
            rows = self._ids(ob, ids)
        col = self._cols[name][rows]
        if name in self._defined:
            return self._defined[name][rows].copy()
        spec = self._spec.get(name)
        if spec is None:
            return col >= 0
        if spec.kind == "float":
            nan = np.isnan(col)
            return ~(nan.any(axis=-1) if spec.width else nan)
        return np.array([v is not None for v in col], dtype=bool)

    def incident(self, value: Any, path: str | Sequence[str]) -> np.ndarray:
        """Sorted ids of the parts that ``path`` sends to ``value``, from the indexes.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.incident(1, "tgt")
        array([0])
        >>> X.incident(0, "src")
        array([0])
        """
        # The hot case, a hom name and a part id on a built index without overlay, is one
        # slice. Everything else falls through to the checked path below, which decides what
        # is returned or refused: a value that is not a number (TypeError from ``>=``), an
        # array (ValueError from its truth), a number that is not an integer (TypeError from
        # the list index), a dict miss (KeyError, or TypeError for a list path), ``fast``
        # being None, or a value past the last key (IndexError). An integer that passes
        # (int, bool, numpy integer) indexes the list as operator.index would, so it gets
        # what the checked path gives. (Testing the value's or the path's class first would
        # cost a tenth of the lookup each.)
        try:
            if value >= 0:
                ix = self._hom_index[path]
                starts = ix.fast
                return ix.order[starts[value] : starts[value + 1]]
        except (KeyError, TypeError, IndexError, ValueError):
            pass
        return self._incident_checked(value, path)

    def _incident_checked(self, value: Any, path: str | Sequence[str]) -> np.ndarray:
        if isinstance(path, str):
            ix = self._hom_index.get(path)
            if ix is not None:
                if ix.stale:
                    ix.rebuild(self._cols[path][: self._n[self._dom[path]]])
                try:
                    return ix.get(operator.index(value))
                except TypeError:
                    raise InstanceError(f"incident on hom {path} needs an integer part id, got {value!r}") from None
            path = self._dotted(path)
        path = tuple(path)
        if not path:
            raise PathError("incident needs a non-empty path")
        start = self.schema.arrow(path[0]).dom
        self.schema.path_codom(start, path)
        rows = self._incident_one(value, path[-1])
        for name in reversed(path[:-1]):
            rows = self.incident_many(rows, name)
        return rows

    def _incident_one(self, value: Any, name: str) -> np.ndarray:
        if name in self._hom_index:
            return self.incident(value, name)
        spec = self._spec[name]
        if spec.width:
            raise PathError(f"attribute {name} is vector-valued; incident cannot invert it")
        ix = self._attr_index.get(name)
        if ix is None:
            # every row, deleted ones too (they hold no value), so positions are ids
            ix = self._attr_index[name] = ValueIndex(self._plain(name, np.arange(self._n[self._dom[name]])))
        return ix.get(value)

    def _plain(self, name: str, rows: np.ndarray) -> list:
        """Values as Python scalars, None where undefined (what the value indexes hold)."""
        vals = self._cols[name][rows].tolist()
        if name in self._defined:
            mask = self._defined[name][rows]
            vals = [v if ok else None for v, ok in zip(vals, mask)]
        return vals

    def incident_many(self, values: Iterable[int], name: str) -> np.ndarray:
        """Sorted union of ``incident(v, name)`` over ``values``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.incident_many([1, 2], "tgt")
        array([0, 1])
        """
        values = np.asarray(values)
        if values.dtype.kind in "iu" and name in self._hom_index:
            _, rows = self.gather(values.astype(np.int64, copy=False), name)
            # preimages of distinct values are disjoint, so sorted distinct input needs no dedup
            if len(values) < 2 or bool(np.all(values[1:] > values[:-1])):
                return _distinct_sorted(rows)
            return np.unique(rows)
        chunks = [self._incident_one(v, name) for v in values.tolist()]
        if not chunks:
            return _NO_PARTS
        return np.unique(np.concatenate(chunks)).astype(np.int64)

    def gather(self, values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(i, part)`` for each part that hom ``name`` sends to ``values[i]``: one vectorised
        gather from the preimage index, each group in increasing part order.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 0])
        >>> X.gather(np.array([1, 0, 2]), "src")
        (array([0, 0, 1]), array([1, 2, 0]))
        """
        ix = self._hom_index[name]
        if ix.stale:
            ix.rebuild(self._cols[name][: self._n[self._dom[name]]])
        values = np.asarray(values, dtype=np.int64)
        if not ix.pending:
            return ix.gather(values)
        hits = [ix.get(v) for v in values.tolist()]
        lens = np.array([len(h) for h in hits], dtype=np.int64)
        flat = np.concatenate(hits).astype(np.int64) if hits else _NO_PARTS
        return np.repeat(np.arange(len(values), dtype=np.int64), lens), flat

    def column(self, name: str) -> np.ndarray:
        """A read-only view of the live column of ``name``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.column("src")
        array([0, 1])
        """
        return self.subpart(name)

    # -- deletion -------------------------------------------------------------------
    def rem_parts(self, ob: str, ids: Any) -> np.ndarray:
        """Delete parts by pop-and-swap, as ACSets.jl does; return the old -> new id map (-1 = deleted).

        Subparts that pointed at a deleted part become undefined (-1), as in ACSets.jl.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.rem_parts("V", [0])  # vertex 2 moves into the hole and is now vertex 0
        array([-1,  1,  0])
        >>> X.subpart("src"), X.subpart("tgt")
        (array([-1,  1]), array([1, 0]))

        On an AttrType it deletes variables; values that were a deleted variable become undefined.
        """
        if ob in self._nvars:
            return self._rem_vars(ob, ids)
        self._check_ob(ob)
        rows = np.unique(self._ids(ob, ids))
        n_old = self._n[ob]
        if not rows.size:
            return np.arange(n_old, dtype=np.int64)
        if self._alive is not None:
            return self._mark_deleted(ob, rows)
        return self._compact(ob, _pop_and_swap(n_old, rows), n_old)

    def _compact(self, ob: str, source: np.ndarray, n_old: int) -> np.ndarray:
        """Keep rows ``source`` of ``ob``, in that order; repoint the homs into ``ob``; old -> new ids."""
        n = len(source)
        old_to_new = np.full(n_old, -1, dtype=np.int64)
        old_to_new[source] = np.arange(n, dtype=np.int64)
        self._n[ob] = n
        for name, dom in self._dom.items():
            if dom == ob:
                self._permute_rows(name, source, n_old)
        for h in self.schema.homs_in(ob):
            m = self._n[h.dom]
            col = self._cols[h.name]
            old = col[:m].copy()
            new = np.where(old >= 0, gather_defined(old_to_new, old), -1)
            self._replace(h.name, old, new)
        return old_to_new

    def _mark_deleted(self, ob: str, rows: np.ndarray) -> np.ndarray:
        """Mark ``rows`` deleted: their own values are cleared and homs into them become undefined."""
        alive = _owned(self._alive, ob)
        alive[rows] = False
        self._ndead[ob] += len(rows)
        for name, dom in self._dom.items():
            if dom != ob:
                continue
            if name in self._hom_index:
                col = self._cols[name]
                self._replace(name, col[rows].copy(), np.full(len(rows), -1, dtype=np.int64), rows=rows)
            else:
                self._clear_rows(name, rows)
        for h in self.schema.homs_in(ob):
            m = self._n[h.dom]
            col = self._cols[h.name][:m]
            hit = np.flatnonzero((col >= 0) & ~gather_defined(alive, col))
            if len(hit):
                self._replace(h.name, col[hit].copy(), np.full(len(hit), -1, dtype=np.int64), rows=hit)
        n = self._n[ob]
        return np.where(alive[:n], np.arange(n, dtype=np.int64), -1)

    def _clear_rows(self, name: str, rows: np.ndarray) -> None:
        spec = self._spec[name]
        if not len(rows):
            return
        old = self._plain(name, rows) if name in self._attr_index else None
        col = self._writable(name)
        mask = _owned(self._defined, name) if spec.masked else None
        col[rows] = spec.fill
        if mask is not None:
            mask[rows] = False
        if old is not None:
            self._attr_index[name].change(rows.tolist(), old, [None] * len(rows))

    def gc(self) -> dict[str, np.ndarray]:
        """Compact the ids of a ``part_type="marked"`` ACSet; per object and AttrType, the surviving old ids.

        ACSets.jl's ``gc!``: entry ``i`` of each array is the old id of what is now part
        ``i`` (new -> old; 0-based). Order is kept. A dense ACSet has nothing to collect.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph, part_type="marked"); _ = X.add_parts("V", 4)
        >>> _ = X.add_parts("E", 4, src=[0, 1, 2, 3], tgt=[1, 2, 3, 0])
        >>> _ = X.rem_parts("E", [0, 3]); _ = X.rem_part("V", 0)
        >>> X.parts("V"), X.subpart("src")           # ids stay put until gc
        (array([1, 2, 3]), array([1, 2]))
        >>> X.gc()["V"]
        array([1, 2, 3])
        >>> X.subpart("src"), X.parts("V")
        (array([0, 1]), array([0, 1, 2]))
        """
        out = {}
        for x in (*self.schema.obs, *self.schema.attrtypes):
            n_old = self._rows(x)
            if not self._holes(x):
                out[x] = np.arange(n_old, dtype=np.int64)
                continue
            source = np.flatnonzero(self._alive[x][:n_old]).astype(np.int64)
            (self._compact_vars if x in self._nvars else self._compact)(x, source, n_old)
            _owned(self._alive, x)[:] = True
            self._ndead[x] = 0
            out[x] = source
        return out

    def _var_ids(self, t: str, ids: Any) -> np.ndarray:
        arr = np.asarray(ids)
        if arr.size and arr.dtype.kind not in "iu":
            raise InstanceError(f"variables of {t} are numbered by integers, got {ids!r}")
        arr = arr.astype(np.int64).ravel()
        n = self._nvars[t]
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise InstanceError(f"{t} has no variable {int(arr[(arr < 0) | (arr >= n)][0])} (it has {n})")
        if arr.size and self._holes(t) and not self._alive[t][arr].all():
            raise InstanceError(f"variable {int(arr[~self._alive[t][arr]][0])} of {t} is deleted (marked, awaiting gc)")
        return np.unique(arr)

    def _rem_vars(self, t: str, ids: Any) -> np.ndarray:
        rows = self._var_ids(t, ids)
        n_old = self._nvars[t]
        if self._alive is not None:
            _owned(self._alive, t)[rows] = False
            self._ndead[t] += len(rows)
            live = self._alive[t]
            self._rename_vars(t, [AttrVar(k) if ok else None for k, ok in enumerate(live.tolist())])
            return np.where(live, np.arange(n_old, dtype=np.int64), -1)
        return self._compact_vars(t, _pop_and_swap(n_old, rows), n_old)

    def _compact_vars(self, t: str, source: np.ndarray, n_old: int) -> np.ndarray:
        n = len(source)
        old_to_new = np.full(n_old, -1, dtype=np.int64)
        old_to_new[source] = np.arange(n, dtype=np.int64)
        self._nvars[t] = n
        self._rename_vars(t, [AttrVar(w) if w >= 0 else None for w in old_to_new.tolist()])
        return old_to_new

    def _rename_vars(self, t: str, new: Sequence[Any]) -> None:
        """Replace AttrVar(k) by ``new[k]``: a variable, a value, or None (undefined)."""
        for a in self.schema.attrs:
            if a.codom != t or self._spec[a.name].kind not in ("str", "object"):
                continue
            col = self._cols[a.name]
            for r, v in enumerate(col[: self._n[a.dom]].tolist()):
                if v.__class__ is AttrVar:
                    col = self._writable(a.name)
                    col[r] = new[v.k]
            self._attr_index.pop(a.name, None)

    def free_vars(self, t: str) -> np.ndarray:
        """The variables of AttrType ``t`` that no attribute value refers to.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> X = ACSet(SchWeightedGraph, Weight=object); _ = X.add_parts("Weight", 3)
        >>> _ = X.add_parts("V", 1); _ = X.add_parts("E", 1, src=0, tgt=0, weight=AttrVar(1))
        >>> X.free_vars("Weight")
        array([0, 2])
        """
        if t not in self._nvars:
            raise InstanceError(f"{t!r} is not an attribute type of {self.schema.name}; it has {list(self._nvars)}")
        used = np.zeros(self._nvars[t], dtype=bool)
        for a in self.schema.attrs:
            if a.codom == t and self._spec[a.name].kind in ("str", "object"):
                for v in self._cols[a.name][: self._n[a.dom]].tolist():
                    if v.__class__ is AttrVar:
                        used[v.k] = True
        if self._holes(t):
            used |= ~self._alive[t][: len(used)]
        return np.flatnonzero(~used).astype(np.int64)

    def rem_free_vars(self) -> dict[str, np.ndarray]:
        """Delete every variable no attribute refers to (``rem_free_vars!``); old -> new id maps.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> X = ACSet(SchWeightedGraph, Weight=object); _ = X.add_parts("Weight", 3)
        >>> _ = X.add_parts("V", 1); _ = X.add_parts("E", 1, src=0, tgt=0, weight=AttrVar(2))
        >>> X.rem_free_vars()["Weight"]
        array([-1, -1,  0])
        >>> X.subpart(0, "weight"), X.nparts("Weight")
        (AttrVar(0), 1)
        """
        return {t: self._rem_vars(t, self.free_vars(t)) for t in self._nvars}

    def _permute_rows(self, name: str, source: np.ndarray, n_old: int) -> None:
        col = self._writable(name)
        n = len(source)
        old = col[:n_old].copy()
        col[:n] = old[source]
        spec = self._spec.get(name)
        col[n:n_old] = -1 if spec is None else spec.fill
        if name in self._defined:
            mask = _owned(self._defined, name)
            mask[:n] = mask[:n_old][source]
            mask[n:n_old] = False
        new = col[:n_old]
        if name in self._hom_index:
            self._replace(name, old, new.copy(), written=True)
        elif name in self._attr_index:
            # Rebuilt lazily: a pop-and-swap moves few rows but tracking masks here is not worth it.
            del self._attr_index[name]

    def _replace(self, name: str, old: np.ndarray, new: np.ndarray, written: bool = False,
                 rows: np.ndarray | None = None) -> None:
        """Write ``new`` over ``old`` (rows ``0..``, or the given ``rows``), keeping the index in step."""
        changed = np.flatnonzero(old != new)
        if rows is not None:
            old, new, where = old[changed], new[changed], rows[changed]
            if len(where):  # nothing changed: a read-only column stays shared
                self._writable(name)[where] = new
            changed, old, new = where, old, new
            ix = self._hom_index[name]
            if len(changed) > 64:
                ix.stale = True
            else:
                ix.change(changed.tolist(), old.tolist(), new.tolist())
            return
        if not written and len(changed):
            self._writable(name)[changed] = new[changed]
        ix = self._hom_index[name]
        if len(changed) > 64:
            ix.stale = True
        else:
            ix.change(changed.tolist(), old[changed].tolist(), new[changed].tolist())

    def rem_part(self, ob: str, part: int) -> np.ndarray:
        """Delete one part by pop-and-swap; return the old -> new id map.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.rem_part("E", 0)
        array([-1,  0])
        >>> X.nparts("E")
        1
        """
        if np.ndim(part) != 0:
            raise InstanceError(f"rem_part takes one part id of {ob}, got {part!r}; rem_parts takes several")
        return self.rem_parts(ob, [part])

    def cascading_rem_parts(self, ob: str, ids: Any) -> dict[str, np.ndarray]:
        """Delete parts and, recursively, every part whose homs point at a deleted part.

        Returns the old -> new id map of every object (identity maps included).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> moved = X.cascading_rem_parts("V", [0])  # edge 0 starts at vertex 0, so it goes too
        >>> moved["E"]
        array([-1,  0])
        >>> X.size()
        {'V': 2, 'E': 1}
        """
        self._check_ob(ob)
        doomed = {o: set() for o in self.schema.obs}
        todo = [(ob, int(i)) for i in self._ids(ob, ids)]
        while todo:
            o, i = todo.pop()
            if i in doomed[o]:
                continue
            doomed[o].add(i)
            for h in self.schema.homs_in(o):
                todo.extend((h.dom, int(j)) for j in self.incident(i, h.name))
        return {
            o: self.rem_parts(o, sorted(doomed[o])) if doomed[o] else np.where(
                self._alive[o][: self._n[o]], np.arange(self._n[o]), -1) if self._holes(o) else np.arange(self._n[o], dtype=np.int64)
            for o in self.schema.obs
        }

    # -- copies, equality, display -------------------------------------------------------
    def copy(self) -> ACSet:
        """An independent copy: columns copied (read-only ones shared until either side writes),
        indexes rebuilt when first used.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> Y = X.copy(); _ = Y.add_parts("V", 1)
        >>> X.nparts("V"), Y.nparts("V")
        (3, 4)
        """
        out = ACSet.__new__(ACSet)
        out.schema, out.types = self.schema, dict(self.types)
        out._n, out._cap = dict(self._n), dict(self._n)
        out._nvars = dict(self._nvars)
        out._dom, out._spec = self._dom, self._spec
        out._cols = {k: _share(v, self._n[self._dom[k]]) for k, v in self._cols.items()}
        out._defined = {k: _share(v, self._n[self._dom[k]]) for k, v in self._defined.items()}
        out._hom_index = {h: PreimageIndex() for h in self._hom_index}
        out._attr_index = {}
        out._unique = self._unique
        if self._alive is not None:
            out._alive = {x: _share(a, self._rows(x)) for x, a in self._alive.items()}
            out._ndead = dict(self._ndead)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ACSet):
            return NotImplemented
        if self.schema != other.schema or self._n != other._n or self._nvars != other._nvars:
            return False
        if self._ndead != other._ndead and not (self.is_compact() and other.is_compact()):
            return False
        for x in (self._ndead or {}):
            if self._holes(x) and not np.array_equal(self._alive[x][: self._rows(x)], other._alive[x][: other._rows(x)]):
                return False
        for name in self._cols:
            a, b = self.subpart(name), other.subpart(name)
            spec = self._spec.get(name)
            if spec is not None and spec.kind == "float" and b.dtype.kind == "f":
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif spec is not None and spec.masked:
                da, db = self.is_defined(name), other.is_defined(name)
                if not (np.array_equal(da, db) and np.array_equal(a[da], b[db])):
                    return False
            elif not np.array_equal(a, b):
                return False
        return True

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        sizes = ", ".join(f"{x}={self.nparts(x)}" for x in (*self._n, *(t for t, k in self._nvars.items() if k)))
        return f"ACSet({self.schema.name}: {sizes})"

    def _table(self, ob: str) -> tuple[list[str], list[list[str]]]:
        names = [a for a, d in self._dom.items() if d == ob]
        rows = []
        cols = [self.subpart(name) for name in names]
        defined = [self.is_defined(name) for name in names]
        for i, part in enumerate(self.parts(ob).tolist()):
            row = [str(part)]
            for name, col, ok in zip(names, cols, defined):
                v = col[i]
                row.append("-" if not ok[i] else (np.array2string(v, precision=3) if np.ndim(v) else str(v)))
            rows.append(row)
        return [ob] + names, rows

    def __str__(self) -> str:
        out = [repr(self)]
        for ob in self.schema.obs:
            header, rows = self._table(ob)
            if len(rows) > 20:
                rows = rows[:10] + [["⋮"] * len(header)] + rows[-5:]
            widths = [max(len(r[j]) for r in [header] + rows) for j in range(len(header))]
            fmt = lambda r: "│ " + " │ ".join(c.rjust(w) for c, w in zip(r, widths)) + " │"  # noqa: E731
            out += [fmt(header), "├" + "┼".join("─" * (w + 2) for w in widths) + "┤"]
            out += [fmt(r) for r in rows]
        return "\n".join(out)

    def _repr_html_(self) -> str:
        from acset_s2r.tables import escape, html_table

        parts = [f"<p><b>{escape(repr(self))}</b></p>"]
        parts += [html_table(*self._table(ob), max_rows=20) for ob in self.schema.obs]
        return "".join(parts)

    def to_dataframes(self) -> dict[str, Any]:
        """One pandas DataFrame per object, indexed by part id (needs the pandas extra).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.to_dataframes()["E"]
           src  tgt
        E          
        0    0    1
        1    1    2
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframes needs pandas: pip install 'acset_s2r[pandas]'") from None
        frames = {}
        for ob in self.schema.obs:
            data = {}
            for name in (a for a, d in self._dom.items() if d == ob):
                col = self.subpart(name)
                data[name] = list(col) if col.ndim > 1 else col
            index = pd.Index(self.parts(ob), name=ob) if self._holes(ob) else pd.RangeIndex(self._n[ob], name=ob)
            frames[ob] = pd.DataFrame(data, index=index)
        return frames

    def ensure_size(self, ob: str, n: int) -> np.ndarray:
        """Add parts to ``ob`` until it has ``n``; return the ids added (ACSets.jl's ``ensure_size!``).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 1)
        >>> X.ensure_size("V", 3), X.ensure_size("V", 3)    # idempotent
        (array([1, 2]), array([], dtype=int64))
        """
        if np.ndim(n) != 0:
            raise InstanceError(f"ensure_size takes one size for {ob}, got {n!r}")
        n = int(_part_numbers(n, f"the size of {ob}"))
        return self.add_parts(ob, max(n - self.nparts(ob), 0))

    def copy_parts(self, other: ACSet, /, **parts: Any) -> dict[str, np.ndarray]:
        """Copy parts of ``other`` into this ACSet; return the new ids per object (ACSets.jl's ``copy_parts!``).

        Keywords name objects or AttrTypes of both schemas with the ids of ``other`` to
        copy; without keywords every part of every object and AttrType the schemas share is
        copied. Homs and attributes the schemas share are copied too: a hom value or an
        attribute variable whose target is not copied becomes undefined. The schemas may
        differ (Catlab's C-set to C'-set). All or nothing: on an error this ACSet is unchanged.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> Y = ACSet(SchGraph); _ = Y.add_parts("V", 1)
        >>> Y.copy_parts(X, V=[1, 2], E=[1])          # copy_parts!(Y, X, V=[2,3], E=[2])
        {'V': array([1, 2]), 'E': array([0])}
        >>> Y.subpart("src").tolist(), Y.subpart("tgt").tolist()
        ([1], [2])
        """
        if not isinstance(other, ACSet):
            raise InstanceError(f"copy_parts copies from an ACSet, got {type(other).__name__}")
        S, T = self.schema, other.schema
        shared = [x for x in (*T.attrtypes, *T.obs) if x in self._n or x in self._nvars]
        if not parts:
            parts = {x: other.parts(x) for x in shared}
        for x in parts:
            if x not in shared:
                raise InstanceError(
                    f"copy_parts: {x!r} is not an object or AttrType of both {T.name} and {S.name}; shared: {shared}"
                )
        ids: dict[str, np.ndarray] = {}
        for x, sel in parts.items():
            sel = _part_numbers(sel, f"copy_parts: ids of {x}").ravel()
            live = np.zeros(other._rows(x), dtype=bool)
            live[other.parts(x)] = True
            bad = sel[(sel < 0) | (sel >= len(live))]
            if len(bad) or not live[sel].all():
                culprit = int(bad[0]) if len(bad) else int(sel[~live[sel]][0])
                raise InstanceError(f"copy_parts: {T.name} has no {x} part {culprit}")
            if len(np.unique(sel)) != len(sel):
                raise InstanceError(f"copy_parts: the ids of {x} repeat a part")
            ids[x] = sel
        trial = self.copy()  # written in full before this ACSet takes it, so an error changes nothing
        new = {x: trial.add_parts(x, len(sel)) for x, sel in sorted(ids.items(), key=lambda kv: kv[0] in self._n)}
        old2new = {}
        for x, sel in ids.items():
            m = np.full(other._rows(x), -1, dtype=np.int64)
            m[sel] = new[x]
            old2new[x] = m
        for name in (*T.hom_names, *T.attr_names):
            a = T.arrow(name)
            if a.dom not in ids or name not in S or S.arrow(name) != a or not len(ids[a.dom]):
                continue
            rows = ids[a.dom]
            gone = new[a.dom][~other._defined[name][rows]] if name in other._defined else ()
            if name in other._hom_index:
                v = other._cols[name][rows]
                m = old2new.get(a.codom)
                vals = np.full(len(v), -1, dtype=np.int64)
                if m is not None:
                    vals[v >= 0] = m[v[v >= 0]]
            elif other._spec[name].width:
                vals = other._cols[name][rows]
            else:
                m = old2new.get(a.codom)
                vals = [v if v.__class__ is not AttrVar else (AttrVar(int(m[v.k])) if m is not None and m[v.k] >= 0 else None)
                        for v in other._plain(name, rows)]
            trial.set_subpart(new[a.dom], name, vals)
            if len(gone) and other._spec[name].width:  # vectors carry no None: their mask says undefined
                trial.clear_subpart(gone, name)
        self.__dict__.update(trial.__dict__)
        return {x: new[x] for x in parts}

    def map_attributes(self, **functions: Any) -> ACSet:
        """A copy with attribute values passed through functions (ACSets.jl's ``map(X, Label=f, dec=g)``).

        A keyword names an AttrType (every attribute into it) or an attribute (which
        wins over its type). Mapped AttrTypes are bound to ``object`` in the copy; undefined
        values and attribute variables stay as they are.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 1)
        >>> _ = X.add_parts("E", 2, src=0, tgt=0, weight=[1.5, 2.5])
        >>> X.map_attributes(Weight=lambda w: 2 * w).subpart("weight").tolist()
        [3.0, 5.0]
        """
        S = self.schema
        unknown = set(functions) - set(S.attrtypes) - set(S.attr_names)
        if unknown:
            raise InstanceError(f"map_attributes: {sorted(unknown)} are not attribute types or attributes of {S.name}")
        for k, fn in functions.items():
            if not callable(fn):
                raise InstanceError(f"map_attributes: {k} must be given a function, got {fn!r}")
        fn_of = {a.name: functions.get(a.name, functions.get(a.codom)) for a in S.attrs}
        mapped_types = {a.codom for a in S.attrs if fn_of[a.name] is not None}
        if not mapped_types:
            return self.copy()
        out = ACSet(S, part_type="dense" if self._alive is None else "marked", unique_index=self._unique,
                    **{t: (object if t in mapped_types else self.types[t]) for t in S.attrtypes})
        for t in S.attrtypes:
            out.add_parts(t, self._rows(t))
        for ob in S.obs:
            out.add_parts(ob, self._n[ob])
        for name in S.hom_names:
            out._writable(name)[: self._n[self._dom[name]]] = self._cols[name][: self._n[self._dom[name]]]
            out._hom_index[name].stale = True
        for a in S.attrs:
            rows = np.arange(self._n[a.dom])
            vals = self._plain(a.name, rows)
            fn = fn_of[a.name]
            if fn is not None:
                try:
                    vals = [v if v is None or v.__class__ is AttrVar else fn(v) for v in vals]
                except Exception as e:
                    raise InstanceError(f"map_attributes: the function for {a.name} failed: {e!r}") from None
            if len(rows):
                out.set_subpart(rows, a.name, vals if self._spec[a.name].width is None or fn is not None
                                else self._cols[a.name][rows])
        if self._alive is not None:
            for x in out._alive:
                out._alive[x] = self._alive[x][: self._rows(x)].copy()
                out._ndead[x] = self._ndead[x]
        return out

    def size(self) -> Mapping[str, int]:
        """Number of parts of each object.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 3)
        >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
        >>> X.size()
        {'V': 3, 'E': 2}
        """
        return {ob: self.nparts(ob) for ob in self._n}


def _lands_outside(v: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Which defined foreign keys ``v`` point at parts not ``kept`` (no lookup for undefined ones)."""
    out = np.zeros(len(v), dtype=bool)
    d = v >= 0
    out[d] = ~kept[v[d]]
    return out


def induced_subgraph(X: ACSet, /, **parts: Any) -> ACSet:
    """The sub-ACSet induced by parts of some objects (Catlab's ``induced_subgraph``).

    The named objects keep exactly the given parts; every other object keeps the parts
    whose homs all land in kept parts (or are undefined), e.g. the edges between the
    given vertices. Kept parts are renumbered in increasing order of their old ids;
    every attribute variable is kept. Raises :class:`InstanceError` when a given part
    has a hom into a part that is not kept.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> g = ACSet(SchGraph); _ = g.add_parts("V", 3)
    >>> _ = g.add_parts("E", 3, src=[0, 0, 1], tgt=[2, 2, 2])
    >>> sub = induced_subgraph(g, V=[0, 2])                 # induced_subgraph(g, [1,3])
    >>> sub.nparts("V"), sub.subpart("src").tolist(), sub.subpart("tgt").tolist()
    (2, [0, 0], [1, 1])
    """
    S = X.schema
    keep: dict[str, np.ndarray] = {}
    for ob in S.obs:
        keep[ob] = np.zeros(X._rows(ob), dtype=bool)
        if ob in parts:
            keep[ob][X._ids(ob, parts[ob])] = True
        else:
            keep[ob][X.parts(ob)] = True
    for ob in parts:
        if ob not in S.obs:
            raise InstanceError(f"induced_subgraph: {ob!r} is not an object of {S.name}; it has {list(S.obs)}")
    changed = True
    while changed:  # the largest set of parts closed under the homs: drop until nothing moves
        changed = False
        for h in S.homs:
            if h.dom in parts:
                continue
            v = X._cols[h.name][: X._rows(h.dom)]
            lost = keep[h.dom] & _lands_outside(v, keep[h.codom])
            if lost.any():
                keep[h.dom] &= ~lost
                changed = True
    for h in S.homs:
        if h.dom in parts:
            v = X._cols[h.name][: X._rows(h.dom)]
            bad = np.flatnonzero(keep[h.dom] & _lands_outside(v, keep[h.codom]))
            if len(bad):
                p = int(bad[0])
                raise InstanceError(
                    f"induced_subgraph: {h.dom} part {p} is given but its {h.name} = {int(v[p])} is a {h.codom} part that is not kept"
                )
    Y = ACSet(S, **X.types)
    Y.copy_parts(X, **{ob: np.flatnonzero(k) for ob, k in keep.items()},
                 **{t: X.parts(t) for t in S.attrtypes})
    return Y
