"""A GF(3) audit as one HTML page (``acset-s2r skills audit DIR --html FILE``).

Built from the report's JSON data (``AuditReport.to_dict()``, as
``schemas/skill_audit_report.schema.json`` describes it), so the page and ``--json`` say
the same: the verdict first, then the findings, the skills with their trits, the groups
and their sums, and the command that audits again.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from acset_s2r.gf3.trit import trit_sum
from acset_s2r.html_page import Section, badge, details, heading, key_values, page, paragraph, preformatted, write_page
from acset_s2r.tables import Html, html_table


def _trit(value) -> str:
    return "-" if value is None else f"{value:+d}" if value else "0"


def verdict_section(data: Mapping, strict: bool = False) -> Section:
    s = data["summary"]
    failed = s["violations"] > 0 or (strict and s["warnings"] > 0)
    headline = (f"{s['violations']} violations, {s['warnings']} warnings" if s["violations"] or s["warnings"]
                else "No findings")
    scope = data.get("scope")
    scoped = "the whole corpus" if scope is None else (
        f"the skills {', '.join(scope['skills']) or '(none)'}"
        + (f" changed since {scope['changed_since']}" if scope.get("changed_since") else ""))
    rows = [("directory", data["directory"]), ("audited", f"{scoped}: {s['audited_groups']} of {s['groups']} groups"),
            ("skills", s["skills"]), ("declarations", s["declarations"]), ("groups (with a balance claim)",
            f"{s['groups']} ({s['claims']})"), ("members", s["members"]), ("files that could not be read", s["parse_problems"])]
    rows += [(f"findings: {kind}", n) for kind, n in s["by_kind"].items()]
    return Section("Verdict", [
        Html(f'<p class="verdict">{badge("FAILED" if failed else "PASSED", not failed)} {headline}</p>'),
        "Every trit a SKILL.md declares and every balance claim it writes, summed in GF(3); "
        + ("a warning fails the audit too (--strict)." if strict else "violations fail the audit, warnings do not."),
        key_values(rows),
    ])


def findings_section(data: Mapping) -> Section:
    findings = data["findings"]
    if not findings:
        return Section("Findings", ["Nothing to fix."])
    fixes = any(f["fixes"] for f in findings)
    order = sorted(findings, key=lambda f: (f["severity"] != "error", f["file"], f["line"]))
    rows = [[f"{f['file']}:{f['line']}", badge(f["severity"], None if f["severity"] == "warning" else False), f["kind"],
             f["message"]] + (["; ".join(x["message"] for x in f["fixes"])] if fixes else []) for f in order]
    header = ["where", "severity", "kind", "message"] + (["how to fix"] if fixes else [])
    return Section("Findings", [Html(html_table(header, rows))])


def skills_section(data: Mapping) -> Section:
    rows = []
    for sk in data["skills"]:
        src = sk["source"]
        values = sorted({d["trit"] for d in sk["declarations"]})
        rows.append([sk["name"], _trit(sk["trit"]), f"{src['form']} {src['file']}:{src['line']}" if src else "no declaration",
                     f"{len(sk['declarations'])}" + (f" (disagree: {', '.join(map(_trit, values))})" if len(values) > 1 else "")])
    return Section("Skills", [Html(html_table(["skill", "trit", "taken from", "declarations"], rows,
                                              numeric=[False, True, False, False]))])


def groups_section(data: Mapping) -> Section:
    rows = []
    for g in data["groups"]:
        members = " ⊗ ".join(f"{m['name'] or '?'} ({_trit(m['trit'])})" for m in g["members"])
        total = int(trit_sum(m["trit"] * m["weight"] for m in g["members"]))
        claim = {True: "balanced", False: "unbalanced", None: "no claim"}[g["claimed_balanced"]]
        rows.append([g["id"], f"{g['file']}:{g['line']}", members, badge(_trit(total), total == 0), claim,
                     "yes" if g["audited"] else "no"])
    table = Html(html_table(["group", "where", "members", "sum in GF(3)", "written claim", "audited"], rows))
    body: list = [f"{len(rows)} groups; the sum is of the members' written trits (weights included), in -1, 0, +1."]
    body.append(table if len(rows) <= 40 else details(f"all {len(rows)} groups", [table]))
    return Section("Groups", body)


def audit_command(directory, *, strict: bool = False, changed_since: str | None = None,
                  html_out=None, json_out=None) -> str:
    """The ``acset-s2r skills audit`` command that writes this page again.

    Examples
    --------
    >>> audit_command("skills", changed_since="main", html_out="audit.html")
    'acset-s2r skills audit skills --changed-since main --html audit.html'
    """
    words = ["acset-s2r", "skills", "audit", str(directory)]
    words += ["--strict"] if strict else []
    words += ["--changed-since", changed_since] if changed_since else []
    words += ["--json", str(json_out)] if json_out else []
    words += ["--html", str(html_out)] if html_out else []
    return shlex.join(words)


def audit_sections(data: Mapping, *, strict: bool = False, command: str | None = None) -> list[Section]:
    """The audit page's sections, in order (a sweep or another page can take some of them)."""
    sections = [verdict_section(data, strict), findings_section(data), skills_section(data), groups_section(data)]
    if command:
        sections.append(Section("Reproduce", [heading("Command"), preformatted(command),
                                              paragraph("The audit reads only the files; it draws nothing at random.")]))
    return sections


def write_audit_page(data: Mapping, path, *, strict: bool = False, command: str | None = None) -> Path:
    """Write the page of an audit's JSON data to ``path`` atomically."""
    s = data["summary"]
    subtitle = f"{s['skills']} skills, {s['groups']} groups: {s['violations']} violations, {s['warnings']} warnings"
    text = page(f"GF(3) skill audit: {data['directory']}", audit_sections(data, strict=strict, command=command),
                subtitle=subtitle, footer="Written by acset_s2r from the audit report (the same data as --json).")
    return write_page(path, text)

