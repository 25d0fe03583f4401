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

Atoms are joined one at a time, most-bound first: the next atom is looked up in the
preimage index of a bound hom column (or attribute, or its constant), or of all its
bound hom columns at once through a combined key, then filtered on its other columns,
never by scanning pairs of tables. Before a cycle closes (the last two atoms meet at one
new variable between bound ones) the rows that cannot close are dropped first. A column
only the answer needs is gathered once, at the end.

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
    """All (row, part) with ``X.name(part) == values[row]``, through the preimage index."""
    if name in X.schema.hom_names and values.dtype.kind in "iu":
        return X.gather(values, name)
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


# sorted combined keys of hom columns, reused while the columns' preimage indexes are unchanged
_KEYS: dict[tuple, "_Keys"] = {}
_KEYS_KEPT = 8
# a key space up to this size (or a few times the parts) gets dense counts per key, so most
# probes skip the binary search; a negative value turns them off
_DENSE_KEYS = 1 << 20


@attrs.frozen
class _Keys:
    """Parts of an object sorted by a combined key of hom columns (-1 counts as 0, so an
    undefined part never matches a probe of defined values); ``counts[k]`` is how many
    parts have key k when the key space is small enough to hold them."""

    radix: list[int]
    sorted: np.ndarray
    order: np.ndarray
    counts: np.ndarray | None  # in the narrowest integer type
    indexes: tuple = ()

    def probe(self, values: Sequence[np.ndarray]) -> np.ndarray:
        probe = values[0] + 1
        for r, vals in zip(self.radix[1:], values[1:]):
            probe *= r
            probe += vals
            probe += 1
        return probe

    def count(self, probe: np.ndarray) -> int:
        if self.counts is not None:
            return int(self.counts[probe].sum(dtype=np.int64))
        return int(self.bounds(probe)[1].sum())

    def bounds(self, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each probe's parts start and how many there are, in ``order``."""
        if self.counts is not None:
            # most probes of a cyclic atom miss: read the narrow counts, then search for hits
            lens = self.counts[probe].astype(np.int64)
            lo = np.zeros(len(probe), dtype=np.int64)
            hit = np.flatnonzero(lens)
            lo[hit] = self.sorted.searchsorted(probe[hit], "left")
            return lo, lens
        lo = self.sorted.searchsorted(probe, "left")
        return lo, self.sorted.searchsorted(probe, "right") - lo


def _sorted_keys(X: ACSet, ob: str, names: Sequence[str]) -> _Keys | None:
    """The parts of ``ob`` sorted by the combined key of hom columns ``names``; None when
    the key would overflow int64."""
    radix = [X.nparts(X.schema.codom(nm)) + 1 for nm in names]
    space = float(np.prod([float(r) for r in radix]))
    if space >= 2.0**62:
        return None
    clean = []
    for nm in names:
        X.gather(_NONE, nm)  # builds the index if needed
        ix = X._hom_index[nm]
        clean.append(None if ix.pending else ix.order)
    tag = (id(X), ob, tuple(names), X.nparts(ob), tuple(radix))
    hit = _KEYS.get(tag)
    # an index's order array is replaced on every rebuild and a change leaves it pending, so
    # the same clean arrays mean the same columns
    if hit is not None and all(a is b for a, b in zip(hit.indexes, clean)):
        return hit
    key = np.zeros(X.nparts(ob), dtype=np.int64)
    for nm, r in zip(names, radix):
        key = key * r + (X.subpart(nm) + 1)
    order = np.argsort(key, kind="stable")
    counts = None
    if _DENSE_KEYS >= 0 and space <= max(_DENSE_KEYS, 4 * len(key)):
        counts = _narrow(np.bincount(key, minlength=int(space)))
    keys = _Keys(radix, key[order], order, counts, tuple(clean))
    if _KEYS_KEPT and all(c is not None for c in clean):
        _keep(_KEYS, X, tag, keys)
    return keys


_NONE = np.zeros(0, dtype=np.int64)


def _narrow(counts: np.ndarray) -> np.ndarray:
    """Non-negative counts in the narrowest integer type that holds them (gathers stay in cache)."""
    top = int(counts.max()) if len(counts) else 0
    return counts.astype(np.uint8 if top < 256 else np.uint16 if top < 65536 else np.int64)
_WATCHED: set[int] = set()  # ids of the instances whose entries go when they are collected


def _keep(store: dict, X: ACSet, tag: tuple, value: Any) -> None:
    """Cache ``value`` under ``tag`` (whose first item is ``id(X)``): the oldest entries
    make room, and all of X's entries are dropped when X is garbage collected."""
    import weakref

    while len(store) >= _KEYS_KEPT:
        del store[next(iter(store))]
    store[tag] = value
    if id(X) not in _WATCHED:
        _WATCHED.add(id(X))
        weakref.finalize(X, _forget, id(X))


def _forget(ident: int) -> None:
    _WATCHED.discard(ident)
    for store in (_KEYS, _ALIGNED, _REACH):
        for tag in [t for t in store if t[0] == ident]:
            del store[tag]


def _lookup_pair(X: ACSet, ob: str, names: list[str], values: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Probe on several bound hom columns at once: a sort-merge join on a combined key.

    None when the combined key would overflow int64."""
    keys = _sorted_keys(X, ob, names)
    if keys is None:
        return None
    lo, lens = keys.bounds(keys.probe(values))
    total = int(lens.sum())
    ends = np.cumsum(lens)
    pos = np.arange(total, dtype=np.int64) - np.repeat(ends - lens - lo, lens)
    return np.repeat(np.arange(len(lo), dtype=np.int64), lens), keys.order[pos]


def _count_matches(X: ACSet, ob: str, names: list[str], values: list[np.ndarray],
                   weight: np.ndarray | None = None) -> int | None:
    """How many (row, part) pairs have ``names(part) == values[row]`` on every column, counting
    only parts marked in ``weight``; None when the combined key would overflow int64."""
    if len(names) == 1:
        X.gather(_NONE, names[0])
        ix = X._hom_index[names[0]]
        if not ix.pending:
            off = ix.offsets
            v = values[0]
            v = v[(v >= 0) & (v < len(off) - 1)]
            if weight is None:
                return int((off[v + 1] - off[v]).sum())
            cum = np.zeros(len(ix.order) + 1, dtype=np.int64)
            np.cumsum(weight[ix.order], out=cum[1:])
            return int((cum[off[v + 1]] - cum[off[v]]).sum())
    keys = _sorted_keys(X, ob, names)
    if keys is None:
        return None
    if weight is None:
        return keys.count(keys.probe(values))
    lo, lens = keys.bounds(keys.probe(values))
    cum = np.zeros(len(keys.order) + 1, dtype=np.int64)
    np.cumsum(weight[keys.order], out=cum[1:])
    return int((cum[lo + lens] - cum[lo]).sum())


def _count_last(X: ACSet, table: dict[str, np.ndarray], atom: _Atom, masks: Mapping[str, np.ndarray],
                partners: Sequence[str]) -> int | None:
    """The rows the last atom would give, counted from the index without listing them.

    Handles an atom whose columns are homs, all bound but at most one new variable ``v``:
    the parts matching the bound columns with ``v`` defined and allowed by its mask, less
    those where ``v`` would equal a bound partner it must differ from (partners hold
    pairwise different values, so these sets are disjoint). None for any other atom."""
    schema = X.schema
    bound, fresh = [], []
    for c, t in atom.columns:
        if c == "_id" or isinstance(t, Const) or not schema.is_hom(c):
            return None
        (bound if t in table else fresh).append((c, t))
    if not bound or len(fresh) > 1:
        return None
    names = [c for c, _ in bound]
    values = [table[t] for _, t in bound]
    if not fresh:
        return _count_matches(X, atom.ob, names, values)
    g, v = fresh[0]
    col = X.subpart(g)
    ok = col >= 0
    mask = masks.get(v)
    if mask is not None:
        ok &= mask[np.where(ok, col, 0)]
    total = _count_matches(X, atom.ob, names, values, None if ok.all() else ok)
    for w in partners:
        wv, vals = table[w], values
        if mask is not None:
            sel = mask[wv]
            wv, vals = wv[sel], [x[sel] for x in values]
        bad = _count_matches(X, atom.ob, names + [g], vals + [wv])
        if total is None or bad is None:
            return None
        total -= bad
    return total


# hom columns permuted into the order of another hom's preimage index, reused like _KEYS
_ALIGNED: dict[tuple, tuple] = {}


def _aligned(X: ACSet, by: str, name: str, order: np.ndarray) -> np.ndarray:
    """Column ``name`` at the parts listed in ``order`` (the index of ``by``): a gather by
    positions in ``order`` then reads memory in runs instead of at random."""
    ix = X._hom_index.get(name)
    if ix is None or ix.stale or ix.pending or not _KEYS_KEPT:
        return X.subpart(name)[order]
    tag = (id(X), by, name)
    hit = _ALIGNED.get(tag)
    if hit is not None and hit[0] is order and hit[1] is ix.order:
        return hit[2]
    out = X.subpart(name)[order]
    _keep(_ALIGNED, X, tag, (order, ix.order, out))
    return out


def _runs(off: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR offsets and probe values: how many entries each value has, and the position
    in the CSR of every entry, value by value."""
    ok = (values >= 0) & (values < len(off) - 1)
    v = np.where(ok, values, 0)
    lo = off[v]
    lens = off[v + 1] - lo
    lens[~ok] = 0
    ends = np.cumsum(lens)
    pos = np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
    pos -= np.repeat(ends - lens - lo, lens)
    return lens, pos


def _match(X: ACSet, table: dict[str, np.ndarray], n: int, atom: _Atom,
           seed: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray | None]:
    """The matches of one atom against the table: for each, the table row it extends and the
    values of the atom's new variables; and, when no match was dropped after a plain index
    lookup, how many matches each table row has (the rows are then ``repeat(arange(n), lens)``)."""
    schema = X.schema
    bound = [(c, t) for c, t in atom.columns if isinstance(t, Const) or t in table]
    ident = next((t for c, t in bound if c == "_id" and not isinstance(t, Const)), None)
    fixed = next((t for c, t in bound if c == "_id" and isinstance(t, Const)), None)
    homs = [(c, t) for c, t in bound if c != "_id" and not isinstance(t, Const) and schema.is_hom(c)]
    pair = None
    lens = None
    given: set[str] = set()  # hom columns the lookup already matched
    column = None
    if ident is None and fixed is None and len(homs) >= 2 and n:
        # cyclic atoms: probing one column and filtering the rest can expand far more rows
        # than it keeps, so join on every bound hom column at once when that is smaller
        # rows one column would give, from its mean fan-out
        spread = n * X.nparts(atom.ob) / max(1, X.nparts(schema.codom(homs[0][0])))
        if spread > 4 * n and 4 * spread > X.nparts(atom.ob):
            pair = _lookup_pair(X, atom.ob, [c for c, _ in homs], [table[t] for _, t in homs])
    if ident is not None:
        rows, parts = np.arange(n, dtype=np.int64), table[ident]
    elif pair is not None:
        rows, parts = pair
        given = {c for c, _ in homs}
    elif fixed is not None:
        v = fixed.value
        ok = isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < X.nparts(atom.ob)
        rows = np.arange(n, dtype=np.int64) if ok else np.zeros(0, np.int64)
        parts = np.full(len(rows), v if ok else 0, dtype=np.int64)
    elif seed is not None and not any(c != "_id" for c, _ in bound):
        rows, parts = np.repeat(np.arange(n, dtype=np.int64), len(seed)), np.tile(seed, n)
    elif homs and table[homs[0][1]].dtype.kind in "iu" and _clean(X, homs[0][0]):
        # one vectorised lookup in the preimage index of a bound hom
        by = homs[0][0]
        ix = X._hom_index[by]
        lens, pos = _runs(ix.offsets, table[homs[0][1]])
        rows = np.repeat(np.arange(n, dtype=np.int64), lens)
        parts = None
        given = {by}

        def column(name: str) -> np.ndarray:
            if schema.is_hom(name):
                return _aligned(X, by, name, ix.order)[pos]
            return X.subpart(name)[ix.order[pos]]
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
    if column is None:
        def column(name: str) -> np.ndarray:
            return X.subpart(name)[parts]
    keep = None
    fresh: dict[str, np.ndarray] = {}
    for name, term in atom.columns:
        if name in given and term in table:
            continue  # the lookup matched it
        if name == "_id":
            if parts is None:
                parts = X._hom_index[by].order[pos]
            vals, ok = parts, None
        else:
            vals = column(name)
            if not schema.is_hom(name):
                ok = X.is_defined(name)[parts if parts is not None else X._hom_index[by].order[pos]]
            else:
                ok = None if _total(X, name) else vals >= 0
        if isinstance(term, Const):
            ok = _both(ok, np.zeros(len(vals), dtype=bool) if term.value is None else _equal(vals, term.value))
        elif term in table:
            if name == "_id" and term == ident:
                continue
            ok = _both(ok, _equal(vals, table[term][rows]))
        elif term in fresh:
            ok = _both(ok, _equal(vals, fresh[term]))
        else:
            fresh[term] = vals
        if ok is not None and not (keep is None and ok.all()):
            keep = ok if keep is None else keep & ok
    if keep is None:
        return rows, fresh, lens
    return rows[keep], {v: col[keep] for v, col in fresh.items()}, None


def _clean(X: ACSet, name: str) -> bool:
    X.gather(_NONE, name)  # builds the index if needed
    return not X._hom_index[name].pending


def _total(X: ACSet, name: str) -> bool:
    """Whether hom ``name`` is defined on every part (its values then need no check)."""
    col = X.subpart(name)
    return not len(col) or bool(col.min() >= 0)


def _both(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a & b


class JoinTooLarge(Exception):
    """A partial join outgrew its row budget (the caller then searches another way)."""


def _chain(atom: _Atom, table: Mapping[str, np.ndarray]) -> tuple[str, str, str, str] | None:
    """``(bound hom, its variable, free hom, its variable)`` for an atom of two hom columns,
    one bound and one not (and maybe its own new ``_id``); None for any other atom."""
    bound, free = [], []
    for c, t in atom.columns:
        if isinstance(t, Const):
            return None
        if c == "_id":
            if t in table:
                return None
            continue
        (bound if t in table else free).append((c, t))
    if len(bound) != 1 or len(free) != 1:
        return None
    return bound[0][0], bound[0][1], free[0][0], free[0][1]


# 2-step reachability between the bound ends of two chained atoms, reused like _KEYS
_REACH: dict[tuple, tuple] = {}


def _chained(X: ACSet, table: Mapping[str, np.ndarray], n: int, a1: _Atom, a2: _Atom) -> tuple | None:
    """The two chains of :func:`_chain` when the atoms share their free variable and
    multiplying their count matrices costs no more than expanding the rows by ``a1``."""
    c1, c2 = _chain(a1, table), _chain(a2, table)
    if c1 is None or c2 is None or c1[3] != c2[3] or not n:
        return None
    S = X.schema
    nv = X.nparts(S.codom(c1[2]))
    a, b = X.subpart(c1[2]), X.subpart(c2[2])
    d1 = np.bincount(a[a >= 0], minlength=nv)
    d2 = np.bincount(b[b >= 0], minlength=nv)
    # the product costs about sum d1*d2 (in compiled loops); expanding the rows by a1 costs
    # n times its fan-out in numpy passes, and the last atom's probes as many again
    if int(d1 @ d2) > 4 * n * max(1, X.nparts(a1.ob) // max(1, X.nparts(S.codom(c1[0])))):
        return None
    return c1, c2


def _reach(X: ACSet, a1: _Atom, a2: _Atom, c1: tuple, c2: tuple,
           mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """``(keys, counts, width)``: for each pair (u, w) linked through some v (allowed by
    ``mask``), the key ``u * width + w`` and how many ways link them; the keys are in
    increasing order, or, when the key space is small, ``counts`` is indexed by key."""
    (h1, _, g1, _), (h2, _, g2, _) = c1, c2
    S = X.schema
    nu, nv, nw = X.nparts(S.codom(h1)), X.nparts(S.codom(g1)), X.nparts(S.codom(h2))
    width = max(1, nw)
    clean = ()
    if mask is None:
        for nm in (h1, g1, h2, g2):
            X.gather(_NONE, nm)  # builds the index if needed
        clean = tuple(None if X._hom_index[nm].pending else X._hom_index[nm].order for nm in (h1, g1, h2, g2))
        tag = (id(X), a1.ob, h1, g1, a2.ob, h2, g2, X.nparts(a1.ob), X.nparts(a2.ob), nu, nv, nw)
        hit = _REACH.get(tag)
        if hit is not None and all(x is y for x, y in zip(hit[0], clean)):
            return hit[1], hit[2], width
    import scipy.sparse  # deferred: only cycle closings need it

    def counts(left: str, right: str, shape: tuple[int, int], weight: np.ndarray | None) -> Any:
        x, y = X.subpart(left), X.subpart(right)
        ok = (x >= 0) & (y >= 0)
        if weight is not None:
            ok &= weight[np.where(ok, x if shape[0] == nv else y, 0)]
        return scipy.sparse.csr_array((np.ones(int(ok.sum()), dtype=np.int64), (x[ok], y[ok])), shape=shape)

    reach = (counts(h1, g1, (nu, nv), None) @ counts(g2, h2, (nv, nw), mask)).tocoo()
    keys = reach.row.astype(np.int64) * width + reach.col
    if _DENSE_KEYS >= 0 and nu * width <= max(_DENSE_KEYS, 4 * len(keys)):
        # probes then read a narrow array instead of binary searching
        vals = np.zeros(nu * width, dtype=_narrow(reach.data).dtype)
        vals[keys] = reach.data
        keys = None
    else:
        order = np.argsort(keys)
        keys, vals = keys[order], reach.data[order].astype(np.int64)
    if mask is None and _KEYS_KEPT and all(x is not None for x in clean):
        _keep(_REACH, X, tag, (clean, keys, vals))
    return keys, vals, width


def _reach_at(keys: np.ndarray | None, vals: np.ndarray, probe: np.ndarray) -> np.ndarray:
    """The count stored at each probe key (0 where there is none)."""
    if keys is None:
        return vals[probe]
    if not len(keys):
        return np.zeros(len(probe), dtype=np.int64)
    at = keys.searchsorted(probe)
    at[at == len(keys)] = 0
    return np.where(keys[at] == probe, vals[at], 0)


def _prune_chain(X: ACSet, table: dict[str, np.ndarray], n: int, a1: _Atom, a2: _Atom) -> np.ndarray | None:
    """The table rows that the last two atoms can extend, when they chain ``u -h1- p -g1-> v``
    and ``v <-g2- q -h2- w`` through one new variable v between bound u and w (a cycle closing,
    e.g. the last two edges of a 4-cycle): a row survives when some v links its u and w,
    read off the product of the two atoms' (u, v) and (v, w) count matrices. It is a
    necessary condition, so the joins that follow stay exact; None when it does not apply
    or the product would cost more than the rows it could save."""
    chains = _chained(X, table, n, a1, a2)
    if chains is None:
        return None
    c1, c2 = chains
    keys, vals, width = _reach(X, a1, a2, c1, c2)
    return _reach_at(keys, vals, table[c1[1]] * width + table[c2[1]]) > 0


def _count_chain(X: ACSet, table: dict[str, np.ndarray], n: int, a1: _Atom, a2: _Atom,
                 masks: Mapping[str, np.ndarray], partners: Sequence[str]) -> int | None:
    """The rows the last two atoms would give when they chain as in :func:`_prune_chain`,
    counted without listing them: the ways to link each row's u and w through an allowed
    v, less those where v would equal a bound partner it must differ from (partners hold
    pairwise different values, so these are disjoint). None when that does not apply."""
    if any(c == "_id" for c, _ in a1.columns + a2.columns):
        return None
    chains = _chained(X, table, n, a1, a2)
    if chains is None:
        return None
    (h1, u, g1, v), (h2, w, g2, _) = chains
    mask = masks.get(v)
    keys, vals, width = _reach(X, a1, a2, *chains, mask)
    total = int(_reach_at(keys, vals, table[u] * width + table[w]).sum(dtype=np.int64))
    for z in partners:
        zv = table[z]
        k1, k2 = _sorted_keys(X, a1.ob, [h1, g1]), _sorted_keys(X, a2.ob, [g2, h2])
        if k1 is None or k2 is None:
            return None
        both = k1.bounds(k1.probe([table[u], zv]))[1] * k2.bounds(k2.probe([zv, table[w]]))[1]
        total -= int((both if mask is None else both * mask[zv]).sum())
    return total


def _plan(X: ACSet, parsed: list[_Atom], seeds: Mapping[int, np.ndarray]) -> list[int]:
    """The join order: most bound atom next, then the smallest."""
    bound: set[str] = set()
    todo, order = list(range(len(parsed))), []

    def score(i: int) -> tuple:
        a = parsed[i]
        tied = sum(1 for _, t in a.columns if isinstance(t, Const) or t in bound)
        size = len(seeds[i]) if i in seeds else X.nparts(a.ob)
        return (-tied, size)

    while todo:
        i = min(todo, key=score)
        todo.remove(i)
        order.append(i)
        bound.update(t for _, t in parsed[i].columns if not isinstance(t, Const))
    return order


def _evaluate(
    X: ACSet,
    parsed: list[_Atom],
    seeds: Mapping[int, np.ndarray] | None = None,
    masks: Mapping[str, np.ndarray] | None = None,
    distinct: Sequence[Sequence[str]] = (),
    cap: int | None = None,
    keep: Sequence[str] | None = None,
    count: bool = False,
) -> tuple[dict[str, np.ndarray], int]:
    """Join the atoms one at a time, most bound and then smallest first.

    ``seeds[i]`` replaces a scan of atom i's object when it is joined unbound; ``masks[v]``
    keeps the rows whose part variable v is marked True; each group in ``distinct`` must
    bind pairwise different values. Both prune right after the variable is bound, before
    the next join grows the table. Raises :class:`JoinTooLarge` past ``cap`` rows.

    Only the columns of ``keep`` (all variables when None) are returned; a column is dropped
    as soon as no later atom, distinctness check or ``keep`` needs it. With ``count`` the
    table is empty and only the number of rows is returned, the last atom counted from the
    indexes without listing its rows where it can be.
    """
    seeds, masks = seeds or {}, masks or {}
    group_of: dict[str, list[str]] = {}
    for g in distinct:
        for v in g:
            group_of[v] = list(g)
    order = _plan(X, parsed, seeds)
    out = set() if count else (set(keep) if keep is not None else
                               {t for a in parsed for _, t in a.columns if isinstance(t, str)})
    # reads[k]: the variables some step after k still reads (atoms and distinctness checks)
    reads: list[set[str]] = [set() for _ in order]
    bound_at: dict[str, int] = {}
    for k, i in enumerate(order):
        for _, t in parsed[i].columns:
            if isinstance(t, str):
                bound_at.setdefault(t, k)
    later: set[str] = set()
    for k in range(len(order) - 1, -1, -1):
        reads[k] = set(later)
        later |= {t for _, t in parsed[order[k]].columns if isinstance(t, str)}
    for v, g in group_of.items():
        last = max(bound_at.get(w, -1) for w in g)
        for k in range(bound_at.get(v, len(order)), last):
            reads[k].add(v)
    # a column only the answer needs is parked where it is and gathered once at the end,
    # through the row maps of the later steps, instead of being copied at every step
    parked: list[dict[str, np.ndarray]] = []  # parked[k]: columns of the table after step k
    steps: list[tuple[np.ndarray, np.ndarray | None]] = []  # (rows, run lengths) of each step
    table: dict[str, np.ndarray] = {}
    n = 1  # one empty assignment
    for k, i in enumerate(order):
        atom = parsed[i]
        if count and k and k == len(order) - 2:
            chain = _chain(atom, table)
            partners = [w for w in group_of.get(chain[3], ()) if w in table] if chain else []
            c = _count_chain(X, table, n, atom, parsed[order[k + 1]], masks, partners)
            if c is not None:
                return {}, c
        if k and k == len(order) - 2:
            keep_rows = _prune_chain(X, table, n, atom, parsed[order[k + 1]])
            if keep_rows is not None and not keep_rows.all():
                sel = np.flatnonzero(keep_rows)
                table = {v: c[sel] for v, c in table.items()}
                parked[-1] = {v: c[sel] for v, c in parked[-1].items()}
                if steps:
                    steps[-1] = (steps[-1][0][sel], None)
                n = len(sel)
                if n == 0:
                    return table, 0
        if count and k == len(order) - 1:
            fresh_vars = {t for _, t in atom.columns if isinstance(t, str) and t not in table}
            partners = [w for v in fresh_vars for w in group_of.get(v, ()) if w in table]
            c = _count_last(X, table, atom, masks, partners)
            if c is not None:
                return {}, c
        rows, fresh, lens = _match(X, table, n, atom, seeds.get(i))
        ok = None
        new = list(fresh)
        for j, v in enumerate(new):
            col = fresh[v]
            if v in masks:
                ok = _both(ok, masks[v][col])
            for w in group_of.get(v, ()):
                if w in table:
                    ok = _both(ok, table[w][rows] != col)
                elif w in fresh and new.index(w) < j:
                    ok = _both(ok, fresh[w] != col)
        if ok is not None and not ok.all():
            rows, lens = rows[ok], None
            fresh = {v: c[ok] for v, c in fresh.items()}
        n = len(rows)
        if count and k == len(order) - 1:
            return {}, n
        if k:
            parked[k - 1].update((v, c) for v, c in table.items() if v not in reads[k] and v in out)
        # repeating a column by run lengths is cheaper than gathering it by row
        table = {v: (c[rows] if lens is None else np.repeat(c, lens)) for v, c in table.items() if v in reads[k]}
        table.update((v, c) for v, c in fresh.items() if v in reads[k])
        parked.append({v: c for v, c in fresh.items() if v not in reads[k] and v in out})
        if not count:
            steps.append((rows, lens))
        if n == 0:
            return table, 0
        if cap is not None and n > cap:
            raise JoinTooLarge(n)
    ptr, runs = None, None  # from the final rows to the rows of the level being read
    for k in range(len(steps) - 1, -1, -1):
        for v, c in parked[k].items():
            table[v] = c if ptr is None else (np.repeat(c, runs) if runs is not None else c[ptr])
        rows, lens = steps[k]
        ptr, runs = (rows, lens) if ptr is None else (rows[ptr], None)
    return table, n


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
    table, n = _evaluate(X, parsed)
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
        out = np.empty((len(cols), rows), dtype=np.int64)
        for j, c in enumerate(cols):
            out[j] = c
        return out.T  # one copy per column; column-major, as a columnar frame's to_numpy gives
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
