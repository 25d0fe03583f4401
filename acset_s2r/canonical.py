"""Canonical forms, isomorphism hashes and automorphism groups of ACSets.

Every part of every object, and every attribute variable, is a node; each defined hom
value, and each attribute whose value is a variable, is a labelled arrow; other
attribute values colour their part. The canonical labelling is found as nauty finds
one (no nauty binding installs here with wheels, so this is our own):

1. colour refinement: a node's colour is refined by the colours at the ends of its
   arrows, label by label, in and out, until the partition is stable. Colours are
   ranked by 64-bit mixes of invariant data only, so isomorphic ACSets get the same
   colours whatever their part numbering;
2. individualisation: while some colour class has several nodes, each node of the
   first such class in turn is given a colour of its own and refinement runs again.
   Each leaf (every class a single node) numbers the parts; the canonical form is the
   leaf whose relabelled ACSet (its *certificate*) is least.

Leaves with equal certificates differ by an automorphism. As in nauty, finding one
abandons the rest of that branch, and children in one orbit of the automorphisms
found so far (fixing the branch's prefix) are explored once, which keeps symmetric
ACSets (an empty graph) polynomial. The generators found generate the whole group.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import InstanceError
from acset_s2r.homs import ACSetTransformation

__all__ = ["automorphism_generators", "automorphisms", "canonical_form", "canonical_hash", "canonical_labelling"]

_M1, _M2, _GOLD = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)
_UNDEF = 0x5BD1E9955BD1E995
_VAR = 0x27D4EB2F165667C5


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 of each entry: a fixed bijection that spreads bits (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _hash_text(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return tuple(_plain(u) for u in v.tolist())
    return v.item() if isinstance(v, np.generic) else v


def _value_hashes(X: ACSet, name: str) -> tuple[np.ndarray, list[int]]:
    """A 64-bit hash of each value of attribute ``name`` and the rows holding variables."""
    col, ok = X.subpart(name), X.is_defined(name)
    n = len(ok)
    out = np.full(n, _UNDEF, dtype=np.uint64)
    var_rows: list[int] = []
    if col.dtype.kind == "f":
        bits = np.where(col == 0, 0.0, col).astype(np.float64).view(np.uint64)
        h = _mix(bits) if bits.ndim == 1 else _fold(bits)
    elif col.dtype.kind in "iub":
        vals = col.astype(np.int64).view(np.uint64)
        h = _mix(vals) if vals.ndim == 1 else _fold(vals)
    else:
        cache: dict[str, int] = {}
        h = np.zeros(n, dtype=np.uint64)
        for i, v in enumerate(col.tolist()):
            if v.__class__ is AttrVar:
                var_rows.append(i)
                h[i] = _VAR
                continue
            key = repr(_plain(v))
            if key not in cache:
                cache[key] = _hash_text(key)
            h[i] = cache[key]
    out[ok] = h[ok]
    return out, var_rows


def _fold(rows: np.ndarray) -> np.ndarray:
    h = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows.shape[1]):
            h = _mix(h * np.uint64(31) + rows[:, j])
    return h


class _Nodes:
    """An ACSet flattened to coloured nodes and labelled arrows."""

    def __init__(self, X: ACSet) -> None:
        S = X.schema
        self.X = X
        self.kinds = list(S.obs) + list(S.attrtypes)
        sizes = [X.nparts(o) for o in S.obs] + [X.nparts(t) for t in S.attrtypes]
        self.offset = dict(zip(self.kinds, np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()))
        self.n = int(sum(sizes))
        self.kind_of = np.repeat(np.arange(len(self.kinds)), sizes)
        colour = _mix(self.kind_of.astype(np.uint64))
        self.arrows: list[tuple[np.ndarray, np.ndarray]] = []
        for h in S.homs:
            col = X.subpart(h.name)
            rows = np.flatnonzero(col >= 0)
            self.arrows.append((rows + self.offset[h.dom], col[rows] + self.offset[h.codom]))
        self.values: list[np.ndarray] = []
        self.var_rows: list[list[int]] = []
        with np.errstate(over="ignore"):
            for k, a in enumerate(S.attrs):
                h, var_rows = _value_hashes(X, a.name)
                self.values.append(h)
                self.var_rows.append(var_rows)
                base = self.offset[a.dom]
                colour[base: base + len(h)] = _mix(colour[base: base + len(h)] * np.uint64(7) + h + np.uint64(k))
                if var_rows:
                    rows = np.asarray(var_rows, dtype=np.int64)
                    ks = np.asarray([X.subpart(int(r), a.name).k for r in var_rows], dtype=np.int64)
                    self.arrows.append((rows + base, ks + self.offset[a.codom]))
                else:
                    self.arrows.append((np.zeros(0, np.int64), np.zeros(0, np.int64)))
        self.initial = _rank(colour)

    def refine(self, colour: np.ndarray) -> np.ndarray:
        ncells = int(colour.max()) + 1 if self.n else 0
        with np.errstate(over="ignore"):
            while True:
                acc = _mix(colour.astype(np.uint64))
                for label, (s, t) in enumerate(self.arrows):
                    if len(s):
                        out_tag, in_tag = np.uint64(2 * label + 1), np.uint64(2 * label + 2)
                        np.add.at(acc, s, _mix(colour[t].astype(np.uint64) * np.uint64(1315423911) + out_tag))
                        np.add.at(acc, t, _mix(colour[s].astype(np.uint64) * np.uint64(2654435761) + in_tag))
                new = _rank(colour, acc)
                k = int(new.max()) + 1 if self.n else 0
                if k == ncells:
                    return new
                colour, ncells = new, k

    def certificate(self, colour: np.ndarray) -> tuple[bytes, dict[str, np.ndarray]]:
        """The relabelled ACSet as bytes, and the new id of each part (by object and AttrType)."""
        new: dict[str, np.ndarray] = {}
        for kind in self.kinds:
            lo = self.offset[kind]
            c = colour[lo: lo + self.X.nparts(kind)]
            ids = np.empty(len(c), dtype=np.int64)
            ids[np.argsort(c, kind="stable")] = np.arange(len(c))
            new[kind] = ids
        S = self.X.schema
        chunks = [np.asarray([self.X.nparts(k) for k in self.kinds], dtype=np.int64).tobytes()]
        for h in S.homs:
            col = self.X.subpart(h.name)
            out = np.full(len(col), -1, dtype=np.int64)
            ok = col >= 0
            out[new[h.dom][ok]] = new[h.codom][col[ok]]
            chunks.append(out.tobytes())
        for a, vals, var_rows in zip(S.attrs, self.values, self.var_rows):
            v = vals.copy()
            if var_rows:
                rows = np.asarray(var_rows, dtype=np.int64)
                ks = np.asarray([self.X.subpart(int(r), a.name).k for r in var_rows], dtype=np.int64)
                v[rows] = np.uint64(_VAR) + new[a.codom][ks].astype(np.uint64)
            out = np.empty(len(v), dtype=np.uint64)
            out[new[a.dom]] = v
            chunks.append(out.tobytes())
        return b"".join(chunks), new


def _rank(*keys: np.ndarray) -> np.ndarray:
    """Dense ranks of the rows of ``keys`` in lexicographic order (the first key most significant)."""
    if not len(keys[0]):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort(keys[::-1])
    diff = np.zeros(len(order), dtype=bool)
    for k in keys:
        s = k[order]
        diff[1:] |= s[1:] != s[:-1]
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.cumsum(diff)
    return ranks


class _Search:
    def __init__(self, nodes: _Nodes) -> None:
        self.nodes = nodes
        self.first: tuple[bytes, np.ndarray, list[int]] | None = None
        self.best: tuple[bytes, np.ndarray, list[int]] | None = None
        self.generators: list[np.ndarray] = []

    def run(self) -> None:
        self._visit(self.nodes.refine(self.nodes.initial), [])

    def _leaf(self, colour: np.ndarray, path: list[int]) -> int | None:
        cert, _ = self.nodes.certificate(colour)
        if self.first is None:
            self.first = self.best = (cert, colour, list(path))
            return None
        for ref in (self.first, self.best):
            if cert == ref[0]:
                inv = np.empty_like(colour)
                inv[colour] = np.arange(len(colour))
                self.generators.append(inv[ref[1]])  # node x of the reference leaf -> node of this leaf
                return _common(path, ref[2])  # the rest of the branch is an image of what was seen
        if cert < self.best[0]:
            self.best = (cert, colour, list(path))
        return None

    def _visit(self, colour: np.ndarray, path: list[int]) -> int | None:
        counts = np.bincount(colour)
        big = np.flatnonzero(counts > 1)
        if not len(big):
            return self._leaf(colour, path)
        cell = np.flatnonzero(colour == big[0]).tolist()
        done: list[int] = []
        for v in cell:
            if done and _same_orbit(v, done, path, self.generators):
                continue
            child = colour * 2 + 1
            child[v] -= 1
            jump = self._visit(self.nodes.refine(_rank(child)), path + [v])
            done.append(v)
            if jump is not None and jump < len(path):
                return jump
        return None


def _common(a: list[int], b: list[int]) -> int:
    k = 0
    while k < len(a) and k < len(b) and a[k] == b[k]:
        k += 1
    return k


def _same_orbit(v: int, done: list[int], path: list[int], gens: list[np.ndarray]) -> bool:
    """Whether ``v`` is in the orbit of a node in ``done`` under the generators fixing ``path``."""
    useful = [g for g in gens if all(g[p] == p for p in path)]
    if not useful:
        return False
    seen, todo = {v}, [v]
    targets = set(done)
    while todo:
        x = todo.pop()
        for g in useful:
            y = int(g[x])
            if y in targets:
                return True
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return False


def _search(X: ACSet) -> tuple[_Nodes, _Search]:
    if not isinstance(X, ACSet):
        raise InstanceError(f"canonical forms need an ACSet, got {type(X).__name__}")
    nodes = _Nodes(X)
    search = _Search(nodes)
    search.run()
    return nodes, search


def canonical_labelling(X: ACSet) -> dict[str, np.ndarray]:
    """The canonical number of each part (and variable): ``{ob: new id of each part}``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> sorted(canonical_labelling(acset(SchGraph, V=2, src=[0], tgt=[1]))["V"].tolist())
    [0, 1]
    """
    nodes, search = _search(X)
    if search.best is None:
        return {k: np.zeros(0, np.int64) for k in nodes.kinds}
    return nodes.certificate(search.best[1])[1]


def canonical_form(X: ACSet) -> ACSet:
    """``X`` renumbered canonically: ``canonical_form(X) == canonical_form(Y)`` exactly when ``X ≅ Y``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> A = acset(SchGraph, V=3, src=[0, 1], tgt=[1, 2])
    >>> B = acset(SchGraph, V=3, src=[2, 0], tgt=[0, 1])   # the same path, numbered otherwise
    >>> canonical_form(A) == canonical_form(B)
    True
    """
    new = canonical_labelling(X)
    S = X.schema
    Y = ACSet(S, **X.types)
    for t in S.attrtypes:
        Y.add_parts(t, X.nparts(t))
    order = {k: np.argsort(ids, kind="stable") for k, ids in new.items()}  # old part at each new id
    for ob in S.obs:
        Y.add_parts(ob, X.nparts(ob))
    for h in S.homs:
        col = X.subpart(h.name)[order[h.dom]]
        out = np.full(len(col), -1, dtype=np.int64)
        out[col >= 0] = new[h.codom][col[col >= 0]]  # an empty codomain has nothing to index
        Y.set_subpart(Y.parts(h.dom), h.name, out)
    for a in S.attrs:
        rows = order[a.dom]
        ok = X.is_defined(a.name)[rows]
        vals = X.subpart(a.name)[rows[ok]]
        if vals.dtype == object:
            vals = [AttrVar(int(new[a.codom][v.k])) if v.__class__ is AttrVar else v for v in vals.tolist()]
        if len(rows[ok]):
            Y.set_subpart(np.flatnonzero(ok), a.name, vals)
    return Y


def canonical_hash(X: ACSet) -> str:
    """A hex digest equal for isomorphic ACSets (attribute values included) and, but for
    64-bit collisions of values, different otherwise.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> canonical_hash(C3) == canonical_hash(acset(SchGraph, V=3, src=[2, 0, 1], tgt=[0, 1, 2]))
    True
    >>> canonical_hash(C3) == canonical_hash(acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 1]))
    False
    """
    nodes, search = _search(X)
    S = X.schema
    head = repr((S.name, S.obs, [(h.name, h.dom, h.codom) for h in S.homs], S.attrtypes,
                 [(a.name, a.dom, a.codom) for a in S.attrs]))
    digest = hashlib.blake2b(head.encode(), digest_size=16)
    digest.update(search.best[0] if search.best is not None else nodes.certificate(nodes.initial)[0])
    return digest.hexdigest()


def automorphism_generators(X: ACSet) -> list[ACSetTransformation]:
    """Automorphisms of ``X`` that generate its automorphism group (none for a rigid ACSet).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> len(automorphism_generators(acset(SchGraph, V=2, src=[0], tgt=[1])))
    0
    """
    nodes, search = _search(X)
    return [_as_map(nodes, g) for g in search.generators]


def _as_map(nodes: _Nodes, g: np.ndarray) -> ACSetTransformation:
    X = nodes.X
    comps: dict[str, Any] = {}
    for kind in nodes.kinds:
        lo = nodes.offset[kind]
        part = g[lo: lo + X.nparts(kind)] - lo
        comps[kind] = part if kind in X.schema.obs else [AttrVar(int(k)) for k in part]
    return ACSetTransformation(comps, X, X, check=False)


def automorphisms(X: ACSet) -> Iterator[ACSetTransformation]:
    """Every automorphism of ``X``, the identity first: the group the generators make.

    The group can be large (an empty graph on n vertices has n! of them), so this is lazy.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> square = acset(SchGraph, V=4, src=[0, 1, 2, 3, 0, 1, 2, 3], tgt=[1, 2, 3, 0, 3, 2, 1, 0])
    >>> len(list(automorphisms(square)))   # the 8 symmetries of the square
    8
    """
    nodes, search = _search(X)
    ident = np.arange(nodes.n, dtype=np.int64)
    seen = {ident.tobytes()}
    todo = [ident]
    yield _as_map(nodes, ident)
    while todo:
        p = todo.pop()
        for g in search.generators:
            q = g[p]
            key = q.tobytes()
            if key not in seen:
                seen.add(key)
                todo.append(q)
                yield _as_map(nodes, q)
