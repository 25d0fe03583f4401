"""Pictures of schemas and ACSets: Mermaid text, Graphviz DOT text, and PNG files.

- :func:`to_mermaid` gives Mermaid flowchart text, which GitHub and Jupyter render
  inside a fenced ```` ```mermaid ```` block: objects as boxes, attribute types as
  rounded (stadium) boxes, homs as solid arrows and attributes as dotted arrows,
  each labelled with its name.
- :func:`to_dot` gives the same picture (or an ACSet's category of elements) as DOT.
- :func:`draw` writes a PNG: with Graphviz ``dot`` when it is on ``PATH``, otherwise
  with networkx and matplotlib (Agg backend).

``attributes=False`` shows objects and homs only (asked for in Catlab issue 966).
An ACSet is drawn as its category of elements: one node per part, one arrow per
defined hom value, attribute values (when shown) inside the node labels.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from acset_s2r.acset import ACSet
from acset_s2r.errors import AcsetS2RError
from acset_s2r.fileio import atomic_write_bytes
from acset_s2r.schema import Schema

if TYPE_CHECKING:  # annotations only: networkx is imported where it is used
    import networkx

__all__ = ["draw", "to_dot", "to_mermaid"]

MAX_DRAWN_PARTS = 2000


def _mermaid_id(kind: str, name: str) -> str:
    # prefixed ids keep names like "end" or "graph" from clashing with Mermaid keywords
    return f"{kind}_{''.join(c if c.isalnum() else '_' for c in name)}"


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(schema: Schema, attributes: bool = True, direction: str = "LR") -> str:
    """Mermaid flowchart text for ``schema``.

    >>> from acset_s2r.catalog import SchGraph
    >>> print(to_mermaid(SchGraph))
    graph LR
      ob_V["V"]
      ob_E["E"]
      ob_E -->|src| ob_V
      ob_E -->|tgt| ob_V
    """
    if not isinstance(schema, Schema):
        raise AcsetS2RError(f"to_mermaid needs a Schema, got {type(schema).__name__}")
    lines = [f"graph {direction}"]
    lines += [f'  {_mermaid_id("ob", o)}["{_quote(o)}"]' for o in schema.obs]
    if attributes:
        lines += [f'  {_mermaid_id("ty", t)}(["{_quote(t)}"])' for t in schema.attrtypes]
    lines += [
        f"  {_mermaid_id('ob', h.dom)} -->|{_quote(h.name)}| {_mermaid_id('ob', h.codom)}" for h in schema.homs
    ]
    if attributes:
        lines += [
            f"  {_mermaid_id('ob', a.dom)} -.->|{_quote(a.name)}| {_mermaid_id('ty', a.codom)}"
            for a in schema.attrs
        ]
    return "\n".join(lines)


# -- graphs to draw -----------------------------------------------------------------------------
def _schema_graph(schema: Schema, attributes: bool) -> "networkx.MultiDiGraph":
    import networkx as nx  # deferred: ~0.1 s to import, only drawing needs it

    g = nx.MultiDiGraph()
    for o in schema.obs:
        g.add_node(("ob", o), label=o, kind="ob")
    for h in schema.homs:
        g.add_edge(("ob", h.dom), ("ob", h.codom), label=h.name, kind="hom")
    if attributes:
        for t in schema.attrtypes:
            g.add_node(("ty", t), label=t, kind="type")
        for a in schema.attrs:
            g.add_edge(("ob", a.dom), ("ty", a.codom), label=a.name, kind="attr")
    return g


def _elements_graph(X: ACSet, attributes: bool) -> "networkx.MultiDiGraph":
    import networkx as nx  # deferred: ~0.1 s to import, only drawing needs it

    total = sum(X.size().values())
    if total > MAX_DRAWN_PARTS:
        raise AcsetS2RError(f"{X!r} has {total} parts; draw() shows at most {MAX_DRAWN_PARTS}")
    g = nx.MultiDiGraph()
    S = X.schema
    for o in S.obs:
        attrs = S.attrs_of(o) if attributes else ()
        cols = [(a.name, X.subpart(a.name), X.is_defined(a.name)) for a in attrs]
        for i in range(X.nparts(o)):
            extra = [f"{n}={_short(v[i])}" for n, v, ok in cols if ok[i]]
            g.add_node((o, i), label="\n".join([f"{o} {i}"] + extra), kind="ob", ob=o)
    for h in S.homs:
        for i, j in enumerate(X.subpart(h.name).tolist()):
            if j >= 0:
                g.add_edge((h.dom, i), (h.codom, j), label=h.name, kind="hom")
    return g


def _short(v) -> str:
    text = str(v.tolist() if hasattr(v, "tolist") else v)
    return text if len(text) <= 24 else text[:21] + "..."


def _graph(obj: Schema | ACSet, attributes: bool) -> tuple["networkx.MultiDiGraph", str]:
    if isinstance(obj, Schema):
        return _schema_graph(obj, attributes), obj.name
    if isinstance(obj, ACSet):
        return _elements_graph(obj, attributes), obj.schema.name
    raise AcsetS2RError(f"draw needs a Schema or an ACSet, got {type(obj).__name__}")


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(obj: Schema | ACSet, attributes: bool = True) -> str:
    """Graphviz DOT text for a schema, or for an ACSet's category of elements.

    Examples
    --------
    >>> from acset_s2r.catalog import SchGraph
    >>> print(to_dot(SchGraph).splitlines()[-2])
      n1 -> n0 [label="tgt"];
    """
    g, name = _graph(obj, attributes)
    ids = {n: f"n{i}" for i, n in enumerate(g.nodes)}
    lines = [f"digraph {_dot_str(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for n, data in g.nodes(data=True):
        shape = "box" if data["kind"] == "ob" else "ellipse"
        lines.append(f"  {ids[n]} [label={_dot_str(data['label'])}, shape={shape}];")
    for u, v, data in g.edges(data=True):
        style = ", style=dashed" if data["kind"] == "attr" else ""
        lines.append(f"  {ids[u]} -> {ids[v]} [label={_dot_str(data['label'])}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- PNG --------------------------------------------------------------------------------------
def _with_dot(dot: str, text: str) -> bytes:
    done = subprocess.run([dot, "-Tpng"], input=text.encode(), check=True, capture_output=True, timeout=60)
    return done.stdout


def _with_matplotlib(g: "networkx.MultiDiGraph", title: str) -> bytes:
    import networkx as nx  # deferred: ~0.1 s to import, only drawing needs it

    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = g.number_of_nodes()
    size = min(4 + 0.6 * n ** 0.5 * 3, 24)
    fig, ax = plt.subplots(figsize=(size, size * 0.75))
    try:
        if n <= 1 or g.number_of_edges() == 0:
            pos = nx.circular_layout(g) if n > 1 else {v: (0.0, 0.0) for v in g.nodes}
        else:
            pos = nx.kamada_kawai_layout(nx.Graph(g))
        boxes = [v for v, d in g.nodes(data=True) if d["kind"] == "ob"]
        types = [v for v, d in g.nodes(data=True) if d["kind"] != "ob"]
        nx.draw_networkx_nodes(g, pos, nodelist=boxes, node_shape="s", node_color="#dde8f7",
                               edgecolors="#33557f", node_size=1600, ax=ax)
        nx.draw_networkx_nodes(g, pos, nodelist=types, node_shape="o", node_color="#f7ecd9",
                               edgecolors="#8a6a2f", node_size=1600, ax=ax)
        nx.draw_networkx_labels(g, pos, labels={v: d["label"] for v, d in g.nodes(data=True)},
                                font_size=8, ax=ax)
        # parallel edges get increasing curvature so their labels do not overlap
        seen: dict[tuple, int] = {}
        for u, v, d in g.edges(data=True):
            k = seen.get((u, v), 0)
            seen[(u, v)] = k + 1
            rad = 0.15 + 0.2 * k if u != v else 0.3
            style = "dashed" if d["kind"] == "attr" else "solid"
            cs = f"arc3,rad={rad}"
            nx.draw_networkx_edges(g, pos, edgelist=[(u, v)], style=style, arrows=True, arrowsize=14,
                                   connectionstyle=cs, node_size=1600, node_shape="s", ax=ax)
            nx.draw_networkx_edge_labels(g, pos, edge_labels={(u, v): d["label"]}, connectionstyle=cs,
                                         font_size=8, ax=ax)
        ax.set_title(title)
        ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()
    finally:
        plt.close(fig)


def draw(obj: Schema | ACSet, path: str | os.PathLike | None = None, attributes: bool = True) -> Path:
    """Write a PNG picture of a schema or an ACSet and return its path.

    Uses Graphviz ``dot`` when it is on ``PATH``, else networkx and matplotlib. With
    no ``path`` the picture goes to a new temporary file. The file is written with
    :func:`acset_s2r.fileio.atomic_write_bytes`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r.catalog import SchGraph
    >>> out = draw(SchGraph, pathlib.Path(tempfile.mkdtemp()) / "graph.png")
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    g, name = _graph(obj, attributes)
    if path is None:
        fd, tmp_name = tempfile.mkstemp(prefix=f"{name}_", suffix=".png")
        os.close(fd)
        path = tmp_name
    out = Path(path)
    dot = shutil.which("dot")
    png = _with_dot(dot, to_dot(obj, attributes)) if dot else _with_matplotlib(g, name)
    atomic_write_bytes(out, png)
    return out
