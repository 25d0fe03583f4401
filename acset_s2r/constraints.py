"""Constraints as data: sympy relations over an object's columns, checked vectorised.

A :class:`Constraint` holds, for every part of one object, ``premise -> conclusion``
(no premise means always). Free symbols name, per part:

- an attribute or hom of the object (``kl_gap``, ``transfer``), or a path written with
  dots (``deploy.observe_real``);
- ``part``, the part's own id, so ``Eq(transfer, part)`` says "transfer is the identity";
- an aggregate over a converse, declared in ``aggregates`` as
  ``{"trit_sum": ("sum", "member_group", "written_trit")}``: for each group, the sum of
  ``written_trit`` over the members that ``member_group`` sends to it;
- a parameter given in ``params`` (``eps``).

The seed's constraint, "kl_gap(π) < ε implies transfer(π) = π", is::

    kl_gap, eps, transfer, part = sympy.symbols("kl_gap eps transfer part")
    Constraint("transfer_identity", "Policy", conclusion=sympy.Eq(transfer, part),
               premise=kl_gap < eps, params={"eps": 0.1})

Expressions are compiled once with :func:`sympy.lambdify` to numpy and evaluated over
whole columns; violations are reported part by part with the values that broke them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import ConstraintError

if TYPE_CHECKING:  # annotations only: sympy is imported where it is used
    import sympy

_AGGREGATES = {"sum", "count", "min", "max"}


def _sympify(expr: Any) -> sympy.Basic:
    import sympy  # deferred: it costs ~0.2 s to import
    if isinstance(expr, str):
        try:
            return sympy.sympify(expr, locals={"Eq": sympy.Eq, "Mod": sympy.Mod})
        except (sympy.SympifyError, SyntaxError, TypeError) as err:
            raise ConstraintError(f"cannot read constraint expression {expr!r}: {err}") from None
    return sympy.sympify(expr)


@attrs.frozen
class Constraint:
    """``premise -> conclusion`` for every part of ``ob``; see the module docstring."""

    name: str
    ob: str
    conclusion: sympy.Basic = attrs.field(converter=_sympify)
    premise: sympy.Basic | None = attrs.field(default=None, converter=lambda e: None if e is None else _sympify(e))
    params: Mapping[str, float] = attrs.field(factory=dict, converter=dict)
    aggregates: Mapping[str, tuple[str, str, str | None]] = attrs.field(
        factory=dict, converter=lambda d: {k: tuple(v) for k, v in dict(d).items()}
    )

    @property
    def symbols(self) -> list[str]:
        exprs = [self.conclusion] + ([self.premise] if self.premise is not None else [])
        return sorted({s.name for e in exprs for s in e.free_symbols})

    def to_json(self) -> dict:
        import sympy  # deferred: it costs ~0.2 s to import
        return {
            "name": self.name,
            "ob": self.ob,
            "conclusion": sympy.srepr(self.conclusion),
            "premise": None if self.premise is None else sympy.srepr(self.premise),
            "params": dict(self.params),
            "aggregates": {k: list(v) for k, v in self.aggregates.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping) -> Constraint:
        try:
            return cls(
                data["name"],
                data["ob"],
                data["conclusion"],
                data.get("premise"),
                data.get("params", {}),
                data.get("aggregates", {}),
            )
        except KeyError as err:
            raise ConstraintError(f"constraint JSON lacks key {err}") from None

    def __str__(self) -> str:
        body = str(self.conclusion) if self.premise is None else f"{self.premise}  ⇒  {self.conclusion}"
        return f"{self.name} on {self.ob}: {body}"


@attrs.frozen
class Violation:
    """One part of ``ob`` where ``constraint`` fails, with the value of every symbol there."""

    constraint: str
    ob: str
    part: int
    values: Mapping[str, Any]

    def __str__(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in self.values.items())
        return f"{self.constraint}: {self.ob} {self.part} violates it ({shown})"


def _column(X: ACSet, c: Constraint, name: str) -> np.ndarray:
    n = X.nparts(c.ob)
    if name == "part":
        return np.arange(n)
    if name in c.params:
        return np.full(n, c.params[name], dtype=float)
    if name in c.aggregates:
        return _aggregate(X, c, name)
    path = tuple(name.split("."))
    try:
        start = X.schema.arrow(path[0]).dom
    except Exception:
        start = None
    if start != c.ob:
        raise ConstraintError(
            f"constraint {c.name}: symbol {name!r} is not a hom, attribute or path from {c.ob}, "
            f"nor 'part', a parameter {sorted(c.params)} or an aggregate {sorted(c.aggregates)}"
        )
    values = X.subpart(path)
    if values.ndim != 1:
        raise ConstraintError(f"constraint {c.name}: {name} is vector-valued; constraints need scalars")
    if values.dtype == object:
        raise ConstraintError(f"constraint {c.name}: {name} is not numeric")
    if len(path) == 1 and X.schema.is_attr(name) and values.dtype.kind in "iub":
        values = np.where(X.is_defined(name), values, np.nan)  # masked 'undefined' must fail checks
    return values


def _aggregate(X: ACSet, c: Constraint, name: str) -> np.ndarray:
    how, hom, attr = (list(c.aggregates[name]) + [None])[:3]
    if how not in _AGGREGATES:
        raise ConstraintError(f"constraint {c.name}: aggregate {name} uses {how!r}; choose from {sorted(_AGGREGATES)}")
    if not X.schema.is_hom(hom) or X.schema.codom(hom) != c.ob:
        raise ConstraintError(f"constraint {c.name}: aggregate {name} needs a hom into {c.ob}, got {hom!r}")
    n = X.nparts(c.ob)
    keys = X.subpart(hom)
    ok = keys >= 0
    if how == "count":
        return np.bincount(keys[ok], minlength=n).astype(float)
    vals = np.asarray(X.subpart(attr), dtype=float)
    ok &= ~np.isnan(vals)
    if how == "sum":
        return np.bincount(keys[ok], weights=vals[ok], minlength=n)
    out = np.full(n, np.inf if how == "min" else -np.inf)
    (np.minimum if how == "min" else np.maximum).at(out, keys[ok], vals[ok])
    return out


def _holds(expr: sympy.Basic, names: list[str], columns: list[np.ndarray], n: int) -> np.ndarray:
    import sympy  # deferred: it costs ~0.2 s to import
    fn = sympy.lambdify([sympy.Symbol(s) for s in names], expr, modules="numpy")
    with np.errstate(invalid="ignore"):
        out = np.asarray(fn(*columns))
    return np.broadcast_to(out.astype(bool), (n,))


def violations(X: ACSet, constraints: Iterable[Constraint]) -> list[Violation]:
    """Every part of every constraint's object where premise holds and conclusion fails.

    Examples
    --------
    >>> import sympy
    >>> from acset_s2r.catalog import SchWeightedGraph
    >>> X = ACSet(SchWeightedGraph, Weight=float); _ = X.add_parts("V", 1)
    >>> _ = X.add_parts("E", 2, src=0, tgt=0, weight=[0.5, -1.0])
    >>> positive = Constraint("positive", "E", conclusion=sympy.Symbol("weight") > 0)
    >>> [(v.part, v.values) for v in violations(X, [positive])]
    [(1, {'weight': -1.0})]
    """
    found = []
    for c in constraints:
        if c.ob not in X.schema.obs:
            raise ConstraintError(f"constraint {c.name}: {c.ob!r} is not an object of {X.schema.name}")
        n = X.nparts(c.ob)
        names = c.symbols
        columns = [_column(X, c, s) for s in names]
        premise = np.ones(n, bool) if c.premise is None else _holds(c.premise, names, columns, n)
        bad = premise & ~_holds(c.conclusion, names, columns, n)
        for i in np.flatnonzero(bad).tolist():
            values = {s: col[i].item() for s, col in zip(names, columns) if s not in c.params}
            found.append(Violation(c.name, c.ob, i, values))
    return found


def constraints_to_json(constraints: Iterable[Constraint]) -> str:
    """JSON text for a list of constraints (expressions as ``sympy.srepr``).

    Examples
    --------
    >>> c = Constraint("positive", "E", conclusion="weight > 0")
    >>> constraints_from_json(constraints_to_json([c])) == [c]
    True
    """
    return json.dumps([c.to_json() for c in constraints], indent=2)


def constraints_from_json(text: str) -> list[Constraint]:
    """The constraints in JSON text written by :func:`constraints_to_json`.

    Examples
    --------
    >>> [c.name for c in constraints_from_json('[{"name": "p", "ob": "E", "conclusion": "weight > 0"}]')]
    ['p']
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConstraintError(f"malformed constraints JSON: {err}") from None
    return [Constraint.from_json(d) for d in data]
