"""The category of elements of an ACSet (Catlab's ``elements``), its inverse, and pictures.

``elements(X)`` is an ACSet of :data:`SchElements`: one ``El`` per part of ``X`` (over
its ``Ob``, ``pi_e``, Catlab's ``πₑ``), one ``Arr`` per defined hom value (from the part's element to the
image's element, over its ``Hom``, ``pi_a``, Catlab's ``πₐ``). ``Ob`` and ``Hom`` list the schema's objects and
homs by name (``nameo``, ``nameh``), in Catlab's order: elements object by object, arrows
hom by hom. Attributes go beyond Catlab: the AttrTypes follow the objects in ``Ob``, the
attributes follow the homs in ``Hom``, and each defined value is one ``Val`` part (on its
element ``at``, over its attribute ``pi_v``, holding ``value``); attribute variables of ``X``
become variables of ``Value``, AttrType after AttrType (``nvars`` on an AttrType's ``Ob``
says how many). So :func:`inverse_elements` gives
back ``X`` itself, and, for an ACSet of elements built by hand, an ACSet isomorphic to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from acset_s2r.acset import ACSet, AttrVar
from acset_s2r.errors import InstanceError
from acset_s2r.homs import ACSetTransformation
from acset_s2r.schema import Schema

if TYPE_CHECKING:  # annotations only: networkx is imported where it is used
    import networkx

__all__ = ["SchElements", "draw_elements", "elements", "elements_graph", "inverse_elements"]

SchElements = Schema.build(
    "SchElements",
    obs=["El", "Arr", "Ob", "Hom", "Val"],
    homs=[("src", "Arr", "El"), ("tgt", "Arr", "El"), ("pi_e", "El", "Ob"), ("pi_a", "Arr", "Hom"),
          ("dom", "Hom", "Ob"), ("cod", "Hom", "Ob"), ("at", "Val", "El"), ("pi_v", "Val", "Hom")],
    attrtypes=["Name", "Value"],
    attrs=[("nameo", "Ob", "Name"), ("nameh", "Hom", "Name"), ("value", "Val", "Value"),
           ("nvars", "Ob", "Value")],
)


def _offsets(sizes: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)


def elements(X: ACSet | ACSetTransformation) -> ACSet | ACSetTransformation:
    """The category of elements of ``X``, or the map of elements of a transformation.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> el = elements(acset(SchGraph, V=2, src=[0], tgt=[1]))   # Catlab's arrow case
    >>> el.size()
    {'El': 3, 'Arr': 2, 'Ob': 2, 'Hom': 2, 'Val': 0}
    >>> el.subpart("pi_e").tolist(), el.subpart("src").tolist(), el.subpart("tgt").tolist()
    ([0, 0, 1], [2, 2], [0, 1])
    >>> el.subpart("nameh").tolist()
    ['src', 'tgt']
    """
    if isinstance(X, ACSetTransformation):
        return _elements_of_map(X)
    if not isinstance(X, ACSet):
        raise InstanceError(f"elements needs an ACSet or a transformation, got {type(X).__name__}")
    S = X.schema
    E = ACSet(SchElements, Name=str, Value=object)
    E.add_parts("Value", sum(X.nparts(t) for t in S.attrtypes))
    var_off = dict(zip(S.attrtypes, _offsets([X.nparts(t) for t in S.attrtypes]).tolist()))
    obs = list(S.obs) + list(S.attrtypes)
    ob_id = {o: i for i, o in enumerate(obs)}
    E.add_parts("Ob", len(obs), nameo=obs, nvars=[None] * len(S.obs) + [X.nparts(t) for t in S.attrtypes])
    arrows = list(S.homs) + list(S.attrs)
    E.add_parts("Hom", len(arrows), nameh=[a.name for a in arrows],
                dom=[ob_id[a.dom] for a in arrows], cod=[ob_id[a.codom] for a in arrows])
    off = dict(zip(S.obs, _offsets([X.nparts(o) for o in S.obs]).tolist()))
    E.add_parts("El", sum(X.nparts(o) for o in S.obs),
                pi_e=np.repeat(np.arange(len(S.obs)), [X.nparts(o) for o in S.obs]))
    for k, h in enumerate(S.homs):
        col = X.subpart(h.name)
        rows = np.flatnonzero(col >= 0)
        E.add_parts("Arr", len(rows), src=rows + off[h.dom], tgt=col[rows] + off[h.codom], pi_a=k)
    for k, a in enumerate(S.attrs, start=len(S.homs)):
        rows = np.flatnonzero(X.is_defined(a.name))
        vals = X.subpart(a.name)[rows]
        vals = [AttrVar(v.k + var_off[a.codom]) if v.__class__ is AttrVar else v for v in list(vals)]
        E.add_parts("Val", len(rows), at=rows + off[a.dom], pi_v=k, value=vals)
    return E


def _elements_of_map(f: ACSetTransformation) -> ACSetTransformation:
    X, Y = f.dom, f.codom
    EX, EY = elements(X), elements(Y)
    S = X.schema
    offY = _offsets([Y.nparts(o) for o in S.obs])
    el = np.concatenate([f[o] + offY[i] for i, o in enumerate(S.obs)]) if S.obs else np.zeros(0, np.int64)
    # an arrow is found by its source element and its hom
    y_arr = {(s, k): j for j, (s, k) in enumerate(zip(EY.subpart("src").tolist(), EY.subpart("pi_a").tolist()))}
    arr = [y_arr[(int(el[s]), k)] for s, k in zip(EX.subpart("src").tolist(), EX.subpart("pi_a").tolist())]
    y_val = {(s, k): j for j, (s, k) in enumerate(zip(EY.subpart("at").tolist(), EY.subpart("pi_v").tolist()))}
    val = [y_val[(int(el[s]), k)] for s, k in zip(EX.subpart("at").tolist(), EX.subpart("pi_v").tolist())]
    value = []
    for t in S.attrtypes:
        off = sum(Y.nparts(u) for u in S.attrtypes[: S.attrtypes.index(t)])
        value += [AttrVar(v.k + off) if v.__class__ is AttrVar else v for v in f[t].tolist()]
    return ACSetTransformation({"El": el, "Arr": arr, "Val": val, "Ob": EX.parts("Ob"), "Hom": EX.parts("Hom"),
                                "Value": value}, EX, EY)


def inverse_elements(E: ACSet, like: ACSet | Schema) -> ACSet:
    """The ACSet whose category of elements is ``E``; ``like`` gives the schema (and attribute types).

    Parts of each object come in the order of their elements. Objects and homs are
    found by name, so ``E``'s ``Ob`` and ``Hom`` may be in any order. Raises
    :class:`InstanceError` when an element has two arrows (or values) for one hom
    (or attribute), or an arrow that does not fit its hom.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> X = acset(SchGraph, V=2, src=[0, 1], tgt=[1, 0])
    >>> inverse_elements(elements(X), SchGraph) == X
    True
    """
    if not isinstance(E, ACSet) or E.schema != SchElements:
        raise InstanceError("inverse_elements needs an ACSet of SchElements")
    S = like.schema if isinstance(like, ACSet) else like
    if not isinstance(S, Schema):
        raise InstanceError(f"inverse_elements: like must be an ACSet or a Schema, got {type(like).__name__}")
    types = dict(like.types) if isinstance(like, ACSet) else {}
    names = E.subpart("nameo").tolist()
    hnames = E.subpart("nameh").tolist()
    missing = [o for o in list(S.obs) + list(S.attrtypes) if o not in names]
    if missing:
        raise InstanceError(f"inverse_elements: the elements have no Ob named {missing[0]!r}")
    ob_of = np.asarray([names[i] for i in E.subpart("pi_e").tolist()], dtype=object)
    new = np.full(E.nparts("El"), -1, dtype=np.int64)
    X = ACSet(S, **types)
    for o in S.obs:
        els = np.flatnonzero(ob_of == o) if len(ob_of) else np.zeros(0, np.int64)
        new[els] = np.arange(len(els))
        X.add_parts(o, len(els))
    stray = np.flatnonzero(new < 0)
    if len(stray):
        raise InstanceError(f"inverse_elements: El {int(stray[0])} lies over {ob_of[stray[0]]!r}, not an object of {S.name}")
    src, tgt, pa = E.subpart("src"), E.subpart("tgt"), E.subpart("pi_a")
    for h in S.homs:
        if h.name not in hnames:
            raise InstanceError(f"inverse_elements: the elements have no Hom named {h.name!r}")
        rows = np.flatnonzero(pa == hnames.index(h.name))
        _check_over(E, rows, src, ob_of, h.dom, h.name, "source")
        _check_over(E, rows, tgt, ob_of, h.codom, h.name, "target")
        col = np.full(X.nparts(h.dom), -1, dtype=np.int64)
        _no_twice(new[src[rows]], h.name)
        col[new[src[rows]]] = new[tgt[rows]]
        X.set_subpart(X.parts(h.dom), h.name, col)
    at, pv, value = E.subpart("at"), E.subpart("pi_v"), E.subpart("value")
    counts = E.subpart("nvars").tolist()
    var_off, total = {}, 0
    for t in S.attrtypes:
        k = counts[names.index(t)]
        k = int(k) if isinstance(k, (int, np.integer)) else 0
        var_off[t] = total
        total += k
        X.add_parts(t, k)
    for a in S.attrs:
        if a.name not in hnames:
            raise InstanceError(f"inverse_elements: the elements have no Hom named {a.name!r}")
    for a in S.attrs:
        rows = np.flatnonzero(pv == hnames.index(a.name))
        _check_over(E, rows, at, ob_of, a.dom, a.name, "element")
        _no_twice(new[at[rows]], a.name)
        vals = [AttrVar(v.k - var_off[a.codom]) if v.__class__ is AttrVar else v for v in value[rows].tolist()]
        if len(rows):
            X.set_subpart(new[at[rows]], a.name, vals)
    return X


def _check_over(E: ACSet, rows: np.ndarray, ends: np.ndarray, ob_of: np.ndarray, ob: str, name: str, what: str) -> None:
    bad = [int(r) for r in rows if ob_of[ends[r]] != ob]
    if bad:
        raise InstanceError(f"inverse_elements: the {what} of {name} arrow {bad[0]} lies over "
                            f"{ob_of[ends[bad[0]]]!r}, not {ob!r}")


def _no_twice(parts: np.ndarray, name: str) -> None:
    seen, counts = np.unique(parts, return_counts=True)
    if (counts > 1).any():
        raise InstanceError(f"inverse_elements: part {int(seen[counts > 1][0])} has {int(counts.max())} {name} arrows; "
                            "a hom has one value per part")


def elements_graph(E: ACSet) -> "networkx.MultiDiGraph":
    """The elements as a labelled graph: a node per element (``"V 0"`` and its values), an edge per arrow.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> g = elements_graph(elements(acset(SchGraph, V=2, src=[0], tgt=[1])))
    >>> sorted(d["label"] for _, _, d in g.edges(data=True))
    ['src', 'tgt']
    """
    if not isinstance(E, ACSet) or E.schema != SchElements:
        raise InstanceError("elements_graph needs an ACSet of SchElements")
    names, hnames = E.subpart("nameo").tolist(), E.subpart("nameh").tolist()
    pe = E.subpart("pi_e").tolist()
    count: dict[str, int] = {}
    labels = []
    for o in pe:
        labels.append(f"{names[o]} {count.get(names[o], 0)}")
        count[names[o]] = count.get(names[o], 0) + 1
    for el, k, v in zip(E.subpart("at").tolist(), E.subpart("pi_v").tolist(), E.subpart("value").tolist()):
        labels[el] += f"\n{hnames[k]}={v}"
    import networkx as nx  # deferred: ~0.1 s to import, only this view needs it

    g = nx.MultiDiGraph()
    for i, text in enumerate(labels):
        g.add_node(i, label=text, kind="ob")
    for s, t, k in zip(E.subpart("src").tolist(), E.subpart("tgt").tolist(), E.subpart("pi_a").tolist()):
        g.add_edge(s, t, label=hnames[k], kind="hom")
    return g


def draw_elements(E: ACSet, path: str | os.PathLike | None = None) -> Path:
    """Write a PNG of the elements (:func:`elements_graph`) and return its path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r.catalog import SchGraph
    >>> from acset_s2r.literals import acset
    >>> out = draw_elements(elements(acset(SchGraph, V=2, src=[0], tgt=[1])), pathlib.Path(tempfile.mkdtemp()) / "el.png")
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    import shutil
    import tempfile

    from acset_s2r.draw import _dot_str, _with_dot, _with_matplotlib
    from acset_s2r.fileio import atomic_write_bytes

    g = elements_graph(E)
    if path is None:
        fd, name = tempfile.mkstemp(prefix="elements_", suffix=".png")
        os.close(fd)
        path = name
    dot = shutil.which("dot")
    if dot:
        lines = ["digraph elements {", "  rankdir=LR;", '  node [fontname="Helvetica", shape=box];',
                 '  edge [fontname="Helvetica", fontsize=10];']
        lines += [f"  n{v} [label={_dot_str(d['label'])}];" for v, d in g.nodes(data=True)]
        lines += [f"  n{u} -> n{v} [label={_dot_str(d['label'])}];" for u, v, d in g.edges(data=True)]
        png = _with_dot(dot, "\n".join(lines + ["}"]) + "\n")
    else:
        png = _with_matplotlib(g, "elements")
    out = Path(path)
    atomic_write_bytes(out, png)
    return out
