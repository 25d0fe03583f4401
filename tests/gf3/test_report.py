"""The JSON report's schema, and the report as lines, GitHub workflow commands and via the CLI."""

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest

from acset_s2r.cli import main
from acset_s2r.gf3.audit import FINDING_KINDS, REPORT_VERSION, audit_skills

from . import conftest
from .corpora import write

FORMS = Path(__file__).parents[1] / "fixtures" / "skill_forms"
SKILLS = Path(__file__).parents[1] / "fixtures" / "skills"


def test_the_schema_is_a_valid_draft_2020_12_schema_for_this_version():
    jsonschema.Draft202012Validator.check_schema(conftest.REPORT_SCHEMA)
    assert re.fullmatch(conftest.REPORT_SCHEMA["properties"]["version"]["pattern"], REPORT_VERSION)
    kinds = conftest.REPORT_SCHEMA["$defs"]["kind"]["enum"]
    assert sorted(kinds) == sorted(FINDING_KINDS)


def test_every_report_is_validated_and_the_schema_rejects_bad_ones():
    before = len(conftest.CHECKED)
    data = audit_skills(SKILLS).to_dict()
    assert len(conftest.CHECKED) == before + 1  # the conftest hook ran
    bad = []
    error = next(i for i, f in enumerate(data["findings"]) if f["severity"] == "error")
    for path, value in [(("findings", error, "severity"), "warning"), (("skills", 0, "trit"), 2),
                        (("groups", 0, "members", 0, "match"), "fuzzy"), (("version",), "2.0.0")]:
        broken = copy.deepcopy(data)
        *head, last = path
        target = broken
        for key in head:
            target = target[key]
        target[last] = value
        bad.append(broken)
    del (broken := copy.deepcopy(data))["summary"]
    bad.append(broken)
    for b in bad:
        with pytest.raises(jsonschema.ValidationError):
            conftest.VALIDATOR.validate(b)


def test_lines_format_is_one_line_per_finding_then_fixes():
    report = audit_skills(FORMS)
    lines = report.to_lines("skills", fixes=False).splitlines()
    assert len(lines) == len(report.findings)
    for line, f in zip(lines, report.findings):
        assert line == f"skills/{f.file}:{f.line}: {f.severity}: {f.message} [{f.kind}]"
    with_fixes = report.to_lines("skills", fixes=True).splitlines()
    assert len(with_fixes) == len(report.findings) + sum(len(f.fixes) for f in report.findings)
    assert sum(": note: fix: " in x for x in with_fixes) == sum(len(f.fixes) for f in report.findings)


def _unescape(text):
    return text.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_github_format_is_workflow_commands_that_round_trip(tmp_path):
    # a folder name with a comma and a colon, and a message with % , : and a newline in fixes
    root = write(tmp_path / "odd, dir: x", {"a%b": "**Trit**: +1\n\na%b (+1) ⊗ 50%-off (+1) = 0 ✓\n"})
    report = audit_skills(root)
    out = report.to_github(str(root), fixes=True).splitlines()
    assert len(out) == len(report.findings)
    pattern = re.compile(r"^::(error|warning) file=([^,]*),line=(\d+),title=([^:]*)::(.*)$")
    for line, f in zip(out, report.findings):
        m = pattern.match(line)
        assert m, line
        assert (m[1], _unescape(m[2]), int(m[3]), m[4]) == (f.severity, f"{root}/{f.file}", f.line, f.kind)
        assert _unescape(m[5]).splitlines() == [f.message] + [f"fix: {x.message}" for x in f.fixes]


def test_cli_formats_and_options(tmp_path, capsys):
    assert main(["skills", "audit", str(FORMS), "--format", "github"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out and all(x.startswith(("::error ", "::warning ")) for x in out)
    assert main(["skills", "audit", str(FORMS), "--format", "lines", "--fix-suggestions"]) == 1
    assert "note: fix: gay-colors as +1" in capsys.readouterr().out
    target = tmp_path / "r.json"
    assert main(["skills", "audit", str(FORMS), "--format", "json", "--json", str(target)]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(target.read_text(encoding="utf-8"))
    conftest.VALIDATOR.validate(printed)
    assert main(["skills", "audit", str(FORMS), "--changed-since", "HEAD~0"]) in (0, 1)  # FORMS is in this repo
    capsys.readouterr()
    assert main(["skills", "audit", str(tmp_path), "--changed-since", "HEAD"]) == 2
    assert "not inside a git work tree" in capsys.readouterr().err
