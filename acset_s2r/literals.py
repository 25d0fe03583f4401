"""Literals for ACSets and their transformations: Catlab's ``@acset`` and ``@acset_transformation``.

Python form, one keyword per object (its number of parts), hom and attribute (its
column, or one value for every part)::

    acset(SchGraph, V=3, E=2, src=[0, 1], tgt=[1, 2])       # @acset Graph begin V=3; E=2; src=[1,2]; tgt=[2,3] end

and the same as text, for documents: ``parse_acset(SchGraph, "V=3; E=2; src=[0,1]; tgt=[1,2]")``.
Ids are 0-based. An AttrType keyword is either its storage type (``Weight=float``) or,
as in Catlab, its number of attribute variables (``Weight=2``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import ACSetTransformation, homomorphisms
from acset_s2r.schema import Schema

__all__ = ["acset", "acset_transformation", "acset_transformations", "parse_acset"]


def _is_column(v: Any) -> bool:
    return isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, (str, bytes))


def acset(schema: Schema, /, **data: Any) -> ACSet:
    """An ACSet written out in full, as Catlab's ``@acset``.

    Each object takes its number of parts (left out: read off the length of its
    columns, or 0); each hom or attribute takes a column, or one value broadcast to every
    part. An AttrType takes its storage type (``float``, ``str``, ``(float, 3)``) or its
    number of attribute variables (an int); ``types={"Weight": object}`` gives the type
    beside a count; ``part_type="marked"`` makes deletion mark parts (see :class:`ACSet`).
    Unknown names, columns of the wrong length and dangling ids raise
    :class:`InstanceError` naming the keyword.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph, SchWeightedGraph
    >>> G = acset(SchGraph, V=3, E=2, src=[0, 1], tgt=[1, 2])   # @acset Graph begin V=3; E=2; src=[1,2]; tgt=[2,3] end
    >>> G.subpart("tgt")
    array([1, 2])
    >>> W = acset(SchWeightedGraph, Weight=float, V=1, src=0, tgt=0, weight=[0.5, 1.5])
    >>> W.nparts("E"), W.subpart("weight")
    (2, array([0.5, 1.5]))
    """
    if not isinstance(schema, Schema):
        raise InstanceError(f"acset needs a Schema first, got {type(schema).__name__}")
    types = dict(data.pop("types", None) or {})
    part_type = data.pop("part_type", "dense")
    counts: dict[str, int] = {}
    columns: dict[str, Any] = {}
    nvars: dict[str, int] = {}
    for key, value in data.items():
        if key in schema.obs:
            counts[key] = _count(key, value)
        elif key in schema.attrtypes:
            if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                nvars[key] = _count(key, value)
            else:
                types[key] = value
        elif key in schema.hom_names or key in schema.attr_names:
            columns[key] = value
        else:
            raise InstanceError(
                f"acset: {key!r} is not an object, attribute type, hom or attribute of {schema.name}; "
                f"objects {list(schema.obs)}, homs {list(schema.hom_names)}, "
                f"attribute types {list(schema.attrtypes)}, attributes {list(schema.attr_names)}"
            )
    for name, value in columns.items():
        ob = schema.dom(name)
        if not _is_column(value):
            continue
        n = len(value)
        if ob not in counts:
            counts[ob] = n
        elif counts[ob] != n:
            raise InstanceError(f"acset: column {name} has {n} values but {ob}={counts[ob]}")
    X = ACSet(schema, part_type=part_type, **types)
    for t, k in nvars.items():
        X.add_parts(t, k)
    for ob in schema.obs:
        X.add_parts(ob, counts.get(ob, 0))
    for name, value in columns.items():
        ids = X.parts(schema.dom(name))
        if _is_column(value):
            X.set_subpart(ids, name, value)
        elif len(ids):
            spec = X.types.get(schema.codom(name))
            X.set_subpart(ids, name, np.tile(value, (len(ids), 1)) if spec and spec.width else [value] * len(ids))
    return X


def _count(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise InstanceError(f"acset: {key} takes a number of parts >= 0, got {value!r}")
    return int(value)


# -- the text form ------------------------------------------------------------------------
def _literal(node: ast.AST, where: str) -> Any:
    """A Python literal, or ``AttrVar(k)``, from ``node``; nothing is evaluated."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "AttrVar":
        if len(node.args) == 1 and not node.keywords:
            k = _literal(node.args[0], where)
            if isinstance(k, int) and not isinstance(k, bool):
                return AttrVar(k)
        raise InstanceError(f"{where}: AttrVar takes one integer")
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, where) for e in node.elts]
    if isinstance(node, ast.Name) and node.id in ("float", "int", "bool", "str", "object"):
        return {"float": float, "int": int, "bool": bool, "str": str, "object": object}[node.id]
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise InstanceError(f"{where}: {ast.unparse(node)!r} is not a literal") from None


def _body(text: str) -> str:
    # Catlab's block markers and indentation carry no meaning here; line numbers are kept
    lines = [line.strip() for line in text.splitlines()]
    lines = [re.sub(r"^begin\b|\bend$", "", line).strip() for line in lines]
    return "\n".join(lines)


def parse_acset(schema: Schema, text: str, /, **types: Any) -> ACSet:
    """An ACSet from the body of a Catlab ``@acset`` block, with 0-based ids.

    Statements are ``name = literal``, separated by ``;`` or new lines. Values are
    Python literals (lists, numbers, strings, None) and ``AttrVar(k)``; nothing is run.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> G = parse_acset(SchGraph, "V=3; E=2; src=[0,1]; tgt=[1,2]")
    >>> G.subpart("src"), G.nparts("V")
    (array([0, 1]), 3)
    """
    try:
        tree = ast.parse(_body(text), mode="exec")
    except SyntaxError as err:
        raise InstanceError(f"acset text, line {err.lineno}: {err.msg}") from None
    data: dict[str, Any] = {}
    for stmt in tree.body:
        where = f"acset text, line {stmt.lineno}"
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            raise InstanceError(f"{where}: expected name = value, got {ast.unparse(stmt)!r}")
        name = stmt.targets[0].id
        if name in data:
            raise InstanceError(f"{where}: {name} is given twice")
        data[name] = _literal(stmt.value, where)
    return acset(schema, types=types, **data)


# -- transformations --------------------------------------------------------------------
def _initial(X: ACSet, components: Mapping[str, Any]) -> tuple[dict, bool]:
    """``{ob: {part: image}}`` from lists (complete) or dicts (partial); and whether all are complete."""
    schema = X.schema
    initial: dict[str, dict[int, Any]] = {}
    complete = True
    for key, comp in components.items():
        if key not in schema.obs and key not in schema.attrtypes:
            raise TransformationError(
                f"acset_transformation: {key!r} is not an object or attribute type of {schema.name}"
            )
        if isinstance(comp, Mapping):
            initial[key] = dict(comp)
            complete &= len(comp) == X.nparts(key)
        else:
            vals = list(np.asarray(comp, dtype=object).tolist()) if not isinstance(comp, list) else comp
            if len(vals) != X.nparts(key):
                raise TransformationError(
                    f"acset_transformation: component {key} has {len(vals)} entries but dom has {X.nparts(key)} {key} parts"
                )
            initial[key] = dict(enumerate(vals))
    complete &= all(ob in initial or not X.nparts(ob) for ob in schema.obs)
    complete &= all(t in initial or not X.nparts(t) for t in schema.attrtypes)
    return initial, complete


def acset_transformation(X: ACSet, Y: ACSet, /, **components: Any) -> ACSetTransformation:
    """The one transformation ``X -> Y`` that extends the given components, as Catlab's ``@acset_transformation``.

    A component is a list (the whole map) or a dict (some parts). What is left out is
    found by homomorphism search, which must find exactly one extension; search options
    (``monic=``, ``iso=``...) pass through. Raises :class:`TransformationError` naming the
    first failing square when the data cannot extend, or saying that it is not unique.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> P = acset(SchGraph, V=2, E=1, src=[0], tgt=[1])
    >>> C3 = acset(SchGraph, V=3, E=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> acset_transformation(P, C3, V={0: 2})["E"]   # @acset_transformation P C3 begin V = Dict(1 => 3) end
    array([2])
    """
    search_keys = {"monic", "iso", "epic", "no_bind", "predicates", "type_components"}
    options = {k: components.pop(k) for k in list(components) if k in search_keys}
    initial, complete = _initial(X, components)
    if complete and not options:
        return ACSetTransformation(components, X, Y)
    found = list(homomorphisms(X, Y, initial=initial, limit=2, **options))
    if not found:
        if complete:
            return ACSetTransformation(components, X, Y)  # raises, naming the failure
        raise TransformationError(f"acset_transformation: no transformation {X!r} -> {Y!r} extends {initial}")
    if len(found) > 1:
        raise TransformationError(
            f"acset_transformation: more than one transformation extends {initial}; give more components"
        )
    return found[0]


def acset_transformations(X: ACSet, Y: ACSet, /, **components: Any) -> list[ACSetTransformation]:
    """Every transformation ``X -> Y`` extending the given components (Catlab's ``@acset_transformations``).

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> P = acset(SchGraph, V=2, E=1, src=[0], tgt=[1])
    >>> C3 = acset(SchGraph, V=3, E=3, src=[0, 1, 2], tgt=[1, 2, 0])
    >>> [f["V"].tolist() for f in acset_transformations(P, C3, V={1: 0})]
    [[2, 0]]
    """
    search_keys = {"monic", "iso", "epic", "no_bind", "predicates", "type_components"}
    options = {k: components.pop(k) for k in list(components) if k in search_keys}
    initial, _ = _initial(X, components)
    return list(homomorphisms(X, Y, initial=initial, **options))
