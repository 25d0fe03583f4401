"""Limits and colimits of ACSets, computed pointwise.

Each construction returns a :class:`Limit` or :class:`Colimit` record: the ``apex``
ACSet, the ``legs`` (:class:`~acset_s2r.homs.ACSetTransformation`) and a
``universal`` method giving the unique map out of (or into) the apex for another
cone (cocone).

Attributes follow Catlab's tight ACSet morphisms, where attribute values are fixed
data rather than sets to take limits of (Catlab issue 763, PR 274):

- a limit keeps only the tuples of parts whose attributes agree in every factor,
  along every path of homs (so a product of labelled graphs pairs equally labelled
  vertices and only edges between kept pairs). For pullbacks and equalizers the
  legs already force agreement. The terminal ACSet of a schema with attributes
  would be infinite (one part per attribute value), so :func:`terminal` refuses it.
- a colimit glues parts only when their attributes agree; otherwise it raises
  :class:`~acset_s2r.errors.TransformationError` naming the attribute and the parts.

An undefined hom value (-1) is treated like a value of its own, as
:mod:`acset_s2r.homs` does: a limit tuple has an undefined hom when all its
factors do, and tuples where only some do are dropped; a colimit may not glue a
part with an undefined hom to one with a defined hom.

Attribute variables (Catlab's VarACSets) stand for any value: in a product or pullback a
factor's variable agrees with whatever the other factors hold there, and the apex gets a
variable of its own for each distinct tuple of factor values that holds a variable (the legs
send it to those values); tuples of values alone keep the tight rule above. Before, the apex
reused the first factor's variables and compared them as values.

Parts of a product or pullback are tuples in lexicographic order, the last factor
varying fastest; Catlab varies the first factor fastest, so the same apex comes
numbered differently (see :func:`product`); compare up to isomorphism or through the legs.

Finite-set pullbacks (:func:`finset_pullback`) are sort-merge joins in numpy:
argsort one side, locate each key of the other with ``searchsorted``, expand the
matching runs. Quotients use :func:`scipy.sparse.csgraph.connected_components`,
with classes renumbered by their first member so results do not depend on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet, AttrVar, gather_defined
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation, CSetTransformation, _show_attr, _values_equal
from acset_s2r.schema import Schema

__all__ = [
    "Colimit",
    "Limit",
    "coequalizer",
    "coproduct",
    "equalizer",
    "finset_pullback",
    "initial",
    "product",
    "pullback",
    "pushout",
    "terminal",
]


@attrs.frozen
class Limit:
    """A limit cone: ``apex``, the ``legs`` out of it, and ``kind`` (product, pullback...).

    ``tuples[ob]`` is a ``(parts, factors)`` array: row ``i`` lists the part of each
    factor that apex part ``i`` projects to.
    """

    kind: str
    apex: ACSet
    legs: tuple[ACSetTransformation, ...]
    tuples: dict[str, np.ndarray] = attrs.field(repr=False)

    def universal(self, *cone: ACSetTransformation, dom: ACSet | None = None) -> ACSetTransformation:
        """The unique ``T -> apex`` whose composites with the legs are ``cone`` (one map per leg).

        ``dom`` names ``T`` when there are no legs (the terminal object). Raises
        :class:`TransformationError` when ``cone`` is not a cone over the diagram.
        """
        if len(cone) != len(self.legs):
            raise TransformationError(f"{self.kind}: a cone needs {len(self.legs)} maps, got {len(cone)}")
        T = cone[0].dom if cone else dom
        if T is None:
            raise TransformationError(f"{self.kind}: with no legs, pass dom=T")
        for i, (f, leg) in enumerate(zip(cone, self.legs)):
            if f.dom is not T and f.dom != T:
                raise TransformationError(f"{self.kind}: cone map {i} starts at {f.dom!r}, not at {T!r}")
            if f.codom is not leg.codom and f.codom != leg.codom:
                raise TransformationError(f"{self.kind}: cone map {i} ends at {f.codom!r}, not at {leg.codom!r}")
        comps = {}
        for ob in T.schema.obs:
            queries = np.stack([f[ob] for f in cone], axis=1) if cone else np.zeros((T.nparts(ob), 0), np.int64)
            found = _locate(self.tuples[ob], queries, [leg.codom.nparts(ob) for leg in self.legs])
            if len(found) and found.min() < 0:
                t = int(np.flatnonzero(found < 0)[0])
                raise TransformationError(
                    f"{self.kind}: not a cone; at {ob} part {t} the maps give {queries[t].tolist()}, "
                    f"which is not a part of the apex (the diagram does not commute there)"
                )
            comps[ob] = found
        return ACSetTransformation(comps, T, self.apex)


@attrs.frozen
class Colimit:
    """A colimit cocone: ``apex``, the ``legs`` into it, and ``kind``.

    ``labels[ob]`` sends each part of the disjoint union of the factors (factor by
    factor, offsets in ``offsets[ob]``) to its apex part.
    """

    kind: str
    apex: ACSet
    legs: tuple[ACSetTransformation, ...]
    labels: dict[str, np.ndarray] = attrs.field(repr=False)
    offsets: dict[str, np.ndarray] = attrs.field(repr=False)

    def universal(self, *cocone: ACSetTransformation, codom: ACSet | None = None) -> ACSetTransformation:
        """The unique ``apex -> T`` whose composites with the legs are ``cocone``.

        ``codom`` names ``T`` when there are no legs (the initial object).
        """
        if len(cocone) != len(self.legs):
            raise TransformationError(f"{self.kind}: a cocone needs {len(self.legs)} maps, got {len(cocone)}")
        T = cocone[0].codom if cocone else codom
        if T is None:
            raise TransformationError(f"{self.kind}: with no legs, pass codom=T")
        comps = {}
        for ob in self.apex.schema.obs:
            n = self.apex.nparts(ob)
            if not cocone:
                comps[ob] = np.zeros(0, np.int64)
                continue
            for i, (f, leg) in enumerate(zip(cocone, self.legs)):
                if f.dom is not leg.dom and f.dom != leg.dom:
                    raise TransformationError(f"{self.kind}: cocone map {i} starts at {f.dom!r}, not at {leg.dom!r}")
                if f.codom is not T and f.codom != T:
                    raise TransformationError(f"{self.kind}: cocone maps end at different ACSets")
            values = np.concatenate([f[ob] for f in cocone])
            comp = np.full(n, -1, dtype=np.int64)
            comp[self.labels[ob]] = values
            bad = np.flatnonzero(comp[self.labels[ob]] != values)
            if len(bad):
                j = int(bad[0])
                i = int(np.searchsorted(self.offsets[ob], j, side="right") - 1)
                raise TransformationError(
                    f"{self.kind}: not a cocone; at {ob} part {j - int(self.offsets[ob][i])} of factor {i} "
                    f"the maps disagree on a glued class (the diagram does not commute there)"
                )
            comps[ob] = comp
        for t in self.apex.schema.attrtypes:
            if not self.apex.nparts(t):
                continue
            comp = [None] * self.apex.nparts(t)
            for f, leg in zip(cocone, self.legs):
                for v, w in zip(leg[t].tolist(), f[t].tolist()):
                    if v.__class__ is AttrVar:
                        comp[v.k] = w
            comps[t] = comp
        return ACSetTransformation(comps, self.apex, T)


# -- finite sets ------------------------------------------------------------------------------
def finset_pullback(f: Any, g: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pullback of finite-set maps ``f: A -> C`` and ``g: B -> C`` given as int arrays.

    Returns ``(i, j)`` listing every pair with ``f[i] == g[j]`` in lexicographic order.

    Examples
    --------
    >>> finset_pullback([0, 1, 1], [1, 0])
    (array([0, 1, 2]), array([1, 0, 0]))
    """
    f, g = np.asarray(f, dtype=np.int64).ravel(), np.asarray(g, dtype=np.int64).ravel()
    if not len(f) or not len(g):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(g, kind="stable")  # stable: j ascending within each run
    lo_v, hi_v = int(min(f.min(), g.min())), int(max(f.max(), g.max()))
    if hi_v - lo_v <= 4 * (len(f) + len(g)):
        # small key range: run starts and lengths by counting, no binary search
        counts_g = np.bincount(g - lo_v, minlength=hi_v - lo_v + 1)
        starts = np.concatenate(([0], np.cumsum(counts_g)[:-1]))
        lo, counts = starts[f - lo_v], counts_g[f - lo_v]
    else:
        sorted_g = g[order]
        lo = np.searchsorted(sorted_g, f, side="left")
        counts = np.searchsorted(sorted_g, f, side="right") - lo
    total = int(counts.sum())
    i = np.repeat(np.arange(len(f), dtype=np.int64), counts)
    # j = order[lo_i + (k - first output position of i)] for output position k
    shift = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    j = order[shift + np.arange(total, dtype=np.int64)]
    return i, j


def _locate(table: np.ndarray, queries: np.ndarray, sizes: Sequence[int]) -> np.ndarray:
    """Row index in ``table`` (rows sorted lexicographically) of each query row, -1 if absent."""
    if table.shape[1] == 0:
        return np.zeros(len(queries), np.int64) if len(table) else np.full(len(queries), -1, np.int64)
    dims = [max(int(s), 1) for s in sizes]
    if np.prod([float(d) for d in dims]) < 2**62:
        keys = np.ravel_multi_index(tuple(table.T), dims) if len(table) else np.zeros(0, np.int64)
        out = np.full(len(queries), -1, dtype=np.int64)
        ok = np.all((queries >= 0) & (queries < np.asarray(dims)), axis=1)
        if not ok.any() or not len(keys):
            return out
        q = np.ravel_multi_index(tuple(queries[ok].T), dims)
        pos = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        out[ok] = np.where(keys[pos] == q, pos, -1)
        return out
    index = {tuple(r): i for i, r in enumerate(table.tolist())}
    return np.asarray([index.get(tuple(r), -1) for r in queries.tolist()], dtype=np.int64)


def _canonical(labels: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber classes by their first element, so the numbering does not depend on the solver."""
    if not len(labels):
        return labels.astype(np.int64), 0
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    remap = np.empty(labels.max() + 1, dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[labels], len(order)


def classes(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, int]:
    """Equivalence classes of ``range(n)`` generated by ``a[i] ~ b[i]``, numbered by first member.

    Examples
    --------
    >>> import numpy as np
    >>> classes(4, np.array([3]), np.array([1]))  # 1 ~ 3
    (array([0, 1, 2, 1]), 3)
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    # deferred: scipy.sparse costs ~0.15 s to import, and only quotients need it
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(g, directed=True, connection="weak")
    return _canonical(labels.astype(np.int64))


# -- shared helpers ----------------------------------------------------------------------------
def _check_same_schema(kind: str, Xs: Sequence[ACSet]) -> Schema:
    if not Xs:
        raise TransformationError(f"{kind} of no ACSets needs a schema; use terminal(schema) or initial(schema)")
    S = Xs[0].schema
    for i, X in enumerate(Xs):
        X.require_compact(kind)
        if X.schema != S:
            raise TransformationError(f"{kind}: ACSet {i} has schema {X.schema.name}, ACSet 0 has {S.name}")
        if X.types != Xs[0].types:
            raise TransformationError(
                f"{kind}: ACSet {i} binds attribute types {X.types}, ACSet 0 binds {Xs[0].types}"
            )
    return S


def _attr_input(X: ACSet, name: str, rows: np.ndarray) -> Any:
    """Values of ``name`` at ``rows`` in a form ``add_parts`` accepts, undefined kept."""
    vals, defined = X.subpart(name)[rows], X.is_defined(name)[rows]
    spec = X.types[X.schema.codom(name)]
    if spec.masked and not defined.all():
        return [v if ok else None for v, ok in zip(vals.tolist(), defined.tolist())]
    return list(vals) if vals.dtype == object else vals


def _build(S: Schema, source: ACSet, rows: dict[str, np.ndarray], homs: dict[str, np.ndarray]) -> ACSet:
    """An ACSet with ``len(rows[ob])`` parts, attributes copied from ``source`` parts ``rows``."""
    Y = ACSet(S, **source.types)
    for t in S.attrtypes:
        Y.add_parts(t, source.nparts(t))
    for ob in S.obs:
        Y.add_parts(ob, len(rows[ob]), **{a.name: _attr_input(source, a.name, rows[ob]) for a in S.attrs_of(ob)})
    for h in S.homs:
        Y.set_subpart(Y.parts(h.dom), h.name, homs[h.name])
    return Y


# -- limits ----------------------------------------------------------------------------------
def _limit(kind: str, S: Schema, factors: Sequence[ACSet], tuples: dict[str, np.ndarray], check_attrs: bool,
           attrfun: dict[str, Any] | None = None) -> Limit:
    """The limit whose parts are the rows of ``tuples`` (sorted), pruned to agreeing ones.

    With ``attrfun`` (a dict, maybe empty) attributes are not compared: the apex takes
    ``attrfun[attr](values)`` of each tuple's values, or else one variable per distinct
    tuple of values, and the legs are :class:`CSetTransformation` s.
    """
    keep = {ob: np.ones(len(t), dtype=bool) for ob, t in tuples.items()}
    # attribute variables stand for any value, so a factor's variable agrees with whatever
    # the others hold there, and the apex gets a variable of its own for that tuple
    with_vars = attrfun is None and len(factors) > 1 and any(X.nparts(t) for X in factors for t in S.attrtypes)
    if with_vars:
        for a in S.attrs:
            t = tuples[a.dom]
            per = [_attr_input(X, a.name, t[:, k]) for k, X in enumerate(factors)]
            keep[a.dom] &= np.fromiter((_agree(r) for r in zip(*[list(p) for p in per])), dtype=bool, count=len(t))
    elif check_attrs and attrfun is None and len(factors) > 1:
        for a in S.attrs:
            t = tuples[a.dom]
            for k in range(1, len(factors)):
                keep[a.dom] &= _values_equal(factors[0], a.name, t[:, 0], factors[k], t[:, k])
    images = {}
    for h in S.homs:
        t = tuples[h.dom]
        img = np.stack([X.subpart(h.name)[t[:, k]] for k, X in enumerate(factors)], axis=1) if factors else t
        undefined = img < 0
        all_undef = undefined.all(axis=1) if factors else np.zeros(len(t), bool)
        keep[h.dom] &= all_undef | ~undefined.any(axis=1)
        idx = _locate(tuples[h.codom], img, [X.nparts(h.codom) for X in factors])
        keep[h.dom] &= all_undef | (idx >= 0)
        images[h.name] = (np.where(all_undef, -1, idx), all_undef)
    # prune to a fixed point: a tuple survives only if every hom image survives
    changed = True
    while changed:
        changed = False
        for h in S.homs:
            idx, all_undef = images[h.name]
            ok = all_undef | gather_defined(keep[h.codom], idx) if len(idx) else np.zeros(0, bool)
            ok &= keep[h.dom]
            if not np.array_equal(ok, keep[h.dom]):
                keep[h.dom], changed = ok, True
    newid = {ob: np.cumsum(k) - 1 for ob, k in keep.items()}
    kept = {ob: tuples[ob] if keep[ob].all() else tuples[ob][keep[ob]] for ob in S.obs}
    homs = {}
    for h in S.homs:
        idx, _ = images[h.name]
        idx = idx[keep[h.dom]]
        homs[h.name] = np.where(idx >= 0, gather_defined(newid[h.codom], idx), -1)
    if attrfun is not None:
        apex = _build_combined(S, factors, kept, homs, attrfun)
        legs = tuple(CSetTransformation({ob: kept[ob][:, k] for ob in S.obs}, apex, X) for k, X in enumerate(factors))
        return Limit(kind, apex, legs, kept)
    if with_vars:
        apex = _build_combined(S, factors, kept, homs, {}, types={t: factors[0].types[t] for t in S.attrtypes},
                               agreed=True)
        legs = tuple(ACSetTransformation({ob: kept[ob][:, k] for ob in S.obs}, apex, X) for k, X in enumerate(factors))
        return Limit(kind, apex, legs, kept)
    source = factors[0] if factors else ACSet(S)
    apex = _build(S, source, {ob: kept[ob][:, 0] if factors else np.zeros(len(kept[ob]), np.int64) for ob in S.obs}, homs)
    legs = tuple(ACSetTransformation({ob: kept[ob][:, k] for ob in S.obs}, apex, X) for k, X in enumerate(factors))
    return Limit(kind, apex, legs, kept)


def _agree(values: tuple) -> bool:
    """Whether a tuple of factor values can be one apex value: the values that are not variables are equal."""
    fixed = [None if isinstance(v, float) and v != v else v for v in values if v.__class__ is not AttrVar]
    if len(fixed) < len(values) and any(v is None for v in fixed):
        return False  # a variable stands for a value, never for 'undefined'
    return all((u is None) == (v is None) and (u is None or _same_value(u, v)) for u, v in zip(fixed, fixed[1:]))


def _build_combined(S: Schema, factors: Sequence[ACSet], kept: dict[str, np.ndarray], homs: dict[str, np.ndarray],
                    attrfun: dict[str, Any], types: dict[str, Any] | None = None, agreed: bool = False) -> ACSet:
    """The apex of a limit of C-set maps: each attribute from the tuple of its factors' values.

    With ``agreed`` the tuples are known to agree: one that holds no variable keeps its value.
    """
    columns: dict[str, list] = {}
    seen: dict[str, dict] = {t: {} for t in S.attrtypes}  # per AttrType: tuple of values -> variable
    for a in S.attrs:
        t = kept[a.dom]
        per = [_attr_input(X, a.name, t[:, k]) for k, X in enumerate(factors)]
        rows = list(zip(*[list(p) for p in per])) if factors else [()] * len(t)
        fn = attrfun.get(a.name)
        if fn is not None:
            try:
                columns[a.name] = [None if any(v is None for v in r) else fn(r) for r in rows]
            except Exception as e:
                raise TransformationError(f"attrfun of {a.name} failed: {e!r}") from None
            continue
        col = []
        for r in rows:
            if agreed and not any(v.__class__ is AttrVar for v in r):
                col.append(r[0])
                continue
            key = tuple(v.item() if isinstance(v, np.generic) else v for v in r)
            k = seen[a.codom].setdefault(key, len(seen[a.codom]))
            col.append(AttrVar(k))
        columns[a.name] = col if not agreed or any(c.__class__ is AttrVar for c in col) else per[0]
    Y = ACSet(S, **(types if types is not None else {t: object for t in S.attrtypes}))
    for t in S.attrtypes:
        Y.add_parts(t, len(seen[t]))
    for ob in S.obs:
        Y.add_parts(ob, len(kept[ob]), **{a.name: columns[a.name] for a in S.attrs_of(ob)})
    for h in S.homs:
        Y.set_subpart(Y.parts(h.dom), h.name, homs[h.name])
    return Y


def terminal(schema: Schema, *, cset: bool = False, **types: Any) -> Limit:
    """The terminal C-set: one part per object, every hom to it. Needs a schema without attributes.

    ``cset=True`` (Catlab's ``terminal(T; cset=true)``) allows attributes: the terminal object
    where every attribute value is a variable, one per attribute; ``types`` binds the AttrTypes
    (``object`` unless given).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> T = terminal(SchGraph).apex  # one vertex with a loop
    >>> T.size(), int(T.subpart(0, "src"))
    ({'V': 1, 'E': 1}, 0)
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> terminal(SchWeightedGraph, cset=True).apex.subpart("weight")   # terminal(WG; cset=true)
    array([AttrVar(0)], dtype=object)
    """
    if schema.attrs and not cset:
        raise TransformationError(
            f"terminal: {schema.name} has attributes {list(schema.attr_names)}; its terminal ACSet "
            "would need one part per attribute value (infinite), as in Catlab"
        )
    tuples = {ob: np.zeros((1, 0), dtype=np.int64) for ob in schema.obs}
    apex = ACSet(schema, **{t: types.get(t, object) for t in schema.attrtypes})
    for ob in schema.obs:
        apex.add_parts(ob, 1)
    for h in schema.homs:
        apex.set_subpart(0, h.name, 0)
    for a in schema.attrs:
        apex.set_subpart(0, a.name, AttrVar(int(apex.add_parts(a.codom, 1)[0])))
    return Limit("terminal", apex, (), tuples)


def product(*Xs: ACSet, cset: bool = False, attrfun: dict[str, Any] | None = None) -> Limit:
    """The product ``X1 × ... × Xn`` with projections; parts are tuples in lexicographic order.

    With attributes, only tuples whose attributes agree (along every hom path) are kept.
    ``cset=True`` (Catlab's ``product(A, B; cset=true)``) or ``attrfun`` takes the product
    of the underlying C-sets instead, combining attributes as :func:`pullback` does.

    Order differs from Catlab's: part ``(i, j)`` of ``X × Y`` is ``i * |Y| + j`` here (the
    last factor varies fastest), where Catlab numbers it ``i + j * |X|`` (the first factor
    fastest, 1-based). Code ported from Catlab that computes product part ids should read
    them from the legs (``P.legs[k][ob]``) or ``P.tuples[ob]`` instead.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> P = product(E, E)
    >>> P.apex.size()
    {'V': 4, 'E': 1}
    >>> P.legs[0]["V"], P.legs[1]["V"]
    (array([0, 0, 1, 1]), array([0, 1, 0, 1]))
    """
    S = _check_same_schema("product", Xs)
    tuples = {}
    for ob in S.obs:
        grids = np.meshgrid(*[np.arange(X.nparts(ob), dtype=np.int64) for X in Xs], indexing="ij")
        tuples[ob] = np.stack([g.ravel() for g in grids], axis=1)
    if cset and attrfun is None:
        attrfun = {}
    return _limit("product", S, Xs, tuples, check_attrs=True, attrfun=attrfun)


def _same_codom(kind: str, maps: Sequence[ACSetTransformation], end: str) -> ACSet:
    target = getattr(maps[0], end)
    for i, f in enumerate(maps):
        if getattr(f, end) is not target and getattr(f, end) != target:
            raise TransformationError(f"{kind}: map {i} has a different {end} from map 0")
    return target


def pullback(*maps: ACSetTransformation, attrfun: dict[str, Any] | None = None) -> Limit:
    """The pullback (wide, for n maps) of ``f_i: X_i -> Z``; legs go to each ``X_i``.

    Each object is a sort-merge join of the components, folded over the maps.

    When a map is a :class:`~acset_s2r.homs.CSetTransformation` (it ignores attributes)
    or ``attrfun`` is given, the apex's attributes are not compared across the factors:
    ``attrfun={"weight": f}`` stores ``f((w_1, ..., w_n))`` of the factors' values (Catlab's
    ``pullback(f, g; attrfun=(weight=prod,))``), and an attribute without a function gets
    one attribute variable per distinct tuple of values. The legs are then C-set maps.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.homs import homomorphism
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> T = terminal(SchGraph).apex
    >>> to_T = homomorphism(E, T)
    >>> pullback(to_T, to_T).apex.size()  # over the terminal object: the product
    {'V': 4, 'E': 1}
    """
    if not maps:
        raise TransformationError("pullback needs at least one map")
    _same_codom("pullback", maps, "codom")
    Xs = [f.dom for f in maps]
    S = _check_same_schema("pullback", Xs)
    tuples = {}
    for ob in S.obs:
        cols = [np.arange(Xs[0].nparts(ob), dtype=np.int64)]
        key = maps[0][ob]
        for f in maps[1:]:
            i, j = finset_pullback(key, f[ob])
            cols = [c[i] for c in cols] + [j]
            key = key[i]
        # lexicographic: the join keeps the left order and sorts right ids within runs
        tuples[ob] = np.stack(cols, axis=1)
    if attrfun is None and any(isinstance(f, CSetTransformation) for f in maps):
        attrfun = {}
    if attrfun is not None:
        if not isinstance(attrfun, dict) or not set(attrfun) <= set(S.attr_names):
            raise TransformationError(f"attrfun must map attributes of {S.name} ({list(S.attr_names)}) to functions")
    return _limit("pullback", S, Xs, tuples, check_attrs=True, attrfun=attrfun)


def equalizer(*maps: ACSetTransformation) -> Limit:
    """The equalizer of parallel maps ``f_i: X -> Y``: the sub-ACSet where all agree.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.homs import ACSetTransformation, identity
    >>> C3 = ACSet(SchGraph); _ = C3.add_parts("V", 3); _ = C3.add_parts("E", 3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
    >>> equalizer(identity(C3), turn).apex.size()  # a rotation fixes nothing
    {'V': 0, 'E': 0}
    >>> equalizer(identity(C3), identity(C3)).apex.size()
    {'V': 3, 'E': 3}
    """
    if not maps:
        raise TransformationError("equalizer needs at least one map")
    X = _same_codom("equalizer", maps, "dom")
    _same_codom("equalizer", maps, "codom")
    tuples = {}
    for ob in X.schema.obs:
        same = np.ones(X.nparts(ob), dtype=bool)
        for f in maps[1:]:
            same &= f[ob] == maps[0][ob]
        tuples[ob] = np.flatnonzero(same)[:, None].astype(np.int64)
    return _limit("equalizer", X.schema, [X], tuples, check_attrs=False)


# -- colimits -------------------------------------------------------------------------------
def _colimit(kind: str, Xs: Sequence[ACSet], glue: dict[str, list[tuple[np.ndarray, np.ndarray]]]) -> Colimit:
    """Quotient of the disjoint union of ``Xs`` by the pairs in ``glue`` (global ids per object)."""
    S = _check_same_schema(kind, Xs)
    offsets = {ob: np.cumsum([0] + [X.nparts(ob) for X in Xs]).astype(np.int64) for ob in S.obs}
    labels, counts, reps = {}, {}, {}
    for ob in S.obs:
        pairs = glue.get(ob, [])
        a = np.concatenate([p for p, _ in pairs]) if pairs else np.zeros(0, np.int64)
        b = np.concatenate([q for _, q in pairs]) if pairs else np.zeros(0, np.int64)
        labels[ob], counts[ob] = classes(int(offsets[ob][-1]), a, b)
        _, first = np.unique(labels[ob], return_index=True)
        reps[ob] = first.astype(np.int64)  # class k's first member is the k-th first occurrence
    factor_of = {ob: np.repeat(np.arange(len(Xs)), np.diff(offsets[ob])) for ob in S.obs}

    def where(ob: str, g: int) -> str:
        k = int(factor_of[ob][g])
        return f"{ob} part {g - int(offsets[ob][k])} of ACSet {k}"

    homs = {}
    for h in S.homs:
        col = np.concatenate([X.subpart(h.name) + np.where(X.subpart(h.name) >= 0, offsets[h.codom][k], 0)
                              for k, X in enumerate(Xs)]) if Xs else np.zeros(0, np.int64)
        img = np.where(col >= 0, gather_defined(labels[h.codom], col) if len(col) else col, -1)
        rep_img = img[reps[h.dom]]
        bad = np.flatnonzero(rep_img[labels[h.dom]] != img)
        if len(bad):
            g = int(bad[0])
            r = int(reps[h.dom][labels[h.dom][g]])
            raise TransformationError(
                f"{kind}: gluing {where(h.dom, r)} with {where(h.dom, g)} is not well defined: hom {h.name} "
                "is undefined on one of them only (the maps are not natural)"
            )
        homs[h.name] = rep_img
    union = coproduct_parts(S, Xs)
    var_off = {t: np.cumsum([0] + [X.nparts(t) for X in Xs]).astype(np.int64) for t in S.attrtypes}
    substitute: dict[str, list] = {}
    for t in S.attrtypes:
        if union.nparts(t):
            if union is Xs[0]:
                union = union.copy()
            substitute[t], count = _merge_vars(kind, t, union.nparts(t), glue.get(t, []))
            union._rename_vars(t, substitute[t])
            union._nvars[t] = count
    for a in S.attrs:
        r = reps[a.dom][labels[a.dom]]
        bad = np.flatnonzero(~_values_equal(union, a.name, r, union, union.parts(a.dom)))
        if len(bad):
            g = int(bad[0])
            raise TransformationError(
                f"{kind}: cannot glue {where(a.dom, int(r[g]))} with {where(a.dom, g)}: attribute {a.name} "
                f"differs, {_show_attr(union, a.name, int(r[g]))} against {_show_attr(union, a.name, g)}"
            )
    apex = _build(S, union, reps, homs)
    legs = tuple(
        ACSetTransformation(
            {ob: labels[ob][offsets[ob][k] : offsets[ob][k + 1]] for ob in S.obs}
            | {t: sub[var_off[t][k] : var_off[t][k + 1]] for t, sub in substitute.items()},
            X, apex,
        )
        for k, X in enumerate(Xs)
    )
    return Colimit(kind, apex, legs, labels, offsets)


def coproduct_parts(S: Schema, Xs: Sequence[ACSet]) -> ACSet:
    """The disjoint union of ``Xs`` as one ACSet (factor by factor).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> coproduct_parts(SchGraph, [E, E]).subpart("tgt")
    array([1, 3])
    """
    if len(Xs) == 1:
        return Xs[0]
    offsets = {ob: np.cumsum([0] + [X.nparts(ob) for X in Xs]) for ob in S.obs + S.attrtypes}
    Y = ACSet(S, **Xs[0].types)
    for t in S.attrtypes:
        Y.add_parts(t, int(offsets[t][-1]))
    for ob in S.obs:
        cols = {}
        for a in S.attrs_of(ob):
            chunks = [_shift_vars(_attr_input(X, a.name, X.parts(ob)), int(offsets[a.codom][k]))
                      for k, X in enumerate(Xs)]
            cols[a.name] = (
                # tolist, not list: numpy scalars (np.False_) are not the bools add_parts takes
                sum((c.tolist() if isinstance(c, np.ndarray) else list(c) for c in chunks), [])
                if any(isinstance(c, list) for c in chunks)
                else np.concatenate(chunks)
            )
        Y.add_parts(ob, int(offsets[ob][-1]), **cols)
    for h in S.homs:
        col = np.concatenate([np.where(X.subpart(h.name) >= 0, X.subpart(h.name) + offsets[h.codom][k], -1)
                              for k, X in enumerate(Xs)])
        Y.set_subpart(Y.parts(h.dom), h.name, col)
    return Y


def _shift_vars(values: Any, by: int) -> Any:
    """Variables of one summand renumbered into the disjoint union."""
    if not by or not isinstance(values, list):
        return values
    return [AttrVar(v.k + by) if v.__class__ is AttrVar else v for v in values]


def _merge_vars(kind: str, t: str, n: int, pairs: list[tuple[list, list]]) -> tuple[list, int]:
    """Glue the union's ``n`` variables of ``t`` by ``pairs`` of images; a class holding a
    value becomes that value. Returns each variable's new value or ``AttrVar`` and the count."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    bound: dict[int, Any] = {}
    for us, vs in pairs:
        for u, v in zip(us, vs):
            uv, vv = u.__class__ is AttrVar, v.__class__ is AttrVar
            if uv and vv:
                a, b = find(u.k), find(v.k)
                if a != b:
                    parent[b] = a
                    if b in bound:
                        _settle(kind, t, bound, a, bound.pop(b))
            elif uv or vv:
                var, val = (u, v) if uv else (v, u)
                _settle(kind, t, bound, find(var.k), val)
            elif not _same_value(u, v):
                raise TransformationError(f"{kind}: cannot glue values {u!r} and {v!r} of {t}")
    new: list[Any] = [None] * n
    count = 0
    ids: dict[int, int] = {}
    for i in range(n):
        r = find(i)
        if r in bound:
            new[i] = bound[r]
        else:
            if r not in ids:
                ids[r] = count
                count += 1
            new[i] = AttrVar(ids[r])
    return new, count


def _same_value(u: Any, v: Any) -> bool:
    try:
        return bool(u == v)
    except (TypeError, ValueError):
        return bool(np.array_equal(np.asarray(u), np.asarray(v)))


def _settle(kind: str, t: str, bound: dict[int, Any], root: int, value: Any) -> None:
    if root in bound and not _same_value(bound[root], value):
        raise TransformationError(f"{kind}: a variable of {t} would be glued to both {bound[root]!r} and {value!r}")
    bound[root] = value


def initial(schema: Schema, **types: Any) -> Colimit:
    """The initial (empty) ACSet, attribute types bound as in :class:`ACSet`.

    Examples
    --------
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> I = initial(SchWeightedGraph, Weight=float).apex
    >>> I.size(), I.types["Weight"].kind
    ({'V': 0, 'E': 0}, 'float')
    """
    S = schema
    empty = {ob: np.zeros(0, np.int64) for ob in S.obs}
    return Colimit("initial", ACSet(S, **types), (), empty, {ob: np.zeros(1, np.int64) for ob in S.obs})


def coproduct(*Xs: ACSet) -> Colimit:
    """The disjoint union ``X1 + ... + Xn``; parts of ``X1`` first, then ``X2``, and so on.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> S = coproduct(E, E)
    >>> S.apex.size(), S.legs[1]["V"]
    ({'V': 4, 'E': 2}, array([2, 3]))
    """
    return _colimit("coproduct", Xs, {})


def pushout(*maps: ACSetTransformation) -> Colimit:
    """The pushout (wide, for n maps) of ``f_i: A -> X_i``; legs come from each ``X_i``.

    Glued parts must agree on their attributes.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.homs import ACSetTransformation
    >>> pt = ACSet(SchGraph); _ = pt.add_parts("V", 1)
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> head = ACSetTransformation({"V": [1]}, pt, E)  # the point is one edge's target
    >>> tail = ACSetTransformation({"V": [0]}, pt, E)  # ... and the other edge's source
    >>> P = pushout(head, tail).apex  # a path of two edges
    >>> P.size(), P.subpart("src"), P.subpart("tgt")
    ({'V': 3, 'E': 2}, array([0, 1]), array([1, 2]))
    """
    if not maps:
        raise TransformationError("pushout needs at least one map")
    A = _same_codom("pushout", maps, "dom")
    Xs = [f.codom for f in maps]
    S = _check_same_schema("pushout", Xs)
    glue = {}
    for ob in S.obs:
        off = np.cumsum([0] + [X.nparts(ob) for X in Xs])
        glue[ob] = [(maps[0][ob] + off[0], f[ob] + off[k]) for k, f in enumerate(maps) if k]
    for t in S.attrtypes:
        off = np.cumsum([0] + [X.nparts(t) for X in Xs])
        images = [_shift_vars(f[t].tolist(), int(off[k])) for k, f in enumerate(maps)]
        glue[t] = [(images[0], other) for other in images[1:]]
    del A
    return _colimit("pushout", Xs, glue)


def coequalizer(*maps: ACSetTransformation) -> Colimit:
    """The coequalizer of parallel maps ``f_i: X -> Y``: ``Y`` with ``f_0(x) ~ f_i(x)`` glued.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.homs import ACSetTransformation
    >>> pt = ACSet(SchGraph); _ = pt.add_parts("V", 1)
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> src = ACSetTransformation({"V": [0]}, pt, E)
    >>> tgt = ACSetTransformation({"V": [1]}, pt, E)
    >>> Q = coequalizer(src, tgt).apex  # the edge's two ends glued: a loop
    >>> Q.size(), Q.subpart("src"), Q.subpart("tgt")
    ({'V': 1, 'E': 1}, array([0]), array([0]))
    """
    if not maps:
        raise TransformationError("coequalizer needs at least one map")
    _same_codom("coequalizer", maps, "dom")
    Y = _same_codom("coequalizer", maps, "codom")
    glue = {ob: [(maps[0][ob], f[ob]) for f in maps[1:]] for ob in Y.schema.obs}
    glue |= {t: [(maps[0][t].tolist(), f[t].tolist()) for f in maps[1:]] for t in Y.schema.attrtypes}
    return _colimit("coequalizer", [Y], glue)
