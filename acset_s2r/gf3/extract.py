"""Finding the Catlab ``@present`` blocks in SKILL.md files and checking each is a C-set schema.

Each block is parsed with ``acset_s2r.present.parse_present``. A block that is not a C-set schema
(``Hom(State × Action, State)``, a ``::Type`` declaration, a missing ``end``) is kept with
the parser's reason and the file line it points at. A block never runs past the code fence
it sits in, so one unterminated block cannot swallow the next.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import attrs

from acset_s2r.errors import AcsetS2RError, PresentSyntaxError, SchemaError
from acset_s2r.gf3.parse import skill_files, text_segments
from acset_s2r.present import parse_present, present_blocks
from acset_s2r.schema import Schema
from acset_s2r.serialization import schema_to_json

__all__ = ["PresentBlock", "extract_present_schemas", "present_blocks_in_text", "extract_main"]

_NAME = re.compile(r"@present\s+([^\s(<]+)")


@attrs.frozen
class PresentBlock:
    """One ``@present`` block: where it starts, its schema, or why it is not one."""

    file: str
    line: int
    name: str | None
    text: str = attrs.field(repr=False)
    schema: Schema | None = attrs.field(default=None, eq=False)
    error: str | None = None
    error_line: int | None = None

    @property
    def valid(self) -> bool:
        return self.schema is not None

    def to_dict(self) -> dict:
        out = {"file": self.file, "line": self.line, "name": self.name, "valid": self.valid}
        if self.schema is not None:
            out["schema"] = schema_to_json(self.schema)
        else:
            out.update(error=self.error, error_line=self.error_line)
        return out


def present_blocks_in_text(text: str, file: str = "SKILL.md") -> list[PresentBlock]:
    """Every ``@present`` block of one file's text, parsed.

    Examples
    --------
    >>> text = "```julia\\n@present SchG(FreeSchema) begin\\n  V::Ob\\nend\\n```\\n"
    >>> [(b.line, b.name, b.valid) for b in present_blocks_in_text(text)]
    [(2, 'SchG', True)]
    """
    found = []
    for first, segment in text_segments(text):
        for start, block in present_blocks(segment):
            line = first + start - 1
            m = _NAME.search(block)
            name = m.group(1) if m else None
            try:
                schema = parse_present(block)
            except PresentSyntaxError as e:
                # the parser numbers lines from the block's first line
                where = None if e.line is None else line + e.line - 1
                found.append(PresentBlock(file, line, name, block, None, _reason(e), where))
                continue
            except SchemaError as e:
                found.append(PresentBlock(file, line, name, block, None, str(e), line))
                continue
            found.append(PresentBlock(file, line, name, block, schema))
    return found


def _reason(e: PresentSyntaxError) -> str:
    # str(e) is "line N: message\n    offending text"; the file line is reported separately
    msg = str(e).split("\n", 1)[0]
    prefix = f"line {e.line}: " if e.line is not None else ""
    return msg[len(prefix):] if prefix and msg.startswith(prefix) else msg


def extract_present_schemas(directory: str | Path) -> list[PresentBlock]:
    """Every ``@present`` block in the ``*/SKILL.md`` files under ``directory``, in file order.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     pathlib.Path(d, "a").mkdir()
    ...     _ = pathlib.Path(d, "a", "SKILL.md").write_text("@present S(FreeSchema) begin\\n  X::Ob\\nend\\n")
    ...     [(b.file, b.name) for b in extract_present_schemas(d)]
    [('a/SKILL.md', 'S')]
    """
    root = Path(directory)
    out = []
    for path in skill_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        out.extend(present_blocks_in_text(text, path.relative_to(root).as_posix()))
    return out


def extract_main(directory: str | Path, stdout=None, stderr=None) -> int:
    """Entry point for ``acset-s2r schemas extract DIR``: one line per block, then a count.

    Returns 0 when every block is a C-set schema (or there are none), 1 when some are not,
    2 when the directory cannot be read.

    Examples
    --------
    >>> import io, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     extract_main(d, stdout=io.StringIO(), stderr=io.StringIO())
    0
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        blocks = extract_present_schemas(directory)
    except (AcsetS2RError, OSError) as e:
        print(f"error: {e}", file=stderr)
        return 2
    for b in blocks:
        if b.valid:
            s = b.schema
            print(f"{b.file}:{b.line}  {b.name}  valid: {len(s.obs)} obs, {len(s.homs)} homs, "
                  f"{len(s.attrtypes)} attrtypes, {len(s.attrs)} attrs", file=stdout)
        else:
            at = f" (line {b.error_line})" if b.error_line is not None else ""
            print(f"{b.file}:{b.line}  {b.name}  NOT a C-set schema{at}: {b.error}", file=stdout)
    bad = sum(not b.valid for b in blocks)
    print(f"{len(blocks)} @present blocks, {len(blocks) - bad} valid, {bad} not C-set schemas", file=stdout)
    return 1 if bad else 0
