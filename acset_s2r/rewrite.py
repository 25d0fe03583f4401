"""Double- and single-pushout rewriting of ACSets, as AlgebraicRewriting.jl does it.

A :class:`Rule` is a span ``L <-l- K -r-> R`` of transformations with ``l`` monic: the
parts of ``L`` outside the image of ``l`` are deleted, those of ``R`` outside the image
of ``r`` are created. Applying it at a match ``m: L -> G``:

1. the pushout complement ``K -> C -> G``: ``C`` is ``G`` without the deleted parts.
   DPO refuses a match that breaks the *identification condition* (``m`` glues a deleted
   part with another part) or the *dangling condition* (a kept part of ``G`` points at a
   deleted one); SPO deletes those dangling parts too (and, where ``m`` glues a deleted
   part with a kept one, deletion wins).
2. the result ``H`` is the pushout of ``C <- K -> R``.

Attributes follow the rule. Values in ``L`` must match exactly; attribute variables of
``L`` bind to the values they match. A variable of ``K`` whose image in ``R`` is a value
sets the attribute (that is how a rule changes one); a variable of ``R`` that is the
image of one of ``K`` takes the value bound to it, or ``expr`` computes it from the
bound values of ``L``'s variables. Other variables of ``R`` are new variables of the
result, allowed only with ``freevar=True``.

Negative application conditions ``n: L -> N`` refuse a match that extends along ``n``
to ``N -> G``; positive ones refuse a match that does not. :func:`rewrite_parallel`
applies a rule at many matches at once, when no match deletes what another one uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet, AttrVar, gather_defined
from acset_s2r.errors import RewriteError, TransformationError
from acset_s2r.homs import ACSetTransformation, compose, homomorphisms
from acset_s2r.limits import coproduct_parts, pushout

__all__ = [
    "Rewrite",
    "Rule",
    "can_apply",
    "matches",
    "rewrite",
    "rewrite_match",
    "rewrite_match_maps",
    "rewrite_parallel",
]


def _is_var(v: Any) -> bool:
    return v.__class__ is AttrVar


@attrs.frozen(eq=False)
class Rule:
    """A rewrite rule ``L <-l- K -r-> R`` (``l`` monic) with its options.

    ``kind`` is ``"DPO"`` or ``"SPO"``. ``nac`` and ``pac`` are maps out of ``L``
    (negative and positive application conditions). ``monic`` is passed to the match
    search and to the search for application-condition extensions (default: injective on
    every object, not on attribute variables). ``expr`` computes variables of ``R``:
    ``{AttrType: {k: f}}`` with ``f`` called on the list of the values bound to ``L``'s
    variables of that AttrType. ``freevar`` lets other variables of ``R`` stay variables.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> I2, arr = acset(SchGraph, V=2), acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> biarr = acset(SchGraph, V=2, src=[0, 1], tgt=[1, 0])
    >>> rule = Rule(ACSetTransformation({"V": [0, 1]}, I2, arr), ACSetTransformation({"V": [0, 1]}, I2, biarr))
    >>> rule.L.size(), rule.K.size(), rule.R.size()
    ({'V': 2, 'E': 1}, {'V': 2, 'E': 0}, {'V': 2, 'E': 2})
    """

    l: ACSetTransformation
    r: ACSetTransformation
    nac: tuple[ACSetTransformation, ...] = attrs.field(default=(), converter=tuple)
    pac: tuple[ACSetTransformation, ...] = attrs.field(default=(), converter=tuple)
    kind: str = "DPO"
    monic: Any = None
    expr: Mapping[str, Mapping[int, Callable[[list], Any]]] = attrs.field(factory=dict)
    freevar: bool = False

    def __attrs_post_init__(self) -> None:
        l, r = self.l, self.r
        if not isinstance(l, ACSetTransformation) or not isinstance(r, ACSetTransformation):
            raise RewriteError("Rule(l, r) takes two ACSetTransformations out of the same K")
        if l.dom is not r.dom and l.dom != r.dom:
            raise RewriteError("Rule: l and r must start at the same K")
        if self.kind not in ("DPO", "SPO"):
            raise RewriteError(f"Rule: kind must be 'DPO' or 'SPO', got {self.kind!r}")
        S = l.dom.schema
        for ob in S.obs:
            c = l[ob]
            if len(np.unique(c)) != len(c):
                x = int(np.flatnonzero(np.bincount(c) > 1)[0])
                raise RewriteError(f"Rule: l must be monic, but it sends two {ob} parts of K to {ob} part {x} of L")
        for name, conds in (("nac", self.nac), ("pac", self.pac)):
            for i, n in enumerate(conds):
                if not isinstance(n, ACSetTransformation) or (n.dom is not l.codom and n.dom != l.codom):
                    raise RewriteError(f"Rule: {name} {i} must be a transformation out of L")
        for t, fs in self.expr.items():
            if t not in S.attrtypes:
                raise RewriteError(f"Rule: expr names {t!r}, which is not an attribute type of {S.name}")
            for k in fs:
                if not 0 <= k < self.R.nparts(t):
                    raise RewriteError(f"Rule: expr names variable {k} of {t}, but R has {self.R.nparts(t)}")
        if not self.freevar:
            for t in S.attrtypes:
                hit = {v.k for v in r[t].tolist() if _is_var(v)} | set(self.expr.get(t, {}))
                loose = [k for k in range(self.R.nparts(t)) if k not in hit]
                if loose:
                    raise RewriteError(
                        f"Rule: variables {loose} of {t} in R are neither images of K's variables nor "
                        "computed by expr; pass freevar=True to create them as new variables"
                    )

    @property
    def L(self) -> ACSet:
        return self.l.codom

    @property
    def K(self) -> ACSet:
        return self.l.dom

    @property
    def R(self) -> ACSet:
        return self.r.codom

    def _monic(self) -> Any:
        return list(self.L.schema.obs) if self.monic is None else self.monic


@attrs.frozen(eq=False)
class Rewrite:
    """One rewrite step: ``K -k-> C -g-> G`` (the complement) and ``C -> H <- R`` (the pushout)."""

    matches: tuple[ACSetTransformation, ...]
    k: ACSetTransformation
    g: ACSetTransformation
    rh: ACSetTransformation
    ch: ACSetTransformation

    @property
    def result(self) -> ACSet:
        return self.rh.codom

    @property
    def complement(self) -> ACSet:
        return self.k.codom


# -- conditions ---------------------------------------------------------------------------
def _deleted_ids(rule: Rule, m: ACSetTransformation) -> dict[str, np.ndarray]:
    """Per object, the ids of G's parts that the match deletes (sorted, distinct)."""
    out = {}
    for ob in rule.L.schema.obs:
        kept_in_L = np.zeros(rule.L.nparts(ob), dtype=bool)
        kept_in_L[rule.l[ob]] = True
        out[ob] = np.unique(m[ob][~kept_in_L])
    return out


def _deleted(rule: Rule, m: ACSetTransformation) -> dict[str, np.ndarray]:
    """Per object, a mask of G's parts that the match deletes."""
    out = {}
    for ob, ids in _deleted_ids(rule, m).items():
        mask = np.zeros(m.codom.nparts(ob), dtype=bool)
        mask[ids] = True
        out[ob] = mask
    return out


def _dangling_local(G: ACSet, gone: Mapping[str, np.ndarray]) -> str | None:
    """The dangling condition read off the preimage indexes of the deleted parts only."""
    for h in G.schema.homs:
        ids = gone[h.codom]
        if not len(ids):
            continue
        pre = G.incident_many(ids, h.name)
        bad = pre[~np.isin(pre, gone[h.dom])]
        if len(bad):
            x = int(bad.min())
            return (f"dangling condition: {h.dom} part {x} of G is kept but its {h.name} is {h.codom} part "
                    f"{int(G.subpart(x, h.name))}, which the match deletes")
    return None


def _identification(rule: Rule, m: ACSetTransformation) -> str | None:
    for ob in rule.L.schema.obs:
        kept = np.zeros(rule.L.nparts(ob), dtype=bool)
        kept[rule.l[ob]] = True
        img = m[ob]
        order = np.argsort(img, kind="stable")
        s = img[order]
        for i in np.flatnonzero(s[1:] == s[:-1]).tolist():
            x, y = int(order[i]), int(order[i + 1])
            if not (kept[x] and kept[y]):
                gone = x if not kept[x] else y
                return (f"identification condition: the match sends {ob} parts {x} and {y} of L to {ob} part "
                        f"{int(s[i])} of G, and the rule deletes {ob} part {gone}")
    return None


def _dangling(G: ACSet, deleted: Mapping[str, np.ndarray]) -> str | None:
    for h in G.schema.homs:
        col = G.subpart(h.name)
        bad = np.flatnonzero(~deleted[h.dom] & (col >= 0) & gather_defined(deleted[h.codom], col))
        if len(bad):
            x = int(bad[0])
            return (f"dangling condition: {h.dom} part {x} of G is kept but its {h.name} is {h.codom} part "
                    f"{int(col[x])}, which the match deletes")
    return None


def _extensions(rule: Rule, n: ACSetTransformation, m: ACSetTransformation) -> bool:
    """Whether some ``N -> G`` composes with ``n`` to ``m``."""
    initial: dict[str, dict[int, Any]] = {}
    for ob in n.dom.schema.obs:
        fixed: dict[int, int] = {}
        for x, y in zip(n[ob].tolist(), m[ob].tolist()):
            if fixed.setdefault(x, y) != y:
                return False
        initial[ob] = fixed
    for t in n.dom.schema.attrtypes:
        fixed_t: dict[int, Any] = {}
        for v, w in zip(n[t].tolist(), m[t].tolist()):
            if _is_var(v):
                fixed_t[v.k] = w
        if fixed_t:
            initial[t] = fixed_t
    try:
        found = homomorphisms(n.codom, m.codom, monic=rule._monic(), initial=initial, limit=1, no_bind=True)
        return next(found, None) is not None
    except TransformationError:
        return False


def _why_not(rule: Rule, m: ACSetTransformation) -> str | None:
    """The reason ``m`` cannot be used, or None."""
    for i, n in enumerate(rule.nac):
        if _extensions(rule, n, m):
            return f"negative application condition {i}: the match extends to N"
    for i, p in enumerate(rule.pac):
        if not _extensions(rule, p, m):
            return f"positive application condition {i}: the match does not extend to P"
    if rule.kind == "SPO":
        return None
    return _identification(rule, m) or _dangling_local(m.codom, _deleted_ids(rule, m))


def _check_match(rule: Rule, m: Any) -> None:
    if not isinstance(m, ACSetTransformation) or (m.dom is not rule.L and m.dom != rule.L):
        raise RewriteError("a match must be an ACSetTransformation out of the rule's L")


def can_apply(rule: Rule, match: ACSetTransformation) -> bool:
    """Whether ``rule`` can be applied at ``match`` (conditions, and dangling/identification for DPO).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation, identity
    >>> pt, loop = acset(SchGraph, V=1), acset(SchGraph, V=1, src=[0], tgt=[0])
    >>> delete_vertex = Rule(ACSetTransformation({}, acset(SchGraph), pt), identity(acset(SchGraph)))
    >>> can_apply(delete_vertex, ACSetTransformation({"V": [0]}, pt, loop))  # the loop would dangle
    False
    """
    _check_match(rule, match)
    return _why_not(rule, match) is None


def matches(rule: Rule, G: ACSet, *, initial: Mapping[str, Any] | None = None) -> Iterator[ACSetTransformation]:
    """Lazily, the matches ``L -> G`` at which ``rule`` applies.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import identity
    >>> arr = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> len(list(matches(Rule(identity(arr), identity(arr)), C3)))
    3
    """
    if not isinstance(G, ACSet):
        raise RewriteError(f"matches needs an ACSet, got {type(G).__name__}")
    for m in homomorphisms(rule.L, G, monic=rule._monic(), initial=initial):
        if _why_not(rule, m) is None:
            yield m


# -- the construction ---------------------------------------------------------------------
def _bound(rule: Rule, m: ACSetTransformation, t: str) -> list:
    """What each variable of K stands for in G under ``m``: a value, or a variable of G."""
    return [m[t][v.k] if _is_var(v) else v for v in rule.l[t].tolist()]


def _r_values(rule: Rule, m: ACSetTransformation) -> tuple[ACSet, dict[str, list]]:
    """R with its determined variables replaced by values, and K -> that R on AttrTypes.

    A variable of R stays a variable when it stands for a variable of G (the pushout
    then merges the two) or when nothing determines it (``freevar``).
    """
    R, r = rule.R, rule.r
    S = R.schema
    if not any(R.nparts(t) for t in S.attrtypes):
        return R, {t: r[t].tolist() for t in S.attrtypes}
    R2 = R.copy()
    r_t: dict[str, list] = {}
    for t in S.attrtypes:
        bound = _bound(rule, m, t)
        value: dict[int, Any] = {}
        for k, v in enumerate(r[t].tolist()):
            if _is_var(v) and v.k not in value and not _is_var(bound[k]):
                value[v.k] = bound[k]
        for j, f in rule.expr.get(t, {}).items():
            value[j] = f(list(m[t].tolist()))
        for a in S.attrs:
            if a.codom != t:
                continue
            col = R2.subpart(a.name).tolist()
            rows = [i for i, v in enumerate(col) if _is_var(v) and v.k in value]
            if rows:
                R2.set_subpart(rows, a.name, [value[col[i].k] for i in rows])
        renum = R2.rem_parts(t, sorted(value)) if value else np.arange(R.nparts(t))
        r_t[t] = [(value[v.k] if v.k in value else AttrVar(int(renum[v.k]))) if _is_var(v) else v
                  for v in r[t].tolist()]
    return R2, r_t


def _apply(rule: Rule, ms: Sequence[ACSetTransformation]) -> Rewrite:
    """Rewrite at every match of ``ms`` at once (their deletions already checked disjoint)."""
    G = ms[0].codom
    S = G.schema
    K, l = rule.K, rule.l
    deleted = {ob: np.zeros(G.nparts(ob), dtype=bool) for ob in S.obs}
    for m in ms:
        for ob, d in _deleted(rule, m).items():
            deleted[ob] |= d
    if rule.kind == "SPO":
        # delete whatever would dangle, to a fixed point
        changed = True
        while changed:
            changed = False
            for h in S.homs:
                col = G.subpart(h.name)
                hit = ~deleted[h.dom] & (col >= 0) & gather_defined(deleted[h.codom], col)
                if hit.any():
                    deleted[h.dom] |= hit
                    changed = True
    keep = {ob: ~d for ob, d in deleted.items()}
    g = _inclusion(G, keep)
    C = g.dom
    newid = {ob: np.cumsum(keep[ob]) - 1 for ob in S.obs}
    Ks, Rs = [], []
    kc: dict[str, list] = {ob: [] for ob in S.obs}
    kr: dict[str, list] = {ob: [] for ob in S.obs}
    kc_t: dict[str, list] = {t: [] for t in S.attrtypes}
    kr_t: dict[str, list] = {t: [] for t in S.attrtypes}
    g_t: dict[str, list] = {t: list(g[t].tolist()) for t in S.attrtypes}
    cells: dict[str, list[tuple[str, int, AttrVar]]] = {t: [] for t in S.attrtypes}
    r_off = {ob: 0 for ob in S.obs + S.attrtypes}
    for m in ms:
        lm = compose(l, m)
        Ki, ri = K, rule.r
        if rule.kind == "SPO":
            survive = {ob: keep[ob][lm[ob]] for ob in S.obs}
            if not all(s.all() for s in survive.values()):
                sub = _inclusion(K, survive)  # keeps every variable of K
                Ki, ri, lm = sub.dom, compose(sub, rule.r), compose(sub, lm)
        Ri, r_t = _r_values(rule, m)
        Ks.append(Ki)
        Rs.append(Ri)
        for ob in S.obs:
            kc[ob].append(newid[ob][lm[ob]])
            kr[ob].append(ri[ob] + r_off[ob])
            r_off[ob] += Ri.nparts(ob)
        for t in S.attrtypes:
            # a variable of K bound to a value is forgotten in C (a new variable), so R can set it
            forgot: dict[int, AttrVar] = {}
            for k, b in enumerate(_bound(rule, m, t)):
                if _is_var(b):
                    kc_t[t].append(b)
                else:
                    forgot[k] = AttrVar(len(g_t[t]))
                    g_t[t].append(b)
                    kc_t[t].append(forgot[k])
            for a in S.attrs:
                if a.codom == t and forgot:
                    for x, v in enumerate(Ki.subpart(a.name).tolist()):
                        if _is_var(v) and v.k in forgot:
                            cells[t].append((a.name, int(newid[a.dom][lm[a.dom][x]]), forgot[v.k]))
            kr_t[t].extend(AttrVar(v.k + r_off[t]) if _is_var(v) else v for v in r_t[t])
            r_off[t] += Ri.nparts(t)
    if any(cells.values()) or any(len(g_t[t]) > C.nparts(t) for t in S.attrtypes):
        C = C.copy()
        for t in S.attrtypes:
            C.add_parts(t, len(g_t[t]) - C.nparts(t))
            for name, x, v in cells[t]:
                C.set_subpart([x], name, [v])
        g = ACSetTransformation(dict(g.components) | g_t, C, G, check=False)
    Kn = coproduct_parts(S, Ks)
    Rn = coproduct_parts(S, Rs)
    cat = {ob: np.concatenate(v) if v else np.zeros(0, np.int64) for ob, v in kc.items()}
    k = ACSetTransformation(cat | kc_t, Kn, C, check=False)
    rr = ACSetTransformation({ob: np.concatenate(v) if v else np.zeros(0, np.int64) for ob, v in kr.items()} | kr_t,
                             Kn, Rn, check=False)
    try:
        po = pushout(k, rr)
    except TransformationError as err:
        raise RewriteError(f"the rewrite's pushout does not exist: {err}") from None
    ch, rh = po.legs
    return Rewrite(tuple(ms), k, g, rh, ch)


def _inclusion(X: ACSet, keep: Mapping[str, np.ndarray]) -> ACSetTransformation:
    """The inclusion of the parts ``keep`` (closed under the homs) into ``X``, renumbered in order."""
    S = X.schema
    ids = {ob: np.flatnonzero(keep[ob]).astype(np.int64) for ob in S.obs}
    new = {ob: np.cumsum(keep[ob]) - 1 for ob in S.obs}
    Y = ACSet(S, **X.types)
    for t in S.attrtypes:
        Y.add_parts(t, X.nparts(t))
    for ob in S.obs:
        Y.add_parts(ob, len(ids[ob]))
        for a in S.attrs_of(ob):
            rows = ids[ob][X.is_defined(a.name)[ids[ob]]]
            if len(rows):
                vals = X.subpart(a.name)[rows]
                Y.set_subpart(new[ob][rows], a.name, list(vals) if vals.dtype == object else vals)
    for h in S.homs:
        col = X.subpart(h.name)[ids[h.dom]]
        ok = col >= 0
        out = np.full(len(col), -1, dtype=np.int64)
        out[ok] = new[h.codom][col[ok]]
        Y.set_subpart(Y.parts(h.dom), h.name, out)
    comps: dict[str, Any] = dict(ids) | {t: [AttrVar(k) for k in range(X.nparts(t))] for t in S.attrtypes}
    return ACSetTransformation(comps, Y, X, check=False)


# -- entry points -------------------------------------------------------------------------
def rewrite_match_maps(rule: Rule, match: ACSetTransformation) -> Rewrite:
    """Apply ``rule`` at ``match`` and keep every map of the double square.

    Raises :class:`RewriteError` naming the condition (and the part) the match breaks.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation, identity
    >>> arr = acset(SchGraph, V=2, src=[0], tgt=[1]); I2 = acset(SchGraph, V=2)
    >>> drop_edge = Rule(ACSetTransformation({"V": [0, 1]}, I2, arr), identity(I2))
    >>> step = rewrite_match_maps(drop_edge, ACSetTransformation({"V": [0, 1], "E": [0]}, arr, arr))
    >>> step.complement.size(), step.result.size()
    ({'V': 2, 'E': 0}, {'V': 2, 'E': 0})
    """
    _check_match(rule, match)
    why = _why_not(rule, match)
    if why is not None:
        raise RewriteError(f"cannot rewrite at this match: {why}")
    return _apply(rule, [match])


def rewrite_match(rule: Rule, match: ACSetTransformation) -> ACSet:
    """The result of applying ``rule`` at ``match``; ``match.codom`` is left as it was.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> I2, arr = acset(SchGraph, V=2), acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> biarr = acset(SchGraph, V=2, src=[0, 1], tgt=[1, 0])
    >>> add_back = Rule(ACSetTransformation({"V": [0, 1]}, I2, arr), ACSetTransformation({"V": [0, 1]}, I2, biarr))
    >>> span = acset(SchGraph, V=3, src=[1, 1], tgt=[0, 2])
    >>> H = rewrite_match(add_back, ACSetTransformation({"V": [1, 0], "E": [0]}, arr, span))
    >>> H.size(), H.subpart("src").tolist(), H.subpart("tgt").tolist()
    ({'V': 3, 'E': 3}, [1, 1, 0], [2, 0, 1])
    """
    return rewrite_match_maps(rule, match).result


def rewrite(rule: Rule, G: ACSet, *, initial: Mapping[str, Any] | None = None) -> ACSet | None:
    """Apply ``rule`` at its first match in ``G`` (``initial`` fixes part of it); None if none applies.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> arr, pt = acset(SchGraph, V=2, src=[0], tgt=[1]), acset(SchGraph, V=1)
    >>> loop = acset(SchGraph, V=1, src=[0], tgt=[0])
    >>> add_loop = Rule(ACSetTransformation({"V": [0]}, pt, pt), ACSetTransformation({"V": [0]}, pt, loop))
    >>> rewrite(add_loop, arr, initial={"V": {0: 1}}).subpart("src").tolist()
    [0, 1]
    """
    m = next(matches(rule, G, initial=initial), None)
    return None if m is None else _apply(rule, [m]).result


def rewrite_parallel(rule: Rule, G: ACSet, ms: Iterable[ACSetTransformation] | None = None) -> ACSet:
    """Apply ``rule`` at every match at once (DPO): ``ms``, or all of :func:`matches`.

    The matches must be independent: no part that one deletes is in the image of
    another, else :class:`RewriteError` names the part. Matches that fail the rule's
    conditions are refused the same way. With no match the result is a copy of ``G``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> arr, I2 = acset(SchGraph, V=2, src=[0], tgt=[1]), acset(SchGraph, V=2)
    >>> path = acset(SchGraph, V=3, src=[0, 1], tgt=[1, 2])
    >>> subdivide = Rule(ACSetTransformation({"V": [0, 1]}, I2, arr), ACSetTransformation({"V": [0, 2]}, I2, path))
    >>> C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> rewrite_parallel(subdivide, C3).size()   # a hexagon
    {'V': 6, 'E': 6}
    """
    if rule.kind != "DPO":
        raise RewriteError("rewrite_parallel applies DPO rules only")
    if not isinstance(G, ACSet):
        raise RewriteError(f"rewrite_parallel needs an ACSet, got {type(G).__name__}")
    ms = list(matches(rule, G)) if ms is None else list(ms)
    if not ms:
        return G.copy()
    for i, m in enumerate(ms):
        _check_match(rule, m)
        if m.codom is not G and m.codom != G:
            raise RewriteError(f"match {i} does not land in G")
        why = _why_not(rule, m)
        if why is not None:
            raise RewriteError(f"cannot rewrite at match {i}: {why}")
    S = G.schema
    gone_ids = [_deleted_ids(rule, m) for m in ms]
    deleted = {}
    for ob in S.obs:
        used = np.bincount(np.concatenate([np.unique(m[ob]) for m in ms]), minlength=G.nparts(ob))
        gone = np.zeros(G.nparts(ob), dtype=bool)
        gone[np.concatenate([d[ob] for d in gone_ids])] = True
        clash = np.flatnonzero(gone & (used > 1))
        if len(clash):
            raise RewriteError(
                f"the matches are not independent: {ob} part {int(clash[0])} of G is deleted by one match "
                "and used by another"
            )
        deleted[ob] = gone
    why = _dangling(G, deleted)
    if why is not None:
        raise RewriteError(f"cannot rewrite at these matches together: {why}")
    return _apply(rule, ms).result
