"""Limits and colimits of any finite diagram of ACSets.

A :class:`Diagram` is a list of ACSets (its objects, indexed 0, 1, ...) and a list of
arrows ``(i, j, f)`` with ``f: objects[i] -> objects[j]``. :func:`limit` and :func:`colimit`
return the :class:`~acset_s2r.limits.Limit` and :class:`~acset_s2r.limits.Colimit`
records of :mod:`acset_s2r.limits`, with one leg per object and their ``universal``
maps; product, pullback, equaliser, coproduct, pushout and coequaliser are the diagrams
with no arrows, a cospan, a parallel pair, and so on.

A limit is computed object by object as a join: the tuples of parts, one per object of
the diagram, on which every arrow agrees. An object reached by an arrow from an object
already joined is not enumerated but read off the arrow, so a connected diagram costs
about as much as its largest object times the number of matches. A colimit is the
disjoint union glued along every arrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import TransformationError
from acset_s2r.homs import ACSetTransformation
from acset_s2r.limits import Colimit, Limit, _colimit, _limit, _shift_vars, initial, terminal
from acset_s2r.schema import Schema

__all__ = ["Diagram", "colimit", "limit"]


def _arrows(objects: Sequence[ACSet], arrows: Sequence[Any]) -> tuple[tuple[int, int, ACSetTransformation], ...]:
    out = []
    for n, a in enumerate(arrows):
        if isinstance(a, ACSetTransformation):
            i = next((k for k, X in enumerate(objects) if X is a.dom), None)
            j = next((k for k, X in enumerate(objects) if X is a.codom), None)
            if i is None or j is None:
                raise TransformationError(f"Diagram: arrow {n} starts or ends at no object of the diagram; give it as (i, j, f)")
            a = (i, j, a)
        if not (isinstance(a, tuple) and len(a) == 3 and isinstance(a[2], ACSetTransformation)):
            raise TransformationError(f"Diagram: arrow {n} must be a transformation or (i, j, f)")
        i, j, f = a
        if not (isinstance(i, int) and isinstance(j, int) and 0 <= i < len(objects) and 0 <= j < len(objects)):
            raise TransformationError(f"Diagram: arrow {n} names objects {i!r}, {j!r}; there are {len(objects)}")
        if (f.dom is not objects[i] and f.dom != objects[i]) or (f.codom is not objects[j] and f.codom != objects[j]):
            raise TransformationError(f"Diagram: arrow {n} does not go from object {i} to object {j}")
        out.append((i, j, f))
    return tuple(out)


@attrs.frozen(eq=False)
class Diagram:
    """A finite diagram: ``objects`` (ACSets) and ``arrows`` ``(i, j, f)``, ``f: objects[i] -> objects[j]``.

    An arrow may be given as ``f`` alone when its ends are objects of the list (by
    identity). ``schema`` is needed only when there are no objects.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> pt, E = acset(SchGraph, V=1), acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> src, tgt = ACSetTransformation({"V": [0]}, pt, E), ACSetTransformation({"V": [1]}, pt, E)
    >>> D = Diagram([pt, E, E], [(0, 1, tgt), (0, 2, src)])   # a span: its colimit is a path
    >>> colimit(D).apex.size()
    {'V': 3, 'E': 2}
    """

    objects: tuple[ACSet, ...] = attrs.field(converter=tuple)
    arrows: tuple[tuple[int, int, ACSetTransformation], ...] = attrs.field(default=())
    schema: Schema | None = None

    def __attrs_post_init__(self) -> None:
        for n, X in enumerate(self.objects):
            if not isinstance(X, ACSet):
                raise TransformationError(f"Diagram: object {n} is a {type(X).__name__}, not an ACSet")
        if not self.objects and self.schema is None:
            raise TransformationError("Diagram: with no objects, pass schema=")
        object.__setattr__(self, "arrows", _arrows(self.objects, self.arrows))
        S = self.objects[0].schema if self.objects else self.schema
        for n, X in enumerate(self.objects):
            if X.schema != S:
                raise TransformationError(f"Diagram: object {n} has schema {X.schema.name}, not {S.name}")
        object.__setattr__(self, "schema", S)


def _join(diagram: Diagram, ob: str) -> np.ndarray:
    """Rows ``(x_0, ..., x_n)`` of parts of ``ob`` on which every arrow agrees, sorted."""
    Xs, arrows = diagram.objects, diagram.arrows
    n = len(Xs)
    table = np.zeros((1, n), dtype=np.int64)
    done: set[int] = set()
    checked: set[int] = set()
    # objects reached from a joined one are read off their arrow; the others are enumerated
    while len(done) < n:
        step = next(((a, i, j) for a, (i, j, _) in enumerate(arrows) if i in done and j not in done), None)
        if step is not None:
            a, i, j = step
            table[:, j] = arrows[a][2][ob][table[:, i]]
            checked.add(a)
        else:
            j = next(k for k in range(n) if k not in done)
            m = Xs[j].nparts(ob)
            table = np.repeat(table, m, axis=0)
            table[:, j] = np.tile(np.arange(m, dtype=np.int64), len(table) // max(m, 1))
        done.add(j)
        for a, (i, k, f) in enumerate(arrows):
            if a not in checked and i in done and k in done:
                table = table[f[ob][table[:, i]] == table[:, k]]
                checked.add(a)
    if len(table) > 1:
        table = table[np.lexsort(table.T[::-1])]
    return table


def limit(diagram: Diagram) -> Limit:
    """The limit of ``diagram``: legs to every object, in order, and ``universal`` for cones.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation, identity
    >>> C3 = acset(SchGraph, V=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> turn = ACSetTransformation({"V": [1, 2, 0], "E": [1, 2, 0]}, C3, C3)
    >>> limit(Diagram([C3, C3], [(0, 1, identity(C3)), (0, 1, turn)])).apex.size()  # the equaliser
    {'V': 0, 'E': 0}
    """
    if not isinstance(diagram, Diagram):
        raise TransformationError(f"limit needs a Diagram, got {type(diagram).__name__}")
    S = diagram.schema
    if not diagram.objects:
        return terminal(S)
    tuples = {ob: _join(diagram, ob) for ob in S.obs}
    return _limit("limit", S, list(diagram.objects), tuples, check_attrs=True)


def colimit(diagram: Diagram) -> Colimit:
    """The colimit of ``diagram``: legs from every object, in order, and ``universal`` for cocones.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> from acset_s2r.homs import ACSetTransformation
    >>> pt, E = acset(SchGraph, V=1), acset(SchGraph, V=2, src=[0], tgt=[1])
    >>> ends = [ACSetTransformation({"V": [v]}, pt, E) for v in (0, 1)]
    >>> Q = colimit(Diagram([pt, E], [(0, 1, ends[0]), (0, 1, ends[1])])).apex  # the coequaliser: a loop
    >>> Q.size(), Q.subpart("src").tolist()
    ({'V': 1, 'E': 1}, [0])
    """
    if not isinstance(diagram, Diagram):
        raise TransformationError(f"colimit needs a Diagram, got {type(diagram).__name__}")
    S = diagram.schema
    Xs = list(diagram.objects)
    if not Xs:
        return initial(S)
    glue: dict[str, list] = {}
    for ob in S.obs:
        off = np.cumsum([0] + [X.nparts(ob) for X in Xs])
        glue[ob] = [(np.arange(Xs[i].nparts(ob), dtype=np.int64) + off[i], f[ob] + off[j]) for i, j, f in diagram.arrows]
    for t in S.attrtypes:
        off = np.cumsum([0] + [X.nparts(t) for X in Xs])
        glue[t] = [(_shift_vars([AttrVar(k) for k in range(Xs[i].nparts(t))], int(off[i])),
                    _shift_vars(f[t].tolist(), int(off[j]))) for i, j, f in diagram.arrows]
    return _colimit("colimit", Xs, glue)

