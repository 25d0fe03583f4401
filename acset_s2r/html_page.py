"""Self-contained HTML pages: sections of text, tables and figures in one file.

Every report a person reads (a run, an audit, a sweep) is built here: a page is a title
and :class:`Section` s, each holding text (escaped), :class:`~acset_s2r.tables.Html`
(markup the caller built with :func:`~acset_s2r.tables.html_table` or the helpers below)
and :class:`Figure` s, embedded as base64 PNG. The page loads nothing from anywhere, so
it opens offline, from a CI artifact or an e-mail, and it fits a laptop screen.

Examples
--------
>>> text = page("Run 3", [Section("Verdict", ["2 of 4 policies transferred", badge("in", True)])])
>>> text.startswith("<!DOCTYPE html>") and 'id="verdict"' in text and "http" not in text
True
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from acset_s2r.fileio import atomic_write_text
from acset_s2r.tables import Html, escape, html_table


@attrs.frozen
class Figure:
    """A PNG image with a caption, written into the page as a data: URI."""

    png: bytes
    caption: str = ""
    alt: str = ""

    def to_html(self) -> Html:
        data = base64.b64encode(self.png).decode("ascii")
        alt = escape(self.alt or self.caption or "figure")
        caption = f"<figcaption>{escape(self.caption)}</figcaption>" if self.caption else ""
        return Html(f'<figure><img src="data:image/png;base64,{data}" alt="{alt}">{caption}</figure>')


def figure(fig, caption: str = "", alt: str = "", dpi: int = 90) -> Figure:
    """A :class:`Figure` from PNG bytes or a matplotlib figure (saved, then closed)."""
    if isinstance(fig, (bytes, bytearray)):
        return Figure(bytes(fig), caption, alt)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    import matplotlib.pyplot as plt  # only when given a figure: pages of text need no matplotlib

    plt.close(fig)
    return Figure(buffer.getvalue(), caption, alt)


def slug(text: str) -> str:
    """An element id from a title.

    Examples
    --------
    >>> slug("Policy dr-lowH (σ 0.05)")
    'policy-dr-lowh-σ-0-05'
    """
    return re.sub(r"[^\w]+", "-", text.lower()).strip("-") or "section"


@attrs.frozen
class Section:
    """A titled part of a page. ``body`` items: text (a paragraph, escaped), :class:`Html`
    (as it is) or :class:`Figure`; ``id`` defaults to the title's :func:`slug`."""

    title: str
    body: tuple = attrs.field(default=(), converter=tuple)
    id: str | None = None

    @property
    def anchor(self) -> str:
        return self.id or slug(self.title)

    def to_html(self) -> Html:
        return Html(f'<section id="{escape(self.anchor)}"><h2>{escape(self.title)}</h2>{body(self.body)}</section>')


def body(items: Iterable[object]) -> Html:
    """Items as markup: a Figure as an image, Html as it is, anything else as a paragraph."""
    return Html("".join(
        i.to_html() if isinstance(i, Figure) else i if isinstance(i, Html) else paragraph(i) for i in items
    ))


def paragraph(text: str, css_class: str | None = None) -> Html:
    attr = f' class="{escape(css_class)}"' if css_class else ""
    return Html(f"<p{attr}>{escape(text)}</p>")


def heading(text: str) -> Html:
    """A heading inside a section."""
    return Html(f"<h3>{escape(text)}</h3>")


def preformatted(text: str) -> Html:
    """Text shown as written (commands, explanations with line breaks)."""
    return Html(f"<pre>{escape(text)}</pre>")


def badge(text: str, good: bool | None = None) -> Html:
    """A short coloured label: green when ``good``, red when not, grey when None."""
    kind = "neutral" if good is None else ("good" if good else "bad")
    return Html(f'<span class="badge {kind}">{escape(text)}</span>')


def bullets(items: Iterable[object]) -> Html:
    return Html("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")


def key_values(pairs: Iterable[tuple[object, object]], header: Sequence[str] | None = None,
               numeric: bool = False) -> Html:
    """A two-column table of names and values (right-aligned when ``numeric``)."""
    return Html(html_table(None if header is None else list(header), [list(p) for p in pairs], css_class="kv",
                           numeric=[False, numeric]))


def details(summary: str, items: Iterable[object]) -> Html:
    """A part folded away until clicked (long tables, raw data)."""
    return Html(f"<details><summary>{escape(summary)}</summary>{body(items)}</details>")


def row(*items: object) -> Html:
    """Items side by side on a wide screen, stacked on a narrow one."""
    return Html('<div class="row">' + "".join(f"<div>{body([i])}</div>" for i in items) + "</div>")


_CSS = """
:root { --fg: #1d2329; --muted: #5b6570; --line: #d5dbe1; --bg-alt: #f4f6f8;
        --good: #1a7f37; --good-bg: #dafbe1; --bad: #b42318; --bad-bg: #fee4e2; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.55em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.05em; margin: 18px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 10px; }
nav { font-size: 0.92em; padding: 8px 0; border-bottom: 1px solid var(--line); }
nav a { margin-right: 14px; color: #0b5cad; text-decoration: none; white-space: nowrap; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 0.92em; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num, th.num { text-align: right; }
table.wide td, table.wide th, table.kv td:first-child, .badge { white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
table.kv td:first-child { color: var(--muted); }
.wide { display: block; overflow-x: auto; max-width: 100%; }
figure { margin: 10px 0 18px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.88em; }
.row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.row > div { flex: 1 1 420px; min-width: 0; }
pre { background: var(--bg-alt); padding: 10px 12px; overflow-x: auto; white-space: pre-wrap; font-size: 0.88em; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 0.9em; }
.badge.good { color: var(--good); background: var(--good-bg); }
.badge.bad { color: var(--bad); background: var(--bad-bg); }
.badge.neutral { color: var(--muted); background: var(--bg-alt); }
.verdict { font-size: 1.2em; font-weight: 600; margin: 6px 0 8px; }
.note { color: var(--muted); font-size: 0.92em; }
details { margin: 8px 0; } summary { cursor: pointer; color: #0b5cad; }
footer { color: var(--muted); font-size: 0.85em; padding: 20px 24px 40px; }
"""


def page(title: str, sections: Sequence[Section], *, subtitle: str | None = None, footer: str | None = None) -> str:
    """A whole HTML document: the title, a line of links to the sections, then each section."""
    nav = "".join(f'<a href="#{escape(s.anchor)}">{escape(s.title)}</a>' for s in sections)
    sub = f'<p class="subtitle">{escape(subtitle)}</p>' if subtitle else ""
    foot = f"<footer>{escape(footer)}</footer>" if footer else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1>{sub}<nav>{nav}</nav></header>"
        f"<main>{''.join(s.to_html() for s in sections)}</main>{foot}</body></html>\n"
    )


def write_page(path: str | Path, text: str) -> Path:
    """Write a page atomically; return its path."""
    atomic_write_text(path, text)
    return Path(path)
