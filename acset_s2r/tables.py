"""One way of drawing a table as HTML: ``ACSet._repr_html_`` and the HTML reports use it.

Cells are text and are escaped, unless they are :class:`Html` (markup the caller built and
escaped itself). Long tables keep their head and tail around one row of ellipses, so a
notebook cell or a report stays readable however many parts an object has.

Examples
--------
>>> html_table(["x", "y"], [[1, "<a>"]])
'<table><thead><tr><th>x</th><th>y</th></tr></thead><tbody><tr><td>1</td><td>&lt;a&gt;</td></tr></tbody></table>'
>>> html_table(["n"], [[i] for i in range(30)], max_rows=20).count("<tr>")  # header, 10 + ⋮ + 5
17
"""

from __future__ import annotations

import html
from collections.abc import Sequence


class Html(str):
    """Markup that is already safe: written into a table or a page as it is."""

    __slots__ = ()


def escape(value: object) -> Html:
    """``value`` as text, escaped for HTML (:class:`Html` passes through unchanged).

    Examples
    --------
    >>> escape("a < b & c"), escape(Html("<b>x</b>"))
    ('a &lt; b &amp; c', '<b>x</b>')
    """
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def truncated(rows: Sequence[Sequence[object]], max_rows: int | None, head: int = 10, tail: int = 5) -> list:
    """``rows``, or its first ``head`` and last ``tail`` around a row of "⋮" when there are
    more than ``max_rows``."""
    rows = list(rows)
    if max_rows is None or len(rows) <= max_rows:
        return rows
    width = max((len(r) for r in rows), default=0)
    return rows[:head] + [["⋮"] * width] + rows[len(rows) - tail:]


def html_table(
    header: Sequence[object] | None,
    rows: Sequence[Sequence[object]],
    *,
    max_rows: int | None = None,
    numeric: Sequence[bool] | None = None,
    css_class: str | None = None,
    caption: object | None = None,
) -> str:
    """A ``<table>`` with one header row and one row per item of ``rows``.

    With ``header`` None the table has no header row. ``numeric`` marks the columns to right-align (``class="num"`` on their cells);
    ``css_class`` styles the table as a whole; ``max_rows`` truncates (:func:`truncated`).
    """
    rows = truncated(rows, max_rows)
    right = list(numeric) if numeric is not None else []

    def cell(tag: str, j: int, value: object) -> str:
        attr = ' class="num"' if j < len(right) and right[j] else ""
        return f"<{tag}{attr}>{escape(value)}</{tag}>"

    opening = "<table>" if css_class is None else f'<table class="{escape(css_class)}">'
    parts = [opening]
    if caption is not None:
        parts.append(f"<caption>{escape(caption)}</caption>")
    if header is not None:
        parts.append("<thead><tr>" + "".join(cell("th", j, h) for j, h in enumerate(header)) + "</tr></thead>")
    parts.append("<tbody>")
    parts += ["<tr>" + "".join(cell("td", j, c) for j, c in enumerate(r)) + "</tr>" for r in rows]
    parts.append("</tbody></table>")
    return "".join(parts)
