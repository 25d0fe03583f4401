"""Composites of homs, attributes and their converses, read as relations on an ACSet.

A path is a list of steps in diagrammatic order (first step first): a hom or
attribute name, or ``Converse(name)`` for the reverse relation. In the seed schema
``train: SimEnv -> Policy`` and ``observe_sim: SimEnv -> Observation``, so the seed's
``observe_sim ∘ train`` is ill-typed as a composite of functions, and its relational
reading is::

    >>> from acset_s2r.catalog import SchSim2RealTransfer
    >>> p = compose(Converse("train"), "observe_sim", schema=SchSim2RealTransfer)
    >>> print(p)
    train⁻¹ ⋅ observe_sim : Policy -> Observation

``evaluate(X, p)`` then gives, for each Policy, the sorted Observations it reaches.
Converse steps are answered by the preimage indexes (``ACSet.incident``).

``check_equations(X)`` checks a schema's path equations part by part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Union

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import PathError
from acset_s2r.schema import Attr, Schema

__all__ = [
    "Converse",
    "EquationViolation",
    "Path",
    "check_equations",
    "compose",
    "evaluate",
    "parse_path",
    "relation",
]


@attrs.frozen
class Converse:
    """The converse (reverse relation) of a hom or attribute."""

    name: str

    def __str__(self) -> str:
        return f"{self.name}⁻¹"


Step = Union[str, Converse]


def _name(step: Step) -> tuple[str, bool]:
    if isinstance(step, Converse):
        return step.name, True
    if isinstance(step, str):
        return step, False
    raise PathError(f"a path step must be a hom/attribute name or Converse(name), got {step!r}")


def _render(steps: Sequence[Step]) -> str:
    return " ⋅ ".join(str(s) for s in steps) if steps else "id"


def _call(steps: Sequence[Step]) -> str:
    return "compose(" + ", ".join(repr(s) if isinstance(s, str) else f"Converse({s.name!r})" for s in steps) + ")"


def _ends(schema: Schema, step: Step) -> tuple[str, str]:
    name, conv = _name(step)
    arrow = schema.arrow(name)
    return (arrow.codom, arrow.dom) if conv else (arrow.dom, arrow.codom)


def _typecheck(schema: Schema, steps: Sequence[Step], dom: str | None) -> tuple[str, str]:
    here = dom
    for i, step in enumerate(steps):
        s, t = _ends(schema, step)
        if here is not None and s != here:
            prev = steps[i - 1] if i else None
            lines = [
                f"ill-typed composite {_render(steps)}: step {i} {step} runs {s} -> {t}, "
                + (f"but {prev} before it ends at {here}" if prev is not None else f"but the path starts at {here}")
            ]
            name, conv = _name(step)
            if t == here:
                fixed = list(steps)
                fixed[i] = name if conv else Converse(name)
                lines.append(f"did you mean {_call(fixed)}? ({fixed[i]} runs {here} -> {s})")
            if prev is not None:
                pname, pconv = _name(prev)
                ps, pt = _ends(schema, prev)
                if ps == s:
                    fixed = list(steps)
                    fixed[i - 1] = pname if pconv else Converse(pname)
                    lines.append(
                        f"did you mean {_call(fixed)}? It relates each {pt} to the {t}s "
                        f"that {step} gives its {s}s (read as a relation, not a function)"
                    )
            raise PathError("; ".join(lines))
        here = t
    if here is None:
        raise PathError("an empty path needs its object: Path.identity(ob)")
    start = dom if dom is not None else _ends(schema, steps[0])[0]
    return start, here


@attrs.frozen
class Path:
    """A typechecked composite, in diagrammatic order. Build with :func:`compose`.

    ``schema`` is None for a path not yet checked against a schema; :meth:`bind`
    checks it. The empty path on ``dom`` is the identity.
    """

    steps: tuple[Step, ...] = attrs.field(converter=tuple)
    schema: Schema | None = attrs.field(default=None, eq=False)
    dom: str | None = None
    codom: str | None = None

    @classmethod
    def identity(cls, ob: str, schema: Schema | None = None) -> Path:
        return cls((), schema, ob, ob)

    def bind(self, schema: Schema) -> Path:
        """This path, typechecked against ``schema``."""
        if self.schema is schema:
            return self
        dom, codom = _typecheck(schema, self.steps, self.dom)
        return Path(self.steps, schema, dom, codom)

    @property
    def is_functional(self) -> bool:
        """No converse steps: the path is a function (possibly partial)."""
        return not any(isinstance(s, Converse) for s in self.steps)

    @property
    def converse(self) -> Path:
        """The reverse relation: steps reversed, each one conversed."""
        flipped = tuple(Converse(s) if isinstance(s, str) else s.name for s in reversed(self.steps))
        return Path(flipped, self.schema, self.codom, self.dom) if self.schema else Path(flipped)

    def then(self, *steps: Step | Path) -> Path:
        return compose(self, *steps, schema=self.schema)

    def __str__(self) -> str:
        ends = f" : {self.dom} -> {self.codom}" if self.dom is not None else ""
        return _render(self.steps) + ends


def compose(*steps: Step | Path, schema: Schema | None = None) -> Path:
    """The composite of ``steps`` in diagrammatic order (first step first).

    With ``schema`` the composite is typechecked now; otherwise when it is first
    evaluated. Ill-typed composites raise :class:`PathError` showing the mismatched
    endpoints and the converse that would fix them.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> out = compose(Converse("src"), "tgt", schema=SchGraph)  # a vertex's out-neighbours
    >>> print(out)
    src⁻¹ ⋅ tgt : V -> V
    >>> out.is_functional
    False
    """
    flat: list[Step] = []
    dom = None
    for i, s in enumerate(steps):
        if isinstance(s, Path):
            if i == 0:
                dom = s.dom
            flat.extend(s.steps)
        else:
            _name(s)
            flat.append(s)
    path = Path(flat, None, dom)
    return path.bind(schema) if schema is not None else path


_CONVERSE_MARK = re.compile(r"\s*(⁻¹|\^-1|\^\{-1\}|†)\s*$")


def parse_path(text: str, schema: Schema | None = None) -> Path:
    """Read ``"f ⋅ g"`` / ``"f ; g"`` (diagrammatic) or ``"g ∘ f"`` (applicative).

    A step followed by ``⁻¹``, ``^-1`` or ``†`` is a converse. ``"observe_sim ∘ train"``
    is the seed's composite read as functions; it fails to typecheck, and the error
    suggests ``train⁻¹ ⋅ observe_sim``.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> print(parse_path("tgt ∘ src⁻¹", SchGraph))
    src⁻¹ ⋅ tgt : V -> V
    """
    applicative = "∘" in text
    if applicative and re.search(r"[⋅;]", text):
        raise PathError(f"path {text!r} mixes ∘ (applicative) with ⋅ or ; (diagrammatic)")
    pieces = [p.strip() for p in re.split(r"[∘⋅;]", text)]
    steps: list[Step] = []
    for piece in pieces:
        m = _CONVERSE_MARK.search(piece)
        name = piece[: m.start()].strip() if m else piece
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise PathError(f"path {text!r}: {piece!r} is not a hom or attribute name")
        steps.append(Converse(name) if m else name)
    if applicative:
        steps.reverse()
    return compose(*steps, schema=schema)


def _as_path(path: Any, schema: Schema) -> Path:
    if isinstance(path, Path):
        return path.bind(schema)
    if isinstance(path, (str, Converse)):
        return compose(path, schema=schema)
    if isinstance(path, Iterable):
        return compose(*path, schema=schema)
    raise PathError(f"expected a Path, a step or a list of steps, got {path!r}")


# -- evaluation ----------------------------------------------------------------------
def _value_key(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return tuple(v.tolist())
    return v.item() if isinstance(v, np.generic) else v


def _expand(src: np.ndarray, cur: Any, lookup) -> tuple[np.ndarray, np.ndarray]:
    """Replace each pair (s, c) by (s, t) for every t in lookup(c), grouping equal c."""
    groups: dict[Any, int] = {}
    inv = np.empty(len(src), dtype=np.int64)
    hits: list[np.ndarray] = []
    for k, c in enumerate(cur):
        key = _value_key(c)
        g = groups.get(key)
        if g is None:
            g = groups[key] = len(hits)
            hits.append(lookup(key))
        inv[k] = g
    if not hits:
        return src[:0], np.zeros(0, dtype=np.int64)
    lens = np.array([len(h) for h in hits], dtype=np.int64)
    flat = np.concatenate(hits).astype(np.int64)
    gstart = np.cumsum(lens) - lens
    per = lens[inv]
    kstart = np.cumsum(per) - per
    idx = np.repeat(gstart[inv] - kstart, per) + np.arange(int(per.sum()), dtype=np.int64)
    return np.repeat(src, per), flat[idx]


def _dedupe(src: np.ndarray, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if tgt.dtype != object and tgt.ndim == 1:
        order = np.lexsort((tgt, src))
        src, tgt = src[order], tgt[order]
        keep = np.ones(len(src), dtype=bool)
        keep[1:] = (src[1:] != src[:-1]) | (tgt[1:] != tgt[:-1])
        return src[keep], tgt[keep]
    seen: set = set()
    keep = []
    for k, (s, t) in enumerate(zip(src.tolist(), tgt)):
        key = (s, _value_key(t))
        if key not in seen:
            seen.add(key)
            keep.append(k)
    keep_arr = np.asarray(keep, dtype=np.int64)
    order = np.argsort(src[keep_arr], kind="stable")
    return src[keep_arr][order], tgt[keep_arr][order]


def relation(X: ACSet, path: Any) -> tuple[np.ndarray, np.ndarray]:
    """The relation a path denotes on ``X``, as sorted, duplicate-free pairs ``(src_ids, tgt_ids)``.

    Targets are part ids, or attribute values when the path ends in an attribute.
    An undefined hom or attribute value relates a part to nothing.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchGraph
    >>> G = ACSet(SchGraph); _ = G.add_parts("V", 3); _ = G.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 0])
    >>> relation(G, "src")
    (array([0, 1, 2]), array([0, 1, 1]))
    >>> relation(G, [Converse("src"), "tgt"])  # v is related to the targets of its out-edges
    (array([0, 1, 1]), array([1, 0, 2]))
    """
    p = _as_path(path, X.schema)
    schema = X.schema
    if p.dom not in schema.obs:
        raise PathError(f"path {p} starts at attribute type {p.dom}; evaluate it from an object")
    src = X.parts(p.dom)
    cur: Any = src.copy()
    for step in p.steps:
        name, conv = _name(step)
        arrow = schema.arrow(name)
        if not conv:
            ok = X.is_defined(name)[cur]
            src, cur = src[ok], X.subpart(name)[cur[ok]]
        elif isinstance(arrow, Attr):
            if X.types[arrow.codom].width:
                col = X.subpart(name)
                table: dict = {}
                for r in np.flatnonzero(X.is_defined(name)).tolist():
                    table.setdefault(tuple(col[r].tolist()), []).append(r)
                src, cur = _expand(src, cur, lambda v: np.asarray(table.get(v, []), dtype=np.int64))
            else:
                src, cur = _expand(src, cur, lambda v: X.incident(v, name))
            src, cur = _dedupe(src, cur)
        else:
            src, cur = _expand(src, cur, lambda v: X.incident(v, name))
            src, cur = _dedupe(src, cur)
    if p.steps and isinstance(p.steps[-1], Converse):
        return src, cur
    return _dedupe(src, np.asarray(cur)) if np.ndim(cur) <= 1 else (src, cur)


def evaluate(X: ACSet, path: Any, csr: bool = False) -> list[np.ndarray] | tuple[np.ndarray, np.ndarray]:
    """For each part of the path's start object, the sorted targets it reaches.

    Returns a list with one array per part, or with ``csr=True`` the pair
    ``(offsets, targets)`` where part ``i`` reaches ``targets[offsets[i]:offsets[i+1]]``.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchGraph
    >>> G = ACSet(SchGraph); _ = G.add_parts("V", 3); _ = G.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 0])
    >>> [t.tolist() for t in evaluate(G, [Converse("src"), "tgt"])]
    [[1], [0, 2], []]
    >>> evaluate(G, [Converse("src"), "tgt"], csr=True)
    (array([0, 1, 3, 3]), array([1, 0, 2]))
    """
    p = _as_path(path, X.schema)
    src, tgt = relation(X, p)
    counts = np.bincount(src, minlength=X.nparts(p.dom)) if len(src) else np.zeros(X.nparts(p.dom), np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if csr:
        return offsets, tgt
    return [tgt[offsets[i] : offsets[i + 1]] for i in range(len(counts))]


# -- equations ----------------------------------------------------------------------------
@attrs.frozen
class EquationViolation:
    """One part where the two sides of a path equation differ (None = undefined)."""

    equation: str | None
    ob: str
    part: int
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]
    lhs_value: Any
    rhs_value: Any

    def __str__(self) -> str:
        return (
            f"equation {self.equation or ''} fails at {self.ob} part {self.part}: "
            f"{_render(self.lhs)} gives {self.lhs_value!r} but {_render(self.rhs)} gives {self.rhs_value!r}"
        )


def _side(X: ACSet, ids: np.ndarray, path: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Values of a functional path at ``ids`` and where they are defined."""
    if not path:
        return ids, np.ones(len(ids), dtype=bool)
    vals = X.subpart(ids, list(path))
    prefix = X.subpart(ids, list(path[:-1])) if len(path) > 1 else ids
    ok = prefix >= 0
    ok[ok] = X.is_defined(path[-1], prefix[ok])
    return vals, ok


def check_equations(X: ACSet, equations: Iterable[Any] | None = None) -> list[EquationViolation]:
    """Every part where a path equation of ``X.schema`` fails, with both sides' values.

    Two undefined values count as equal; an undefined value never equals a defined one.
    An empty list means every equation holds.

    Examples
    --------
    >>> from acset_s2r.acset import ACSet
    >>> from acset_s2r.catalog import SchSymmetricGraph
    >>> X = ACSet(SchSymmetricGraph); _ = X.add_parts("V", 2)
    >>> _ = X.add_parts("E", 2, src=[0, 1], tgt=[1, 0], inv=[1, 0])
    >>> check_equations(X)
    []
    >>> X.set_subpart(1, "inv", 1)
    >>> print(check_equations(X)[0])
    equation inv_src fails at E part 1: inv ⋅ src gives 1 but tgt gives 0
    """
    out: list[EquationViolation] = []
    for eq in X.schema.equations if equations is None else equations:
        ids = X.parts(eq.dom)
        a, da = _side(X, ids, eq.lhs)
        b, db = _side(X, ids, eq.rhs)
        if a.dtype != object and b.dtype != object:
            with np.errstate(invalid="ignore"):
                same = a == b
            if same.ndim > 1:
                same = same.all(axis=tuple(range(1, same.ndim)))
        else:
            same = np.array([bool(np.all(u == v)) for u, v in zip(a, b)], dtype=bool)
        good = (da == db) & (same | ~da)
        for x in np.flatnonzero(~good).tolist():
            out.append(
                EquationViolation(
                    eq.name, eq.dom, x, eq.lhs, eq.rhs,
                    _value_key(a[x]) if da[x] else None,
                    _value_key(b[x]) if db[x] else None,
                )
            )
    return out
