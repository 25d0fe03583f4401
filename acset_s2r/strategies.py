"""Hypothesis strategies for schemas and ACSets, for your tests as much as ours.

>>> from hypothesis import given
>>> from acset_s2r.strategies import schemas, schemas_and_acsets
>>> @given(schemas_and_acsets())
... def test_copy_is_equal(pair):
...     schema, X = pair
...     assert X.copy() == X

* :func:`schemas` draws valid schemas: objects, homs (self-loops included), attribute
  types, attributes and, optionally, path equations between real paths.
* :func:`attr_types` draws a binding of every attribute type to a storage type
  (``float``, ``int``, ``bool``, ``str``, ``object`` or a numeric vector).
* :func:`acsets` draws a valid instance of a given schema: foreign keys in range,
  values of the bound types, some subparts left undefined.

Path equations are not enforced on instances (as in ACSets.jl), so instances drawn
for a schema with equations need not satisfy them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

from acset_s2r.acset import ACSet, AttrSpec, AttrVar, attr_spec
from acset_s2r.schema import Equation, Schema

__all__ = ["names", "schemas", "attr_types", "attr_values", "acsets", "schemas_and_acsets"]

#: Storage types :func:`attr_types` chooses from.
STORAGE_TYPES: tuple[Any, ...] = (float, int, bool, str, object, (float, 2), (float, 3), (int, 2))


def names() -> st.SearchStrategy[str]:
    """Identifiers usable as object, hom, attribute type or attribute names."""
    return st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True)


def _walks(schema: Schema, start: str, max_length: int) -> list[tuple[tuple[str, ...], str]]:
    """Every path of homs (and at most one final attribute) from ``start``, with its end."""
    out = [((), start)]
    frontier = [((), start)]
    for _ in range(max_length):
        nxt = []
        for path, here in frontier:
            for h in schema.homs_out(here):
                nxt.append((path + (h.name,), h.codom))
            for a in schema.attrs_of(here):
                out.append((path + (a.name,), a.codom))
        out.extend(nxt)
        frontier = nxt
    return out


@st.composite
def schemas(
    draw,
    min_obs: int = 1,
    max_obs: int = 4,
    max_homs: int = 6,
    max_attrtypes: int = 3,
    max_attrs: int = 5,
    max_equations: int = 2,
    name: str = "SchRandom",
) -> Schema:
    """A random valid schema.

    Homs pick their domain and codomain among the objects independently, so
    self-loops (``f: X -> X``) and parallel homs occur. Attributes go from an object
    to an attribute type. Equations pair two paths of length at most 2 with the same
    endpoints (the identity path included). Names are distinct across all kinds.
    """
    n_obs = draw(st.integers(min_obs, max_obs))
    n_homs = draw(st.integers(0, max_homs)) if n_obs else 0
    n_types = draw(st.integers(0, max_attrtypes))
    n_attrs = draw(st.integers(0, max_attrs)) if n_types and n_obs else 0
    total = n_obs + n_homs + n_types + n_attrs
    pool = draw(st.lists(names(), min_size=total, max_size=total, unique_by=str.lower))
    obs, rest = pool[:n_obs], pool[n_obs:]
    hom_names, rest = rest[:n_homs], rest[n_homs:]
    types, attr_names = rest[:n_types], rest[n_types:]
    ob = st.sampled_from(obs) if obs else st.nothing()
    homs = [(h, draw(ob), draw(ob)) for h in hom_names]
    attrs = [(a, draw(ob), draw(st.sampled_from(types))) for a in attr_names]
    schema = Schema.build(name, obs=obs, homs=homs, attrtypes=types, attrs=attrs)
    eqs = []
    for k in range(draw(st.integers(0, max_equations)) if homs else 0):
        start = draw(st.sampled_from(obs))
        walks = _walks(schema, start, 2)
        lhs, end = draw(st.sampled_from(walks))
        rhs, _ = draw(st.sampled_from([w for w in walks if w[1] == end]))
        eqs.append(Equation(f"eq{k}", start, end, lhs, rhs))
    if not eqs:
        return schema
    return Schema(name, schema.obs, schema.homs, schema.attrtypes, schema.attrs, eqs)


def attr_types(schema: Schema, choices: tuple[Any, ...] = STORAGE_TYPES) -> st.SearchStrategy[dict[str, Any]]:
    """A binding ``{attrtype: storage type}`` for every attribute type of ``schema``."""
    return st.fixed_dictionaries({t: st.sampled_from(choices) for t in schema.attrtypes})


_INT = st.integers(-(2**53), 2**53)  # exact in a float, so JSON readers of any kind agree
_FLOAT = st.floats(allow_nan=False, allow_infinity=False, width=64)
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)


def attr_values(spec: Any, nvars: int = 0) -> st.SearchStrategy[Any]:
    """Defined values of one storage type (``float``, ``(int, 2)``, an :class:`AttrSpec`...).

    Object values are JSON-representable: ints, strings, and ``AttrVar(k)`` for ``k < nvars``.
    """
    spec = attr_spec(spec)
    scalar = {
        "float": _FLOAT,
        "int": _INT,
        "bool": st.booleans(),
        "str": _TEXT,
        "object": st.one_of(_INT, _TEXT, *([st.integers(0, nvars - 1).map(AttrVar)] if nvars else [])),
    }[spec.kind]
    if spec.width:
        return st.lists(scalar, min_size=spec.width, max_size=spec.width)
    return scalar


@st.composite
def acsets(
    draw,
    schema: Schema,
    max_parts: int = 6,
    types: Mapping[str, Any] | None = None,
    undefined: bool = True,
    max_vars: int = 0,
) -> ACSet:
    """A random valid instance of ``schema``.

    ``types`` binds attribute types (drawn with :func:`attr_types` when omitted).
    Every foreign key lies in its codomain; with ``undefined`` some homs are -1 and
    some attributes have no value. Homs into objects already filled are given to
    ``add_parts``; the rest are set afterwards with ``set_subpart``; undefined vector
    values are made with ``clear_subpart``, so building exercises all three.
    Each AttrType stored as ``object`` gets up to ``max_vars`` attribute variables,
    which its values may use (some may stay free).
    """
    bound = dict(types) if types is not None else draw(attr_types(schema))
    X = ACSet(schema, **bound)
    for t, spec in X.types.items():
        if spec.kind == "object" and max_vars:  # attribute variables, some of them free
            X.add_parts(t, draw(st.integers(0, max_vars)))
    sizes = {ob: draw(st.integers(0, max_parts)) for ob in schema.obs}
    later: list[tuple[str, np.ndarray]] = []
    cleared: list[tuple[str, list[int]]] = []
    for ob in schema.obs:
        n = sizes[ob]
        cols: dict[str, Any] = {}
        for h in schema.homs_out(ob):
            m = sizes[h.codom]
            lo = -1 if undefined or m == 0 else 0
            vals = np.asarray(draw(st.lists(st.integers(lo, m - 1), min_size=n, max_size=n)), dtype=np.int64)
            if m == 0:
                vals = np.full(n, -1, dtype=np.int64)
            if X.nparts(h.codom) == m or h.codom == ob:
                cols[h.name] = vals
            else:
                later.append((h.name, vals))
        for a in schema.attrs_of(ob):
            spec: AttrSpec = X.types[a.codom]
            value = attr_values(spec, X.nparts(a.codom))
            opt = st.one_of(st.none(), value) if undefined else value
            vals = draw(st.lists(opt, min_size=n, max_size=n))
            if spec.width:
                gone = [i for i, v in enumerate(vals) if v is None]
                vals = [[spec.fill if spec.kind == "float" else 0] * spec.width if v is None else v for v in vals]
                cols[a.name] = np.asarray(vals, dtype=spec.dtype).reshape(n, spec.width)
                if gone:
                    cleared.append((a.name, gone))
            else:
                cols[a.name] = vals
        X.add_parts(ob, n, **cols)
    for name, vals in later:
        X.set_subpart(X.parts(schema.dom(name)), name, vals)
    for name, gone in cleared:
        X.clear_subpart(gone, name)
    return X


@st.composite
def schemas_and_acsets(draw, max_parts: int = 6, max_vars: int = 0, **schema_kwargs: Any) -> tuple[Schema, ACSet]:
    """A random schema (:func:`schemas`) with a random instance of it (:func:`acsets`)."""
    schema = draw(schemas(**schema_kwargs))
    return schema, draw(acsets(schema, max_parts=max_parts, max_vars=max_vars))
