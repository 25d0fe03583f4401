"""Schemas: finitely presented categories with attributes (Catlab's ``BasicSchema``).

A schema has objects (tables), homs between objects (foreign keys), attribute
types, attributes from objects to attribute types, and path equations. Paths are
written left to right (diagrammatic order): ``["deploy", "observe_real"]`` means
first ``deploy`` then ``observe_real``, which Catlab writes ``deploy ⋅ observe_real``.

Schemas are immutable values: declare them with :meth:`Schema.build` and extend them
with :meth:`Schema.extend`. This module knows nothing of files or of Catlab syntax, as
ACSets.jl's ``Schemas.jl``: ``@present`` blocks are read by
:func:`acset_s2r.present.parse_present`, and schema JSON lives with instance JSON in
:mod:`acset_s2r.serialization` (:func:`~acset_s2r.serialization.schema_to_json`,
:func:`~acset_s2r.serialization.read_schema_json`, ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from acset_s2r.errors import PathError, SchemaError

if TYPE_CHECKING:  # annotations only: networkx is imported where it is used
    import networkx


@frozen
class Hom:
    """A foreign key ``name: dom -> codom`` between two objects."""

    name: str
    dom: str
    codom: str


@frozen
class Attr:
    """An attribute ``name: dom -> codom`` from an object to an attribute type."""

    name: str
    dom: str
    codom: str


@frozen
class Equation:
    """A path equation ``lhs == rhs``, both paths from ``dom`` to ``codom``."""

    name: str | None
    dom: str
    codom: str
    lhs: tuple[str, ...] = field(converter=tuple)
    rhs: tuple[str, ...] = field(converter=tuple)


def _tuple_of(cls, items) -> tuple:
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise SchemaError(f"{cls.__name__.lower()}s must be a list, got {items!r}")
    out = []
    for item in items:
        if isinstance(item, cls):
            out.append(item)
            continue
        if cls is Equation:  # built by _equations; here only the fields' count is checked
            if not isinstance(item, (tuple, list)) or len(item) != 5:
                raise SchemaError(f"an equation must be an Equation, got {item!r}")
        elif not isinstance(item, (tuple, list)) or len(item) != 3:
            raise SchemaError(f"a {cls.__name__.lower()} is (name, dom, codom), got {item!r}")
        out.append(cls(*item))
    return tuple(out)


@frozen(repr=False)
class Schema:
    """An immutable C-set schema, validated when built.

    >>> SchGraph = Schema.build("SchGraph", obs=["V", "E"],
    ...                         homs=[("src", "E", "V"), ("tgt", "E", "V")])
    >>> SchGraph.codom("src")
    'V'
    """

    name: str
    obs: tuple[str, ...] = field(converter=tuple)
    homs: tuple[Hom, ...] = field(converter=lambda xs: _tuple_of(Hom, xs))
    attrtypes: tuple[str, ...] = field(converter=tuple, default=())
    attrs: tuple[Attr, ...] = field(converter=lambda xs: _tuple_of(Attr, xs), default=())
    equations: tuple[Equation, ...] = field(
        converter=lambda xs: _tuple_of(Equation, xs), default=()
    )
    _arrows: dict = field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        seen: dict[str, str] = {}
        for kind, names in (
            ("object", self.obs),
            ("hom", [h.name for h in self.homs]),
            ("attribute type", self.attrtypes),
            ("attribute", [a.name for a in self.attrs]),
        ):
            for n in names:
                if not isinstance(n, str) or not n:
                    raise SchemaError(f"schema {self.name}: {kind} name {n!r} must be a non-empty string")
                if n in seen:
                    raise SchemaError(
                        f"schema {self.name}: duplicate name {n!r} (declared as {seen[n]} and as {kind})"
                    )
                seen[n] = kind
        obs, types = set(self.obs), set(self.attrtypes)
        for h in self.homs:
            for end, ob in (("domain", h.dom), ("codomain", h.codom)):
                if not isinstance(ob, str) or ob not in obs:
                    raise SchemaError(
                        f"schema {self.name}: hom {h.name} has {end} {ob!r}, which is not an object"
                    )
        for a in self.attrs:
            if not isinstance(a.dom, str) or a.dom not in obs:
                raise SchemaError(
                    f"schema {self.name}: attribute {a.name} has domain {a.dom!r}, which is not an object"
                )
            if not isinstance(a.codom, str) or a.codom not in types:
                raise SchemaError(
                    f"schema {self.name}: attribute {a.name} has codomain {a.codom!r}, "
                    "which is not an attribute type"
                )
        arrows = {h.name: h for h in self.homs} | {a.name: a for a in self.attrs}
        object.__setattr__(self, "_arrows", arrows)
        for eq in self.equations:
            for side in (eq.lhs, eq.rhs):
                try:
                    end = self.path_codom(eq.dom, side)
                except PathError as err:
                    raise SchemaError(f"schema {self.name}: equation {eq.name or ''} {err}") from None
                if end != eq.codom:
                    raise SchemaError(
                        f"schema {self.name}: equation {eq.name or ''}: path {list(side)} ends at "
                        f"{end}, not at {eq.codom}; both sides must run {eq.dom} -> {eq.codom}"
                    )

    # -- construction ---------------------------------------------------------
    @classmethod
    def build(
        cls,
        name: str,
        obs: Iterable[str] = (),
        homs: Iterable[tuple[str, str, str] | Hom] = (),
        attrtypes: Iterable[str] = (),
        attrs: Iterable[tuple[str, str, str] | Attr] = (),
        equations: Iterable[Any] = (),
    ) -> Schema:
        """Declare a schema. Equations are ``(name, lhs, rhs)`` with paths as lists of names.

        Examples
        --------
        >>> S = Schema.build("SchGraph", obs=["V", "E"], homs=[("src", "E", "V"), ("tgt", "E", "V")])
        >>> S.hom_names, S.dom("src")
        (('src', 'tgt'), 'E')
        """
        _names_list(name, obs=obs, attrtypes=attrtypes)
        obs, homs, attrs = list(obs), _tuple_of(Hom, homs), _tuple_of(Attr, attrs)
        return cls(name, obs, homs, attrtypes, attrs, _equations(name, obs, homs, attrs, equations))

    def extend(
        self,
        name: str,
        obs: Iterable[str] = (),
        homs: Iterable[Any] = (),
        attrtypes: Iterable[str] = (),
        attrs: Iterable[Any] = (),
        equations: Iterable[Any] = (),
    ) -> Schema:
        """A child schema with this one as a sub-schema, as Catlab's ``<:``.

        Examples
        --------
        >>> S = Schema.build("SchGraph", obs=["V", "E"], homs=[("src", "E", "V"), ("tgt", "E", "V")])
        >>> W = S.extend("SchWeightedGraph", attrtypes=["Weight"], attrs=[("weight", "E", "Weight")])
        >>> W.attr_names, S.is_subschema_of(W)
        (('weight',), True)
        """
        _names_list(name, obs=obs, attrtypes=attrtypes)
        all_obs = self.obs + tuple(obs)
        all_homs = self.homs + _tuple_of(Hom, homs)
        all_attrs = self.attrs + _tuple_of(Attr, attrs)
        new_eqs = _equations(name, all_obs, all_homs, all_attrs, equations)
        return Schema(
            name, all_obs, all_homs, self.attrtypes + tuple(attrtypes), all_attrs, self.equations + new_eqs
        )

    # -- queries ---------------------------------------------------------------
    def __repr__(self) -> str:
        return (
            f"Schema({self.name}: {len(self.obs)} obs, {len(self.homs)} homs, "
            f"{len(self.attrtypes)} attrtypes, {len(self.attrs)} attrs, {len(self.equations)} equations)"
        )

    def __contains__(self, name: str) -> bool:
        return name in self._arrows or name in self.obs or name in self.attrtypes

    @property
    def hom_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.homs)

    @property
    def attr_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attrs)

    def arrow(self, name: str) -> Hom | Attr:
        """The hom or attribute called ``name``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> SchWeightedGraph.arrow("weight")
        Attr(name='weight', dom='E', codom='Weight')
        """
        try:
            return self._arrows[name]
        except KeyError:
            raise PathError(
                f"schema {self.name} has no hom or attribute {name!r}; "
                f"homs: {list(self.hom_names)}, attributes: {list(self.attr_names)}"
            ) from None

    def is_hom(self, name: str) -> bool:
        return isinstance(self._arrows.get(name), Hom)

    def is_attr(self, name: str) -> bool:
        return isinstance(self._arrows.get(name), Attr)

    def dom(self, name: str) -> str:
        return self.arrow(name).dom

    def codom(self, name: str) -> str:
        return self.arrow(name).codom

    def homs_out(self, ob: str) -> tuple[Hom, ...]:
        return tuple(h for h in self.homs if h.dom == ob)

    def homs_in(self, ob: str) -> tuple[Hom, ...]:
        return tuple(h for h in self.homs if h.codom == ob)

    def attrs_of(self, ob: str) -> tuple[Attr, ...]:
        return tuple(a for a in self.attrs if a.dom == ob)

    def path_codom(self, dom: str, path: Sequence[str]) -> str:
        """Typecheck a functional path from ``dom``; return where it ends.

        Examples
        --------
        >>> from acset_s2r.catalog import SchReflexiveGraph
        >>> SchReflexiveGraph.path_codom("V", ["refl", "src"])
        'V'
        """
        here = dom
        for i, name in enumerate(path):
            arrow = self.arrow(name)
            if here in self.attrtypes:
                raise PathError(
                    f"path {list(path)} continues after attribute {path[i - 1]!r}, "
                    f"which ends at attribute type {here}"
                )
            if arrow.dom != here:
                hint = ""
                if arrow.codom == here:
                    hint = f"; did you mean the converse of {name!r}? (acset_s2r.paths.Converse)"
                raise PathError(
                    f"ill-typed path {list(path)}: step {i} {name!r} runs {arrow.dom} -> "
                    f"{arrow.codom} but the path is at {here}{hint}"
                )
            here = arrow.codom
        return here

    def is_subschema_of(self, other: Schema) -> bool:
        return (
            set(self.obs) <= set(other.obs)
            and set(self.homs) <= set(other.homs)
            and set(self.attrtypes) <= set(other.attrtypes)
            and set(self.attrs) <= set(other.attrs)
        )

    @property
    def graph(self) -> "networkx.MultiDiGraph":
        """Objects and attribute types as nodes, homs and attributes as keyed edges.

        Examples
        --------
        >>> from acset_s2r.catalog import SchWeightedGraph
        >>> sorted(SchWeightedGraph.graph.edges(keys=True))
        [('E', 'V', 'src'), ('E', 'V', 'tgt'), ('E', 'Weight', 'weight')]
        """
        import networkx as nx  # deferred: ~0.1 s to import, and only this view needs it

        g = nx.MultiDiGraph(name=self.name)
        g.add_nodes_from(self.obs, kind="Ob")
        g.add_nodes_from(self.attrtypes, kind="AttrType")
        for h in self.homs:
            g.add_edge(h.dom, h.codom, key=h.name, kind="Hom")
        for a in self.attrs:
            g.add_edge(a.dom, a.codom, key=a.name, kind="Attr")
        return g

    def paths(self, src: str, tgt: str, max_length: int | None = None) -> list[tuple[str, ...]]:
        """Paths of homs (and a final attribute) from ``src`` to ``tgt``, shortest first.

        No hom is used twice in one path, which keeps the list finite. The identity
        path ``()`` is included once when ``src == tgt``.

        Examples
        --------
        >>> from acset_s2r.catalog import SchReflexiveGraph
        >>> SchReflexiveGraph.paths("V", "V", max_length=2)
        [(), ('refl', 'src'), ('refl', 'tgt')]
        """
        for end in (src, tgt):
            if end not in self.obs and end not in self.attrtypes:
                raise PathError(f"schema {self.name} has no object or attribute type {end!r}")
        found: list[tuple[str, ...]] = []
        limit = max_length if max_length is not None else len(self.homs) + 1
        # Depth-first over homs, none twice: self-loops and composites through them
        # (transfer, inv . src) are paths too, which node-simple path search would miss.
        stack: list[tuple[str, tuple[str, ...]]] = [(src, ())]
        while stack:
            here, path = stack.pop()
            if here == tgt:
                found.append(path)
            if len(path) >= limit:
                continue
            for a in self.attrs_of(here):
                if a.codom == tgt:
                    found.append(path + (a.name,))
            for h in reversed(self.homs_out(here)):
                if h.name not in path:
                    stack.append((h.codom, path + (h.name,)))
        return sorted(found, key=len)


def _names_list(name: Any, **lists: Any) -> None:
    # tuple("VE") would quietly give two objects
    if not isinstance(name, str) or not name:
        raise SchemaError(f"a schema's name must be a non-empty string, got {name!r}")
    for key, value in lists.items():
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise SchemaError(f"schema {name}: {key} must be a list of names, got {value!r}")


def _equations(name, obs, homs, attrs, equations) -> tuple[Equation, ...]:
    arrows = {h.name: h for h in homs} | {a.name: a for a in attrs}
    out = []
    for eq in equations:
        if isinstance(eq, Equation):
            out.append(eq)
            continue
        if not isinstance(eq, (tuple, list)) or len(eq) != 3 or not all(
            isinstance(p, (tuple, list)) and all(isinstance(x, str) for x in p) for p in eq[1:]
        ):
            raise SchemaError(
                f"schema {name}: an equation is (name, lhs, rhs) with paths as lists of names, got {eq!r}"
            )
        eq_name, lhs, rhs = eq
        lhs, rhs = tuple(lhs), tuple(rhs)
        start = next((arrows[p].dom for p in itertools.chain(lhs, rhs) if p in arrows), None)
        if start is None:
            raise SchemaError(f"schema {name}: equation {eq_name} must name at least one hom")
        for p in itertools.chain(lhs, rhs):
            if p not in arrows:
                raise SchemaError(f"schema {name}: equation {eq_name} uses unknown hom {p!r}")
        end = arrows[(lhs or rhs)[-1]].codom
        out.append(Equation(eq_name, start, end, lhs, rhs))
    return tuple(out)

