"""acset_s2r.tables: what a parser reads back from a drawn table is what was put in."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from acset_s2r import ACSet
from acset_s2r.catalog import SchGraph
from acset_s2r.tables import Html, escape, html_table, truncated


class _Cells(HTMLParser):
    """Rows of (tag, attrs, text) cells, and every start tag seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.tags, self._cell = [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = [tag, dict(attrs), ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data


def parse(text: str) -> _Cells:
    p = _Cells()
    p.feed(text)
    p.close()
    return p


cell_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)


@given(st.lists(cell_text, min_size=1, max_size=4), st.data())
def test_cells_read_back_as_written(header, data):
    rows = data.draw(st.lists(st.lists(cell_text, min_size=len(header), max_size=len(header)), max_size=6))
    parsed = parse(html_table(header, rows))
    assert [[c[2] for c in r] for r in parsed.rows] == [header] + rows
    assert [c[0] for c in parsed.rows[0]] == ["th"] * len(header)
    # text never becomes markup: the only tags are the table's own
    assert set(parsed.tags) <= {"table", "thead", "tbody", "tr", "th", "td"}


@given(st.integers(0, 60), st.integers(1, 40))
def test_truncation_keeps_head_and_tail(n, max_rows):
    rows = [[str(i)] for i in range(n)]
    out = truncated(rows, max_rows)
    if n <= max_rows:
        assert out == rows
    else:
        assert out == rows[:10] + [["⋮"]] + rows[n - 5:]


def test_markup_passes_and_numeric_columns_align_right():
    text = html_table(["name", "value"], [[Html("<b>x</b>"), 1.5], ["<i>", 2]], numeric=[False, True],
                      css_class="wide", caption="a & b")
    parsed = parse(text)
    assert text.startswith('<table class="wide"><caption>a &amp; b</caption>')
    assert "b" in parsed.tags and "i" not in parsed.tags
    assert [c[1].get("class") for c in parsed.rows[1]] == [None, "num"]
    assert escape(Html("<p>")) == "<p>" and escape("<p>") == "&lt;p&gt;"


def test_acset_repr_html_is_the_shared_table():
    X = ACSet(SchGraph)
    X.add_parts("V", 25)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 2])
    text = X._repr_html_()
    parsed = parse(text)
    # V: header + 10 + ⋮ + 5; E: header + 2
    assert len(parsed.rows) == 17 + 3
    assert [c[2] for c in parsed.rows[11]] == ["⋮"]
    assert [c[2] for c in parsed.rows[-1]] == ["1", "1", "2"]
    assert np.array_equal([int(r[0][2]) for r in parsed.rows[1:11]], np.arange(10))
