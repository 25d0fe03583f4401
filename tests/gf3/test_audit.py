"""The skill-balance audit: findings on the fixture corpus (read by hand) and on small corpora."""

import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r.gf3.audit import (
    FINDING_KINDS,
    audit_main,
    audit_skills,
    declaration_rank,
    own_declaration,
)
from acset_s2r.gf3.parse import parse_skill_text
from acset_s2r.gf3.trit import ERGODIC, MINUS, PLUS, Trit, is_balanced

FIXTURES = Path(__file__).parents[1] / "fixtures" / "skills"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "SKILL.md").write_text(text, encoding="utf-8")
    return root


def kinds_at(report):
    return {(f.kind, f.file, f.line) for f in report.findings}


@pytest.fixture(scope="module")
def report():
    return audit_skills(FIXTURES)


# -- fixture findings ---------------------------------------------------------------------
def test_seed_quad_member_has_no_declaration_in_its_own_file(report):
    (f,) = [f for f in report.of_kind("member-undeclared")]
    assert (f.file, f.line, f.skill) == ("sim2real-predictive-coding/SKILL.md", 15, "active-inference-robotics")
    assert report.own_trit("active-inference-robotics") is None


def test_unworld_declares_plus_but_curiosity_triad_writes_zero(report):
    assert report.own_trit("unworld") == PLUS
    assert report.own["unworld"].form == "label" and report.own["unworld"].line == 13
    mism = [f for f in report.of_kind("member-mismatch") if f.skill == "unworld"]
    assert [(f.file, f.line) for f in mism] == [("curiosity-driven/SKILL.md", 118)]
    assert "unworld is written as 0" in mism[0].message


def test_own_trits_follow_the_ranking_rule(report):
    expected = {"autopoiesis": ERGODIC, "curiosity-driven": ERGODIC, "duckdb-spatial": ERGODIC,
                "gay-mcp": PLUS, "gf3-tripartite": ERGODIC, "kscale-kinfer": MINUS, "kscale-kos": MINUS,
                "sim2real-predictive-coding": PLUS, "three-match": MINUS, "unworld": PLUS}
    assert {s: report.own_trit(s) for s in expected} == expected
    # labels beat the propagation comment (gay-mcp, three-match) and the Cat# boilerplate
    conflicts = {(f.file, f.line) for f in report.of_kind("declaration-conflict")}
    assert conflicts == {("gay-mcp/SKILL.md", 7), ("three-match/SKILL.md", 8),
                         ("three-match/SKILL.md", 273), ("unworld/SKILL.md", 275)}
    assert {f.skill for f in report.of_kind("boilerplate-only")} == {"curiosity-driven", "gf3-tripartite"}


def test_fixture_mismatches_and_declared_sums(report):
    mism = {(f.file, f.line, f.skill) for f in report.of_kind("member-mismatch")}
    assert mism == {
        ("curiosity-driven/SKILL.md", 116, "curiosity-driven"),  # written +1, declared 0 (boilerplate)
        ("curiosity-driven/SKILL.md", 117, "curiosity-driven"),
        ("curiosity-driven/SKILL.md", 118, "curiosity-driven"),
        ("curiosity-driven/SKILL.md", 118, "unworld"),
        ("unworld/SKILL.md", 193, "gay-mcp"),  # unworld's table writes gay-mcp 0; gay-mcp says +1
    }
    # three-match (-1) ⊗ unworld (+1) ⊗ curiosity-driven (0) still sums to 0, so 118 is absent
    declared = {(f.file, f.line) for f in report.of_kind("declared-unbalanced")}
    assert declared == {("curiosity-driven/SKILL.md", 116), ("curiosity-driven/SKILL.md", 117),
                        ("unworld/SKILL.md", 196)}


def test_fixture_written_arithmetic_is_right(report):
    # every hand-written claim in the fixtures adds up, including the ✗ tuple in gf3-tripartite
    for kind in ("claim-unbalanced", "claim-balanced", "written-sum", "parse-problem"):
        assert report.of_kind(kind) == ()
    unresolved = {f.message.split(" (")[0] for f in report.of_kind("member-unresolved")}
    assert {"kscale-ksim", "fokker-planck-analyzer", "acsets", "World-Hopping"} <= unresolved
    assert not unresolved & {"Agent A", "α", "ACP Layer"} and not unresolved & set(report.corpus.skill_names)


def test_fixture_totals_and_exit_code(report):
    s = report.summary()
    assert s["violations"] == 4 + 5 + 1 + 3  # conflicts, mismatches, undeclared, declared-unbalanced
    assert s["skills"] == 11 and s["violations"] == len(report.violations)
    assert report.exit_code() == 1


def test_table_and_json_agree(report):
    table = report.to_table()
    for f in report.violations:
        assert f.where in table
    data = json.loads(report.to_json())
    assert len(data["findings"]) == len(report.findings)
    skills = {s["name"]: s for s in data["skills"]}
    assert skills["three-match"]["trit"] == -1 and skills["three-match"]["source"]["line"] == 13
    assert skills["active-inference-robotics"]["trit"] is None
    quad = [g for g in data["groups"] if g["kind"] == "quad"][0]
    assert [m["skill"] for m in quad["members"]] == [
        "sim2real-predictive-coding", "active-inference-robotics", "kscale-kos", "kscale-kinfer"]


# -- ranking ------------------------------------------------------------------------------
def test_rank_order_of_forms():
    text = ("---\ntrit: 1\n---\n<!-- x | Trit: 0 | y -->\n**Trit**: -1\n## Trit Assignment\n```\n"
            "Trit: 0\n```\n## Other\n```\nTrit: -1\nTRIT = 0\n```\n")
    ds = parse_skill_text(text, "s").declarations
    ranks = {(d.form, d.line): declaration_rank(d) for d in ds}
    assert ranks == {("frontmatter", 2): 4, ("html-comment", 4): 1, ("label", 5): 3, ("plain", 8): 2,
                     ("plain", 12): 1, ("constant", 13): 1}
    assert own_declaration(ds).form == "frontmatter"
    assert own_declaration([d for d in ds if d.form != "frontmatter"]).trit == MINUS


def test_same_rank_conflict_takes_the_majority_then_the_first(tmp_path):
    write(tmp_path, {"s": "**Trit**: 0\n**Trit**: +1\n**Trit**: +1\n", "t": "**Trit**: -1\n**Trit**: 0\n"})
    r = audit_skills(tmp_path)
    assert r.own_trit("s") == PLUS and r.own_trit("t") == MINUS
    (fs,) = [f for f in r.of_kind("declaration-conflict") if f.skill == "s"]
    assert fs.line == 1 and "same rank" in fs.message


# -- small corpora ------------------------------------------------------------------------
def test_arithmetic_findings(tmp_path):
    write(tmp_path, {"a": ("x (+1) ⊗ y (+1) ⊗ z (0) = 0 ✓\n"      # claimed balanced, sums to -1
                           "x (+1) ⊗ y (-1) ⊗ z (0) = 0 ✗\n"       # claimed unbalanced, sums to 0
                           "x (+1) ⊗ y (+1) ⊗ z (+1) = 1 ✓\n")})   # balanced, but wrote 1
    r = audit_skills(tmp_path)
    errors = {(f.kind, f.file, f.line) for f in r.violations}
    # line 1's "= 0" is the verdict already reported, so no separate written-sum finding
    assert errors == {("claim-unbalanced", "a/SKILL.md", 1), ("claim-balanced", "a/SKILL.md", 2),
                      ("written-sum", "a/SKILL.md", 3)}


def test_weighted_claim_uses_weights(tmp_path):
    write(tmp_path, {"a": "Σ = 2(+1) + 2(-1) + (0) = 0 ✓\nΣ = 2(+1) + (-1) = 0 ✓\n"})
    r = audit_skills(tmp_path)
    assert kinds_at(r) == {("claim-unbalanced", "a/SKILL.md", 2)}


def test_member_checks_and_declared_sum(tmp_path):
    write(tmp_path, {
        "gen": "---\ntrit: 1\n---\n",
        "val": "**Trit**: -1 (MINUS)\n",
        "hub": "## GF(3) Trit: 0 (Coordinator)\ngen (+1) ⊗ val (0) ⊗ hub (-1) = 0 ✓\nval (-1) ⊗ hub (0) ⊗ ghost (+1) = 0 ✓\n",
        "bare": "nothing declared here\n",
        "user": "bare (0) ⊗ gen (+1) ⊗ val (-1) = 0 ✓\n",
    })
    r = audit_skills(tmp_path)
    assert kinds_at(r) == {
        ("member-mismatch", "hub/SKILL.md", 2),  # val written 0, declared -1
        ("member-mismatch", "hub/SKILL.md", 2),  # hub written -1, declared 0 (same line, set)
        ("member-unresolved", "hub/SKILL.md", 3),
        ("member-undeclared", "user/SKILL.md", 1),
    }
    assert len(r.of_kind("member-mismatch")) == 2
    # +1 + (-1) + 0 = 0 with declared trits: no declared-unbalanced although two members differ
    assert r.of_kind("declared-unbalanced") == ()


def test_declared_unbalanced(tmp_path):
    write(tmp_path, {"p": "**Trit**: +1\n", "q": "**Trit**: +1\n",
                     "r": "p (+1) ⊗ q (-1) ⊗ x (0) = 0 ✓\n"})
    r = audit_skills(tmp_path)
    (f,) = r.of_kind("declared-unbalanced")
    assert (f.file, f.line) == ("r/SKILL.md", 1) and "q -1→+1" in f.message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([-1, 0, 1]), min_size=1, max_size=6), st.booleans())
def test_claim_findings_match_is_balanced(tmp_path, trits, mark_ok):
    terms = " ⊗ ".join(f"m{i} ({t:+d})" if t else f"m{i} (0)" for i, t in enumerate(trits))
    write(tmp_path, {"g": terms + (" = 0 ✓\n" if mark_ok else " ✗\n")})
    r = audit_skills(tmp_path)
    balanced = is_balanced(trits)
    assert bool(r.of_kind("claim-unbalanced")) == (mark_ok and not balanced)
    assert bool(r.of_kind("claim-balanced")) == (not mark_ok and balanced)
    assert r.of_kind("written-sum") == () and r.of_kind("parse-problem") == ()
    assert r.exit_code() == int(mark_ok != balanced)


# -- entry point --------------------------------------------------------------------------
def test_audit_main_exit_codes_and_json(tmp_path):
    clean = write(tmp_path / "clean", {"a": "**Trit**: +1\n", "b": "a (+1) ⊗ x (-1) ⊗ y (0) = 0 ✓\n"})
    out, err = io.StringIO(), io.StringIO()
    assert audit_main(clean, stdout=out, stderr=err) == 0  # only unresolved-name warnings
    assert "member-unresolved" in out.getvalue()
    assert audit_main(clean, strict=True, stdout=io.StringIO()) == 1

    target = tmp_path / "out" / "report.json"
    out = io.StringIO()
    assert audit_main(FIXTURES, json_out=target, stdout=out) == 1
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["summary"]["violations"] == sum(FINDING_KINDS[f["kind"]] == "error" for f in data["findings"])
    assert "sim2real-predictive-coding/SKILL.md:15" in out.getvalue()

    err = io.StringIO()
    assert audit_main(tmp_path / "missing", stdout=io.StringIO(), stderr=err) == 2
    assert "does not exist" in err.getvalue()
    (tmp_path / "empty").mkdir()
    assert audit_main(tmp_path / "empty", stdout=io.StringIO(), stderr=io.StringIO()) == 2


def test_trit_type_is_exported_for_reports():
    assert Trit(4) == PLUS
