"""GF(3) skill balance: trits, SKILL.md parsing, the balance audit, and the corpus as an ACSet.

Modules, each importing only those above it: ``trit`` (GF(3)), ``fixes`` (balancing
arithmetic), ``records`` (value records, name resolution), ``claims`` (one line), ``parse``
(files), ``changes`` (git), ``audit``, ``schema`` and ``corpus`` (the ACSet), ``extract``
(``@present`` blocks). ``__all__`` is what a corpus maintainer uses.
"""

from acset_s2r.gf3.audit import (
    REPORT_VERSION,
    AuditReport,
    Finding,
    Fix,
    Scope,
    audit_corpus,
    audit_main,
    audit_skills,
)
from acset_s2r.gf3.changes import changed_skills
from acset_s2r.gf3.corpus import declared_sums, skill_corpus_acset, written_sums
from acset_s2r.gf3.extract import PresentBlock, extract_main, extract_present_schemas
from acset_s2r.gf3.fixes import member_balancing_trits
from acset_s2r.gf3.parse import load_skills, parse_skill_text
from acset_s2r.gf3.records import (
    Declaration,
    Edge,
    Group,
    Member,
    NameMatch,
    ParseProblem,
    Skill,
    SkillCorpus,
)
from acset_s2r.gf3.schema import SKILL_BALANCE_TYPES, SchSkillBalance
from acset_s2r.gf3.trit import (
    ERGODIC,
    MINUS,
    PLUS,
    Trit,
    balancing_trit,
    conservation_holds,
    is_balanced,
    parse_trit,
    tensor,
    trit_sum,
)

__all__ = [
    # GF(3)
    "Trit", "MINUS", "ERGODIC", "PLUS", "parse_trit", "trit_sum", "is_balanced", "balancing_trit",
    "tensor", "conservation_holds", "member_balancing_trits",
    # what a corpus says
    "Skill", "Declaration", "Group", "Member", "Edge", "ParseProblem", "SkillCorpus", "NameMatch",
    "load_skills", "parse_skill_text",
    # the audit
    "AuditReport", "Finding", "Fix", "Scope", "REPORT_VERSION", "audit_corpus", "audit_skills",
    "audit_main", "changed_skills",
    # the corpus as an ACSet, and @present blocks
    "SchSkillBalance", "SKILL_BALANCE_TYPES", "skill_corpus_acset", "written_sums", "declared_sums",
    "PresentBlock", "extract_present_schemas", "extract_main",
]
