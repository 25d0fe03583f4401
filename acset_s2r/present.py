"""Reading Catlab ``@present`` blocks into :class:`~acset_s2r.schema.Schema`.

Accepted, one statement per line or several split by ``;`` (as in
``@present SchDDS(FreeSchema) begin X::Ob; Φ::Hom(X, X) end``)::

    @present SchWeightedGraph <: SchGraph begin     # or Name(FreeSchema)
      (V, E)::Ob
      (src, tgt)::Hom(E, V)
      Weight::AttrType
      weight::Attr(E, Weight)
      compose(inv, src) == tgt                      # also inv ⋅ src, src ∘ inv, id(E)
    end

Anything that is not a C-set schema (a product ``Hom(A × B, C)``, a ``::Type``
declaration, a name used before it is declared) is rejected with its line number.

A parent after ``<:`` is looked up in the schemas passed as ``known`` and in
:data:`acset_s2r.catalog.BUILTIN_SCHEMAS`; the catalog sits below this module and is
declared in code, so it never needs the parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from acset_s2r.catalog import BUILTIN_SCHEMAS
from acset_s2r.errors import PresentSyntaxError, SchemaError
from acset_s2r.schema import Attr, Equation, Hom, Schema

_NAME = r"[A-Za-z_\u00C0-\uFFFF][\w!\u00C0-\uFFFF]*"
_HEADER = re.compile(
    rf"@present\s+(?P<name>{_NAME})\s*(?:\(\s*(?P<theory>{_NAME})\s*\))?\s*(?:<:\s*(?P<parent>{_NAME}))?\s*begin\b(?P<rest>.*)$"
)
_DECL = re.compile(rf"^(?P<lhs>\(?[^:]*?\)?)\s*::\s*(?P<kind>{_NAME})\s*(?:\((?P<args>.*)\))?\s*$")
_SCHEMA_THEORIES = {"FreeSchema", "FreeSchemaCategory", "TheorySchema", "SchemaDesc"}


def present_blocks(text: str) -> list[tuple[int, str]]:
    r"""Every ``@present ... begin ... end`` block in ``text`` with its 1-based start line.

    Examples
    --------
    >>> doc = "intro\n@present SchA(FreeSchema) begin\n  X::Ob\nend\nmore"
    >>> present_blocks(doc)
    [(2, '@present SchA(FreeSchema) begin\n  X::Ob\nend')]
    """
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if "@present" in _strip_comment(lines[i]):
            j = i
            while j < len(lines) and _strip_comment(lines[j]).strip() != "end":
                j += 1
            blocks.append((i + 1, "\n".join(lines[i : j + 1])))
            i = j
        i += 1
    return blocks


def _strip_comment(line: str) -> str:
    return line.split("#", 1)[0]


def parse_present(text: str, known: Mapping[str, Schema] | None = None, first_line: int = 1) -> Schema:
    r"""Parse exactly one ``@present`` block; see the module docstring for the grammar.

    Examples
    --------
    >>> S = parse_present('''
    ... @present SchWeightedGraph <: SchGraph begin
    ...   Weight::AttrType
    ...   weight::Attr(E, Weight)
    ... end''')
    >>> S.obs, S.attr_names
    (('V', 'E'), ('weight',))
    >>> parse_present("@present SchBad(FreeSchema) begin\n  f::Hom(X, X)\nend")
    Traceback (most recent call last):
        ...
    acset_s2r.errors.PresentSyntaxError: line 2: Hom f: domain X is used before it is declared as an Ob
        f::Hom(X, X)
    """
    if not isinstance(text, str):
        raise PresentSyntaxError(f"parse_present reads text, got {type(text).__name__}")
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if "@present" in _strip_comment(l)), None)
    if start is None:
        raise PresentSyntaxError("no @present block found")
    lineno = lambda i: first_line + i  # noqa: E731 - 1-based line in the caller's file
    header = _HEADER.search(_strip_comment(lines[start]).strip())
    if header is None:
        raise PresentSyntaxError(
            "expected '@present Name(FreeSchema) begin' or '@present Name <: Parent begin'",
            lineno(start),
            lines[start],
        )
    theory = header["theory"]
    if theory is not None and theory not in _SCHEMA_THEORIES:
        raise PresentSyntaxError(
            f"presentation of theory {theory} is not a C-set schema (expected FreeSchema)",
            lineno(start),
            lines[start],
        )
    name = header["name"]
    obs: list[str] = []
    homs: list[Hom] = []
    attrtypes: list[str] = []
    attrs: list[Attr] = []
    eqs: list[Equation] = []
    parent = None
    if header["parent"]:
        registry = dict(BUILTIN_SCHEMAS) | dict(known or {})
        parent = registry.get(header["parent"])
        if parent is None:
            raise PresentSyntaxError(
                f"unknown parent schema {header['parent']}; known: {sorted(registry)}",
                lineno(start),
                lines[start],
            )
        obs, homs = list(parent.obs), list(parent.homs)
        attrtypes, attrs, eqs = list(parent.attrtypes), list(parent.attrs), list(parent.equations)

    body = [(start, header["rest"])] + list(enumerate(lines[start + 1 :], start + 1))
    statements = []  # Catlab allows several on a line, split by ';', and 'end' after the last
    for i, raw in body:
        for stmt in _strip_comment(raw).split(";"):
            stmt = stmt.strip()
            tail = re.fullmatch(r"(.*\S)\s+end", stmt)
            if tail and tail[1].count("(") == tail[1].count(")"):
                statements += [(i, raw, tail[1]), (i, raw, "end")]
            elif stmt:
                statements.append((i, raw, stmt))
    closed = False
    for i, raw, line in statements:
        if line == "end":
            closed = True
            later = next((k for k in range(i + 1, len(lines)) if "@present" in _strip_comment(lines[k])), None)
            if later is not None:
                # silently reading only the first block would drop the rest
                raise PresentSyntaxError(
                    "a second @present block; parse_present reads one (present_blocks splits a text)",
                    lineno(later),
                    lines[later],
                )
            break
        where = (lineno(i), raw)
        if line.count("(") != line.count(")"):
            raise PresentSyntaxError("unbalanced parentheses", *where)
        if "==" in line:
            eqs.append(_equation(line, obs, homs, attrs, where))
            continue
        m = _DECL.match(line)
        if m is None:
            raise PresentSyntaxError("not a declaration 'name::Ob|Hom|AttrType|Attr' nor an equation", *where)
        lhs = m["lhs"].strip()
        if lhs.startswith("(") != lhs.endswith(")"):
            raise PresentSyntaxError(f"unbalanced parentheses around the names {lhs!r}", *where)
        names = [n.strip() for n in lhs.strip("()").split(",") if n.strip()]
        declared = set(obs) | set(attrtypes) | {h.name for h in homs} | {a.name for a in attrs}
        for k, n in enumerate(names):
            if not re.fullmatch(_NAME, n):
                raise PresentSyntaxError(f"{n!r} is not a valid name", *where)
            if n in declared or n in names[:k]:
                raise PresentSyntaxError(f"{n} is declared twice", *where)
        kind, args = m["kind"], m["args"]
        if kind in ("Ob", "AttrType"):
            if args is not None:
                raise PresentSyntaxError(f"{kind} takes no arguments", *where)
            (obs if kind == "Ob" else attrtypes).extend(names)
        elif kind in ("Hom", "Attr"):
            ends = _endpoints(args, kind, where)
            dom, codom = ends
            if dom not in obs:
                why = "an AttrType, not an Ob" if dom in attrtypes else "used before it is declared as an Ob"
                raise PresentSyntaxError(f"{kind} {','.join(names)}: domain {dom} is {why}", *where)
            if kind == "Hom" and codom not in obs:
                why = "an AttrType; use Attr" if codom in attrtypes else "used before it is declared as an Ob"
                raise PresentSyntaxError(f"Hom {','.join(names)}: codomain {codom} is {why}", *where)
            if kind == "Attr" and codom not in attrtypes:
                why = "an Ob; use Hom" if codom in obs else "used before it is declared as an AttrType"
                raise PresentSyntaxError(f"Attr {','.join(names)}: codomain {codom} is {why}", *where)
            cls = Hom if kind == "Hom" else Attr
            (homs if kind == "Hom" else attrs).extend(cls(n, dom, codom) for n in names)
        else:
            raise PresentSyntaxError(
                f"'::{kind}' is not part of a C-set schema (only Ob, Hom, AttrType, Attr)", *where
            )
    if not closed:
        raise PresentSyntaxError("@present block has no closing 'end'", lineno(start), lines[start])
    try:
        return Schema(name, obs, homs, attrtypes, attrs, eqs)
    except SchemaError as err:
        raise PresentSyntaxError(str(err), lineno(start), lines[start]) from None


def _endpoints(args: str | None, kind: str, where) -> tuple[str, str]:
    if args is None:
        raise PresentSyntaxError(f"{kind} needs a domain and a codomain, as {kind}(X, Y)", *where)
    if any(sym in args for sym in ("×", "⊗", "*", "otimes", "(")):
        raise PresentSyntaxError(
            f"{kind}({args}) has a product or compound domain; a C-set schema's "
            f"{kind.lower()}s go from one object to one {'object' if kind == 'Hom' else 'type'}",
            *where,
        )
    parts = [p.strip() for p in args.split(",")]
    if len(parts) != 2 or not all(parts):
        raise PresentSyntaxError(f"{kind}({args}) must have exactly a domain and a codomain", *where)
    return parts[0], parts[1]


def _equation(line: str, obs, homs, attrs, where) -> Equation:
    arrows = {h.name: h for h in homs} | {a.name: a for a in attrs}
    sides = [s.strip() for s in line.split("==")]
    if len(sides) != 2:
        raise PresentSyntaxError("an equation has exactly one '=='", *where)
    paths, ids = [], []
    for side in sides:
        path, ob = _path(side, where)
        for p in path:
            if p not in arrows:
                raise PresentSyntaxError(f"equation uses {p!r}, which is not a declared hom", *where)
        paths.append(path)
        ids.append(ob)
    dom = next((arrows[p[0]].dom for p in paths if p), None) or next(o for o in ids if o)
    if dom not in obs:
        raise PresentSyntaxError(f"equation starts at {dom}, which is not a declared Ob", *where)
    ends = []
    for path in paths:
        here = dom
        for p in path:
            if arrows[p].dom != here:
                raise PresentSyntaxError(
                    f"equation path {' ⋅ '.join(path)} is ill-typed: {p} starts at {arrows[p].dom}, not at {here}",
                    *where,
                )
            here = arrows[p].codom
        ends.append(here)
    if ends[0] != ends[1]:
        raise PresentSyntaxError(
            f"the two sides of the equation start at {dom} but end at {ends[0]} and at {ends[1]}",
            *where,
        )
    return Equation(None, dom, ends[0], paths[0], paths[1])


def _path(expr: str, where) -> tuple[tuple[str, ...], str | None]:
    """A path term in diagrammatic order, and the object of an ``id(X)``."""
    expr = expr.strip()
    m = re.fullmatch(rf"id\(\s*({_NAME})\s*\)", expr)
    if m:
        return (), m[1]
    m = re.fullmatch(r"compose\((.*)\)", expr)
    if m:
        parts = [p.strip() for p in m[1].split(",")]
    elif "⋅" in expr or "·" in expr:
        parts = [p.strip() for p in re.split("[⋅·]", expr)]
    elif "∘" in expr:
        parts = [p.strip() for p in reversed(expr.split("∘"))]
    else:
        parts = [expr]
    for p in parts:
        if not re.fullmatch(_NAME, p):
            raise PresentSyntaxError(f"cannot read path term {expr!r}", *where)
    return tuple(parts), None
