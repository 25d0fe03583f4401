"""Open ACSets: structured (multi)cospans of ACSets, as Catlab's ``OpenACSetTypes``.

An :class:`OpenACSet` is an ACSet (the apex) with feet on one object ``ob`` that no hom
leaves (the species ``S`` of a Petri net, the vertices ``V`` of a graph): each foot is a
list of parts of ``ob``, and its ACSet is those parts alone with their attributes (the
free ACSet on a finite set, the structure of the cospan). :func:`compose` glues the last
foot of one to the first foot of the next by pushout, :func:`otimes` puts two side by
side (coproduct of apexes and of feet), so open Petri nets compose into bigger models.
"""

from __future__ import annotations

from collections.abc import Sequence
import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import ACSetTransformation
from acset_s2r.limits import coproduct, pushout

__all__ = ["OpenACSet", "braid", "compose_open", "open_identity", "otimes"]


class OpenACSet:
    """An ACSet ``apex`` with feet: lists of parts of ``ob`` (a multicospan; two feet make a cospan).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> fork = OpenACSet(acset(SchGraph, V=4, src=[0, 1, 1], tgt=[1, 2, 3]), "V", [0], [2, 3])  # Catlab's fork
    >>> [f.size() for f in fork.feet()]
    [{'V': 1, 'E': 0}, {'V': 2, 'E': 0}]
    >>> fork.leg(1)["V"]
    array([2, 3])
    """

    def __init__(self, apex: ACSet, ob: str, *feet: Sequence[int]) -> None:
        if not isinstance(apex, ACSet):
            raise InstanceError(f"OpenACSet needs an ACSet apex, got {type(apex).__name__}")
        S = apex.schema
        if ob not in S.obs:
            raise InstanceError(f"OpenACSet: {ob!r} is not an object of {S.name}")
        if S.homs_out(ob):
            raise InstanceError(f"OpenACSet: feet lie on an object no hom leaves; {ob} has {S.homs_out(ob)[0].name}")
        self.apex, self.ob = apex, ob
        self.maps = tuple(apex._ids(ob, list(f)) if len(f) else np.zeros(0, np.int64) for f in feet)
        for a in S.attrs_of(ob):
            for i, f in enumerate(self.maps):
                if any(v.__class__ is AttrVar for v in apex.subpart(f, a.name).tolist()):
                    raise InstanceError(f"OpenACSet: foot {i} holds attribute variables of {a.name}, which feet cannot carry")

    def __repr__(self) -> str:
        return f"OpenACSet({self.apex!r}, {self.ob!r}, feet of sizes {[len(f) for f in self.maps]})"

    def foot(self, i: int) -> ACSet:
        """The ACSet of foot ``i``: its parts of ``ob`` with their attributes, nothing else."""
        X, f = self.apex, self.maps[i]
        Y = ACSet(X.schema, **X.types)
        cols = {}
        for a in X.schema.attrs_of(self.ob):
            vals, ok = X.subpart(a.name)[f], X.is_defined(a.name)[f]
            cols[a.name] = [v if d else None for v, d in zip(vals.tolist(), ok.tolist())] if vals.ndim == 1 else vals
        Y.add_parts(self.ob, len(f), **cols)
        return Y

    def feet(self) -> list[ACSet]:
        return [self.foot(i) for i in range(len(self.maps))]

    def leg(self, i: int) -> ACSetTransformation:
        """The map from foot ``i`` into the apex."""
        return ACSetTransformation({self.ob: self.maps[i]}, self.foot(i), self.apex)

    @property
    def dom(self) -> ACSet:
        return self.foot(0)

    @property
    def codom(self) -> ACSet:
        return self.foot(len(self.maps) - 1)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpenACSet):
            return NotImplemented
        return (self.ob == other.ob and self.apex == other.apex and len(self.maps) == len(other.maps)
                and all(np.array_equal(a, b) for a, b in zip(self.maps, other.maps)))

    __hash__ = None  # the apex is mutable


def open_identity(foot: ACSet, ob: str) -> OpenACSet:
    """The identity cospan on a foot: the foot itself with both legs the identity.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> open_identity(acset(SchGraph, V=3), "V").maps
    (array([0, 1, 2]), array([0, 1, 2]))
    """
    other = [o for o in foot.schema.obs if o != ob and foot.nparts(o)]
    if other:
        raise InstanceError(f"open_identity: a foot has parts of {ob} only, this one has {other[0]} parts")
    ids = foot.parts(ob)
    return OpenACSet(foot, ob, ids, ids)


def compose_open(g: OpenACSet, h: OpenACSet) -> OpenACSet:
    """``g`` then ``h``: the last foot of ``g`` glued to the first foot of ``h`` by pushout.

    The two feet must be equal ACSets (same size, same attributes), else
    :class:`TransformationError`. The feet of the result are ``g``'s others then ``h``'s.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> g = OpenACSet(acset(SchGraph, V=4, src=[0, 1, 1], tgt=[1, 2, 3]), "V", [0], [2, 3])
    >>> h = OpenACSet(acset(SchGraph, V=4, src=[0, 1, 2], tgt=[2, 2, 3]), "V", [0, 1], [3])
    >>> k = compose_open(g, h).apex   # Catlab's StructuredCospans case
    >>> k.subpart("src").tolist(), k.subpart("tgt").tolist()
    ([0, 1, 1, 2, 3, 4], [1, 2, 3, 4, 4, 5])
    """
    if not isinstance(g, OpenACSet) or not isinstance(h, OpenACSet):
        raise TransformationError("compose_open needs two OpenACSets")
    if g.ob != h.ob or g.apex.schema != h.apex.schema:
        raise TransformationError("compose_open: the open ACSets have different schemas or feet objects")
    if g.codom != h.dom:
        raise TransformationError(
            f"compose_open: the last foot of the first ({len(g.maps[-1])} parts of {g.ob}) is not the first foot "
            f"of the second ({len(h.maps[0])} parts), or their attributes differ"
        )
    po = pushout(g.leg(len(g.maps) - 1), ACSetTransformation({h.ob: h.maps[0]}, g.codom, h.apex))
    a, b = po.legs
    feet = [a[g.ob][f] for f in g.maps[:-1]] + [b[h.ob][f] for f in h.maps[1:]]
    return OpenACSet(po.apex, g.ob, *feet)


def otimes(g: OpenACSet, h: OpenACSet) -> OpenACSet:
    """The monoidal product: apexes side by side, foot ``i`` of ``g`` beside foot ``i`` of ``h``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> g = OpenACSet(acset(SchGraph, V=2, src=[0], tgt=[1]), "V", [0], [1])
    >>> otimes(g, g).maps
    (array([0, 2]), array([1, 3]))
    """
    if not isinstance(g, OpenACSet) or not isinstance(h, OpenACSet):
        raise TransformationError("otimes needs two OpenACSets")
    if g.ob != h.ob or len(g.maps) != len(h.maps):
        raise TransformationError("otimes: the open ACSets must have the same feet object and number of feet")
    c = coproduct(g.apex, h.apex)
    a, b = c.legs
    return OpenACSet(c.apex, g.ob, *[np.concatenate([a[g.ob][f], b[h.ob][e]]) for f, e in zip(g.maps, h.maps)])


def braid(A: ACSet, B: ACSet, ob: str) -> OpenACSet:
    """The symmetry ``A ⊗ B -> B ⊗ A`` of two feet.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> braid(acset(SchGraph, V=2), acset(SchGraph, V=1), "V").maps
    (array([0, 1, 2]), array([2, 0, 1]))
    """
    both = open_identity(A, ob)
    other = open_identity(B, ob)
    ab = otimes(both, other)
    n = A.nparts(ob)
    first, second = ab.maps[0][:n], ab.maps[0][n:]
    return OpenACSet(ab.apex, ob, ab.maps[0], np.concatenate([second, first]))

