"""``--changed-since``: which skills changed since a git ref, and an audit of only what touches them."""

import io
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r.errors import AcsetS2RError
from acset_s2r.gf3.audit import audit_main, audit_skills
from acset_s2r.gf3.changes import changed_skills

from .corpora import claim_lines, names, render, specs, write


def git(root, *args):
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=root, check=True, capture_output=True)


def repo(root):
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    return root


def commit_all(root, message="corpus"):
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs(), names, st.data())
def test_changed_since_reports_exactly_the_claims_touching_the_changed_skill(tmp_path_factory, spec, nm, data):
    root = repo(tmp_path_factory.mktemp("corpus") / "skills")
    texts = render(spec, nm)
    write(root, texts)
    commit_all(root)
    k = data.draw(st.integers(0, len(spec.trits) - 1), label="changed skill")
    (root / nm[k] / "SKILL.md").write_text(texts[nm[k]] + "\nSee also the README.\n", encoding="utf-8")

    report = audit_skills(root, changed_since="HEAD")
    lines = claim_lines(spec, nm)
    expected = {lines[c] for c in spec.claims_naming(k) | spec.claims_in(k)}
    assert {(f.file, f.line) for f in report.of_kind("claim-unbalanced")} == expected
    assert report.scope.skills == (nm[k],)
    # and nothing outside: every finding is in the changed file or about a group naming it
    everything = {(f.file, f.line) for f in audit_skills(root).of_kind("claim-unbalanced")}
    assert everything == set(lines.values())


def test_changed_skills_sees_staged_unstaged_new_and_deleted(tmp_path):
    root = repo(tmp_path / "r") / "skills"
    write(root, {"a": "**Trit**: +1\n", "b": "**Trit**: 0\n", "c": "**Trit**: -1\n", "d": "x\n"})
    (root / "README.md").write_text("not a skill\n", encoding="utf-8")
    commit_all(tmp_path / "r")
    assert changed_skills(root, "HEAD") == ()
    (root / "a" / "SKILL.md").write_text("**Trit**: -1\n", encoding="utf-8")  # unstaged
    (root / "b" / "notes.txt").write_text("new file\n", encoding="utf-8")  # untracked, in b
    (root / "c" / "SKILL.md").unlink()  # deleted
    (root / "README.md").write_text("changed, but in no skill\n", encoding="utf-8")
    write(root, {"e": "**Trit**: 0\n"})
    git(root, "add", "e")  # staged
    assert changed_skills(root, "HEAD") == ("a", "b", "c", "e")


def test_claims_naming_a_deleted_skill_are_in_scope(tmp_path):
    root = repo(tmp_path / "skills")
    write(root, {"a": "**Trit**: +1\n\nGone Skill (+1) ⊗ a (+1) = 0 ✓\n", "b": "**Trit**: 0\n",
                 "gone-skill": "**Trit**: +1\n"})
    commit_all(root)
    git(root, "rm", "-q", "-r", "gone-skill")
    report = audit_skills(root, changed_since="HEAD")
    assert report.scope.skills == ("gone-skill",)
    assert [(f.kind, f.file) for f in report.of_kind("claim-unbalanced")] == [("claim-unbalanced", "a/SKILL.md")]


def test_not_a_repository_and_unknown_ref_are_our_errors(tmp_path):
    write(tmp_path / "plain", {"a": "**Trit**: +1\n"})
    with pytest.raises(AcsetS2RError, match="not inside a git work tree"):
        audit_skills(tmp_path / "plain", changed_since="HEAD")
    root = repo(tmp_path / "r")
    write(root, {"a": "**Trit**: +1\n"})
    commit_all(root)
    with pytest.raises(AcsetS2RError, match="unknown git ref 'no-such-branch'"):
        changed_skills(root, "no-such-branch")
    with pytest.raises(AcsetS2RError, match="not a git ref"):
        changed_skills(root, "--output=x")
    err = io.StringIO()
    assert audit_main(root, changed_since="v9", stdout=io.StringIO(), stderr=err) == 2
    assert "unknown git ref 'v9'" in err.getvalue()
