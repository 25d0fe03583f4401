"""Morphisms of ACSets and homomorphism search.

An :class:`ACSetTransformation` ``α: X -> Y`` has one component per object, an int
array sending part ``i`` of ``X`` to part ``α[ob][i]`` of ``Y``. It is natural when
every hom square commutes, ``Y.f(α_a(x)) == α_b(X.f(x))`` for ``f: a -> b``, and it
preserves attributes strictly: ``Y.attr(α_a(x)) == X.attr(x)``, floats by exact
equality. An undefined hom value (-1) must go to an undefined one, and an undefined
attribute to an undefined one, so that a transformation is a map of the
(partial) tables as they are stored.

Attribute variables (:class:`~acset_s2r.acset.AttrVar`) are the parts of an AttrType,
and a transformation has a component per AttrType too, as in Catlab: it sends each
variable of ``dom`` to a value or a variable of ``codom``, and a variable-valued
attribute must land on that image, ``Y.attr(α_a(x)) == α_T(X.attr(x))``.

A *loose* transformation (Catlab's ``LooseACSetTransformation``) also carries
``type_components``, a function per AttrType applied to the values of ``dom``:
``Y.attr(α_a(x)) == φ_T(X.attr(x))``. Search takes them too, so
``homomorphisms(X, Y, type_components={"D": lambda v: 10 * v})`` finds the maps that
scale every ``D`` value by ten.

:func:`homomorphisms` enumerates transformations lazily by backtracking with
candidate sets read off the preimage indexes of ``Y`` (see :class:`_Search`); for a
large ``Y`` without attribute variables it lists them, and :func:`count_homomorphisms`
counts them, by the vectorised joins of :mod:`acset_s2r.conjunctive` (see
:func:`_by_joins`), counting the last steps without listing them.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import AcsetS2RError, TransformationError

__all__ = [
    "ACSetTransformation",
    "CSetTransformation",
    "compose",
    "count_homomorphisms",
    "homomorphism",
    "homomorphisms",
    "identity",
    "is_epic",
    "is_iso",
    "is_isomorphic",
    "is_cartesian",
    "is_monic",
    "naturality_failures",
    "type_components",
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


def _forced_components(missing: list[str], given: Mapping[str, Any], X: ACSet, Y: ACSet) -> dict[str, np.ndarray]:
    """The left-out components that the given ones determine through the hom squares.

    A part is forced by a hom ``h: b -> c`` from a known ``b`` (``α_c(h(z)) = h(α_b(z))``)
    or, failing that, by being the one part of ``Y`` whose homs into known objects
    take the required values. Inferred components may force others, so this repeats.
    """
    S = X.schema
    known: dict[str, np.ndarray] = {}
    for ob, comp in given.items():
        arr = np.asarray(comp)
        if ob not in S.obs or arr.dtype.kind not in "iu" or arr.shape != (X.nparts(ob),):
            continue  # malformed: the constructor names the problem
        if len(arr) and (arr.min() < 0 or arr.max() >= Y.nparts(ob)):
            continue
        known[ob] = arr.astype(np.int64)
    todo, found = list(missing), {}
    while todo:
        progress, why = False, {}
        for c in todo:
            n = X.nparts(c)
            forced = np.full(n, -1, dtype=np.int64)
            for h in S.homs:
                if h.codom != c or h.dom not in known:
                    continue
                xs = X.subpart(h.name)
                zs = np.flatnonzero(xs >= 0)
                ys = Y.subpart(h.name)[known[h.dom][zs]]
                for z, x, y in zip(zs.tolist(), xs[zs].tolist(), ys.tolist()):
                    if y < 0 or (forced[x] >= 0 and forced[x] != y):
                        raise TransformationError(
                            f"missing component {c}: no natural map exists: the square of {h.name} at {h.dom} "
                            f"part {z} needs α_{c}({x}) = {y if y >= 0 else 'a part where codom has none'}"
                            + (f", but another square needs {int(forced[x])}" if y >= 0 else "")
                        )
                    forced[x] = y
            outs = [h for h in S.homs if h.dom == c and h.codom in known]
            rest = np.flatnonzero(forced < 0)
            if len(rest) and outs:
                by_key: dict[tuple, list[int]] = {}
                for y, key in enumerate(zip(*(Y.subpart(h.name).tolist() for h in outs))):
                    by_key.setdefault(key, []).append(y)
                want = []
                for h in outs:
                    v = X.subpart(h.name)[rest]
                    w = np.full(len(v), -1, dtype=np.int64)
                    w[v >= 0] = known[h.codom][v[v >= 0]]
                    want.append(w.tolist())
                for x, key in zip(rest.tolist(), zip(*want)):
                    ys = by_key.get(key, ())
                    if len(ys) == 1:
                        forced[x] = ys[0]
                    else:
                        why.setdefault(c, f"{c} part {x} has {len(ys)} possible images")
            elif len(rest):
                why[c] = f"{c} part {int(rest[0])} is reached by no known hom and has no homs into known objects"
            if c not in why and (forced >= 0).all():
                known[c] = found[c] = forced
                progress = True
        todo = [c for c in todo if c not in found]
        if todo and not progress:
            c = todo[0]
            raise TransformationError(
                f"missing component {c}: dom has {X.nparts(c)} {c} parts and the other components do not "
                f"determine them ({why.get(c, 'they depend on other missing components')})"
            )
    return found


class ACSetTransformation:
    """A natural, attribute-preserving map ``dom -> codom`` of ACSets on one schema.

    >>> from acset_s2r.catalog import SchGraph
    >>> X = ACSet(SchGraph); _ = X.add_parts("V", 2); _ = X.add_parts("E", 1, src=[0], tgt=[1])
    >>> Y = ACSet(SchGraph); _ = Y.add_parts("V", 1); _ = Y.add_parts("E", 1, src=[0], tgt=[0])
    >>> ACSetTransformation({"V": [0, 0], "E": [0]}, X, Y)["V"]
    array([0, 0])
    >>> ACSetTransformation({"V": [0, 0]}, X, Y, infer=True)["E"]      # forced: Y has one edge 0 -> 0
    array([0])

    A component may be left out when its object has no parts in ``dom``; with
    ``infer=True`` also when the others force it through the hom squares (the edges of
    a graph map into a simple graph, given the vertices), and it is then inferred. Construction
    checks every hom square and every attribute and raises :class:`TransformationError`
    naming the first failure; ``check=False`` skips that (for maps known to be natural).
    """

    __slots__ = ("components", "dom", "codom", "type_components")

    def __init__(
        self, components: Mapping[str, Any], dom: ACSet, codom: ACSet, *, check: bool = True,
        type_components: Mapping[str, Callable[[Any], Any]] | None = None, infer: bool = False,
    ) -> None:
        if not isinstance(dom, ACSet) or not isinstance(codom, ACSet):
            raise TransformationError("dom and codom of a transformation must be ACSets")
        if dom.schema != codom.schema:
            raise TransformationError(
                f"dom has schema {dom.schema.name} but codom has schema {codom.schema.name}"
            )
        dom.require_compact("a transformation"), codom.require_compact("a transformation")
        schema = dom.schema
        if not isinstance(components, Mapping):
            raise TransformationError("components must map object names to arrays of part ids")
        unknown = set(components) - set(schema.obs) - set(schema.attrtypes)
        if unknown:
            raise TransformationError(
                f"components {sorted(unknown)} are not objects or attribute types of {schema.name}"
            )
        comps: dict[str, np.ndarray] = {}
        missing = [ob for ob in schema.obs if ob not in components and dom.nparts(ob)]
        if missing and infer:
            components = {**components, **_forced_components(missing, components, dom, codom)}
        for ob in schema.obs:
            n, m = dom.nparts(ob), codom.nparts(ob)
            if ob not in components:
                if n:
                    raise TransformationError(
                        f"missing component {ob}: dom has {n} {ob} parts (infer=True infers it if the others force it)"
                    )
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
        for t in schema.attrtypes:
            comps[t] = _type_component(t, components.get(t), dom, codom, comps)
        self.components, self.dom, self.codom = comps, dom, codom
        self.type_components = _functions(schema, type_components)
        if check:
            self._check_natural()

    def _check_natural(self) -> None:
        for message in self._failures(first=True):
            raise TransformationError(message)

    def _failures(self, first: bool = False) -> Iterator[str]:
        """A message per failing square (hom) or unpreserved value (attribute), part by part."""
        X, Y, comps = _apply_functions(self.dom, self.type_components, self.codom), self.codom, self.components
        for h in X.schema.homs:
            col = X.subpart(h.name)
            # α_b(X.h(x)) with undefined kept undefined
            after = np.full(len(col), -1, dtype=np.int64)
            ok = col >= 0
            after[ok] = comps[h.codom][col[ok]]
            before = Y.subpart(h.name)[comps[h.dom]]
            for x in np.flatnonzero(after != before)[: 1 if first else None].tolist():
                yield (
                    f"not natural: the square of hom {h.name}: {h.dom} -> {h.codom} does not commute "
                    f"at {h.dom} part {x}: codom {h.name}(α_{h.dom}({x})) = "
                    f"{h.name}({int(comps[h.dom][x])}) = {_show(int(before[x]))}, but "
                    f"α_{h.codom}({h.name}({x})) = {_show(int(after[x]))}"
                )
        if isinstance(self, CSetTransformation):
            return  # attributes are ignored
        for a in X.schema.attrs:
            xs = X.parts(a.dom)
            ys = comps[a.dom]
            if X.nparts(a.codom):
                bad = np.flatnonzero(~_images_equal(X, a.name, comps[a.codom], Y, ys))
            else:
                bad = np.flatnonzero(~_values_equal(X, a.name, xs, Y, ys))
            for x in bad[: 1 if first else None].tolist():
                y = int(ys[x])
                yield (
                    f"attribute {a.name} is not preserved at {a.dom} part {x}: dom has "
                    f"{_show_attr(X, a.name, x)}{_show_image(X, a, comps, x)}, but its image {a.dom} "
                    f"part {y} has {_show_attr(Y, a.name, y)}"
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
            self.type_components == other.type_components
            and (self.dom is other.dom or self.dom == other.dom)
            and (self.codom is other.codom or self.codom == other.codom)
            and all(
                self.components[o].tolist() == other.components[o].tolist()
                if self.components[o].dtype == object
                else np.array_equal(self.components[o], other.components[o])
                for o in self.components
            )
        )

    __hash__ = None  # dom and codom are mutable

    def __repr__(self) -> str:
        comps = ", ".join(f"{ob}={c.tolist() if len(c) <= 8 else f'<{len(c)} parts>'}" for ob, c in self.components.items())
        comps += "".join(f", {t}: {getattr(fn, '__name__', 'function')}" for t, fn in self.type_components.items())
        return f"ACSetTransformation({comps}; {self.dom!r} -> {self.codom!r})"

    def is_natural(self) -> bool:
        """Re-check naturality (the ACSets may have been mutated since construction).

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> X = ACSet(SchGraph); _ = X.add_parts("V", 2); _ = X.add_parts("E", 1, src=[0], tgt=[1])
        >>> f = identity(X)
        >>> X.set_subpart(0, "tgt", 0)  # X changed under f, which still maps it to itself
        >>> f.is_natural()
        True
        """
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
        """Diagrammatic composite: first ``self``, then ``other``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
        >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
        >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
        >>> homomorphism(E, C3, any=True).then(turn)["V"]
        array([1, 2])
        """
        return compose(self, other)

    def inverse(self) -> ACSetTransformation:
        """The inverse of an isomorphism.

        Examples
        --------
        >>> from acset_s2r.catalog import SchGraph
        >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
        >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
        >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
        >>> turn.inverse()["V"]
        array([2, 0, 1])
        """
        if not is_iso(self):
            raise TransformationError("only an isomorphism has an inverse; this map is not bijective on every object")
        if self.type_components:
            raise TransformationError("a loose transformation has no computable inverse: its type components are functions")
        comps = {}
        for ob, c in self.components.items():
            if c.dtype == object:  # an AttrType: iso means a bijection of variables
                inv = [None] * len(c)
                for k, v in enumerate(c.tolist()):
                    inv[v.k] = AttrVar(k)
                comps[ob] = inv
                continue
            inv = np.empty(len(c), dtype=np.int64)
            inv[c] = np.arange(len(c), dtype=np.int64)
            comps[ob] = inv
        return ACSetTransformation(comps, self.codom, self.dom, check=False)


class CSetTransformation(ACSetTransformation):
    """A transformation that is natural on the homs and ignores attributes (Catlab's ``CSetTransformation``).

    AttrType components may be left out (then they are None: variables are not mapped).
    Composites with it ignore attributes too, and :func:`acset_s2r.limits.pullback` of such
    maps makes the apex's attributes variables, or combines them with ``attrfun``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> A = acset(SchWeightedGraph, types={"Weight": float}, V=2, src=[0], tgt=[1], weight=[5.0])
    >>> C = acset(SchWeightedGraph, types={"Weight": float}, V=1, src=[0], tgt=[0], weight=[3.14])
    >>> CSetTransformation({"V": [0, 0], "E": [0]}, A, C).is_natural()  # CSetTransformation(A, C; V=[1,1], E=[1])
    True
    """

    __slots__ = ()

    def __init__(self, components: Mapping[str, Any], dom: ACSet, codom: ACSet, *, check: bool = True,
                 type_components: Mapping[str, Callable[[Any], Any]] | None = None, infer: bool = False) -> None:
        if isinstance(components, Mapping) and isinstance(dom, ACSet):
            components = dict(components)
            for t in dom.schema.attrtypes:
                components.setdefault(t, [None] * dom.nparts(t))
        super().__init__(components, dom, codom, check=check, type_components=type_components, infer=infer)


def _objects(values: Any) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    out.flags.writeable = False
    return out


def _type_component(t: str, given: Any, X: ACSet, Y: ACSet, comps: Mapping[str, np.ndarray]) -> np.ndarray:
    """The AttrType component: given (list or dict), or read off where every variable is used."""
    n = X.nparts(t)
    if given is not None:
        if isinstance(given, Mapping):
            given = [given.get(k, _MISSING) for k in range(n)]
        vals = list(given.tolist() if isinstance(given, np.ndarray) else given)
        if len(vals) != n:
            raise TransformationError(f"component {t} has {len(vals)} entries but dom has {n} variables of {t}")
    else:
        vals = [_MISSING] * n
    if _MISSING in vals:
        for a in X.schema.attrs:
            if a.codom != t or a.dom not in comps:
                continue
            ycol = Y.subpart(a.name)
            for x, v in enumerate(X.subpart(a.name).tolist()):
                if v.__class__ is AttrVar and vals[v.k] is _MISSING:
                    vals[v.k] = ycol[comps[a.dom][x]]
        if _MISSING in vals:
            k = vals.index(_MISSING)
            raise TransformationError(
                f"component {t} must be given: variable {k} of dom is used by no attribute, so its image is not determined"
            )
    for k, v in enumerate(vals):
        if v.__class__ is AttrVar and not 0 <= v.k < Y.nparts(t):
            raise TransformationError(f"component {t} sends variable {k} to {v!r}, but codom has {Y.nparts(t)} variables")
    return _objects(vals)


def _then(f: Callable | None, g: Callable | None) -> Callable:
    if f is None or g is None:
        return f or g

    def composite(v: Any) -> Any:
        return g(f(v))

    composite.__name__ = f"{getattr(g, '__name__', 'g')}∘{getattr(f, '__name__', 'f')}"
    return composite


def _functions(schema: Any, given: Mapping[str, Callable] | None) -> dict[str, Callable]:
    if not given:
        return {}
    if not isinstance(given, Mapping):
        raise TransformationError("type_components must map attribute types to functions")
    for t, fn in given.items():
        if t not in schema.attrtypes:
            raise TransformationError(f"type_components: {t!r} is not an attribute type of {schema.name}; it has {list(schema.attrtypes)}")
        if not callable(fn):
            raise TransformationError(f"type_components: the component of {t} must be a function, got {fn!r}")
    return dict(given)


def _apply_functions(X: ACSet, fns: Mapping[str, Callable], Y: ACSet) -> ACSet:
    """``X`` with each value of a loose AttrType replaced by its image (variables stay).

    The images are stored as ``Y`` stores that type, so strict comparison with ``Y`` applies.
    """
    if not fns:
        return X
    S = X.schema
    out = ACSet(S, **{t: Y.types[t] if t in fns else X.types[t] for t in S.attrtypes})
    for t in S.attrtypes:
        out.add_parts(t, X.nparts(t))
    for ob in S.obs:
        cols: dict[str, Any] = {h.name: X.subpart(h.name) for h in S.homs_out(ob)}
        for a in S.attrs_of(ob):
            vals, ok = X.subpart(a.name), X.is_defined(a.name)
            fn = fns.get(a.codom)
            if fn is None:
                cols[a.name] = vals if vals.dtype != object else list(vals)
                continue
            try:
                cols[a.name] = [
                    v if v.__class__ is AttrVar else (fn(v.item() if isinstance(v, np.generic) else v) if d else None)
                    for v, d in zip(vals, ok.tolist())
                ]
            except Exception as e:
                raise TransformationError(f"type component of {a.codom} failed on attribute {a.name}: {e!r}") from None
        try:
            out.add_parts(ob, X.nparts(ob), **cols)
        except AcsetS2RError as e:
            raise TransformationError(f"type components give values the codom cannot hold: {e}") from None
    return out


def type_components(f: ACSetTransformation) -> dict[str, Callable[[Any], Any]]:
    """The function of ``f`` on each AttrType's values: given ones, the identity elsewhere.

    Catlab's ``type_components(α)``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> g = acset(SchWeightedGraph, types={"Weight": float}, V=2, E=1, src=[0], tgt=[1], weight=[2.0])
    >>> h = acset(SchWeightedGraph, types={"Weight": float}, V=2, E=1, src=[0], tgt=[1], weight=[1.0])
    >>> half = ACSetTransformation({"V": [0, 1], "E": [0]}, g, h, type_components={"Weight": lambda w: w / 2})
    >>> type_components(half)["Weight"](10.0)
    5.0
    """
    return {t: f.type_components.get(t, _identity_value) for t in f.dom.schema.attrtypes}


def _identity_value(v: Any) -> Any:
    return v


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _images_equal(X: ACSet, name: str, comp: np.ndarray, Y: ACSet, ys: np.ndarray) -> np.ndarray:
    """Whether ``Y.name(ys[x]) == comp(X.name(x))`` for each x, variables substituted."""
    xvals, yvals = X.subpart(name).tolist(), Y.subpart(name)[ys].tolist()
    xdef, ydef = X.is_defined(name).tolist(), Y.is_defined(name)[ys].tolist()
    out = np.empty(len(xvals), dtype=bool)
    for x, (u, v, du, dv) in enumerate(zip(xvals, yvals, xdef, ydef)):
        if u.__class__ is AttrVar:
            u, du = comp[u.k], True
        out[x] = du == dv and (not du or _same_object(u, v))
    return out


def _show_image(X: ACSet, a: Any, comps: Mapping[str, np.ndarray], x: int) -> str:
    v = X.subpart(x, a.name)
    return f" (sent to {comps[a.codom][v.k]!r})" if v.__class__ is AttrVar else ""


def _show_attr(X: ACSet, name: str, part: int) -> str:
    if not X.is_defined(name, [part])[0]:
        return "undefined"
    return _show(X.subpart(part, name))


def compose(f: ACSetTransformation, g: ACSetTransformation, *more: ACSetTransformation) -> ACSetTransformation:
    """The composite ``f ; g`` (first ``f``, then ``g``), and so on for more maps.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
    >>> f = homomorphism(E, C3, any=True)
    >>> compose(f, turn, turn)["V"]
    array([2, 0])
    """
    out = f
    for nxt in (g, *more):
        if out.codom is not nxt.dom and out.codom != nxt.dom:
            raise TransformationError(
                f"cannot compose: the first map ends at {out.codom!r} but the next starts at {nxt.dom!r}"
            )
        comps = {}
        fns = nxt.type_components
        for ob, c in out.components.items():
            if c.dtype == object:
                after, fn = nxt.components[ob], fns.get(ob)
                comps[ob] = [after[v.k] if v.__class__ is AttrVar else (v if fn is None or v is None else fn(v)) for v in c.tolist()]
            else:
                comps[ob] = nxt.components[ob][c]
        loose = {t: _then(out.type_components.get(t), fns.get(t)) for t in set(out.type_components) | set(fns)}
        cls = CSetTransformation if isinstance(out, CSetTransformation) or isinstance(nxt, CSetTransformation) else ACSetTransformation
        out = cls(comps, out.dom, nxt.codom, check=False, type_components=loose)
    return out


def identity(X: ACSet) -> ACSetTransformation:
    """The identity transformation of ``X``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> identity(C3)["V"], is_iso(identity(C3))
    (array([0, 1, 2]), True)
    """
    comps: dict[str, Any] = {ob: X.parts(ob) for ob in X.schema.obs}
    comps |= {t: [AttrVar(k) for k in range(X.nparts(t))] for t in X.schema.attrtypes}
    return ACSetTransformation(comps, X, X, check=False)


def naturality_failures(f: ACSetTransformation) -> list[str]:
    """Every failing naturality square and unpreserved attribute of ``f``, one message per part.

    Catlab's ``naturality_failures``; construction and :meth:`ACSetTransformation.is_natural`
    stop at the first. Build ``f`` with ``check=False`` to inspect a map that is not natural.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 2, src=[0, 1], tgt=[1, 0])
    >>> f = ACSetTransformation({"V": [0, 0], "E": [0, 1]}, E, E, check=False)
    >>> len(naturality_failures(f))   # src of edge 1 and tgt of edge 0 go wrong
    2
    """
    return list(f._failures())


def is_cartesian(f: ACSetTransformation, homs: Iterable[str] | None = None) -> bool:
    """Whether every naturality square of ``f`` (or of the listed homs) is a pullback.

    For ``h: a -> b`` the square is a pullback when ``x -> (f_a(x), X.h(x))`` is a bijection
    onto the pairs ``(y, x')`` with ``Y.h(y) = f_b(x')``: each part of ``X(b)`` has a fibre
    above it matching the fibre of its image. Catlab's ``is_cartesian``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> C2 = ACSet(SchGraph); _ = C2.add_parts("V", 2); _ = C2.add_parts("E", 2, src=[0, 1], tgt=[1, 0])
    >>> loop = ACSet(SchGraph); _ = loop.add_parts("V", 1); _ = loop.add_parts("E", 1, src=0, tgt=0)
    >>> is_cartesian(ACSetTransformation({"V": [0, 0], "E": [0, 0]}, C2, loop))   # a covering
    True
    >>> two = ACSet(SchGraph); _ = two.add_parts("V", 1); _ = two.add_parts("E", 2, src=0, tgt=0)
    >>> is_cartesian(ACSetTransformation({"V": [0], "E": [0, 0]}, two, loop))   # two edges over one
    False
    """
    X, Y = f.dom, f.codom
    names = X.schema.hom_names if homs is None else tuple(homs)
    for name in names:
        h = X.schema.arrow(name)
        if name not in X.schema.hom_names:
            raise TransformationError(f"is_cartesian: {name!r} is not a hom of {X.schema.name}")
        xcol, ycol = X.subpart(name), Y.subpart(name)
        defined = xcol >= 0  # parts where h is undefined are left out of the square
        pairs = set(zip(f[h.dom][defined].tolist(), xcol[defined].tolist()))
        if len(pairs) != int(defined.sum()):
            return False  # two parts of X(a) land on one pair: not injective
        fibre = np.bincount(ycol[ycol >= 0], minlength=Y.nparts(h.codom))
        if int(fibre[f[h.codom]].sum()) != len(pairs):
            return False  # some pair over X(b) is missed: not surjective
    return True


def is_monic(f: ACSetTransformation) -> bool:
    """Injective on every object.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> is_monic(homomorphism(E, C3, any=True))
    True
    """
    return all(_injective(c) for c in f.components.values())


def is_epic(f: ACSetTransformation) -> bool:
    """Surjective on every object.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> is_epic(homomorphism(E, C3, any=True))
    False
    """
    return all(_image_size(c) == f.codom.nparts(ob) for ob, c in f.components.items())


def is_iso(f: ACSetTransformation) -> bool:
    """Bijective on every object (a bijective natural map has a natural inverse).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
    >>> is_iso(turn), is_iso(homomorphism(E, C3, any=True))
    (True, False)
    """
    return all(len(c) == f.codom.nparts(ob) and _injective(c) for ob, c in f.components.items())


def _injective(c: np.ndarray) -> bool:
    if c.dtype == object:  # variables go to distinct variables, as in Catlab
        return all(v.__class__ is AttrVar for v in c.tolist()) and len(set(c.tolist())) == len(c)
    return len(np.unique(c)) == len(c)


def _image_size(c: np.ndarray) -> int:
    if c.dtype == object:
        return len({v for v in c.tolist() if v.__class__ is AttrVar})
    return len(np.unique(c))


# -- homomorphism search ----------------------------------------------------------------
def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection of two sorted id arrays, O(small · log large)."""
    if len(a) < len(b):
        a, b = b, a
    if not len(b) or not len(a):
        return b[:0]
    idx = a.searchsorted(b)
    idx[idx == len(a)] = 0
    return b[a[idx] == b]


def _attr_key(X: ACSet, name: str, col: np.ndarray, defined: np.ndarray, x: int) -> Any:
    """A hashable stand-in for X's value of ``name`` at ``x`` (None if undefined)."""
    if not defined[x]:
        return None
    v = col[x]
    if v.__class__ is AttrVar:
        return ("var",)  # constrains through its binding, not statically
    if isinstance(v, np.ndarray):
        return ("vector", tuple(v.tolist()))
    v = v.item() if isinstance(v, np.generic) else v
    try:
        hash(v)
    except TypeError:
        return ("unhashable", x)
    return ("value", v)


def _obs_arg(X: ACSet, arg: Any, what: str, types: bool = True) -> set[str]:
    allowed = set(X.schema.obs) | (set(X.schema.attrtypes) if types else set())
    if arg is True:
        return allowed
    if arg is False or arg is None:
        return set()
    obs = {arg} if isinstance(arg, str) else set(arg)
    unknown = obs - allowed
    if unknown:
        kinds = "objects or attribute types" if types else "objects"
        raise TransformationError(f"{what}: {sorted(unknown)} are not {kinds} of {X.schema.name}")
    return obs


class _Search:
    """Backtracking over the variables (ob, part) of X with forward checking.

    Each free variable keeps a sorted array of candidates in Y. Assigning ``x -> y``
    narrows its neighbours through the indexes: for ``f: a -> b`` the variable
    ``X.f(x)`` is forced to ``Y.f(y)``, and every ``w`` with ``X.f(w) = x`` keeps only
    ``Y.incident(y, f)``. An empty set backtracks at once; the next variable is the
    free one with the fewest candidates. Static candidates (undefined homs, attribute
    values, non-empty preimages) are computed once per kind of part, so no node
    scans all of Y.
    """

    BIG = 1 << 62

    rng: np.random.Generator | None = None  # set: candidates are tried in a random order
    epic: set[str] = frozenset()  # objects the maps must cover (checked on each map found)

    def __init__(self, X: ACSet, Y: ACSet, monic: set[str], initial: Mapping[str, Any] | None,
                 no_bind: set[str] = frozenset(), predicates: Mapping[str, Any] | None = None) -> None:
        schema = X.schema
        self.obs = schema.obs
        offset, n = {}, 0
        for ob in schema.obs:
            offset[ob] = n
            n += X.nparts(ob)
        self.n = n
        self.offset = offset
        self.var_ob = np.repeat(np.arange(len(schema.obs)), [X.nparts(o) for o in schema.obs]).tolist()
        self.monic_ob = [ob in monic for ob in schema.obs]
        self.Y = Y
        ycols = {h.name: Y.subpart(h.name).tolist() for h in schema.homs}
        self.out_links: list[list[tuple[list, int]]] = [[] for _ in range(n)]
        self.in_links: list[list[tuple[str, int]]] = [[] for _ in range(n)]
        for h in schema.homs:
            col = X.subpart(h.name).tolist()
            a, b = offset[h.dom], offset[h.codom]
            for x, z in enumerate(col):
                if z >= 0:
                    self.out_links[a + x].append((ycols[h.name], b + z))
                    self.in_links[b + z].append((h.name, a + x))
        # a hom from a part to itself is checked only on assignment, so bulk counting skips such parts
        self.loops = [any(j == i for _, j in links) for i, links in enumerate(self.out_links)]
        # attribute variables: var_links[i] lists (T, k, Y's column) for each AttrVar(k) on part i
        self.var_links: list[list[tuple[str, int, list]]] = [[] for _ in range(n)]
        self.bind: dict[str, dict[int, list]] = {t: {} for t in schema.attrtypes}  # k -> [uses, value]
        self.inv: dict[str, dict[Any, int]] | None = {t: {} for t in schema.attrtypes if t in monic}
        self.has_vars = False
        for a in schema.attrs:
            if not X.nparts(a.codom) or X.types[a.codom].kind not in ("str", "object"):
                continue
            ycol = Y.subpart(a.name).tolist()
            ydef = Y.is_defined(a.name).tolist()
            ycol = [v if ok else None for v, ok in zip(ycol, ydef)]
            for x, v in enumerate(X.subpart(a.name).tolist()):
                if v.__class__ is AttrVar:
                    self.var_links[offset[a.dom] + x].append((a.codom, v.k, ycol))
                    self.has_vars = True
        self.monic_types = {t for t in schema.attrtypes if t in monic}
        self.cands = self._static(X, Y, monic)
        if initial:
            self._fix(X, Y, initial)
        if predicates:
            self._restrict(X, Y, predicates)
        self.free = self._free_vars(X, Y, monic, no_bind)
        self.size = [len(c) for c in self.cands]
        self.assigned = [-1] * n
        self.trail: list[tuple[int, np.ndarray, int]] = []
        self.used = [set() for _ in schema.obs]

    def _static(self, X: ACSet, Y: ACSet, monic: set[str]) -> list[np.ndarray]:
        schema = X.schema
        cands: list[np.ndarray] = []
        for ob in schema.obs:
            nx_, ny = X.nparts(ob), Y.nparts(ob)
            if not nx_:
                continue
            outs, ins, attrs = schema.homs_out(ob), schema.homs_in(ob), schema.attrs_of(ob)
            xundef = [X.subpart(h.name) < 0 for h in outs]
            yundef = [Y.subpart(h.name) < 0 for h in outs]

            def degrees(Z: ACSet, h, m: int) -> np.ndarray:
                col = Z.subpart(h.name)
                return np.bincount(col[col >= 0], minlength=m)

            xdeg = [degrees(X, h, nx_) for h in ins]
            ydeg = [degrees(Y, h, ny) for h in ins]
            xattr = [(a.name, X.subpart(a.name), X.is_defined(a.name)) for a in attrs]
            # preimage sizes must grow only where the preimage's object is mapped injectively
            strict = [h.dom in monic for h in ins]
            memo: dict[tuple, np.ndarray] = {}
            for x in range(nx_):
                key = (
                    tuple(bool(u[x]) for u in xundef),
                    tuple(int(d[x]) if st else min(int(d[x]), 1) for d, st in zip(xdeg, strict)),
                    tuple(_attr_key(X, name, col, ok, x) for name, col, ok in xattr),
                )
                found = memo.get(key)
                if found is None:
                    mask = np.ones(ny, dtype=bool)
                    for u, yu in zip(key[0], yundef):
                        mask &= yu == u
                    for d, yd in zip(key[1], ydeg):
                        if d:
                            mask &= yd >= d
                    for (name, _, _), k in zip(xattr, key[2]):
                        if k is not None and k[0] == "var":
                            if schema.codom(name) in monic:  # a variable may only go to a variable
                                mask &= np.fromiter((v.__class__ is AttrVar for v in Y.subpart(name).tolist()),
                                                    dtype=bool, count=ny)
                            continue
                        if k is not None and k[0] == "value":
                            try:
                                hit = np.zeros(ny, dtype=bool)
                                hit[Y.incident(k[1], name)] = True
                                mask &= hit & _values_equal(X, name, np.full(ny, x), Y, Y.parts(ob))
                                continue
                            except Exception:  # an attribute the index cannot invert
                                pass
                        mask &= _values_equal(X, name, np.full(ny, x), Y, Y.parts(ob))
                    found = memo[key] = np.flatnonzero(mask).astype(np.int64)
                cands.append(found)
        return cands

    def _fix(self, X: ACSet, Y: ACSet, initial: Mapping[str, Any]) -> None:
        if not isinstance(initial, Mapping):
            raise TransformationError("initial must map object names to {part: image} mappings")
        for ob, fixed in initial.items():
            pairs = fixed.items() if isinstance(fixed, Mapping) else enumerate(fixed)
            if ob in X.schema.attrtypes:
                for k, v in pairs:
                    k = int(k)
                    if not 0 <= k < X.nparts(ob):
                        raise TransformationError(f"initial: dom has no variable {k} of {ob} (it has {X.nparts(ob)})")
                    if v.__class__ is AttrVar and not 0 <= v.k < Y.nparts(ob):
                        raise TransformationError(f"initial: codom has no variable {v.k} of {ob}")
                    self.bind[ob][k] = [1, v]  # one use that is never undone
                    if self.inv is not None and ob in self.inv:
                        if v.__class__ is not AttrVar or v in self.inv[ob]:
                            self.dead = True
                        self.inv[ob][v] = k
                continue
            if ob not in self.offset:
                raise TransformationError(f"initial: {ob!r} is not an object of {X.schema.name}")
            for x, y in pairs:
                x, y = int(x), int(y)
                if not 0 <= x < X.nparts(ob):
                    raise TransformationError(f"initial: dom has no {ob} part {x} (it has {X.nparts(ob)})")
                if not 0 <= y < Y.nparts(ob):
                    raise TransformationError(f"initial: codom has no {ob} part {y} (it has {Y.nparts(ob)})")
                i = self.offset[ob] + x
                self.cands[i] = _intersect(self.cands[i], np.array([y], dtype=np.int64))

    dead = False

    def _restrict(self, X: ACSet, Y: ACSet, predicates: Mapping[str, Any]) -> None:
        """Catlab's ``predicates``: ``{ob: {part: allowed images, or a test of an image}}``."""
        if not isinstance(predicates, Mapping):
            raise TransformationError("predicates must map object names to {part: allowed images or a test}")
        for ob, per_part in predicates.items():
            if ob not in self.offset:
                raise TransformationError(f"predicates: {ob!r} is not an object of {X.schema.name}")
            if not isinstance(per_part, Mapping):
                raise TransformationError(f"predicates: {ob} must map parts to allowed images or a test, got {per_part!r}")
            for x, allowed in per_part.items():
                if not isinstance(x, (int, np.integer)) or not 0 <= x < X.nparts(ob):
                    raise TransformationError(f"predicates: dom has no {ob} part {x!r} (it has {X.nparts(ob)})")
                i = self.offset[ob] + int(x)
                c = self.cands[i]
                if callable(allowed):
                    self.cands[i] = c[np.fromiter((bool(allowed(y)) for y in c.tolist()), dtype=bool, count=len(c))]
                else:
                    ys = np.unique(np.asarray(list(allowed), dtype=np.int64))
                    self.cands[i] = _intersect(c, ys)

    def _free_vars(self, X: ACSet, Y: ACSet, monic: set[str], no_bind: set[str]) -> dict[str, list[int]]:
        """Variables no attribute uses: enumerated over Y's variables after the search, when allowed."""
        used: dict[str, set[int]] = {t: set(b) for t, b in self.bind.items()}
        for links in self.var_links:
            for t, k, _ in links:
                used[t].add(k)
        free = {}
        for t in X.schema.attrtypes:
            ks = [k for k in range(X.nparts(t)) if k not in used[t]]
            if ks and t not in monic and t not in no_bind:
                raise TransformationError(
                    f"variables {ks} of {t} are used by no attribute, so there are infinitely many "
                    f"homomorphisms; fix them with initial={{{t!r}: ...}}, or pass monic=[{t!r}] or no_bind=[{t!r}]"
                )
            if ks:
                free[t] = ks
        return free

    def _bind(self, i: int) -> bool:
        """Bind the variables on part i to the values on its image; trail each use."""
        y, trail, bind, inv = self.assigned[i], self.trail, self.bind, self.inv
        for t, k, ycol in self.var_links[i]:
            v = ycol[y]
            b = bind[t].get(k)
            if b is not None:
                if not _same_object(b[1], v):
                    return False
                b[0] += 1
            else:
                if inv is not None and t in inv:
                    if v.__class__ is not AttrVar or v in inv[t]:
                        return False
                    inv[t][v] = k
                bind[t][k] = [1, v]
            trail.append((-1, t, k))
        return True

    def _unbind(self, t: str, k: int) -> None:
        b = self.bind[t][k]
        b[0] -= 1
        if not b[0]:
            del self.bind[t][k]
            if self.inv is not None and t in self.inv:
                del self.inv[t][b[1]]

    def _assign(self, i: int, y: int) -> bool:
        """Assign variable i to y and narrow its neighbours; False if one runs empty."""
        cands, size, assigned, trail = self.cands, self.size, self.assigned, self.trail
        assigned[i] = y
        trail.append((i, cands[i], size[i]))
        size[i] = self.BIG
        if self.var_links[i] and not self._bind(i):
            return False
        for ycol, j in self.out_links[i]:
            if assigned[j] >= 0:
                # constraints with earlier variables were applied when those were set
                if j == i and ycol[y] != y:
                    return False
                continue
            z = ycol[y]
            c = cands[j]
            if z < 0:
                return False
            k = int(c.searchsorted(z))
            if k == len(c) or c[k] != z:
                return False
            if len(c) > 1:
                trail.append((j, c, size[j]))
                cands[j] = c[k : k + 1]
                size[j] = 1
        incident = self.Y.incident
        for name, w in self.in_links[i]:
            if assigned[w] >= 0:
                continue
            c = cands[w]
            new = _intersect(c, incident(y, name))
            if not len(new):
                return False
            if len(new) != len(c):
                trail.append((w, c, size[w]))
                cands[w] = new
                size[w] = len(new)
        return True

    def _undo(self, mark: int) -> None:
        trail, cands, size = self.trail, self.cands, self.size
        while len(trail) > mark:
            j, c, s = trail.pop()
            if j < 0:
                self._unbind(c, s)
                continue
            cands[j] = c
            size[j] = s

    def run(self, bulk: bool = False) -> Iterator[tuple[int, list[int] | None]]:
        """Yield ``(1, assignment)`` per homomorphism, or with ``bulk`` also ``(k, None)``
        for k completions of the last free variable. Iterative: X may be large."""
        n, size, cands, assigned, used, var_ob = self.n, self.size, self.cands, self.assigned, self.used, self.var_ob
        monic_ob = self.monic_ob
        nfree = n
        frames: list[list] = []  # [var, candidates, next position, trail mark, current image]
        descend = True
        while True:
            if descend:
                descend = False
                if nfree == 0:
                    yield 1, assigned
                else:
                    i = min(range(n), key=size.__getitem__)
                    if bulk and nfree == 1 and not self.loops[i]:
                        if monic_ob[var_ob[i]]:
                            u = used[var_ob[i]]
                            k = sum(1 for y in cands[i].tolist() if y not in u)
                        else:
                            k = size[i]
                        if k:
                            yield k, None
                    elif size[i]:
                        ys = cands[i] if self.rng is None else self.rng.permutation(cands[i])
                        frames.append([i, ys.tolist(), 0, len(self.trail), -1])
            if not frames:
                return
            frame = frames[-1]
            i, ys, pos, mark, cur = frame
            u = used[var_ob[i]] if monic_ob[var_ob[i]] else None
            if cur >= 0:
                self._undo(mark)
                assigned[i] = -1
                nfree += 1
                if u is not None:
                    u.discard(cur)
            while pos < len(ys):
                y = ys[pos]
                pos += 1
                if u is not None and y in u:
                    continue
                if self._assign(i, y):
                    frame[2], frame[4] = pos, y
                    nfree -= 1
                    if u is not None:
                        u.add(y)
                    descend = True
                    break
                self._undo(mark)
                assigned[i] = -1
            else:
                frames.pop()

    def transformations(self, X: ACSet, Y: ACSet, assignment: list[int],
                        fns: Mapping[str, Callable] | None = None) -> Iterator[ACSetTransformation]:
        """The maps of one solution: one per way to send the free variables to Y's variables."""
        comps: dict[str, Any] = {}
        flat = np.asarray(assignment, dtype=np.int64)
        for ob in self.obs:
            start = self.offset[ob]
            comps[ob] = flat[start : start + X.nparts(ob)]
        bind = self.bind
        bound = {t: [bind[t][k][1] if k in bind[t] else None for k in range(X.nparts(t))] for t in X.schema.attrtypes}
        choices = []
        for t, ks in self.free.items():
            taken = {v for v in bound[t] if v.__class__ is AttrVar} if t in self.monic_types else set()
            targets = [AttrVar(j) for j in range(Y.nparts(t)) if AttrVar(j) not in taken]
            if t in self.monic_types:
                choices.append([(t, ks, c) for c in itertools.permutations(targets, len(ks))])
            else:
                choices.append([(t, ks, c) for c in itertools.product(targets, repeat=len(ks))])
        for combo in itertools.product(*choices):
            full = {t: list(v) for t, v in bound.items()}
            for t, ks, c in combo:
                for k, v in zip(ks, c):
                    full[t][k] = v
            yield ACSetTransformation(comps | full, X, Y, check=False, type_components=fns)


def _prepare(X: ACSet, Y: ACSet, monic: Any, iso: Any, initial: Any, no_bind: Any = False,
             fns: Mapping[str, Callable] | None = None, predicates: Any = None, epic: Any = False,
             random: Any = False) -> _Search | None:
    if not isinstance(X, ACSet) or not isinstance(Y, ACSet):
        raise TransformationError("homomorphism search needs two ACSets")
    if X.schema != Y.schema:
        raise TransformationError(f"dom has schema {X.schema.name} but codom has schema {Y.schema.name}")
    X.require_compact("homomorphism search"), Y.require_compact("homomorphism search")
    # a loose search is a strict one from X with its values already mapped
    X = _apply_functions(X, fns or {}, Y)
    iso_obs = _obs_arg(X, iso, "iso")
    monic_obs = _obs_arg(X, monic, "monic") | iso_obs
    no_bind_types = _obs_arg(X, no_bind, "no_bind") & set(X.schema.attrtypes)
    epic_obs = _obs_arg(X, epic, "epic")
    search = _Search(X, Y, monic_obs, initial, no_bind_types, predicates)
    search.epic = epic_obs
    search.X, search.monic_obs = X, monic_obs
    if random is not False and random is not None:
        search.rng = random if isinstance(random, np.random.Generator) else np.random.default_rng(
            None if random is True else random)
    if search.dead:
        return None
    if any(X.nparts(ob) < Y.nparts(ob) for ob in epic_obs):
        return None
    if any(X.nparts(ob) != Y.nparts(ob) for ob in iso_obs):
        return None
    if any(X.nparts(ob) > Y.nparts(ob) for ob in monic_obs):
        return None
    return search


# the join planner: below this many parts of Y backtracking wins on call overhead, and a
# partial join past the cap hands the pattern back to backtracking (joins that blow up)
_JOIN_MIN_PARTS = 200
_JOIN_CAP = 4_000_000


def _by_joins(search: _Search, Y: ACSet, count: bool = False) -> np.ndarray | int | None:
    """Every solution as a row of Y-part ids (columns in the search's variable order, rows
    in lexicographic order), or with ``count`` their number, found by the vectorised index joins of
    :mod:`acset_s2r.conjunctive`; None where backtracking is the better plan (attribute
    variables, epic, a small Y) or the joins outgrow the cap.

    Each part of X is an atom over its object with its own ``_id`` variable and a variable
    per defined hom; the static candidate sets of the search (attribute values, undefined
    homs, initial, predicates) mask those variables, and monic objects make theirs distinct.
    An atom that only names a part another atom binds is left out unless its candidates
    are few (it then seeds the join), and a monic object's parts are not compared when
    their homs already tell them apart. When counting, a part no other atom, mask or
    comparison reads keeps no ``_id`` column: its atom still counts each match.
    """
    from acset_s2r.conjunctive import JoinTooLarge, _evaluate, _parse

    X = search.X
    if search.has_vars or search.free or search.epic or search.n == 0:
        return None
    if sum(Y.nparts(ob) for ob in X.schema.obs) < _JOIN_MIN_PARTS:
        return None
    schema = X.schema
    separated = _separated(X, search.monic_obs)
    named = {f"{h.codom}#{z}" for h in schema.homs for z in X.subpart(h.name).tolist() if z >= 0}
    atoms, names, seeds, masks, groups = [], [], {}, {}, []
    memo: dict[int, np.ndarray] = {}
    for ob in schema.obs:
        nx_, ny = X.nparts(ob), Y.nparts(ob)
        cols = {h.name: (h.codom, X.subpart(h.name).tolist()) for h in schema.homs_out(ob)}
        distinct = ob in search.monic_obs and nx_ > 1 and ob not in separated
        for x in range(nx_):
            var = f"{ob}#{x}"
            terms = {"_id": var}
            for name, (cod, col) in cols.items():
                if col[x] >= 0:  # undefined homs are in the candidate sets already
                    terms[name] = f"{cod}#{col[x]}"
            c = search.cands[search.offset[ob] + x]
            names.append(var)
            if len(c) < ny:
                m = memo.get(id(c))
                if m is None:
                    m = memo[id(c)] = np.zeros(ny, dtype=bool)
                    m[c] = True
                masks[var] = m
            elif count and not distinct and var not in named and len(terms) > 1:
                del terms["_id"]
            if len(terms) == 1 and var in named and 2 * len(c) > ny:
                continue  # bound by the atoms naming it, and masked there
            if len(c) < ny:
                seeds[len(atoms)] = c
            atoms.append((ob, terms))
        if distinct:
            groups.append(names[-nx_:])
    parsed, _ = _parse(schema, atoms)
    try:
        table, n = _evaluate(Y, parsed, seeds, masks, groups, cap=_JOIN_CAP, count=count)
    except JoinTooLarge:
        return None
    if count:
        return n
    if n == 0:
        return np.zeros((0, len(names)), dtype=np.int64)
    cols = [table[v] for v in names]
    order = _lex_order(cols, [Y.nparts(v.rsplit("#", 1)[0]) for v in names])
    out = np.empty((n, len(names)), dtype=np.int64)
    for j, c in enumerate(cols):
        np.take(c, order, out=out[:, j])
    return out


def _lex_order(cols: list[np.ndarray], radix: list[int]) -> np.ndarray:
    """The order of the rows sorted lexicographically by ``cols`` (values below ``radix``):
    leading columns are packed into one int64 key, and the rest only break its ties."""
    keys, key, room = [], None, 1
    for c, r in zip(cols, radix):
        r = max(int(r), 1)
        if key is not None and room * r >= 1 << 62:
            keys.append(key)
            key, room = None, 1
        key = c.astype(np.int64) if key is None else key * r + c
        room *= r
    keys.append(key)
    order = np.argsort(keys[0], kind="stable")
    if len(keys) > 1:
        first = keys[0][order]
        if bool((first[1:] == first[:-1]).any()):
            order = np.lexsort(keys[::-1])
    return order


def _separated(X: ACSet, monic: Iterable[str]) -> set[str]:
    """The objects whose parts any map monic on ``monic`` keeps apart: no two parts agree on
    every hom out of them, and each hom lands in a monic object whose parts are compared
    (or are kept apart in turn, never through a cycle back to the object)."""
    candidates = set()
    for ob in X.schema.obs:
        outs = X.schema.homs_out(ob)
        if not outs or any(h.codom not in monic for h in outs):
            continue
        tuples = np.column_stack([X.subpart(h.name) for h in outs])
        if len(np.unique(tuples, axis=0)) == len(tuples):
            candidates.add(ob)
    out: set[str] = set()
    grew = True
    while grew:
        grew = False
        for ob in candidates - out:
            if all(h.codom not in candidates or h.codom in out for h in X.schema.homs_out(ob)):
                out.add(ob)
                grew = True
    return out


class _Rows:
    """The join planner's rows, shared by the maps read off them."""

    __slots__ = ("blocks", "types", "dom", "codom", "loose")

    def __init__(self, blocks: list, types: dict, dom: ACSet, codom: ACSet, loose: dict) -> None:
        self.blocks, self.types, self.dom, self.codom, self.loose = blocks, types, dom, codom, loose


class _RowMap(ACSetTransformation):
    """A map found by the join planner: its components are views of its row, made on first use.

    Listing many maps then costs an object each, not a dict of arrays each."""

    __slots__ = ("_rows", "_i", "_comps")

    @property
    def components(self) -> dict[str, np.ndarray]:
        try:
            return self._comps
        except AttributeError:
            rows = self._rows
            comps = {ob: b[self._i] for ob, b in rows.blocks}
            comps.update(rows.types)
            self._comps = comps
            return comps

    dom = property(lambda self: self._rows.dom)
    codom = property(lambda self: self._rows.codom)
    type_components = property(lambda self: self._rows.loose)

    def __reduce__(self) -> tuple:
        # copies and pickles are plain transformations (the shared rows stay behind)
        return _plain_map, (dict(self.components), self.dom, self.codom, self.type_components)


def _plain_map(components: dict, dom: ACSet, codom: ACSet, loose: dict) -> ACSetTransformation:
    f = object.__new__(ACSetTransformation)
    f.components, f.dom, f.codom, f.type_components = components, dom, codom, loose
    return f


def _maps_of_rows(search: _Search, X: ACSet, Y: ACSet, rows: np.ndarray,
                  fns: Mapping[str, Callable]) -> Iterator[ACSetTransformation]:
    """The maps of the join planner's rows, each component a read-only view of its row.

    The rows come from natural assignments without attribute variables to bind, so the
    first map is built the checked way and the others share its AttrType components."""
    if not len(rows):
        return
    rows.flags.writeable = False
    first = next(search.transformations(X, Y, rows[0], fns))
    yield first
    types = {t: first.components[t] for t in X.schema.attrtypes}
    blocks = [(ob, rows[:, search.offset[ob] : search.offset[ob] + X.nparts(ob)]) for ob in X.schema.obs]
    shared = _Rows(blocks, types, X, Y, first.type_components)
    new, cls = object.__new__, _RowMap
    for i in range(1, len(rows)):
        f = new(cls)
        f._rows, f._i = shared, i
        yield f


def homomorphisms(
    X: ACSet,
    Y: ACSet,
    *,
    monic: bool | Iterable[str] = False,
    iso: bool | Iterable[str] = False,
    initial: Mapping[str, Mapping[int, int]] | None = None,
    limit: int | None = None,
    no_bind: bool | Iterable[str] = False,
    type_components: Mapping[str, Callable[[Any], Any]] | None = None,
    epic: bool | Iterable[str] = False,
    predicates: Mapping[str, Mapping[int, Any]] | None = None,
    filter: Callable[[ACSetTransformation], bool] | None = None,
    random: bool | int | np.random.Generator = False,
    take: int | None = None,
    max: int | None = None,
) -> Iterator[ACSetTransformation]:
    """Lazily enumerate the homomorphisms ``X -> Y``.

    ``monic`` / ``iso`` ask for maps injective / bijective on every object (``True``) or
    on the listed objects. ``initial`` fixes part of the map, ``{ob: {part: image}}``.
    ``limit`` stops after that many. Arguments are checked before the first ``next``.

    Attribute variables of ``X`` are bound to whatever value (or variable) sits on the
    image, consistently. On an AttrType listed in ``monic`` (or ``iso``) they must go to
    distinct variables. A variable no attribute uses ("free-floating") has infinitely
    many images, so it must be fixed in ``initial`` (``{"Weight": {k: value}}``) or its
    AttrType listed in ``monic`` or ``no_bind``: then it ranges over ``Y``'s variables,
    as Catlab's ``no_bind``.

    ``type_components`` (``{AttrType: function}``) makes the search loose: an attribute
    value ``v`` of ``X`` must land on ``function(v)`` (Catlab's ``type_components=(D=f,)``).

    Catlab's other options: ``epic`` asks for maps onto every (or the listed) object;
    ``predicates={ob: {part: allowed}}`` restricts a part's image to a collection of
    ``Y``'s parts or to those passing a test ``allowed(y)``; ``filter`` keeps the maps a
    function of the whole map accepts; ``random`` (True, a seed or a Generator) tries
    candidates in a random order, so the same maps come in another order; ``take`` is
    ``limit``; ``max`` raises :class:`TransformationError` once more than ``max`` maps are found.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> [f["V"].tolist() for f in homomorphisms(E, C3)]
    [[0, 1], [1, 2], [2, 0]]
    >>> len(list(homomorphisms(C3, C3, iso=True)))  # the rotations
    3
    >>> G4, G2 = ACSet(SchGraph), ACSet(SchGraph); _ = G4.add_parts("V", 4); _ = G2.add_parts("V", 2)
    >>> len(list(homomorphisms(G4, G2, epic=True)))   # 2^4 - 2
    14
    >>> [f["V"].tolist() for f in homomorphisms(E, C3, predicates={"V": {0: [1, 2]}})]
    [[1, 2], [2, 0]]
    """
    fns = _functions(X.schema, type_components) if isinstance(X, ACSet) else {}
    search = _prepare(X, Y, monic, iso, initial, no_bind, fns, predicates, epic, random)
    if take is not None:
        if limit is not None and limit != take:
            raise TransformationError(f"take={take} and limit={limit} disagree; take is Catlab's name for limit")
        limit = take
    for name, v in (("limit", limit), ("max", max)):
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 0):
            raise TransformationError(f"{name} must be an integer >= 0, got {v!r}")
    if filter is not None and not callable(filter):
        raise TransformationError(f"filter must be a function of a transformation, got {filter!r}")

    def gen() -> Iterator[ACSetTransformation]:
        if search is None or limit == 0:
            return
        k = 0
        rows = None
        if limit is None and search.rng is None:
            rows = _by_joins(search, Y)
        if rows is not None:
            maps: Iterator = _maps_of_rows(search, X, Y, rows, fns)
        else:
            maps = (f for _, a in search.run() for f in search.transformations(X, Y, a, fns))
        if not search.epic and filter is None and max is None and limit is None:
            yield from maps
            return
        for f in maps:
            if search.epic and not all(_image_size(f[ob]) == Y.nparts(ob) for ob in search.epic):
                continue
            if filter is not None and not filter(f):
                continue
            k += 1
            if max is not None and k > max:
                raise TransformationError(f"more than max={max} homomorphisms {X!r} -> {Y!r}")
            yield f
            if limit is not None and k >= limit:
                return

    return gen()


def homomorphism(X: ACSet, Y: ACSet, *, any: bool = False, **kwargs: Any) -> ACSetTransformation | None:
    """The homomorphism ``X -> Y``, or None when there is none (options as :func:`homomorphisms`).

    As in Catlab, it raises :class:`TransformationError` when there is more than one;
    ``any=True`` returns the first one found instead.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> homomorphism(E, C3, any=True)["E"]
    array([0])
    >>> homomorphism(E, C3, initial={"V": {0: 1}})["E"]   # unique once vertex 0 is fixed
    array([1])
    >>> homomorphism(C3, E) is None  # a 3-cycle does not fit on one edge
    True
    """
    if any:
        return next(homomorphisms(X, Y, limit=1, **kwargs), None)
    found = list(homomorphisms(X, Y, limit=2, **{k: v for k, v in kwargs.items() if k not in ("take", "limit")}))
    if len(found) > 1:
        raise TransformationError(
            f"more than one homomorphism {X!r} -> {Y!r}; pass any=True for the first one found, "
            "or fix more of the map with initial="
        )
    return found[0] if found else None


def count_homomorphisms(
    X: ACSet,
    Y: ACSet,
    *,
    monic: bool | Iterable[str] = False,
    iso: bool | Iterable[str] = False,
    initial: Mapping[str, Mapping[int, int]] | None = None,
    no_bind: bool | Iterable[str] = False,
    type_components: Mapping[str, Callable[[Any], Any]] | None = None,
    epic: bool | Iterable[str] = False,
    predicates: Mapping[str, Mapping[int, Any]] | None = None,
) -> int:
    """How many homomorphisms ``X -> Y`` there are; the last free part is counted, not enumerated.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> count_homomorphisms(E, C3), count_homomorphisms(C3, C3), count_homomorphisms(C3, E)
    (3, 3, 0)
    """
    fns = _functions(X.schema, type_components) if isinstance(X, ACSet) else {}
    search = _prepare(X, Y, monic, iso, initial, no_bind, fns, predicates, epic)
    if search is None:
        return 0
    if search.epic:
        return sum(1 for _ in homomorphisms(X, Y, monic=monic, iso=iso, initial=initial, no_bind=no_bind,
                                            type_components=type_components, epic=epic, predicates=predicates))
    if search.has_vars or search.free:
        return sum(1 for _, a in search.run() for _ in search.transformations(X, Y, a))
    n = _by_joins(search, Y, count=True)
    if n is not None:
        return n
    return sum(k for k, _ in search.run(bulk=True))


def _invariants(X: ACSet) -> tuple:
    schema = X.schema
    out: list[Any] = [tuple(X.nparts(ob) for ob in schema.obs)]
    for h in schema.homs:
        col = X.subpart(h.name)
        indeg = np.bincount(col[col >= 0], minlength=X.nparts(h.codom))
        out.append((h.name, int(np.count_nonzero(col < 0)), tuple(np.sort(indeg).tolist())))
    for a in schema.attrs:
        col, ok = X.subpart(a.name), X.is_defined(a.name)
        keys = Counter(
            ("repr", repr(col[x])) if k is not None and k[0] == "unhashable" else k
            for x, k in ((x, _attr_key(X, a.name, col, ok, x)) for x in range(X.nparts(a.dom)))
        )
        out.append((a.name, sorted(keys.items(), key=repr)))
    return tuple(out)


def is_isomorphic(X: ACSet, Y: ACSet) -> bool:
    """Whether ``X ≅ Y``: part counts, degree profiles and attribute multisets first, then search.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> D = ACSet(SchGraph); _ = D.add_parts("V", 3)
    >>> _ = D.add_parts("E", 3, src=[2, 0, 1], tgt=[0, 1, 2])
    >>> is_isomorphic(C3, D), is_isomorphic(C3, E)
    (True, False)
    """
    if X.schema != Y.schema:
        return False
    if _invariants(X) != _invariants(Y):
        return False
    return homomorphism(X, Y, iso=True, any=True) is not None
