"""Auditing the GF(3) balance claims of a SKILL.md corpus.

``audit_skills(directory)`` loads the corpus and reports, each with file:line:

=====================  =======  ==========================================================
kind                   default  meaning
=====================  =======  ==========================================================
claim-unbalanced       error    claimed balanced, but the written trits do not sum to 0
claim-balanced         error    claimed unbalanced (✗, ≠, needs), but they sum to 0
written-sum            error    the sum written after ``=`` is not the sum of the terms
member-mismatch        error    a member's written trit differs from that skill's own trit
member-undeclared      error    a member names a corpus skill that declares no trit
declaration-conflict   error    a declaration that disagrees with the one taken as own
declared-unbalanced    error    a claimed-balanced group that stops summing to 0 when each
                                member's own declared trit replaces the written one
member-unresolved      warning  a member whose name reads as a skill but names none here
boilerplate-only       warning  a skill whose only declarations are boilerplate
parse-problem          warning  a line that reads as a claim or declaration but not parsed
=====================  =======  ==========================================================

Errors are violations: ``exit_code()`` is 1 when there is one (with ``strict=True``
warnings count too), so the audit can gate CI. Unresolved names are warnings because a
corpus is often a subset of the skills that its claims mention.

Which declaration is a skill's own (the ranking rule)
-----------------------------------------------------
Each declaration gets a rank; the highest wins:

4. ``frontmatter`` (``trit:`` in the YAML header), the machine-read field;
3. explicit labels: ``**Trit**:``, a ``## ... Trit: v`` heading, a ``| Trit | v |`` row;
2. a plain ``Trit: v`` line in a section whose heading mentions "Trit" (a section such as
   "GF(3) Trit Assignment", written for this purpose);
1. any other plain ``Trit:`` line, an HTML comment (propagation metadata such as
   ``<!-- Propagated to amp | Trit: 0 -->``) and a ``TRIT = v`` code constant;
0. boilerplate: a declaration inside a code block that recurs verbatim in another skill's
   file (the fixtures' "Cat# Integration" block says ``Trit: 0`` in five skills).

Among declarations of the top rank that disagree, the value written most often wins, then
the earliest line, and the conflict is still reported. A skill whose only declarations
are boilerplate takes that value, with a ``boilerplate-only`` warning.

In ``declared-unbalanced`` only members that resolve to a skill with a declaration are
replaced; unresolved and unnamed members keep their written trit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import attrs

from acset_s2r.errors import AcsetS2RError
from acset_s2r.gf3.parse import load_skills
from acset_s2r.gf3.records import Declaration, Group, Member, SkillCorpus, looks_like_skill
from acset_s2r.gf3.trit import Trit, trit_sum
from acset_s2r.fileio import atomic_write_text

# The CLI imports extract_main from here; it lives in acset_s2r.gf3.extract.
from acset_s2r.gf3.extract import extract_main  # noqa: E402,F401

__all__ = [
    "Finding",
    "AuditReport",
    "FINDING_KINDS",
    "declaration_rank",
    "own_declaration",
    "audit_corpus",
    "audit_skills",
    "audit_main",
]

FINDING_KINDS = {
    "claim-unbalanced": "error",
    "claim-balanced": "error",
    "written-sum": "error",
    "member-mismatch": "error",
    "member-undeclared": "error",
    "declaration-conflict": "error",
    "declared-unbalanced": "error",
    "member-unresolved": "warning",
    "boilerplate-only": "warning",
    "parse-problem": "warning",
}
_RANK_OF_FORM = {"frontmatter": 4, "label": 3, "heading": 3, "table-row": 3,
                 "html-comment": 1, "constant": 1, "plain": 1}
_TRIT_SECTION = re.compile(r"\btrits?\b", re.IGNORECASE)


def declaration_rank(d: Declaration) -> int:
    """How much a declaration counts as its skill's own trit (see the module docstring)."""
    if d.boilerplate:
        return 0
    if d.form == "plain" and _TRIT_SECTION.search(d.section):
        return 2
    return _RANK_OF_FORM[d.form]


def own_declaration(decls: tuple[Declaration, ...] | list[Declaration]) -> Declaration | None:
    """The declaration taken as the skill's own trit, or None when there is none."""
    if not decls:
        return None
    top = max(declaration_rank(d) for d in decls)
    best = [d for d in decls if declaration_rank(d) == top]
    votes = Counter(d.trit for d in best)
    most = max(votes.values())
    return next(d for d in best if votes[d.trit] == most)


@attrs.frozen
class Finding:
    kind: str = attrs.field(validator=attrs.validators.in_(FINDING_KINDS))
    file: str
    line: int
    message: str
    skill: str | None = None
    group: int | None = None

    @property
    def severity(self) -> str:
        return FINDING_KINDS[self.kind]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "file": self.file, "line": self.line,
                "message": self.message, "skill": self.skill, "group": self.group}


@attrs.frozen
class AuditReport:
    corpus: SkillCorpus
    own: dict = attrs.field(eq=False)  # skill name -> Declaration | None
    findings: tuple[Finding, ...]

    @property
    def violations(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def exit_code(self, strict: bool = False) -> int:
        """0 when clean, 1 when there are violations (or, with ``strict``, any finding)."""
        return 1 if (self.findings if strict else self.violations) else 0

    def own_trit(self, skill: str) -> Trit | None:
        d = self.own.get(skill)
        return d.trit if d is not None else None

    def of_kind(self, kind: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)

    def summary(self) -> dict:
        c = self.corpus
        return {
            "skills": len(c.skills),
            "declarations": len(c.declarations),
            "groups": len(c.groups),
            "claims": sum(g.claimed_balanced is not None for g in c.groups),
            "members": len(c.members),
            "parse_problems": len(c.problems),
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "by_kind": dict(sorted(Counter(f.kind for f in self.findings).items())),
        }

    def to_dict(self) -> dict:
        c = self.corpus
        skills = []
        for s in c.skills:
            own = self.own.get(s.name)
            skills.append({
                "name": s.name, "file": s.file, "aliases": list(s.aliases),
                "trit": int(own.trit) if own else None,
                "source": _decl_dict(own) if own else None,
                "declarations": [_decl_dict(d) for d in c.declarations_of(s.name)],
            })
        groups = []
        for i, g in enumerate(c.groups):
            groups.append({
                "id": i, "kind": g.kind, "form": g.form, "claimed_balanced": g.claimed_balanced,
                "written_sum": g.written_sum, "file": g.file, "line": g.line, "text": g.text,
                "members": [{"name": m.name, "skill": c.resolve(m.name), "trit": int(m.trit),
                             "weight": m.weight, "line": m.line} for m in c.members_of(i)],
            })
        return {"directory": c.directory, "summary": self.summary(), "skills": skills,
                "groups": groups, "findings": [f.to_dict() for f in self.findings]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_table(self) -> str:
        """A plain-text report: one row per skill, then one row per finding."""
        c = self.corpus
        rows = [("skill", "trit", "taken from", "declarations")]
        for s in c.skills:
            own = self.own.get(s.name)
            decls = c.declarations_of(s.name)
            values = sorted({str(d.trit) for d in decls})
            rows.append((s.name, str(own.trit) if own else "-",
                         f"{own.form} {own.file}:{own.line}" if own else "no declaration",
                         f"{len(decls)}" + (f" ({', '.join(values)})" if len(values) > 1 else "")))
        out = [_columns(rows), ""]
        if self.findings:
            frows = [("where", "severity", "kind", "message")]
            frows += [(f.where, f.severity, f.kind, f.message) for f in self.findings]
            out += [_columns(frows), ""]
        s = self.summary()
        out.append(f"{s['skills']} skills, {s['declarations']} declarations, {s['groups']} groups "
                   f"({s['claims']} claims), {s['violations']} violations, {s['warnings']} warnings")
        return "\n".join(out)


def _decl_dict(d: Declaration) -> dict:
    return {"trit": int(d.trit), "form": d.form, "file": d.file, "line": d.line,
            "rank": declaration_rank(d), "boilerplate": d.boilerplate}


def _columns(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        lines.append("  ".join([c.ljust(w) for c, w in zip(r, widths)] + [r[-1]]).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * max(len(r[-1]) for r in rows[:1]))
    return "\n".join(lines)


def _describe(d: Declaration) -> str:
    extra = ", boilerplate" if d.boilerplate else ""
    return f"{d.form}{extra} at {d.file}:{d.line}"


def _conflict_message(skill: str, d: Declaration, taken: Declaration) -> str:
    here = f"{skill} declares {d.trit} here ({_describe(d)})"
    r_taken, r_here = declaration_rank(taken), declaration_rank(d)
    if r_taken > r_here:
        return f"{here} but the audit takes {taken.trit} from the {_describe(taken)} (rank {r_taken} > {r_here})"
    return f"{here} and {taken.trit} in the {_describe(taken)} at the same rank; the audit takes {taken.trit}"


def _weighted(members) -> Trit:
    return trit_sum(m.trit * m.weight for m in members)


def audit_corpus(corpus: SkillCorpus) -> AuditReport:
    """Check a loaded corpus; see the module docstring for what is reported."""
    findings: list[Finding] = []
    own: dict[str, Declaration | None] = {}
    for s in corpus.skills:
        decls = corpus.declarations_of(s.name)
        taken = own_declaration(decls)
        own[s.name] = taken
        if taken is None:
            continue
        for d in decls:
            if d.trit != taken.trit:
                findings.append(Finding("declaration-conflict", d.file, d.line,
                                        _conflict_message(s.name, d, taken), skill=s.name))
        if all(d.boilerplate for d in decls):
            findings.append(Finding(
                "boilerplate-only", taken.file, taken.line,
                f"{s.name} declares its trit ({taken.trit}) only in a code block repeated in other "
                f"skills' files", skill=s.name))

    for gi, g in enumerate(corpus.groups):
        members = corpus.members_of(gi)
        findings.extend(_check_arithmetic(gi, g, members))
        for m in members:
            findings.extend(_check_member(corpus, own, gi, g, m))
        findings.extend(_check_declared_sum(corpus, own, gi, g, members))

    for p in corpus.problems:
        findings.append(Finding("parse-problem", p.file, p.line, f"{p.reason}: {p.text.strip()[:120]}"))
    findings.sort(key=lambda f: (f.file, f.line, f.kind))
    return AuditReport(corpus, own, tuple(findings))


def _check_arithmetic(gi: int, g: Group, members) -> list[Finding]:
    out = []
    total = _weighted(members)
    terms = " + ".join(f"{m.weight}×({m.trit})" if m.weight != 1 else f"({m.trit})" for m in members)
    if g.claimed_balanced is True and total != Trit(0):
        out.append(Finding("claim-unbalanced", g.file, g.line,
                           f"claimed balanced but {terms} ≡ {total} (mod 3)", skill=g.skill, group=gi))
    elif g.claimed_balanced is False and total == Trit(0):
        out.append(Finding("claim-balanced", g.file, g.line,
                           f"claimed unbalanced but {terms} ≡ 0 (mod 3)", skill=g.skill, group=gi))
    # a wrong written sum is its own finding only when the verdict did not already say it
    if not out and g.written_sum is not None and Trit(g.written_sum) != total:
        out.append(Finding("written-sum", g.file, g.line,
                           f"the written sum {g.written_sum} is not {terms} ≡ {total} (mod 3)",
                           skill=g.skill, group=gi))
    return out


def _check_member(corpus: SkillCorpus, own, gi: int, g: Group, m: Member) -> list[Finding]:
    if m.name is None:
        return []
    skill = corpus.resolve(m.name)
    if skill is None:
        if not looks_like_skill(m.name):
            return []  # a role label such as "Agent A" or "α"
        return [Finding("member-unresolved", g.file, m.line,
                        f"{m.name} ({m.trit}) names no skill in this corpus", skill=g.skill, group=gi)]
    d = own.get(skill)
    if d is None:
        return [Finding("member-undeclared", g.file, m.line,
                        f"{m.name} is written as {m.trit} but {skill} declares no trit in "
                        f"{corpus_file(corpus, skill)}", skill=skill, group=gi)]
    if d.trit != m.trit:
        return [Finding("member-mismatch", g.file, m.line,
                        f"{m.name} is written as {m.trit} but {skill} declares {d.trit} "
                        f"({_describe(d)})", skill=skill, group=gi)]
    return []


def corpus_file(corpus: SkillCorpus, skill: str) -> str:
    return next(s.file for s in corpus.skills if s.name == skill)


def _check_declared_sum(corpus: SkillCorpus, own, gi: int, g: Group, members) -> list[Finding]:
    if g.claimed_balanced is not True:
        return []
    used, changed = [], []
    for m in members:
        skill = corpus.resolve(m.name)
        d = own.get(skill) if skill else None
        t = d.trit if d is not None else m.trit
        if t != m.trit:
            changed.append(f"{m.name} {m.trit}→{t}")
        used.append(t * m.weight)
    total = trit_sum(used)
    if changed and total != Trit(0):
        return [Finding("declared-unbalanced", g.file, g.line,
                        f"with declared trits ({', '.join(changed)}) the group sums to {total}, not 0",
                        skill=g.skill, group=gi)]
    return []


def audit_skills(directory: str | Path) -> AuditReport:
    """Load ``directory``'s ``*/SKILL.md`` files and audit them."""
    return audit_corpus(load_skills(directory))


def audit_main(directory: str | Path, json_out: str | Path | None = None, strict: bool = False,
               stdout=None, stderr=None) -> int:
    """Entry point for ``acset-s2r skills audit DIR``: print the table, optionally write the
    JSON report (atomically), return the exit code (0 clean, 1 violations, 2 bad input)."""
    import sys

    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        report = audit_skills(directory)
        if not report.corpus.skills:
            print(f"error: no */SKILL.md files under {str(directory)!r}", file=stderr)
            return 2
        if json_out is not None:
            atomic_write_text(json_out, report.to_json() + "\n")
    except (AcsetS2RError, OSError) as e:
        print(f"error: {e}", file=stderr)
        return 2
    print(report.to_table(), file=stdout)
    return report.exit_code(strict=strict)


