"""acset-s2r skills audit DIR --html FILE: the page says what the JSON report says."""

from __future__ import annotations

import io
import json
from pathlib import Path

from acset_s2r.cli import main
from acset_s2r.gf3.audit import audit_main
from tests.htmlcheck import parse

FIXTURES = Path(__file__).parents[1] / "fixtures" / "skills"


def test_the_page_and_the_json_agree(tmp_path, capsys):
    page_file, json_file = tmp_path / "audit.html", tmp_path / "audit.json"
    code = main(["skills", "audit", str(FIXTURES), "--json", str(json_file), "--html", str(page_file)])
    capsys.readouterr()
    assert code == main(["skills", "audit", str(FIXTURES)])  # the page changes nothing else
    data = json.loads(json_file.read_text(encoding="utf-8"))
    page = parse(page_file.read_text(encoding="utf-8"))
    assert page.ids == ["verdict", "findings", "skills", "groups", "reproduce"]
    s = data["summary"]
    words = page.words
    # the verdict is the first section's first words
    verdict = f"Verdict {'FAILED' if code else 'PASSED'} {s['violations']} violations, {s['warnings']} warnings"
    assert verdict in words and words.index(verdict) < words.index("Findings where")
    assert all(" ".join(f["message"].split()) in words for f in data["findings"])
    # table rows: the verdict's facts, then a header and a row per finding, skill and group
    facts = 7 + len(s["by_kind"])
    assert page.tags.count("tr") == facts + sum(1 + len(data[k]) for k in ("findings", "skills", "groups"))
    assert f"acset-s2r skills audit {FIXTURES} --html {page_file}" in words


def test_names_are_text_and_a_clean_corpus_passes(tmp_path):
    skill = tmp_path / "corpus" / "a<b>"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: a<b>\ntrit: 0\n---\nx (+1) ⊗ y (-1) ⊗ z (0) = 0 ✓\n", encoding="utf-8")
    out = tmp_path / "page.html"
    audit_main(tmp_path / "corpus", html_out=out, stdout=io.StringIO(), stderr=io.StringIO())
    page = parse(out.read_text(encoding="utf-8"))
    assert "b" not in page.tags and "a<b>" in page.words
    assert "Verdict PASSED" in page.words and "x (+1) ⊗ y (-1) ⊗ z (0)" in page.words
