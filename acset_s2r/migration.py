"""Functorial data migration: schema functors and the migrations Δ, Σ and Π.

A :class:`SchemaFunctor` ``F: C -> D`` sends objects to objects, homs to paths of
homs (diagrammatic order, ``[]`` is an identity) and attributes to a path of homs
followed by one attribute. It is checked when built: endpoints of every image, and
every path equation of ``C`` must hold in ``D`` (see :func:`paths_equal` for how
far that check reaches).

- :func:`delta` (Δ_F) pulls a ``D``-instance back to a ``C``-instance: ``(ΔY)(c) = Y(F c)``.
  It also acts on transformations (:func:`delta_map`).
- :func:`sigma` (Σ_F, left adjoint of Δ_F) pushes a ``C``-set forward. It is the
  colimit over the comma categories ``(F ↓ d)``, computed as
  ``∐_c X(c) × D(F c, d)`` quotiented by ``(x, F(h)·u) ~ (X(h)(x), u)`` with a
  union-find. ``D(F c, -)`` is found by enumerating the category that ``D`` presents
  (a Todd–Coxeter style coset enumeration), so Σ is supported exactly when every
  ``D(F c, -)`` is finite: always when ``D``'s homs form no cycle, and when its
  equations cut every cycle down (e.g. ``inv·inv == id``). ``C``'s attribute values
  land where ``F`` sends their attributes; every other attribute value of ``D`` is an
  attribute variable, shared where ``D``'s path equations tie values together (as
  Catlab's Σ creates them). Two different values tied together raise.
- :func:`pi` (Π_F, right adjoint of Δ_F) for C-sets when every ``D(d, -)`` is
  finite: ``(ΠX)(d) = Hom(Δ_F D(d, -), X)``, enumerated with
  :func:`acset_s2r.homs.homomorphisms`; meant for small instances.
- :func:`restrict` is Δ along a schema inclusion.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import MigrationError, PathError
from acset_s2r.homs import ACSetTransformation
from acset_s2r.limits import classes
from acset_s2r.schema import Schema

__all__ = [
    "SchemaFunctor",
    "delta",
    "delta_map",
    "paths_equal",
    "pi",
    "restrict",
    "sigma",
    "sigma_counit",
    "sigma_map",
    "sigma_unit",
]

MAX_MORPHISMS = 10_000


def _as_path(p) -> tuple[str, ...]:
    return (p,) if isinstance(p, str) else tuple(p)


@attrs.frozen(repr=False)
class SchemaFunctor:
    """A functor ``F: dom -> codom`` of schemas, checked when built.

    Entries left out of ``obs``, ``attrtypes``, ``homs`` and ``attrs`` default to the
    item of the same name in ``codom`` (so inclusions need no mapping at all).

    >>> from acset_s2r.catalog import SchGraph
    >>> rev = SchemaFunctor(SchGraph, SchGraph, homs={"src": ["tgt"], "tgt": ["src"]})
    >>> rev.homs["src"]
    ('tgt',)
    """

    dom: Schema
    codom: Schema
    obs: Mapping[str, str] = attrs.field(factory=dict)
    homs: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    attrtypes: Mapping[str, str] = attrs.field(factory=dict)
    attrs: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        C, D = self.dom, self.codom
        for kind, given, names in (
            ("object", self.obs, C.obs),
            ("hom", self.homs, C.hom_names),
            ("attribute type", self.attrtypes, C.attrtypes),
            ("attribute", self.attrs, C.attr_names),
        ):
            extra = set(given) - set(names)
            if extra:
                raise MigrationError(f"functor {C.name} -> {D.name}: {sorted(extra)} are not {kind}s of {C.name}")
        obs = {}
        for c in C.obs:
            d = self.obs.get(c, c)
            if d not in D.obs:
                raise MigrationError(
                    f"functor {C.name} -> {D.name}: object {c} goes to {d!r}, which is not an object of {D.name}"
                )
            obs[c] = d
        types = {}
        for t in C.attrtypes:
            u = self.attrtypes.get(t, t)
            if u not in D.attrtypes:
                raise MigrationError(
                    f"functor {C.name} -> {D.name}: attribute type {t} goes to {u!r}, "
                    f"which is not an attribute type of {D.name}"
                )
            types[t] = u
        homs = {}
        for h in C.homs:
            path = _as_path(self.homs.get(h.name, (h.name,)))
            self._check_image(h.name, path, obs[h.dom], obs[h.codom], attribute=False)
            homs[h.name] = path
        attr_map = {}
        for a in C.attrs:
            path = _as_path(self.attrs.get(a.name, (a.name,)))
            self._check_image(a.name, path, obs[a.dom], types[a.codom], attribute=True)
            attr_map[a.name] = path
        object.__setattr__(self, "obs", obs)
        object.__setattr__(self, "homs", homs)
        object.__setattr__(self, "attrtypes", types)
        object.__setattr__(self, "attrs", attr_map)
        for eq in C.equations:
            lhs, rhs = self.map_path(eq.lhs), self.map_path(eq.rhs)
            if not paths_equal(D, obs[eq.dom], lhs, rhs):
                raise MigrationError(
                    f"functor {C.name} -> {D.name} does not preserve equation {eq.name or ''} "
                    f"{list(eq.lhs)} == {list(eq.rhs)}: its image {list(lhs)} == {list(rhs)} "
                    f"does not follow from the equations of {D.name}"
                )

    def _check_image(self, name: str, path: tuple[str, ...], start: str, end: str, attribute: bool) -> None:
        D = self.codom
        where = f"functor {self.dom.name} -> {D.name}: {'attribute' if attribute else 'hom'} {name}"
        for i, step in enumerate(path):
            if step not in D:
                raise MigrationError(f"{where} goes to {list(path)}, but {step!r} is not in {D.name}")
            last = i == len(path) - 1
            if D.is_attr(step) != (attribute and last) or not (D.is_hom(step) or D.is_attr(step)):
                want = "a path of homs ending in one attribute" if attribute else "a path of homs"
                raise MigrationError(f"{where} must go to {want}, got {list(path)}")
        if attribute and not path:
            raise MigrationError(f"{where} must go to a path ending in an attribute, got []")
        try:
            got = D.path_codom(start, path)
        except PathError as err:
            raise MigrationError(f"{where} goes to an ill-typed path: {err}") from None
        if got != end:
            raise MigrationError(
                f"{where} must run {start} -> {end} in {D.name}, but {list(path)} runs {start} -> {got}"
            )

    def __repr__(self) -> str:
        return f"SchemaFunctor({self.dom.name} -> {self.codom.name}, obs={dict(self.obs)})"

    def map_path(self, path: Sequence[str]) -> tuple[str, ...]:
        """The image of a path of ``dom`` (homs, possibly ending in an attribute)."""
        out: list[str] = []
        for step in path:
            image = self.homs.get(step) or self.attrs.get(step)
            if image is None and step not in self.homs:
                raise MigrationError(f"{step!r} is not a hom or attribute of {self.dom.name}")
            out.extend(image or ())
        return tuple(out)

    def then(self, G: SchemaFunctor) -> SchemaFunctor:
        """The composite functor: first this one, then ``G``."""
        if G.dom != self.codom:
            raise MigrationError(f"cannot compose {self!r} with {G!r}: {self.codom.name} is not {G.dom.name}")
        return SchemaFunctor(
            self.dom,
            G.codom,
            obs={c: G.obs[d] for c, d in self.obs.items()},
            homs={h: G.map_path(p) for h, p in self.homs.items()},
            attrtypes={t: G.attrtypes[u] for t, u in self.attrtypes.items()},
            attrs={a: G.map_path(p) for a, p in self.attrs.items()},
        )

    @classmethod
    def identity(cls, schema: Schema) -> SchemaFunctor:
        return cls(schema, schema)

    @classmethod
    def inclusion(cls, sub: Schema, sup: Schema) -> SchemaFunctor:
        """The inclusion of a sub-schema (:meth:`Schema.is_subschema_of`)."""
        if not sub.is_subschema_of(sup):
            raise MigrationError(f"{sub.name} is not a sub-schema of {sup.name}")
        return cls(sub, sup)


# -- the category a schema presents -------------------------------------------------------
class _Representable:
    """``D(a, -)``: the morphisms out of ``a`` in the category ``D`` presents.

    Found by coset enumeration (Todd–Coxeter, HLT strategy): start from the identity,
    define ``e·k`` for every element ``e`` and hom ``k``, trace every equation from
    every element and merge the two ends, with congruence closure on merges. The
    elements are numbered in order of first definition; element 0 is the identity
    and ``path[i]`` is a shortest-found representative path.
    """

    def __init__(self, schema: Schema, start: str, limit: int = MAX_MORPHISMS) -> None:
        self.schema, self.start = schema, start
        homs_out = {ob: [h.name for h in schema.homs_out(ob)] for ob in schema.obs}
        codom = {h.name: h.codom for h in schema.homs}
        eqs: dict[str, list] = {ob: [] for ob in schema.obs}
        for eq in schema.equations:
            if all(schema.is_hom(s) for s in eq.lhs + eq.rhs):
                eqs[eq.dom].append((eq.lhs, eq.rhs))
        sort, path, succ, parent = [start], [()], [{}], [0]

        def find(x: int) -> int:
            root = x
            while parent[root] != root:
                root = parent[root]
            while parent[x] != root:
                parent[x], x = root, parent[x]
            return root

        def define(e: int, k: str) -> int:
            n = len(sort)
            if n >= limit:
                raise MigrationError(
                    f"schema {schema.name} presents a category with more than {limit} morphisms out of "
                    f"{start} (a cycle of homs not cut down by equations, e.g. through {list(path[e][-3:]) + [k]}); "
                    "the migration would be infinite"
                )
            sort.append(codom[k])
            path.append(path[e] + (k,))
            succ.append({})
            parent.append(n)
            succ[e][k] = n
            return n

        def trace(e: int, word: tuple[str, ...]) -> int:
            for k in word:
                e = find(e)
                nxt = succ[e].get(k)
                e = define(e, k) if nxt is None else nxt
            return find(e)

        def union(x: int, y: int) -> bool:
            todo, merged = [(x, y)], False
            while todo:
                x, y = todo.pop()
                x, y = find(x), find(y)
                if x == y:
                    continue
                if y < x:
                    x, y = y, x
                parent[y], merged = x, True
                for k, t in succ[y].items():
                    s = succ[x].get(k)
                    if s is None:
                        succ[x][k] = t
                    else:
                        todo.append((s, t))
            return merged

        changed = True
        while changed:  # rescan until a full pass merges nothing
            changed, i = False, 0
            while i < len(sort):
                if find(i) == i:
                    for lhs, rhs in eqs[sort[i]]:
                        changed |= union(trace(i, lhs), trace(i, rhs))
                        if find(i) != i:
                            break
                    else:
                        for k in homs_out[sort[i]]:
                            if k not in succ[i]:
                                define(i, k)
                i += 1
        live = [i for i in range(len(sort)) if find(i) == i]
        index = {e: j for j, e in enumerate(live)}
        self.sort = [sort[e] for e in live]
        self.path = [path[e] for e in live]
        self.succ = [{k: index[find(t)] for k, t in succ[e].items()} for e in live]

    def __len__(self) -> int:
        return len(self.sort)

    def trace(self, e: int, word: Sequence[str]) -> int:
        for k in word:
            e = self.succ[e][k]
        return e

    def of_sort(self, ob: str) -> list[int]:
        return [i for i, s in enumerate(self.sort) if s == ob]


@functools.lru_cache(maxsize=256)
def _representable(schema: Schema, start: str) -> _Representable:
    return _Representable(schema, start)


def paths_equal(schema: Schema, start: str, lhs: Sequence[str], rhs: Sequence[str], bound: int = 2000) -> bool:
    """Whether two paths from ``start`` are equal in the category ``schema`` presents.

    Exact when the morphisms out of ``start`` are finitely many (see :func:`sigma`);
    paths ending in attributes compare their hom prefixes and final attributes.
    Otherwise (an infinite category) this is a bounded search for a chain of
    rewrites by the equations (both ways), which may fail to find a proof that
    exists; then the answer is False.
    """
    lhs, rhs = tuple(lhs), tuple(rhs)
    if lhs == rhs:
        return True
    hom_only = all(schema.is_hom(s) for s in lhs + rhs)
    split = (
        lhs and rhs and schema.is_attr(lhs[-1]) and lhs[-1] == rhs[-1]
        and all(schema.is_hom(s) for s in lhs[:-1] + rhs[:-1])
    )
    if hom_only or split:
        a, b = (lhs, rhs) if hom_only else (lhs[:-1], rhs[:-1])
        try:
            rep = _representable(schema, start)
        except MigrationError:
            pass
        else:
            if rep.trace(0, a) == rep.trace(0, b):
                return True
            if hom_only:
                return False
    # Bounded search by rewriting with every equation, both directions.
    rules = [(e.lhs, e.rhs) for e in schema.equations] + [(e.rhs, e.lhs) for e in schema.equations]
    seen, queue = {lhs}, deque([lhs])
    longest = max(len(lhs), len(rhs)) + max((len(r) for r, _ in rules), default=0)
    while queue and len(seen) < bound:
        word = queue.popleft()
        for old, new in rules:
            if not old:
                continue
            for i in range(len(word) - len(old) + 1):
                if word[i : i + len(old)] == old:
                    nxt = word[:i] + new + word[i + len(old) :]
                    if nxt == rhs:
                        return True
                    if nxt not in seen and len(nxt) <= longest:
                        seen.add(nxt)
                        queue.append(nxt)
    return False


# -- Δ --------------------------------------------------------------------------------------
def _follow(Y: ACSet, ob: str, rows: np.ndarray, path: Sequence[str]) -> np.ndarray:
    """Hom path applied to part ids, -1 propagating."""
    vals = rows
    for k in path:
        col = Y.subpart(k)
        out = np.full(len(vals), -1, dtype=np.int64)
        ok = vals >= 0
        out[ok] = col[vals[ok]]
        vals = out
    return vals


def _attr_along(Y: ACSet, ob: str, path: Sequence[str]) -> list | np.ndarray:
    """Values of a hom path ending in an attribute, in a form ``add_parts`` accepts."""
    rows = _follow(Y, ob, Y.parts(ob), path[:-1])
    name = path[-1]
    spec = Y.types[Y.schema.codom(name)]
    col, defined = Y.subpart(name), Y.is_defined(name)
    ok = rows >= 0
    ok[ok] = defined[rows[ok]]
    if spec.kind in ("str", "object") or spec.masked:
        vals = col[rows[ok]].tolist()
        out: list = [None] * len(rows)
        for i, v in zip(np.flatnonzero(ok).tolist(), vals):
            out[i] = v
        return out
    shape = (len(rows), spec.width) if spec.width else (len(rows),)
    arr = np.full(shape, spec.fill, dtype=spec.dtype)
    arr[ok] = col[rows[ok]]
    return arr


def delta(F: SchemaFunctor, Y: ACSet) -> ACSet:
    """Δ_F Y: the ``F.dom``-instance with ``(ΔY)(c) = Y(F c)`` and homs read along the image paths.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> E = ACSet(SchGraph); _ = E.add_parts("V", 2); _ = E.add_parts("E", 1, src=[0], tgt=[1])
    >>> reverse = SchemaFunctor(SchGraph, SchGraph, homs={"src": ["tgt"], "tgt": ["src"]})
    >>> R = delta(reverse, E)
    >>> R.subpart("src"), R.subpart("tgt")
    (array([1]), array([0]))
    """
    if Y.schema != F.codom:
        raise MigrationError(f"delta along {F!r} needs an instance of {F.codom.name}, got {Y.schema.name}")
    Y.require_compact("delta")
    C = F.dom
    X = ACSet(C, **{t: Y.types[F.attrtypes[t]] for t in C.attrtypes})
    for t in C.attrtypes:  # (ΔY)(t) = Y(F t), variables included, so AttrVar(k) keeps its k
        X.add_parts(t, Y.nparts(F.attrtypes[t]))
    for c in C.obs:
        X.add_parts(c, Y.nparts(F.obs[c]), **{a.name: _attr_along(Y, F.obs[c], F.attrs[a.name]) for a in C.attrs_of(c)})
    for h in C.homs:
        rows = Y.parts(F.obs[h.dom])
        X.set_subpart(rows, h.name, _follow(Y, F.obs[h.dom], rows, F.homs[h.name]))
    return X


def migrate_into(X: ACSet, Y: ACSet, F: SchemaFunctor) -> dict[str, np.ndarray]:
    """Add Δ_F Y to ``X`` in place; return the new ids per object and AttrType (Catlab's ``migrate!(X, Y, F)``).

    As in Catlab, this is ``copy_parts`` of ``delta(F, Y)`` into ``X``: on an existing
    instance it adds a disjoint copy, and ``X`` is unchanged when it fails.

    Examples
    --------
    >>> from acset_s2r import Schema
    >>> from acset_s2r.catalog import SchGraph
    >>> SchDDS = Schema.build("SchDDS", obs=["X"], homs=[("phi", "X", "X")])
    >>> dds = ACSet(SchDDS); _ = dds.add_parts("X", 3, phi=[1, 2, 0])
    >>> F = SchemaFunctor(SchGraph, SchDDS, obs={"V": "X", "E": "X"}, homs={"src": [], "tgt": ["phi"]})
    >>> h = ACSet(SchGraph); _ = h.add_parts("V", 1)
    >>> migrate_into(h, dds, F)                   # migrate!(h, dds, FOb, FHom)
    {'V': array([1, 2, 3]), 'E': array([0, 1, 2])}
    >>> h.subpart("src").tolist(), h.subpart("tgt").tolist()
    ([1, 2, 3], [2, 3, 1])
    """
    if not isinstance(X, ACSet) or X.schema != F.dom:
        raise MigrationError(
            f"migrate_into along {F!r} adds to an instance of {F.dom.name}, got "
            f"{X.schema.name if isinstance(X, ACSet) else type(X).__name__}"
        )
    return X.copy_parts(delta(F, Y))


def delta_map(F: SchemaFunctor, f: ACSetTransformation) -> ACSetTransformation:
    """Δ_F on a transformation ``f: Y -> Y'``: the map ``ΔY -> ΔY'`` with components ``f[F c]``."""
    # ΔY(t) holds Y(F t)'s variables in their order, so f's type component carries over
    return ACSetTransformation(
        {c: f[F.obs[c]] for c in F.dom.obs} | {t: f[F.attrtypes[t]] for t in F.dom.attrtypes},
        delta(F, f.dom), delta(F, f.codom), check=False,
    )


def restrict(X: ACSet, subschema: Schema) -> ACSet:
    """Δ along the inclusion ``subschema ⊆ X.schema``: forget the tables and columns outside it.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph, SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 1, src=[0], tgt=[1], weight=[2.0])
    >>> restrict(X, SchGraph)
    ACSet(SchGraph: V=2, E=1)
    """
    return delta(SchemaFunctor.inclusion(subschema, X.schema), X)


# -- Σ --------------------------------------------------------------------------------------
@attrs.frozen
class _SigmaParts:
    """ΣX with the bookkeeping the unit and counit need."""

    result: ACSet
    reps: dict          # c -> D(F c, -)
    start: dict         # (c, u) -> first global id of block (c, u) among its sort's elements
    labels: dict        # d -> class of each element of sort d
    free: dict = attrs.field(factory=dict)  # t -> {k: AttrVar of ΣX} for X's free variables of t


def _sigma(F: SchemaFunctor, X: ACSet) -> _SigmaParts:
    C, D = F.dom, F.codom
    if X.schema != C:
        raise MigrationError(f"sigma along {F!r} needs an instance of {C.name}, got {X.schema.name}")
    X.require_compact("sigma")
    for h in C.homs:
        undefined = np.flatnonzero(X.subpart(h.name) < 0)
        if len(undefined):
            raise MigrationError(
                f"sigma needs every hom defined; {h.name} is undefined at {h.dom} part {int(undefined[0])}"
            )
    reps = {c: _representable(D, F.obs[c]) for c in C.obs}
    size = {d: 0 for d in D.obs}
    start: dict[tuple[str, int], int] = {}
    for c in C.obs:
        for u, d in enumerate(reps[c].sort):
            start[(c, u)] = size[d]
            size[d] += X.nparts(c)
    a: dict[str, list] = {d: [] for d in D.obs}
    b: dict[str, list] = {d: [] for d in D.obs}
    for h in C.homs:
        c, c2 = h.dom, h.codom
        col = X.subpart(h.name)
        for u2, d in enumerate(reps[c2].sort):
            w = reps[c].trace(0, F.homs[h.name] + reps[c2].path[u2])
            a[d].append(start[(c, w)] + X.parts(c))
            b[d].append(start[(c2, u2)] + col)
    labels, counts = {}, {}
    for d in D.obs:
        ea = np.concatenate(a[d]) if a[d] else np.zeros(0, np.int64)
        eb = np.concatenate(b[d]) if b[d] else np.zeros(0, np.int64)
        labels[d], counts[d] = classes(size[d], ea, eb)
    values = _sigma_attributes(F, X, reps, start, labels, counts)
    Y = ACSet(D, **{u: (object if values[1][u] else X.types[t]) for t, u in F.attrtypes.items()})
    for u, k in values[1].items():
        Y.add_parts(u, k)
    for d in D.obs:
        Y.add_parts(d, counts[d], **{a.name: values[0][a.name] for a in D.attrs_of(d)})
    _set_sigma_homs(F, X, Y, reps, start, labels, counts)
    return _SigmaParts(Y, reps, start, labels, values[2])


def _sigma_attributes(F: SchemaFunctor, X: ACSet, reps: dict, start: dict, labels: dict, counts: dict
                      ) -> tuple[dict[str, list], dict[str, int], dict[str, dict[int, AttrVar]]]:
    """The attribute columns of ΣX and the number of variables per AttrType.

    X's values land where F sends their attributes; positions that D's path equations tie
    together share a value; every class of positions left without one gets a fresh
    variable (Catlab: Σ creates attribute variables). Two values on one class raise.
    """
    C, D = F.dom, F.codom
    offset, n = {}, 0
    for k in D.attrs:
        offset[k.name] = n
        n += counts[k.dom]
    value: dict[int, Any] = {}
    a_ends, b_ends = [], []
    var_at: dict[tuple[str, int], int] = {}  # X's variables: every position holding one is tied
    for a in C.attrs:
        path = F.attrs[a.name]
        k = path[-1]
        w = reps[a.dom].trace(0, path[:-1])
        d = reps[a.dom].sort[w]
        pos = offset[k] + labels[d][start[(a.dom, w)] + X.parts(a.dom)]
        for p, v, ok in zip(pos.tolist(), X.subpart(a.name).tolist(), X.is_defined(a.name).tolist()):
            if not ok:
                continue
            if v.__class__ is AttrVar:
                first = var_at.setdefault((a.codom, v.k), p)
                a_ends.append(first), b_ends.append(p)
            elif p in value and not _same_value(value[p], v):
                raise MigrationError(f"sigma: {k} gets two values, {value[p]!r} and {v!r}, at one {d} part")
            else:
                value[p] = v
    probe = None
    for eq in D.equations:
        if not (eq.lhs and eq.rhs and eq.lhs[-1] in offset and eq.rhs[-1] in offset):
            continue
        if probe is None:  # the homs of ΣX, to follow the equations' paths
            probe = _sigma_homs(F, X, reps, start, labels, counts)
        rows = probe.parts(eq.dom)
        left = _follow(probe, eq.dom, rows, eq.lhs[:-1])
        right = _follow(probe, eq.dom, rows, eq.rhs[:-1])
        ok = (left >= 0) & (right >= 0)
        a_ends += (offset[eq.lhs[-1]] + left[ok]).tolist()
        b_ends += (offset[eq.rhs[-1]] + right[ok]).tolist()
    label, nclasses = classes(n, np.asarray(a_ends, dtype=np.int64), np.asarray(b_ends, dtype=np.int64))
    fixed: dict[int, Any] = {}
    for p, v in value.items():
        c = int(label[p])
        if c in fixed and not _same_value(fixed[c], v):
            raise MigrationError(f"sigma: D's equations tie the values {fixed[c]!r} and {v!r} together")
        fixed[c] = v
    nvars = {u: 0 for u in D.attrtypes}
    var_of: dict[int, Any] = {}
    columns = {}
    for k in D.attrs:
        col = []
        for c in label[offset[k.name] : offset[k.name] + counts[k.dom]].tolist():
            if c not in fixed and c not in var_of:
                var_of[c] = AttrVar(nvars[k.codom])
                nvars[k.codom] += 1
            col.append(fixed.get(c, var_of.get(c)))
        columns[k.name] = col
    # X's free variables stay, as the identity Σ must give X back (after the created ones)
    free: dict[str, dict[int, AttrVar]] = {}
    for t in C.attrtypes:
        u = F.attrtypes[t]
        for k in X.free_vars(t).tolist():
            free.setdefault(t, {})[k] = AttrVar(nvars[u])
            nvars[u] += 1
    return columns, nvars, free


def _same_value(u: Any, v: Any) -> bool:
    try:
        return bool(u == v)
    except (TypeError, ValueError):
        return bool(np.array_equal(np.asarray(u), np.asarray(v)))


def _sigma_homs(F: SchemaFunctor, X: ACSet, reps: dict, start: dict, labels: dict, counts: dict) -> ACSet:
    """ΣX without its attributes: enough to follow paths of homs."""
    D = F.codom
    Y = ACSet(Schema.build(D.name, obs=list(D.obs), homs=[(h.name, h.dom, h.codom) for h in D.homs]))
    for d in D.obs:
        Y.add_parts(d, counts[d])
    _set_sigma_homs(F, X, Y, reps, start, labels, counts)
    return Y


def _set_sigma_homs(F: SchemaFunctor, X: ACSet, Y: ACSet, reps: dict, start: dict, labels: dict, counts: dict) -> None:
    for k in F.codom.homs:
        col = np.full(counts[k.dom], -1, dtype=np.int64)
        for c in F.dom.obs:
            n = X.nparts(c)
            for u, d in enumerate(reps[c].sort):
                if d != k.dom or not n:
                    continue
                v = reps[c].succ[u][k.name]
                src = labels[d][start[(c, u)] : start[(c, u)] + n]
                col[src] = labels[k.codom][start[(c, v)] : start[(c, v)] + n]
        Y.set_subpart(Y.parts(k.dom), k.name, col)


def sigma(F: SchemaFunctor, X: ACSet) -> ACSet:
    """Σ_F X, the left pushforward of a C-set (see the module docstring for what is supported).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.schema import Schema
    >>> SchSet = Schema.build("SchSet", obs=["V"])
    >>> collapse = SchemaFunctor(SchGraph, SchSet, obs={"E": "V"}, homs={"src": [], "tgt": []})
    >>> G = ACSet(SchGraph); _ = G.add_parts("V", 4); _ = G.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
    >>> sigma(collapse, G).nparts("V")  # the connected components: {0, 1, 2} and {3}
    2
    """
    return _sigma(F, X).result


def sigma_map(F: SchemaFunctor, f: ACSetTransformation) -> ACSetTransformation:
    """Σ_F on a transformation ``f: X -> X'``: the class of ``(x, u)`` goes to that of ``(f(x), u)``."""
    s, t = _sigma(F, f.dom), _sigma(F, f.codom)
    comps = {}
    for d in F.codom.obs:
        comp = np.full(s.result.nparts(d), -1, dtype=np.int64)
        for c in F.dom.obs:
            for u in s.reps[c].of_sort(d):
                src = s.labels[d][s.start[(c, u)] + f.dom.parts(c)]
                comp[src] = t.labels[d][t.start[(c, u)] + f[c]]
        comps[d] = comp
    if s.free:  # a free variable goes where the unit of codom sends f's image of it
        eta = sigma_unit(F, f.codom)
        for at, m in s.free.items():
            for k, new in m.items():
                img = f[at][k]
                comps.setdefault(F.attrtypes[at], {})[new.k] = eta[at][img.k] if img.__class__ is AttrVar else img
    return ACSetTransformation(comps, s.result, t.result)


def sigma_unit(F: SchemaFunctor, X: ACSet) -> ACSetTransformation:
    """The unit ``η_X: X -> Δ_F Σ_F X``: a part goes to its class in ``ΣX(F c)``."""
    s = _sigma(F, X)
    comps: dict[str, Any] = {c: s.labels[F.obs[c]][s.start[(c, 0)] + X.parts(c)] for c in F.dom.obs}
    comps.update(s.free)  # used variables are read off the values; free ones are named here
    return ACSetTransformation(comps, X, delta(F, s.result))


def sigma_counit(F: SchemaFunctor, Y: ACSet) -> ACSetTransformation:
    """The counit ``ε_Y: Σ_F Δ_F Y -> Y``: the class of ``(y, u: F c -> d)`` goes to ``Y(u)(y)``."""
    Z = delta(F, Y)
    s = _sigma(F, Z)
    comps = {}
    for d in F.codom.obs:
        comp = np.full(s.result.nparts(d), -1, dtype=np.int64)
        for c in F.dom.obs:
            rows = Y.parts(F.obs[c])
            for u in s.reps[c].of_sort(d):
                lab = s.labels[d][s.start[(c, u)] + np.arange(len(rows))]
                comp[lab] = _follow(Y, F.obs[c], rows, s.reps[c].path[u])
        comps[d] = comp
    for t, m in s.free.items():  # ΔY's variables are Y's, so a free one goes back to itself
        for k, new in m.items():
            comps.setdefault(F.attrtypes[t], {})[new.k] = AttrVar(k)
    return ACSetTransformation(comps, s.result, Y)


# -- Π --------------------------------------------------------------------------------------
def _free_on(D: Schema, d: str) -> ACSet:
    """The representable D-set ``D(d, -)`` (the free instance on one ``d`` part)."""
    rep = _representable(D, d)
    R = ACSet(D)
    ids = {ob: rep.of_sort(ob) for ob in D.obs}
    pos = {e: i for ob in D.obs for i, e in enumerate(ids[ob])}
    for ob in D.obs:
        R.add_parts(ob, len(ids[ob]))
    for k in D.homs:
        R.set_subpart(R.parts(k.dom), k.name, [pos[rep.succ[e][k.name]] for e in ids[k.dom]])
    return R


def pi(F: SchemaFunctor, X: ACSet, max_parts: int = 100_000) -> ACSet:
    """Π_F X, the right pushforward: ``(ΠX)(d)`` is the set of maps ``Δ_F D(d, -) -> X``.

    Supported for C-sets whose target category has finitely many morphisms out of
    every object; the enumeration is a homomorphism search, so keep instances small.
    Parts of ``(ΠX)(d)`` are numbered in the order the search finds the maps.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.schema import Schema
    >>> SchSet = Schema.build("SchSet", obs=["V"])
    >>> vertices = SchemaFunctor(SchSet, SchGraph)  # the inclusion
    >>> S = ACSet(SchSet); _ = S.add_parts("V", 2)
    >>> pi(vertices, S).size()  # the complete graph with loops on two vertices
    {'V': 2, 'E': 4}
    """
    from acset_s2r.homs import homomorphisms  # the search is only needed here

    C, D = F.dom, F.codom
    if X.schema != C:
        raise MigrationError(f"pi along {F!r} needs an instance of {C.name}, got {X.schema.name}")
    X.require_compact("pi")
    if C.attrs:
        raise MigrationError(f"pi is supported for C-sets only; {C.name} has attributes {list(C.attr_names)}")
    reps = {d: _representable(D, d) for d in D.obs}
    pos = {d: {ob: {e: i for i, e in enumerate(reps[d].of_sort(ob))} for ob in D.obs} for d in D.obs}
    elements: dict[str, list[tuple]] = {}
    lookup: dict[str, dict[tuple, int]] = {}
    for d in D.obs:
        found = []
        for f in homomorphisms(delta(F, _free_on(D, d)), X):
            found.append(tuple(tuple(f[c].tolist()) for c in C.obs))
            if len(found) > max_parts:
                raise MigrationError(f"pi: more than {max_parts} parts of {d}")
        elements[d] = found
        lookup[d] = {key: i for i, key in enumerate(found)}
    Y = ACSet(D)
    for d in D.obs:
        Y.add_parts(d, len(elements[d]))
    for k in D.homs:
        d, d2 = k.dom, k.codom
        # precompose with D(k, -): an element u of D(d2, F c) goes to k·u in D(d, F c)
        moves = {}
        for c in C.obs:
            fc = F.obs[c]
            moves[c] = [
                pos[d][fc][reps[d].trace(reps[d].succ[0][k.name], reps[d2].path[u])]
                for u in reps[d2].of_sort(fc)
            ]
        col = []
        for phi in elements[d]:
            key = tuple(tuple(phi[i][j] for j in moves[c]) for i, c in enumerate(C.obs))
            col.append(lookup[d2][key])
        Y.set_subpart(Y.parts(d), k.name, np.asarray(col, dtype=np.int64))
    return Y
