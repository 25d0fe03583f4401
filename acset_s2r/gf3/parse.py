"""Reading trit declarations, balance claims and skill edges from SKILL.md files.

``load_skills(directory)`` reads every ``*/SKILL.md`` (any case of the file name); the
directory name is the skill's name. ``parse_skill_text`` does one file.

Declaration forms (each states the trit of the file's own skill):

==============  =============================================================
frontmatter     ``trit: 1`` in the leading ``---`` YAML block
label           ``**Trit**: +1 (PLUS)`` (also ``**GF(3) Trit**:``), anywhere
heading         ``## GF(3) Trit: +1 (Generator)``
table-row       ``| Trit | +1 (PLUS) |``
html-comment    ``<!-- Propagated to amp | Trit: 0 | Source: ... -->``
constant        ``TRIT = 1`` (upper case, ``=`` not ``==``)
plain           a ``Trit: -1 (MINUS)`` line, in a code block or not
==============  =============================================================

A value is a trit optionally followed by a note; a note naming another trit
(``+1 (MINUS)``) is a parse problem. Lower-case ``trit:`` counts only in frontmatter,
so the Ruby hash ``trit: 1`` inside an example is not a declaration.

Claim forms: chains ``a (-1) ⊗ b (0) ⊗ c (+1) = 0 ✓``, on one line or continued over
several (a line ending in ``⊗``/``→``/``+``, as in the seed's "Balanced quad:");
arrows ``a (+1) → b (0) → c (-1) = 0 ✓``; sums ``Σ = +1 + 0 + (-1) = 0 ✓`` and
``(-1) + (0) + (+1) ≡ 0 (mod 3)``; tuples ``(+1, 0, -1) → 0 ≡ 0 ✓``; weights ``5(+1)``;
unbalanced verdicts ``✗``, ``≠``, "needs". Tables whose header has trit columns
(``| MINUS (-1) | ERGODIC (0) | PLUS (+1) |``) give one claimed-balanced triad per row.

Listings give members to claims that have no names of their own:

* a run of lines ``World-Hopping (+1)  - ...`` or ``claude = "PLUS"``, or the rows of a
  table with a Skill (or Name) column and a Trit column;
* a termless ``Σ = 0 ✓`` takes the listing just above it (or else just below);
* anonymous terms ``(-1) + (0) + (+1) = 0 ✓`` take the names of the listing just above
  when its trits are the same, in order;
* a termless statement ``sum ≡ 0 mod 3`` (no ✓) is a claim only when a listing is next to
  it; alone it is a general rule and is skipped;
* a Skill/Trit table that no claim uses is kept as a group that claims nothing
  (``claimed_balanced`` None), so its members are still checked; so is a Markdown list of
  two or more items that each read as a member (``- ⊕ gay-mcp``, ``- spi (-1)``), form
  ``list``, and a table row with two or more cells that each hold a name and its trit.

Wherever a member is written outside a chain (a listing line, a list item, a table cell)
one reader, ``claims.parse_entry``, takes the name and the trit beside it: ``name (+1)``,
``⊕ name``, ``name: ⊖``, ``name = "PLUS"``. In a table the trit may also sit in a cell of
its own, in a column headed Trit (or GF(3)), or in a column of nothing but ``⊕ ⊙ ⊖``
(or PLUS / ERGODIC / MINUS) beside the name column.

A line that reads as a claim (see ``claims.is_claim_candidate``) but cannot be parsed,
or a termless claim with no listing next to it, becomes a ``ParseProblem``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import attrs

from acset_s2r.errors import SkillParseError
from acset_s2r.gf3 import claims as cl
from acset_s2r.gf3.records import (
    Declaration,
    Edge,
    Group,
    Member,
    ParseProblem,
    Skill,
    SkillCorpus,
    group_kind,
    normalize_name,
)
from acset_s2r.gf3.trit import Trit, parse_trit_value

__all__ = ["load_skills", "parse_skill_text", "ParsedSkill", "skill_files", "text_segments"]

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_FRONT_KEY = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")
_LABEL = re.compile(r"\*\*(?:GF\(3\)\s+)?Trit(?:\*\*\s*:|:\*\*)\s*(?P<value>.+)$")
_SKILL_NAME = re.compile(r"\*\*Skill Name(?:\*\*\s*:|:\*\*)\s*`?(?P<value>[^`*\s]+)")
_HEADING_DECL = re.compile(r"^#{1,6}\s+.*?\bTrit\s*:\s*(?P<value>.+)$")
_HTML_DECL = re.compile(r"\bTrit\s*:\s*(?P<value>[^|>]+?)\s*(?:\||-->|$)")
_CONSTANT = re.compile(r"\bTRIT\s*(?::\s*[\w\[\]. ]+?)?\s*=(?!=)\s*(?P<value>[+\-−]?\d+)")
_PLAIN = re.compile(r"^\s*(?:[-*]\s+|>\s*|#+\s*|//+\s*|;+\s*|--\s*)?Trit\s*:\s*(?P<value>.+)$")
_EDGE_KEY = re.compile(r"^\s*(?P<kind>depends_on|enables)\s*:\s*(?P<rest>.*?)\s*$")
_EDGE_ITEM = re.compile(r"^\s*-\s+(?P<name>[^\s#]+)")
_BLANKISH = re.compile(r"^[\s─━═┌┐└┘├┤┬┴┼╔╗╚╝╠╣╭╮╯╰│║+\-=|:.]*$")
_TABLE_SEP = re.compile(r"^:?-{2,}:?$")
_TRIT_HEADERS = {"trit", "gf(3) trit", "gf(3)", "trit value"}
_NAME_HEADERS = {"skill", "skills", "skill name", "name", "member"}
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TRIT_ONLY_CELL = re.compile(r"^[*`]*(?:[⊕⊙⊖]|PLUS|MINUS|ERGODIC)(?!\w)")


@attrs.define
class _Line:
    no: int
    raw: str
    content: str
    in_code: bool = False
    block: int | None = None
    section: str = ""
    front: bool = False
    comment: bool = False
    fence: bool = False
    table: bool = False
    item: bool = False


@attrs.define
class ParsedSkill:
    """What one SKILL.md says. ``members[i].group`` indexes ``groups`` of this file;
    ``decl_blocks[i]`` is the text of the code block holding ``declarations[i]``, if any."""

    skill: Skill
    declarations: list[Declaration] = attrs.Factory(list)
    decl_blocks: list[str | None] = attrs.Factory(list)
    groups: list[Group] = attrs.Factory(list)
    members: list[Member] = attrs.Factory(list)
    edges: list[Edge] = attrs.Factory(list)
    problems: list[ParseProblem] = attrs.Factory(list)


def skill_files(directory: str | Path) -> list[Path]:
    """Every ``*/SKILL.md`` under ``directory``, any case of the file name, sorted.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     pathlib.Path(d, "a").mkdir()
    ...     _ = pathlib.Path(d, "a", "skill.md").write_text("x")
    ...     [p.name for p in skill_files(d)]
    ['skill.md']
    """
    root = Path(directory)
    if not root.is_dir():
        raise SkillParseError(f"skill directory {str(root)!r} does not exist or is not a directory")
    found = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        found.extend(sorted(f for f in sub.iterdir() if f.is_file() and f.name.lower() == "skill.md"))
    return found


def load_skills(directory: str | Path) -> SkillCorpus:
    """Read every ``*/SKILL.md`` under ``directory`` into a ``SkillCorpus``.

    Unreadable lines become ``problems``; only a missing directory raises
    ``SkillParseError``. A UTF-8 byte-order mark is skipped; a SKILL.md that is a folder,
    a dangling link, a FIFO or cannot be read is recorded as a problem (and never opened
    unless it is a regular file).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     pathlib.Path(d, "a").mkdir()
    ...     _ = pathlib.Path(d, "a", "SKILL.md").write_text("**Trit**: ⊕\\n", encoding="utf-8")
    ...     corpus = load_skills(d)
    >>> corpus.skill_names, corpus.declarations[0].trit
    (('a',), Trit(+1))
    """
    root = Path(directory)
    parsed: list[ParsedSkill] = []
    unread: list[ParseProblem] = []
    files = skill_files(root)
    for path in _skill_entries(root):
        if path not in files:
            unread.append(ParseProblem(path.relative_to(root).as_posix(), 1, "", f"not read: {_what_it_is(path)}"))
    for path in files:
        rel = path.relative_to(root).as_posix()
        try:
            raw = path.read_bytes()
        except OSError as err:
            unread.append(ParseProblem(rel, 1, "", f"not read: {err.strerror or err}"))
            continue
        problem = None
        try:
            text = raw.decode("utf-8-sig")  # a byte-order mark would hide the frontmatter
        except UnicodeDecodeError as err:
            text = raw.decode("utf-8-sig", errors="replace")
            line = raw[: err.start].count(b"\n") + 1
            shown = raw.split(b"\n")[line - 1].decode("utf-8", errors="replace")
            problem = ParseProblem(
                rel, line, shown,
                f"not valid UTF-8 (byte 0x{raw[err.start]:02x} at offset {err.start}); undecodable bytes read as U+FFFD",
            )
        ps = parse_skill_text(text, path.parent.name, rel)
        if problem is not None:
            ps.problems.insert(0, problem)
        parsed.append(ps)
    corpus = _assemble(str(root), parsed)
    return attrs.evolve(corpus, problems=tuple(unread) + corpus.problems) if unread else corpus


def _skill_entries(root: Path) -> list[Path]:
    """Every entry named SKILL.md (any case) one folder down, whatever it is."""
    return sorted(
        f for sub in sorted(root.iterdir()) if sub.is_dir() for f in sub.iterdir() if f.name.lower() == "skill.md"
    )


def _what_it_is(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return f"a dangling link to {os.readlink(path)!r}"
    if path.is_dir():
        return "a folder, not a file"
    return "not a regular file (a FIFO, socket or device)"


def _assemble(directory: str, parsed: list[ParsedSkill]) -> SkillCorpus:
    # A code block that recurs verbatim in two skills' files is boilerplate, not a statement
    # about either skill (the fixtures' "Cat# Integration" block says Trit: 0 in five files).
    block_files: dict[str, set[str]] = {}
    for ps in parsed:
        for block in ps.decl_blocks:
            if block is not None:
                block_files.setdefault(block, set()).add(ps.skill.name)
    skills, decls, groups, members, edges, problems = [], [], [], [], [], []
    for ps in parsed:
        skills.append(ps.skill)
        for d, block in zip(ps.declarations, ps.decl_blocks):
            shared = block is not None and len(block_files[block]) > 1
            decls.append(attrs.evolve(d, boilerplate=shared))
        offset = len(groups)
        groups.extend(ps.groups)
        members.extend(attrs.evolve(m, group=m.group + offset) for m in ps.members)
        edges.extend(ps.edges)
        problems.extend(ps.problems)
    return SkillCorpus(directory, tuple(skills), tuple(decls), tuple(groups), tuple(members),
                       tuple(edges), tuple(problems))


def parse_skill_text(text: str, skill: str, file: str | None = None) -> ParsedSkill:
    """Parse the text of one SKILL.md belonging to ``skill``; ``file`` names it in records.

    Examples
    --------
    >>> ps = parse_skill_text("---\\ntrit: -1\\n---\\n- ⊕ gay-mcp\\n- spi (⊖)\\n", "spi")
    >>> [(d.form, int(d.trit)) for d in ps.declarations], [(m.name, int(m.trit)) for m in ps.members]
    ([('frontmatter', -1)], [('gay-mcp', 1), ('spi', -1)])
    """
    file = file if file is not None else f"{skill}/SKILL.md"
    lines = _scan(text)
    out = ParsedSkill(Skill(skill, file))
    scanner = _FileParser(lines, skill, file, out)
    scanner.run()
    return out


def _scan(text: str) -> list[_Line]:
    """Mark each line with its context: frontmatter, code block, HTML comment, section."""
    raw_lines = text.splitlines()
    lines: list[_Line] = []
    front = bool(raw_lines) and raw_lines[0].strip() == "---"
    fence: str | None = None
    block = -1
    comment = False
    section = ""
    for i, raw in enumerate(raw_lines, start=1):
        ln = _Line(i, raw, cl.clean_content(raw), section=section)
        if front:
            ln.front = True
            if i > 1 and raw.strip() == "---":
                front = False
            lines.append(ln)
            continue
        m = _FENCE.match(raw)
        if fence is None and m:
            fence, block = m.group(1), block + 1
            ln.fence = True
        elif fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not raw.strip()[len(m.group(1)):].strip():
                fence = None
                ln.fence = True
            else:
                ln.in_code, ln.block = True, block
        else:
            starts = "<!--" in raw
            ln.comment = comment or starts
            if starts and "-->" not in raw.split("<!--", 1)[1]:
                comment = True
            elif comment and "-->" in raw:
                comment = False
            h = _HEADING.match(raw)
            if h and not ln.comment:
                section = h.group(1)
                ln.section = section
            ln.table = raw.lstrip().startswith("|")
            ln.item = bool(_LIST_ITEM.match(raw))
        lines.append(ln)
    return lines


def text_segments(text: str) -> list[tuple[int, str]]:
    """The text split at code fences: each fenced block's body, and each stretch between
    fences, with its first 1-based line. Lets a block finder stop at a closing fence.

    Examples
    --------
    >>> text_segments("a\\n```\\nb\\n```\\nc")
    [(1, 'a'), (3, 'b'), (5, 'c')]
    """
    segments: list[tuple[int, list[str]]] = []
    key = object()
    for ln in _scan(text):
        if ln.fence:
            key = object()  # a fence line belongs to no segment
            continue
        k = ("code", ln.block) if ln.in_code else ("text", key)
        if not segments or segments[-1][0] != k:
            segments.append((k, [ln.no, []]))
        segments[-1][1][1].append(ln.raw)
    return [(first, "\n".join(lines)) for _, (first, lines) in segments]


def _cells(raw: str) -> list[str]:
    s = raw.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in s.split("|")]


def _cell_name(cell: str) -> str:
    return cell.strip().strip("*`_").strip()


def _symbol_column(ncol: int, rows: list[list[str]]) -> int | None:
    """The column beside ``ncol`` whose every filled cell is a trit symbol or word, if any."""
    for j in (ncol + 1, ncol - 1):
        col = [r[j].strip() for r in rows if 0 <= j < len(r) and r[j].strip()]
        if j >= 0 and col and all(_TRIT_ONLY_CELL.match(x) for x in col):
            return j
    return None


class _FileParser:
    """One pass over a file's lines, filling a ParsedSkill."""

    def __init__(self, lines: list[_Line], skill: str, file: str, out: ParsedSkill):
        self.lines, self.skill, self.file, self.out = lines, skill, file, out
        self.aliases: list[str] = []
        self.entries: dict[int, tuple[str, Trit]] = {}  # line index -> listing entry
        self.table_listings: list[tuple[int, list[int]]] = []  # (header index, row indices)
        self.consumed: set[int] = set()
        self.block_text: dict[int, str] = {}

    def run(self) -> None:
        blocks: dict[int, list[str]] = {}
        for ln in self.lines:
            if ln.in_code:
                blocks.setdefault(ln.block, []).append(ln.raw.strip())
        self.block_text = {b: "\n".join(v) for b, v in blocks.items()}
        for idx, ln in enumerate(self.lines):
            self._declarations(ln)
            self._edges(idx, ln)
            if not ln.front and not ln.table and not ln.fence:
                entry = cl.parse_entry(ln.content)
                if entry:
                    self.entries[idx] = entry
        self._tables()
        self._claims()
        self._unclaimed_tables()
        self._unclaimed_lists()
        names = [a for a in dict.fromkeys(self.aliases) if normalize_name(a) != normalize_name(self.skill)]
        self.out.skill = Skill(self.skill, self.file, tuple(names))

    # -- records -------------------------------------------------------------------------
    def _problem(self, ln: _Line, reason: str) -> None:
        self.out.problems.append(ParseProblem(self.file, ln.no, ln.raw, reason))

    def _declare(self, ln: _Line, form: str, value: str) -> None:
        try:
            trit = parse_trit_value(value)
        except SkillParseError as e:
            self._problem(ln, f"unreadable trit declaration ({e})")
            return
        self.out.declarations.append(Declaration(
            self.skill, trit, form, self.file, ln.no, ln.raw.strip(), ln.section, ln.in_code))
        self.out.decl_blocks.append(self.block_text.get(ln.block) if ln.in_code else None)

    def _group(self, ln: _Line, claimed: bool | None, written: int | None, text: str, form: str,
               members: list[tuple[str | None, Trit, int, int]]) -> None:
        gid = len(self.out.groups)
        self.out.groups.append(Group(group_kind(len(members)), claimed, written, self.file, ln.no,
                                     text[:200], form, self.skill))
        for name, trit, weight, line in members:
            self.out.members.append(Member(gid, name, trit, weight, line))

    # -- declarations and edges ----------------------------------------------------------
    def _declarations(self, ln: _Line) -> None:
        raw = ln.raw
        if ln.front:
            m = _FRONT_KEY.match(raw.strip())
            if m and m["key"].lower() == "trit":
                self._declare(ln, "frontmatter", m["value"].strip("\"'"))
            elif m and m["key"].lower() == "name" and m["value"]:
                self.aliases.append(m["value"].strip("\"'"))
            return
        if ln.fence:
            return
        s = _SKILL_NAME.search(raw)
        if s:
            self.aliases.append(s["value"])
        # the forms a line may hold, by context, tried in order
        if ln.comment:
            rules = [("html-comment", _HTML_DECL.search)]
        elif not ln.in_code and _HEADING.match(raw):
            rules = [("label", _LABEL.search), ("heading", _HEADING_DECL.match)]
        elif ln.table:
            rules = [("label", _LABEL.search)]  # "| Trit | v |" rows are read in _tables
        else:
            rules = [("label", _LABEL.search), ("plain", _PLAIN.match), ("constant", _CONSTANT.search)]
        for form, find in rules:
            m = find(raw)
            if m:
                self._declare(ln, form, m["value"])
                return

    def _edges(self, idx: int, ln: _Line) -> None:
        if not (ln.in_code or ln.front):
            return
        m = _EDGE_KEY.match(ln.raw)
        if not m:
            return
        rest = m["rest"].split("#", 1)[0].strip()
        if rest.startswith("[") and rest.endswith("]"):
            targets = [(t.strip().strip("\"'"), ln.no) for t in rest[1:-1].split(",") if t.strip()]
        elif rest:
            return  # "enables: true" and the like are not lists of skills
        else:
            targets = []
            for nxt in self.lines[idx + 1:]:
                item = _EDGE_ITEM.match(nxt.raw)
                if not item or nxt.block != ln.block or nxt.front != ln.front:
                    break
                targets.append((item["name"], nxt.no))
        for target, line in targets:
            self.out.edges.append(Edge(m["kind"], self.skill, target, self.file, line))

    # -- tables --------------------------------------------------------------------------
    def _tables(self) -> None:
        idx = 0
        while idx < len(self.lines):
            if not self.lines[idx].table:
                idx += 1
                continue
            start = idx
            while idx < len(self.lines) and self.lines[idx].table:
                idx += 1
            self._table(list(range(start, idx)))

    def _table(self, rows: list[int]) -> None:
        cells = {i: _cells(self.lines[i].raw) for i in rows}
        for i in rows:
            c = cells[i]
            if len(c) >= 2 and normalize_name(c[0]) in _TRIT_HEADERS:
                try:
                    parse_trit_value(c[1])
                except SkillParseError:
                    continue  # a header such as "| Trit | Role |"
                self._declare(self.lines[i], "table-row", c[1])
        has_sep = len(rows) > 1 and all(_TABLE_SEP.match(x.replace(" ", "")) for x in cells[rows[1]] if x)
        if not has_sep:
            return
        header, body = cells[rows[0]], rows[2:]
        trit_cols = {}
        for j, h in enumerate(header):
            try:
                trit_cols[j] = parse_trit_value(h)
            except SkillParseError:
                pass
        if len(trit_cols) >= 2 and len(set(trit_cols.values())) == len(trit_cols):
            self._triad_table(rows[0], trit_cols, body, cells)
            return
        norm = [normalize_name(h) for h in header]
        ncol = next((j for j, h in enumerate(norm) if h in _NAME_HEADERS), None)
        tcol = next((j for j, h in enumerate(norm) if h in _TRIT_HEADERS), None)
        if tcol is None and ncol is not None:
            tcol = _symbol_column(ncol, [cells[i] for i in body])
        if ncol is None:
            self._cell_rows(body, cells)
            return
        listed = []
        for i in body:
            member = self._table_member(i, cells[i], ncol, tcol)
            if member is not None:
                self.entries[i] = member
                listed.append(i)
        if listed:
            self.table_listings.append((rows[0], listed))

    def _table_member(self, i: int, c: list[str], ncol: int, tcol: int | None) -> tuple[str, Trit] | None:
        """The member in row ``i``: the name cell, and its trit from the trit column or beside
        the name in its own cell; None (a problem when it matters) if there is none."""
        if max(ncol, tcol if tcol is not None else 0) >= len(c):
            self._problem(self.lines[i], "table row has fewer cells than its header")
            return None
        carried = cl.parse_entry(cl.clean_content(c[ncol]))
        name = carried[0] if carried else _cell_name(c[ncol])
        if tcol is None:
            return carried
        try:
            trit = parse_trit_value(c[tcol])
        except SkillParseError as e:
            self._problem(self.lines[i], f"unreadable trit in the Trit column ({e})")
            return None
        if carried and carried[1] != trit:
            self._problem(self.lines[i], f"the name cell writes {carried[1]} but the trit column {trit}")
            return None
        return name, trit

    def _cell_rows(self, body: list[int], cells) -> None:
        # a row such as "| ⊖ spi | ⊙ bisim | ⊕ gay-mcp |": each cell a member, the row a group
        for i in body:
            found = [cl.parse_entry(cl.clean_content(x)) for x in cells[i]]
            members = [(e[0], e[1], 1, self.lines[i].no) for e in found if e]
            if len(members) >= 2:
                self._group(self.lines[i], None, None, self.lines[i].raw.strip(), "table", members)

    def _triad_table(self, head: int, trit_cols: dict[int, Trit], body: list[int], cells) -> None:
        for i in body:
            c = cells[i]
            members = []
            for j, t in trit_cols.items():
                name = _cell_name(c[j]) if j < len(c) else ""
                carried = cl.parse_entry(cl.clean_content(name)) if name else None
                if carried and carried[1] != t:
                    self._problem(self.lines[i], f"{carried[0]} is written {carried[1]} in the {t.name} ({t}) column")
                    members = None
                    break
                if not name:
                    self._problem(self.lines[i], f"empty cell in the {t.name} ({t}) column")
                    members = None
                    break
                members.append((carried[0] if carried else name, t, 1, self.lines[i].no))
            if members:
                self._group(self.lines[i], True, None, self.lines[i].raw.strip(), "triad-table", members)

    def _unclaimed_tables(self) -> None:
        for head, rows in self.table_listings:
            if any(i in self.consumed for i in rows):
                continue
            members = [(self.entries[i][0], self.entries[i][1], 1, self.lines[i].no) for i in rows]
            self._group(self.lines[head], None, None, self.lines[head].raw.strip(), "table", members)

    def _unclaimed_lists(self) -> None:
        run: list[int] = []
        for idx in [*range(len(self.lines)), None]:
            ln = None if idx is None else self.lines[idx]
            if ln is not None and ln.item and not ln.in_code and idx in self.entries and idx not in self.consumed:
                run.append(idx)
                continue
            if len(run) >= 2:
                self._listing_group(self.lines[run[0]], run, None, None, self.lines[run[0]].raw.strip(), "list")
            run = []

    # -- claims --------------------------------------------------------------------------
    def _claims(self) -> None:
        idx = 0
        n = len(self.lines)
        while idx < n:
            ln = self.lines[idx]
            if ln.front or ln.fence or ln.comment:
                idx += 1
                continue
            if ln.table:
                for cell in _cells(ln.raw):
                    content = cl.clean_content(cell)
                    if cl.is_claim_candidate(content):
                        self._claim(idx, [idx], content)
                idx += 1
                continue
            span = [idx]
            # a chain continues while a line ends in an operator or the next starts with one
            while span[-1] + 1 < n and len(span) < 20:
                cur, nxt = self.lines[span[-1]], self.lines[span[-1] + 1]
                if nxt.block != ln.block or nxt.fence or nxt.table or nxt.front:
                    break
                if cl.ends_open(cur.content) or (cl.has_term(cur.content) and cl.starts_open(nxt.content)):
                    span.append(span[-1] + 1)
                else:
                    break
            content = " ".join(self.lines[i].content for i in span)
            if cl.is_claim_candidate(content):
                self._claim(idx, span, content)
            elif cl.is_balance_statement(content):
                run = self._listing(idx, forward=True) or self._listing(idx, forward=False)
                if run:
                    self._listing_group(ln, run, True, 0, content, "listing")
            idx = span[-1] + 1

    def _claim(self, idx: int, span: list[int], content: str) -> None:
        ln = self.lines[idx]
        try:
            claim = cl.parse_claim(content)
        except SkillParseError as e:
            self._problem(ln, f"looks like a balance claim but cannot be parsed: {e}")
            return
        if not claim.terms:
            run = self._listing(idx, forward=False) or self._listing(idx, forward=True)
            if not run:
                self._problem(ln, "balance claim names no members and has no listing next to it")
                return
            self._listing_group(ln, run, claim.claimed_balanced, claim.written_sum, content, "listing")
            return
        lines = self._term_lines(span, len(claim.terms))
        members = [(t.name, t.trit, t.weight, line) for t, line in zip(claim.terms, lines)]
        if all(t.name is None for t in claim.terms):
            run = self._listing(idx, forward=False)
            if run and [self.entries[i][1] for i in run] == [t.trit for t in claim.terms] and all(
                    t.weight == 1 for t in claim.terms):
                self.consumed.update(run)
                members = [(self.entries[i][0], t.trit, 1, self.lines[i].no) for i, t in zip(run, claim.terms)]
        self._group(ln, claim.claimed_balanced, claim.written_sum, content, claim.form, members)

    def _listing_group(self, ln: _Line, run: list[int], claimed: bool | None, written: int | None,
                       content: str, form: str) -> None:
        self.consumed.update(run)
        members = [(self.entries[i][0], self.entries[i][1], 1, self.lines[i].no) for i in run]
        self._group(ln, claimed, written, content, form, members)

    def _term_lines(self, span: list[int], n_terms: int) -> list[int]:
        """The line of each term of a (possibly multi-line) chain, in order."""
        if len(span) == 1:
            return [self.lines[span[0]].no] * n_terms
        out = []
        for i in span:
            out.extend([self.lines[i].no] * len(cl.term_spans(self.lines[i].content)))
        out.extend([self.lines[span[-1]].no] * (n_terms - len(out)))
        return out[:n_terms]

    def _listing(self, idx: int, forward: bool) -> list[int] | None:
        """The unconsumed run of listing entries next to line ``idx``, within two blank lines."""
        step = 1 if forward else -1
        home = self.lines[idx]
        j, skipped = idx + step, 0
        while 0 <= j < len(self.lines) and j not in self.entries and skipped < 2:
            ln = self.lines[j]
            if ln.block != home.block or not _BLANKISH.match(ln.content if not ln.table else ln.raw):
                return None
            j, skipped = j + step, skipped + 1
        run = []
        while 0 <= j < len(self.lines) and j in self.entries and j not in self.consumed:
            if self.lines[j].block != home.block:
                break
            run.append(j)
            j += step
        if not run:
            return None
        return run if forward else run[::-1]
