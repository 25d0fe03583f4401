"""Bad input to the GF(3) layer: trits, groups and SKILL.md files that are not what they seem."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from acset_s2r.errors import AcsetS2RError, SkillParseError, TritError
from acset_s2r.gf3 import PLUS, Trit, audit_skills, balancing_trit, is_balanced, load_skills, trit_sum


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: Trit("x"), ["str", "'x'", "Trit.parse"]),
        (lambda: Trit(1.0), ["float", "1.0"]),
        (lambda: Trit(True), ["bool"]),
        (lambda: Trit(None), ["NoneType"]),
        (lambda: is_balanced(None), ["iterable", "NoneType"]),
        (lambda: is_balanced("+1"), ["iterable", "'+1'"]),
        (lambda: is_balanced([PLUS, "a"]), ["item 1", "'a'"]),
        (lambda: is_balanced([1.5]), ["item 0", "1.5"]),
        (lambda: trit_sum([PLUS, True]), ["item 1", "bool"]),
        (lambda: balancing_trit([object()]), ["item 0", "object"]),
    ],
)
def test_what_is_not_a_trit_raises_our_error_naming_it(call, words):
    with pytest.raises(TritError) as err:
        call()
    assert isinstance(err.value, (AcsetS2RError, TypeError))  # old callers caught TypeError
    for w in words:
        assert w in str(err.value)


def test_groups_of_ints_and_numpy_ints_still_sum():
    assert is_balanced([1, -1, np.int64(3)]) and trit_sum((t for t in [PLUS, PLUS])) == Trit(-1)


def _skill(root: Path, name: str, data: bytes) -> Path:
    (root / name).mkdir(parents=True, exist_ok=True)
    path = root / name / "SKILL.md"
    path.write_bytes(data)
    return path


FRONT = "---\nname: {n}\ntrit: {t}\n---\n# {n}\n"


def test_a_byte_order_mark_does_not_hide_the_frontmatter(tmp_path):
    plain, bom = tmp_path / "plain", tmp_path / "bom"
    for root in (plain, bom):
        _skill(root, "a", (b"\xef\xbb\xbf" if root is bom else b"") + FRONT.format(n="a", t="+1").encode())
        _skill(root, "b", FRONT.format(n="b", t="-1").encode())
    got = {root.name: load_skills(root) for root in (plain, bom)}
    assert [(d.skill, d.trit) for d in got["bom"].declarations] == [(d.skill, d.trit) for d in got["plain"].declarations]
    assert ("a", Trit(1)) in [(d.skill, d.trit) for d in got["bom"].declarations]
    assert audit_skills(bom).exit_code() == audit_skills(plain).exit_code()


def test_a_skill_md_that_is_no_file_is_recorded_and_not_opened(tmp_path):
    _skill(tmp_path, "ok", FRONT.format(n="ok", t="0").encode())
    (tmp_path / "folder" / "SKILL.md").mkdir(parents=True)
    (tmp_path / "dangling").mkdir()
    (tmp_path / "dangling" / "SKILL.md").symlink_to(tmp_path / "nowhere")
    (tmp_path / "pipe").mkdir()
    os.mkfifo(tmp_path / "pipe" / "SKILL.md")  # opening it would block: it must not be read
    corpus = load_skills(tmp_path)
    said = {p.file: str(p) for p in corpus.problems}
    assert "folder" in said["folder/SKILL.md"]
    assert "dangling link" in said["dangling/SKILL.md"] and "nowhere" in said["dangling/SKILL.md"]
    assert "FIFO" in said["pipe/SKILL.md"]
    assert corpus.skill_names == ("ok",)
    assert audit_skills(tmp_path).summary()["parse_problems"] == 3


def test_undecodable_bytes_say_where_and_what(tmp_path):
    _skill(tmp_path, "a", b"**Trit**: +1\nthe \x80 byte\n")
    (problem,) = load_skills(tmp_path).problems
    assert problem.line == 2 and "0x80" in problem.reason and "offset 17" in problem.reason
    assert str(problem).endswith("the \ufffd byte")


def test_a_missing_directory_is_our_error(tmp_path):
    with pytest.raises(SkillParseError, match="nope"):
        load_skills(tmp_path / "nope")


def test_audit_report_has_a_docstring_naming_its_parts():
    from acset_s2r.gf3 import AuditReport

    for name in ("findings", "violations", "warnings", "exit_code", "summary"):
        assert name in AuditReport.__doc__
