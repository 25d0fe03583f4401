"""Sub-ACSets and their bi-Heyting algebra (Catlab's ``Subobject``, ``∧ ∨ ⟹ ¬ ~``).

A subobject of ``X`` is a set of parts per object closed under the homs: if ``x`` is in
it, so is ``f(x)`` wherever ``f(x)`` is defined. Each is stored as one boolean mask per
object. Meet and join are intersection and union; the Heyting implication keeps the
parts all of whose images (along every path, the part itself included) lie in ``B``
when they lie in ``A``; the co-Heyting subtraction closes ``A - B`` under the homs.
Attributes come along with the parts they sit on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet, AttrVar, gather_defined
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import ACSetTransformation

__all__ = ["Subobject", "bottom", "image", "implies", "join", "meet", "negate", "non", "preimage", "subtract", "top"]


class Subobject:
    """A sub-ACSet of ``X``, given by part ids per object: ``Subobject(X, V=[0, 1], E=[0])``.

    Objects left out have no parts in it. Raises :class:`InstanceError` naming the hom
    and part when the parts are not closed under the homs.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=3, src=[0, 1], tgt=[1, 2])
    >>> A = Subobject(X, V=[0, 1], E=[0]); B = Subobject(X, V=[1, 2], E=[1])
    >>> (A & B).parts("V"), (A | B).parts("E")
    (array([1]), array([0, 1]))
    >>> implies(A, B).parts("V"), negate(A).parts("V"), non(A).parts("V")
    (array([1, 2]), array([2]), array([1, 2]))
    """

    __slots__ = ("X", "masks")

    def __init__(self, X: ACSet, /, **parts: Any) -> None:
        if not isinstance(X, ACSet):
            raise InstanceError(f"Subobject needs an ACSet, got {type(X).__name__}")
        X.require_compact("Subobject")
        unknown = set(parts) - set(X.schema.obs)
        if unknown:
            raise InstanceError(f"Subobject: {sorted(unknown)} are not objects of {X.schema.name}")
        masks = {}
        for ob in X.schema.obs:
            m = np.zeros(X.nparts(ob), dtype=bool)
            if ob in parts:
                ids = np.asarray(parts[ob])
                if ids.dtype == bool:
                    if ids.shape != m.shape:
                        raise InstanceError(f"Subobject: mask of {ob} has shape {ids.shape}, {ob} has {len(m)} parts")
                    m = ids.copy()
                else:
                    m[X._ids(ob, ids)] = True
            masks[ob] = m
        for h in X.schema.homs:
            col = X.subpart(h.name)
            out = masks[h.dom] & (col >= 0)
            bad = np.flatnonzero(out & ~gather_defined(masks[h.codom], col))
            if len(bad):
                x = int(bad[0])
                raise InstanceError(
                    f"Subobject: not closed under {h.name}: {h.dom} part {x} is in it but {h.name}({x}) = "
                    f"{h.codom} part {int(col[x])} is not"
                )
        self.X, self.masks = X, masks

    @classmethod
    def _of(cls, X: ACSet, masks: Mapping[str, np.ndarray]) -> Subobject:
        out = cls.__new__(cls)
        out.X, out.masks = X, dict(masks)
        return out

    def parts(self, ob: str) -> np.ndarray:
        """The ids of ``ob``'s parts in the subobject."""
        return np.flatnonzero(self.masks[ob]).astype(np.int64)

    def acset(self) -> ACSet:
        """The sub-ACSet itself, parts renumbered in order (the dom of :meth:`hom`)."""
        return self.hom().dom

    def hom(self) -> ACSetTransformation:
        """The inclusion into ``X`` (Catlab's ``hom(A)``)."""
        X = self.X
        keep = {ob: self.parts(ob) for ob in X.schema.obs}
        new = {ob: np.full(X.nparts(ob), -1, dtype=np.int64) for ob in X.schema.obs}
        for ob, k in keep.items():
            new[ob][k] = np.arange(len(k))
        Y = ACSet(X.schema, **X.types)
        for t in X.schema.attrtypes:
            Y.add_parts(t, X.nparts(t))
        for ob in X.schema.obs:
            cols = {}
            for a in X.schema.attrs_of(ob):
                vals, ok = X.subpart(a.name)[keep[ob]], X.is_defined(a.name)[keep[ob]]
                cols[a.name] = [v if d else None for v, d in zip(vals.tolist(), ok.tolist())] if vals.ndim == 1 else vals
            Y.add_parts(ob, len(keep[ob]), **cols)
        for h in X.schema.homs:
            col = X.subpart(h.name)[keep[h.dom]]
            Y.set_subpart(Y.parts(h.dom), h.name, np.where(col >= 0, gather_defined(new[h.codom], col), -1))
        comps = dict(keep) | {t: [AttrVar(k) for k in range(X.nparts(t))] for t in X.schema.attrtypes}
        return ACSetTransformation(comps, Y, X, check=False)

    def _same(self, other: Subobject) -> None:
        if not isinstance(other, Subobject):
            raise TransformationError(f"expected a Subobject, got {type(other).__name__}")
        if other.X is not self.X:
            raise TransformationError("subobjects of different ACSets cannot be combined")

    def __and__(self, other: Subobject) -> Subobject:
        return meet(self, other)

    def __or__(self, other: Subobject) -> Subobject:
        return join(self, other)

    def __invert__(self) -> Subobject:
        return non(self)

    def __le__(self, other: Subobject) -> bool:
        self._same(other)
        return all(not (m & ~other.masks[ob]).any() for ob, m in self.masks.items())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Subobject):
            return NotImplemented
        return other.X is self.X and all(np.array_equal(m, other.masks[ob]) for ob, m in self.masks.items())

    __hash__ = None

    def __repr__(self) -> str:
        return "Subobject(" + ", ".join(f"{ob}={self.parts(ob).tolist()}" for ob in self.masks) + ")"


def top(X: ACSet) -> Subobject:
    """All of ``X``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> top(acset(SchGraph, V=2, src=[0], tgt=[1])).parts("V")
    array([0, 1])
    """
    return Subobject._of(X, {ob: np.ones(X.nparts(ob), dtype=bool) for ob in X.schema.obs})


def bottom(X: ACSet) -> Subobject:
    """The empty sub-ACSet of ``X``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> bottom(acset(SchGraph, V=2, src=[0], tgt=[1])).parts("V")
    array([], dtype=int64)
    """
    return Subobject._of(X, {ob: np.zeros(X.nparts(ob), dtype=bool) for ob in X.schema.obs})


def meet(A: Subobject, B: Subobject) -> Subobject:
    """``A ∧ B``, the parts in both (also ``A & B``).

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> meet(Subobject(X, V=[0]), Subobject(X, V=[0, 1])).parts("V")
    array([0])
    """
    A._same(B)
    return Subobject._of(A.X, {ob: m & B.masks[ob] for ob, m in A.masks.items()})


def join(A: Subobject, B: Subobject) -> Subobject:
    """``A ∨ B``, the parts in either (also ``A | B``).

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> join(Subobject(X, V=[0]), Subobject(X, V=[1])).parts("V")
    array([0, 1])
    """
    A._same(B)
    return Subobject._of(A.X, {ob: m | B.masks[ob] for ob, m in A.masks.items()})


def _down_closure(X: ACSet, seed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Parts some image of which (along any path, itself included) is in ``seed``."""
    out = {ob: m.copy() for ob, m in seed.items()}
    cols = [(h, X.subpart(h.name)) for h in X.schema.homs]
    changed = True
    while changed:
        changed = False
        for h, col in cols:
            hit = (col >= 0) & gather_defined(out[h.codom], col) & ~out[h.dom]
            if hit.any():
                out[h.dom] |= hit
                changed = True
    return out


def _up_closure(X: ACSet, seed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The smallest subobject containing ``seed``."""
    out = {ob: m.copy() for ob, m in seed.items()}
    cols = [(h, X.subpart(h.name)) for h in X.schema.homs]
    changed = True
    while changed:
        changed = False
        for h, col in cols:
            img = col[out[h.dom] & (col >= 0)]
            if len(img) and not out[h.codom][img].all():
                out[h.codom][img] = True
                changed = True
    return out


def implies(A: Subobject, B: Subobject) -> Subobject:
    """``A ⟹ B``, the largest ``C`` with ``C ∧ A ≤ B``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> implies(Subobject(X, V=[1]), Subobject(X)).parts("V")  # the edge reaches vertex 1
    array([0])
    """
    A._same(B)
    bad = _down_closure(A.X, {ob: m & ~B.masks[ob] for ob, m in A.masks.items()})
    return Subobject._of(A.X, {ob: ~m for ob, m in bad.items()})


def negate(A: Subobject) -> Subobject:
    """``¬A = A ⟹ ⊥``, the largest subobject disjoint from ``A``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> negate(Subobject(X, V=[1])).parts("V")
    array([0])
    """
    return implies(A, bottom(A.X))


def subtract(A: Subobject, B: Subobject) -> Subobject:
    """``A \\ B``, the smallest ``C`` with ``A ≤ B ∨ C`` (co-Heyting subtraction).

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> subtract(top(X), Subobject(X, V=[0, 1])).parts("V")  # the edge brings its ends back
    array([0, 1])
    """
    A._same(B)
    return Subobject._of(A.X, _up_closure(A.X, {ob: m & ~B.masks[ob] for ob, m in A.masks.items()}))


def non(A: Subobject) -> Subobject:
    """``~A = ⊤ \\ A``, the smallest subobject that joins ``A`` to everything (also ``~A``).

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.catalog import SchGraph
    >>> X = acset(SchGraph, V=3, src=[0], tgt=[1])
    >>> non(Subobject(X, V=[0, 1])).parts("V")
    array([0, 1, 2])
    """
    return subtract(top(A.X), A)


def image(f: ACSetTransformation, A: Subobject | None = None) -> Subobject:
    """The image of ``A`` (default: all of ``f.dom``) along ``f``, a subobject of ``f.codom``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> from acset_s2r.catalog import SchGraph
    >>> P = acset(SchGraph, V=2, src=[0], tgt=[1]); L = acset(SchGraph, V=1, src=[0], tgt=[0])
    >>> image(ACSetTransformation({"V": [0, 0], "E": [0]}, P, L)).parts("E")
    array([0])
    """
    A = top(f.dom) if A is None else A
    if A.X is not f.dom:
        raise TransformationError("image: the subobject must be of the map's dom")
    masks = {}
    for ob in f.codom.schema.obs:
        m = np.zeros(f.codom.nparts(ob), dtype=bool)
        m[f[ob][A.masks[ob]]] = True
        masks[ob] = m
    return Subobject._of(f.codom, masks)


def preimage(f: ACSetTransformation, B: Subobject) -> Subobject:
    """The parts of ``f.dom`` that ``f`` sends into ``B``.

    Examples
    --------
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> from acset_s2r.catalog import SchGraph
    >>> P = acset(SchGraph, V=2, src=[0], tgt=[1]); Q = acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> preimage(ACSetTransformation({"V": [0, 1], "E": [0]}, P, Q), Subobject(Q, V=[1])).parts("V")
    array([1])
    """
    if B.X is not f.codom:
        raise TransformationError("preimage: the subobject must be of the map's codom")
    return Subobject._of(f.dom, {ob: B.masks[ob][f[ob]] for ob in f.dom.schema.obs})
