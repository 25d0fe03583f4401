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

Each finding that names a member resolved leniently (``Some Skill`` for ``some-skill``: case,
hyphens and spaces ignored, see ``SkillCorpus.match``) says so in its message and in
``resolved``. Each finding may carry fixes (``--fix-suggestions`` prints them): for an
unbalanced group, the trit that one member would need to balance it (GF(3) arithmetic,
``acset_s2r.gf3.fixes``), or the trit of one member to add; for a mismatch, the
declaration it disagrees with and any declaration it agrees with.

Scope (``--changed-since``): with ``Scope(skills)``, only the declarations and parse
problems of those skills and the groups held in their files or naming one of them are
audited; names are still resolved against the whole corpus.

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

Reports as JSON
---------------
``AuditReport.to_dict()`` follows ``schemas/skill_audit_report.schema.json``; its
``version`` (``REPORT_VERSION``) changes minor for added fields and major for anything a
reader of an older report would misread.

In ``declared-unbalanced`` only members that resolve to a skill with a declaration are
replaced; unresolved and unnamed members keep their written trit.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import attrs

from acset_s2r.errors import AcsetS2RError
from acset_s2r.fileio import atomic_write_text
from acset_s2r.gf3.changes import changed_skills
from acset_s2r.gf3.fixes import member_balancing_trits
from acset_s2r.gf3.parse import load_skills
from acset_s2r.gf3.records import Declaration, Group, Member, NameMatch, SkillCorpus, looks_like_skill, name_key
from acset_s2r.gf3.trit import Trit, balancing_trit, trit_sum

__all__ = [
    "Finding",
    "Fix",
    "Scope",
    "AuditReport",
    "FINDING_KINDS",
    "REPORT_VERSION",
    "OUTPUT_FORMATS",
    "declaration_rank",
    "own_declaration",
    "audit_corpus",
    "audit_skills",
    "audit_main",
]

REPORT_VERSION = "1.0.0"
OUTPUT_FORMATS = ("text", "json", "lines", "github")
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
FIX_ACTIONS = ("set-member", "add-member", "match-declaration", "declare", "write-sum")
_RANK_OF_FORM = {"frontmatter": 4, "label": 3, "heading": 3, "table-row": 3,
                 "html-comment": 1, "constant": 1, "plain": 1}
_TRIT_SECTION = re.compile(r"\btrits?\b", re.IGNORECASE)


def declaration_rank(d: Declaration) -> int:
    """How much a declaration counts as its skill's own trit (see the module docstring).

    Examples
    --------
    >>> from acset_s2r.gf3.trit import PLUS
    >>> declaration_rank(Declaration("s", PLUS, "frontmatter", "s/SKILL.md", 2))
    4
    >>> declaration_rank(Declaration("s", PLUS, "plain", "s/SKILL.md", 9, section="GF(3) Trit"))
    2
    """
    if d.boilerplate:
        return 0
    if d.form == "plain" and _TRIT_SECTION.search(d.section):
        return 2
    return _RANK_OF_FORM[d.form]


def own_declaration(decls: tuple[Declaration, ...] | list[Declaration]) -> Declaration | None:
    """The declaration taken as the skill's own trit, or None when there is none.

    Examples
    --------
    >>> from acset_s2r.gf3.trit import MINUS, PLUS
    >>> a = Declaration("s", MINUS, "plain", "s/SKILL.md", 9)
    >>> b = Declaration("s", PLUS, "label", "s/SKILL.md", 3)
    >>> own_declaration([a, b]).trit
    Trit(+1)
    """
    if not decls:
        return None
    top = max(declaration_rank(d) for d in decls)
    best = [d for d in decls if declaration_rank(d) == top]
    votes = Counter(d.trit for d in best)
    most = max(votes.values())
    return next(d for d in best if votes[d.trit] == most)


@attrs.frozen
class Fix:
    """One way to clear a finding.

    ``action``: ``set-member`` (member ``member``, 0-based in its group, takes ``trit``),
    ``add-member`` (a member with ``trit`` joins the group), ``match-declaration`` (write
    the trit the declaration at ``file:line`` states), ``declare`` (the skill declares
    ``trit``), ``write-sum`` (the written sum becomes ``trit``).
    """

    action: str = attrs.field(validator=attrs.validators.in_(FIX_ACTIONS))
    message: str
    trit: Trit | None = None
    member: int | None = None
    name: str | None = None
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return {"action": self.action, "message": self.message,
                "trit": None if self.trit is None else int(self.trit), "member": self.member,
                "name": self.name, "file": self.file, "line": self.line}


@attrs.frozen
class Finding:
    kind: str = attrs.field(validator=attrs.validators.in_(FINDING_KINDS))
    file: str
    line: int
    message: str
    skill: str | None = None
    group: int | None = None
    resolved: str | None = None  # how a leniently resolved name was read
    fixes: tuple[Fix, ...] = ()

    @property
    def severity(self) -> str:
        return FINDING_KINDS[self.kind]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "file": self.file, "line": self.line,
                "message": self.message, "skill": self.skill, "group": self.group,
                "resolved": self.resolved, "fixes": [f.to_dict() for f in self.fixes]}


@attrs.frozen
class Scope:
    """The part of a corpus an audit looks at: the skills named and every group that is in
    their files or names one of them. ``ref`` records the git ref they changed since."""

    skills: tuple[str, ...] = attrs.field(converter=lambda xs: tuple(sorted(set(xs))))
    ref: str | None = None

    def groups(self, corpus: SkillCorpus) -> frozenset[int]:
        wanted = set(self.skills)
        # a deleted skill resolves to nothing; its name is matched as a reader would
        keys = {name_key(s) for s in self.skills}
        out = set()
        for gi, g in enumerate(corpus.groups):
            if g.skill in wanted or any(
                    corpus.resolve(m.name) in wanted
                    or (m.name is not None and corpus.resolve(m.name) is None and name_key(m.name) in keys)
                    for m in corpus.members_of(gi)):
                out.add(gi)
        return frozenset(out)


@attrs.frozen
class AuditReport:
    """The result of a GF(3) audit: what was read, and what is wrong with it.

    Attributes and properties are stored facts: ``corpus`` (what the files say),
    ``findings`` (every problem found, errors and warnings), ``violations`` and
    ``warnings`` (the findings by severity), ``scope`` (the ``--changed-since``
    restriction, or None) and ``audited`` (the ids of the groups checked). Methods take
    an argument or build something new: ``exit_code(strict)``, ``of_kind(kind)``,
    ``own_trit(skill)``, ``summary()`` (a fresh dict of counts) and the renderings
    (``to_dict``, ``to_json``, ``to_table``, ``to_lines``, ``to_github``, ``render(fmt)``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = pathlib.Path(d, "a").mkdir()
    ...     _ = pathlib.Path(d, "a", "SKILL.md").write_text("Agent A (+1) ⊗ Agent B (+1) = 0 ✓\\n", encoding="utf-8")
    ...     report = audit_skills(d)
    >>> report.exit_code(), len(report.violations) == len(report.findings) - len(report.warnings)
    (1, True)
    """

    corpus: SkillCorpus
    own: dict = attrs.field(eq=False)  # skill name -> Declaration | None
    findings: tuple[Finding, ...]
    scope: Scope | None = None
    audited: frozenset = attrs.field(default=None, eq=False)  # group ids checked

    def __attrs_post_init__(self) -> None:
        if self.audited is None:
            object.__setattr__(self, "audited", frozenset(range(len(self.corpus.groups))))

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
            "audited_groups": len(self.audited),
            "violations": len(self.violations),
            "warnings": len(self.warnings),
            "by_kind": dict(sorted(Counter(f.kind for f in self.findings).items())),
        }

    def to_dict(self) -> dict:
        """The report as JSON data, as ``schemas/skill_audit_report.schema.json`` describes."""
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
            members = []
            for m in c.members_of(i):
                match = c.match(m.name)
                members.append({"name": m.name, "skill": match.skill if match else None,
                                "match": match.how if match else None, "trit": int(m.trit),
                                "weight": m.weight, "line": m.line})
            groups.append({
                "id": i, "kind": g.kind, "form": g.form, "claimed_balanced": g.claimed_balanced,
                "written_sum": g.written_sum, "file": g.file, "line": g.line, "text": g.text,
                "audited": i in self.audited, "members": members,
            })
        scope = None if self.scope is None else {"skills": list(self.scope.skills),
                                                 "changed_since": self.scope.ref}
        return {"report": "acset-s2r skill audit", "version": REPORT_VERSION,
                "directory": c.directory, "scope": scope, "summary": self.summary(), "skills": skills,
                "groups": groups, "findings": [f.to_dict() for f in self.findings]}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_table(self, fixes: bool = False) -> str:
        """A plain-text report: one row per skill, then one row per finding (and its fixes)."""
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
            for f in self.findings:
                frows.append((f.where, f.severity, f.kind, f.message))
                if fixes:
                    frows += [("", "", "fix", x.message) for x in f.fixes]
            out += [_columns(frows), ""]
        s = self.summary()
        scoped = "" if self.scope is None else (
            f" (scope: {', '.join(self.scope.skills) or 'no skills'}"
            f"{f' changed since {self.scope.ref}' if self.scope.ref else ''}: {s['audited_groups']} groups)")
        out.append(f"{s['skills']} skills, {s['declarations']} declarations, {s['groups']} groups "
                   f"({s['claims']} claims), {s['violations']} violations, {s['warnings']} warnings{scoped}")
        return "\n".join(out)

    def to_lines(self, prefix: str = "", fixes: bool = False) -> str:
        """One ``file:line: severity: message [kind]`` line per finding, as compilers and
        linters print them (editors and problem matchers read it); ``prefix`` is joined
        before each file, so paths can be given from the repository root. Fixes follow
        their finding as ``file:line: note: fix: ...`` lines."""
        out = []
        for f in self.findings:
            where = f"{_joined(prefix, f.file)}:{f.line}"
            out.append(f"{where}: {f.severity}: {f.message} [{f.kind}]")
            if fixes:
                out += [f"{where}: note: fix: {x.message}" for x in f.fixes]
        return "\n".join(out)

    def to_github(self, prefix: str = "", fixes: bool = False) -> str:
        """One GitHub Actions workflow command per finding,
        ``::error file=F,line=N,title=KIND::MESSAGE`` (``::warning`` for warnings), which a
        workflow step turns into an annotation on the pull request's diff with no problem
        matcher. Fixes are further lines of the same message."""
        out = []
        for f in self.findings:
            text = f.message + "".join(f"\nfix: {x.message}" for x in f.fixes) if fixes else f.message
            props = ",".join(f"{k}={_gh_property(str(v))}" for k, v in
                             (("file", _joined(prefix, f.file)), ("line", f.line), ("title", f.kind)))
            out.append(f"::{f.severity} {props}::{_gh_data(text)}")
        return "\n".join(out)

    def render(self, fmt: str = "text", prefix: str = "", fixes: bool = False) -> str:
        """The report in one of ``OUTPUT_FORMATS``."""
        if fmt == "text":
            return self.to_table(fixes=fixes)
        if fmt == "json":
            return self.to_json()
        if fmt == "lines":
            return self.to_lines(prefix, fixes)
        if fmt == "github":
            return self.to_github(prefix, fixes)
        raise AcsetS2RError(f"unknown report format {fmt!r}; choose from {', '.join(OUTPUT_FORMATS)}")


def _joined(prefix: str, file: str) -> str:
    return f"{prefix.rstrip('/')}/{file}" if prefix and prefix != "." else file


# Escapes of the workflow-command protocol: data escapes %, CR, LF; properties also : and ,
def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


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


def _label(m: Member, j: int) -> str:
    return m.name if m.name is not None else f"term {j + 1}"


def _with_note(message: str, match: NameMatch | None) -> str:
    return f"{message} ({match.note})" if match is not None and match.loose else message


def audit_corpus(corpus: SkillCorpus, scope: Scope | None = None) -> AuditReport:
    """Check a loaded corpus, or the part of it in ``scope``; see the module docstring.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name, text in {"spi": "**Trit**: -1\\n",
    ...                        "gay-mcp": "**Trit**: +1\\n\\nSPI (+1) ⊗ gay-mcp (+1) ⊗ x (+1) = 0 ✓\\n"}.items():
    ...         pathlib.Path(d, name).mkdir()
    ...         _ = pathlib.Path(d, name, "SKILL.md").write_text(text, encoding="utf-8")
    ...     report = audit_corpus(load_skills(d))
    >>> [(f.kind, f.line) for f in report.findings]
    [('declared-unbalanced', 3), ('member-mismatch', 3), ('member-unresolved', 3)]
    >>> report.of_kind("member-mismatch")[0].resolved
    "'SPI' read as spi, ignoring case"
    """
    findings: list[Finding] = []
    own: dict[str, Declaration | None] = {}
    in_scope = None if scope is None else set(scope.skills)
    for s in corpus.skills:
        decls = corpus.declarations_of(s.name)
        taken = own_declaration(decls)
        own[s.name] = taken
        if taken is None or (in_scope is not None and s.name not in in_scope):
            continue
        for d in decls:
            if d.trit != taken.trit:
                findings.append(Finding("declaration-conflict", d.file, d.line,
                                        _conflict_message(s.name, d, taken), skill=s.name,
                                        fixes=(_match_declaration(taken, s.name),)))
        if all(d.boilerplate for d in decls):
            findings.append(Finding(
                "boilerplate-only", taken.file, taken.line,
                f"{s.name} declares its trit ({taken.trit}) only in a code block repeated in other "
                f"skills' files", skill=s.name))

    audited = frozenset(range(len(corpus.groups))) if scope is None else scope.groups(corpus)
    for gi in sorted(audited):
        g = corpus.groups[gi]
        members = corpus.members_of(gi)
        findings.extend(_check_arithmetic(corpus, own, gi, g, members))
        for m in members:
            findings.extend(_check_member(corpus, own, gi, g, m))
        findings.extend(_check_declared_sum(corpus, own, gi, g, members))

    files = None if in_scope is None else {s.file for s in corpus.skills if s.name in in_scope}
    for p in corpus.problems:
        if files is None or p.file in files:
            findings.append(Finding("parse-problem", p.file, p.line, f"{p.reason}: {p.text.strip()[:120]}"))
    findings.sort(key=lambda f: (f.file, f.line, f.kind))
    return AuditReport(corpus, own, tuple(findings), scope, audited)


def _declared(corpus: SkillCorpus, own, m: Member) -> Trit | None:
    skill = corpus.resolve(m.name)
    d = own.get(skill) if skill else None
    return None if d is None else d.trit


def _balance_fixes(corpus: SkillCorpus, own, members, trits: list[Trit], basis: str) -> tuple[Fix, ...]:
    """For a group whose ``trits`` (written or declared) do not balance: each member's
    balancing trit, those that agree with the member's own declaration first, then the
    member to add."""
    needed = member_balancing_trits(trits, [m.weight for m in members])
    fixes = []
    for j, (m, t, new) in enumerate(zip(members, trits, needed)):
        if new is None:
            continue
        declared = _declared(corpus, own, m)
        agrees = "; this is its declared trit" if declared == new else (
            f"; it declares {declared}" if declared is not None else "")
        fixes.append((declared != new, j, Fix(
            "set-member", f"{_label(m, j)} as {new} (its {basis} trit is {t}) balances the group{agrees}",
            new, j, m.name)))
    fixes.sort(key=lambda x: x[:2])
    added = balancing_trit(t * m.weight for t, m in zip(trits, members))
    return tuple(f for *_, f in fixes) + (Fix("add-member", f"or add a member with trit {added}", added),)


def _check_arithmetic(corpus: SkillCorpus, own, gi: int, g: Group, members) -> list[Finding]:
    out = []
    total = _weighted(members)
    terms = " + ".join(f"{m.weight}×({m.trit})" if m.weight != 1 else f"({m.trit})" for m in members)
    if g.claimed_balanced is True and total != Trit(0):
        out.append(Finding("claim-unbalanced", g.file, g.line,
                           f"claimed balanced but {terms} ≡ {total} (mod 3)", skill=g.skill, group=gi,
                           fixes=_balance_fixes(corpus, own, members, [m.trit for m in members], "written")))
    elif g.claimed_balanced is False and total == Trit(0):
        out.append(Finding("claim-balanced", g.file, g.line,
                           f"claimed unbalanced but {terms} ≡ 0 (mod 3)", skill=g.skill, group=gi))
    # a wrong written sum is its own finding only when the verdict did not already say it
    if not out and g.written_sum is not None and Trit(g.written_sum) != total:
        out.append(Finding("written-sum", g.file, g.line,
                           f"the written sum {g.written_sum} is not {terms} ≡ {total} (mod 3)",
                           skill=g.skill, group=gi,
                           fixes=(Fix("write-sum", f"write the sum as {total}", total),)))
    return out


def _match_declaration(d: Declaration, skill: str) -> Fix:
    return Fix("match-declaration", f"write {d.trit}, as {skill}'s {_describe(d)} declares", d.trit,
               file=d.file, line=d.line)


def _check_member(corpus: SkillCorpus, own, gi: int, g: Group, m: Member) -> list[Finding]:
    if m.name is None:
        return []
    match = corpus.match(m.name)
    if match is None:
        if not looks_like_skill(m.name):
            return []  # a role label such as "Agent A" or "α"
        return [Finding("member-unresolved", g.file, m.line,
                        f"{m.name} ({m.trit}) names no skill in this corpus", skill=g.skill, group=gi)]
    skill, note = match.skill, (match.note or None)
    d = own.get(skill)
    if d is None:
        file = _corpus_file(corpus, skill)
        return [Finding("member-undeclared", g.file, m.line,
                        _with_note(f"{m.name} is written as {m.trit} but {skill} declares no trit in {file}", match),
                        skill=skill, group=gi, resolved=note,
                        fixes=(Fix("declare", f"declare {skill}'s trit in {file} (as written here, {m.trit})",
                                   m.trit, file=file),))]
    if d.trit != m.trit:
        fixes = [_match_declaration(d, skill)]
        fixes += [Fix("match-declaration", f"the written {m.trit} agrees only with {skill}'s {_describe(o)} "
                                           f"(rank {declaration_rank(o)}), which the audit does not take",
                      o.trit, file=o.file, line=o.line)
                  for o in corpus.declarations_of(skill) if o.trit == m.trit]
        return [Finding("member-mismatch", g.file, m.line,
                        _with_note(f"{m.name} is written as {m.trit} but {skill} declares {d.trit} ({_describe(d)})",
                                   match),
                        skill=skill, group=gi, resolved=note, fixes=tuple(fixes))]
    return []


def _corpus_file(corpus: SkillCorpus, skill: str) -> str:
    return next(s.file for s in corpus.skills if s.name == skill)


def _check_declared_sum(corpus: SkillCorpus, own, gi: int, g: Group, members) -> list[Finding]:
    if g.claimed_balanced is not True:
        return []
    used, changed, notes = [], [], []
    for m in members:
        declared = _declared(corpus, own, m)
        t = declared if declared is not None else m.trit
        if t != m.trit:
            changed.append(f"{m.name} {m.trit}→{t}")
            match = corpus.match(m.name)
            if match.loose:
                notes.append(match.note)
        used.append(t)
    total = trit_sum(t * m.weight for t, m in zip(used, members))
    if changed and total != Trit(0):
        note = "; ".join(notes) or None
        return [Finding("declared-unbalanced", g.file, g.line,
                        f"with declared trits ({', '.join(changed)}) the group sums to {total}, not 0"
                        + (f" ({note})" if note else ""),
                        skill=g.skill, group=gi, resolved=note,
                        fixes=_balance_fixes(corpus, own, members, used, "declared"))]
    return []


def audit_skills(directory: str | Path, changed_since: str | None = None) -> AuditReport:
    """Load ``directory``'s ``*/SKILL.md`` files and audit them; with ``changed_since`` (a
    git ref) only what touches the skills changed since then (see ``Scope``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = pathlib.Path(d, "a").mkdir()
    ...     _ = pathlib.Path(d, "a", "SKILL.md").write_text("Agent A (+1) ⊗ Agent B (+1) = 0 ✓\\n", encoding="utf-8")
    ...     [f.kind for f in audit_skills(d).findings]
    ['claim-unbalanced']
    """
    scope = None if changed_since is None else Scope(changed_skills(directory, changed_since), changed_since)
    return audit_corpus(load_skills(directory), scope)


def audit_main(directory: str | Path, json_out: str | Path | None = None, strict: bool = False,
               stdout=None, stderr=None, fmt: str = "text", changed_since: str | None = None,
               fix_suggestions: bool = False, html_out: str | Path | None = None) -> int:
    """Entry point for ``acset-s2r skills audit DIR``: print the report in ``fmt`` (one of
    ``OUTPUT_FORMATS``; ``lines`` and ``github`` give paths as DIR/file), optionally write
    the JSON report and the HTML page (atomically), return the exit code (0 clean, 1
    violations, 2 bad input).

    Examples
    --------
    >>> import io, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     audit_main(d, stdout=io.StringIO(), stderr=io.StringIO())
    2
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        report = audit_skills(directory, changed_since)
        if not report.corpus.skills:
            print(f"error: no */SKILL.md files under {str(directory)!r}", file=stderr)
            return 2
        text = report.render(fmt, prefix=str(directory), fixes=fix_suggestions)
        if json_out is not None:
            atomic_write_text(json_out, report.to_json() + "\n")
        if html_out is not None:
            from acset_s2r.gf3.audit_page import audit_command, write_audit_page

            command = audit_command(directory, strict=strict, changed_since=changed_since, html_out=html_out)
            write_audit_page(report.to_dict(), html_out, strict=strict, command=command)
    except (AcsetS2RError, OSError) as e:
        print(f"error: {e}", file=stderr)
        return 2
    if text:
        print(text, file=stdout)
    return report.exit_code(strict=strict)
