"""Morphisms of ACSets and homomorphism search.

An :class:`ACSetTransformation` ``α: X -> Y`` has one component per object, an int
array sending part ``i`` of ``X`` to part ``α[ob][i]`` of ``Y``. It is natural when
every hom square commutes, ``Y.f(α_a(x)) == α_b(X.f(x))`` for ``f: a -> b``, and it
preserves attributes strictly: ``Y.attr(α_a(x)) == X.attr(x)``, floats by exact
equality. An undefined hom value (-1) must go to an undefined one, and an undefined
attribute to an undefined one, so that a transformation is a map of the
(partial) tables as they are stored.

:func:`homomorphisms` enumerates transformations lazily by backtracking with
candidate sets read off the preimage indexes of ``Y`` (see :class:`_Search`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import TransformationError

__all__ = [
    "ACSetTransformation",
    "compose",
    "identity",
    "is_epic",
    "is_iso",
    "is_monic",
]


def _show(v: Any) -> str:
    if isinstance(v, (int, np.integer)) and v < 0:
        return "undefined"
    return repr(v.tolist() if isinstance(v, np.ndarray) else v)


def _values_equal(X: ACSet, name: str, xs: np.ndarray, Y: ACSet, ys: np.ndarray) -> np.ndarray:
    """Row-wise strict equality of attribute ``name`` at X's parts ``xs`` and Y's parts ``ys``.

    Undefined equals undefined, and nothing else.
    """
    a, b = X.subpart(name)[xs], Y.subpart(name)[ys]
    da, db = X.is_defined(name)[xs], Y.is_defined(name)[ys]
    if a.dtype != object and b.dtype != object:
        with np.errstate(invalid="ignore"):
            same = a == b
        if same.ndim > 1:
            same = same.all(axis=tuple(range(1, same.ndim)))
    else:
        same = np.fromiter((_same_object(u, v) for u, v in zip(a, b)), dtype=bool, count=len(a))
    return (da == db) & (same | ~da)


def _same_object(u: Any, v: Any) -> bool:
    try:
        return bool(u == v)
    except (TypeError, ValueError):  # arrays stored in object columns
        return bool(np.array_equal(np.asarray(u), np.asarray(v)))


class ACSetTransformation:
    """A natural, attribute-preserving map ``dom -> codom`` of ACSets on one schema.

    >>> from acset_s2r.catalog import SchGraph
    >>> X = ACSet(SchGraph); _ = X.add_parts("V", 2); _ = X.add_parts("E", 1, src=[0], tgt=[1])
    >>> Y = ACSet(SchGraph); _ = Y.add_parts("V", 1); _ = Y.add_parts("E", 1, src=[0], tgt=[0])
    >>> ACSetTransformation({"V": [0, 0], "E": [0]}, X, Y)["V"]
    array([0, 0])

    A component may be left out when its object has no parts in ``dom``. Construction
    checks every hom square and every attribute and raises :class:`TransformationError`
    naming the first failure; ``check=False`` skips that (for maps known to be natural).
    """

    __slots__ = ("components", "dom", "codom")

    def __init__(
        self, components: Mapping[str, Any], dom: ACSet, codom: ACSet, *, check: bool = True
    ) -> None:
        if not isinstance(dom, ACSet) or not isinstance(codom, ACSet):
            raise TransformationError("dom and codom of a transformation must be ACSets")
        if dom.schema != codom.schema:
            raise TransformationError(
                f"dom has schema {dom.schema.name} but codom has schema {codom.schema.name}"
            )
        schema = dom.schema
        if not isinstance(components, Mapping):
            raise TransformationError("components must map object names to arrays of part ids")
        unknown = set(components) - set(schema.obs)
        if unknown:
            raise TransformationError(f"components {sorted(unknown)} are not objects of {schema.name}")
        comps: dict[str, np.ndarray] = {}
        for ob in schema.obs:
            n, m = dom.nparts(ob), codom.nparts(ob)
            if ob not in components:
                if n:
                    raise TransformationError(f"missing component {ob}: dom has {n} {ob} parts")
                arr = np.zeros(0, dtype=np.int64)
            else:
                raw = np.asarray(components[ob])
                if raw.size == 0:
                    raw = raw.astype(np.int64)
                if raw.dtype.kind not in "iu":
                    raise TransformationError(f"component {ob} must hold integer part ids, got dtype {raw.dtype}")
                arr = raw.astype(np.int64).ravel() if check else raw.astype(np.int64, copy=False).ravel()
                if arr.shape != (n,):
                    raise TransformationError(
                        f"component {ob} has {arr.size} entries but dom has {n} {ob} parts"
                    )
                if n and (arr.min() < 0 or arr.max() >= m):
                    i = int(np.flatnonzero((arr < 0) | (arr >= m))[0])
                    raise TransformationError(
                        f"component {ob} sends part {i} to {int(arr[i])}, but codom has {ob} parts 0..{m - 1}"
                    )
            arr.flags.writeable = False
            comps[ob] = arr
        self.components, self.dom, self.codom = comps, dom, codom
        if check:
            self._check_natural()

    def _check_natural(self) -> None:
        X, Y, comps = self.dom, self.codom, self.components
        for h in X.schema.homs:
            col = X.subpart(h.name)
            # α_b(X.h(x)) with undefined kept undefined
            after = np.full(len(col), -1, dtype=np.int64)
            ok = col >= 0
            after[ok] = comps[h.codom][col[ok]]
            before = Y.subpart(h.name)[comps[h.dom]]
            bad = np.flatnonzero(after != before)
            if len(bad):
                x = int(bad[0])
                raise TransformationError(
                    f"not natural: the square of hom {h.name}: {h.dom} -> {h.codom} does not commute "
                    f"at {h.dom} part {x}: codom {h.name}(α_{h.dom}({x})) = "
                    f"{h.name}({int(comps[h.dom][x])}) = {_show(int(before[x]))}, but "
                    f"α_{h.codom}({h.name}({x})) = {_show(int(after[x]))}"
                )
        for a in X.schema.attrs:
            xs = X.parts(a.dom)
            ys = comps[a.dom]
            bad = np.flatnonzero(~_values_equal(X, a.name, xs, Y, ys))
            if len(bad):
                x = int(bad[0])
                y = int(ys[x])
                raise TransformationError(
                    f"attribute {a.name} is not preserved at {a.dom} part {x}: dom has "
                    f"{_show_attr(X, a.name, x)}, but its image {a.dom} part {y} has {_show_attr(Y, a.name, y)}"
                )

    # -- access and comparison -------------------------------------------------------
    def __getitem__(self, ob: str) -> np.ndarray:
        try:
            return self.components[ob]
        except KeyError:
            raise TransformationError(
                f"{ob!r} is not an object of {self.dom.schema.name}; objects: {list(self.dom.schema.obs)}"
            ) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ACSetTransformation):
            return NotImplemented
        return (
            (self.dom is other.dom or self.dom == other.dom)
            and (self.codom is other.codom or self.codom == other.codom)
            and all(np.array_equal(self.components[o], other.components[o]) for o in self.components)
        )

    __hash__ = None  # dom and codom are mutable

    def __repr__(self) -> str:
        comps = ", ".join(f"{ob}={c.tolist() if len(c) <= 8 else f'<{len(c)} parts>'}" for ob, c in self.components.items())
        return f"ACSetTransformation({comps}; {self.dom!r} -> {self.codom!r})"

    def is_natural(self) -> bool:
        """Re-check naturality (the ACSets may have been mutated since construction)."""
        try:
            self._check_natural()
        except TransformationError:
            return False
        return True

    def is_monic(self) -> bool:
        return is_monic(self)

    def is_epic(self) -> bool:
        return is_epic(self)

    def is_iso(self) -> bool:
        return is_iso(self)

    def then(self, other: ACSetTransformation) -> ACSetTransformation:
        """Diagrammatic composite: first ``self``, then ``other``."""
        return compose(self, other)

    def inverse(self) -> ACSetTransformation:
        """The inverse of an isomorphism."""
        if not is_iso(self):
            raise TransformationError("only an isomorphism has an inverse; this map is not bijective on every object")
        comps = {}
        for ob, c in self.components.items():
            inv = np.empty(len(c), dtype=np.int64)
            inv[c] = np.arange(len(c), dtype=np.int64)
            comps[ob] = inv
        return ACSetTransformation(comps, self.codom, self.dom, check=False)


def _show_attr(X: ACSet, name: str, part: int) -> str:
    if not X.is_defined(name, [part])[0]:
        return "undefined"
    return _show(X.subpart(part, name))


def compose(f: ACSetTransformation, g: ACSetTransformation, *more: ACSetTransformation) -> ACSetTransformation:
    """The composite ``f ; g`` (first ``f``, then ``g``), and so on for more maps."""
    out = f
    for nxt in (g, *more):
        if out.codom is not nxt.dom and out.codom != nxt.dom:
            raise TransformationError(
                f"cannot compose: the first map ends at {out.codom!r} but the next starts at {nxt.dom!r}"
            )
        comps = {ob: nxt.components[ob][c] for ob, c in out.components.items()}
        out = ACSetTransformation(comps, out.dom, nxt.codom, check=False)
    return out


def identity(X: ACSet) -> ACSetTransformation:
    """The identity transformation of ``X``."""
    return ACSetTransformation({ob: X.parts(ob) for ob in X.schema.obs}, X, X, check=False)


def is_monic(f: ACSetTransformation) -> bool:
    """Injective on every object."""
    return all(len(np.unique(c)) == len(c) for c in f.components.values())


def is_epic(f: ACSetTransformation) -> bool:
    """Surjective on every object."""
    return all(len(np.unique(c)) == f.codom.nparts(ob) for ob, c in f.components.items())


def is_iso(f: ACSetTransformation) -> bool:
    """Bijective on every object (a bijective natural map has a natural inverse)."""
    return all(
        len(c) == f.codom.nparts(ob) and len(np.unique(c)) == len(c) for ob, c in f.components.items()
    )
