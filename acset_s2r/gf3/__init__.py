"""GF(3) skill balance: trits, SKILL.md parsing, the balance audit, and the corpus as an ACSet."""

from acset_s2r.gf3.audit import AuditReport, Finding, audit_corpus, audit_main, audit_skills
from acset_s2r.gf3.corpus import declared_sums, skill_corpus_acset, written_sums
from acset_s2r.gf3.extract import PresentBlock, extract_main, extract_present_schemas
from acset_s2r.gf3.parse import load_skills, parse_skill_text
from acset_s2r.gf3.records import Declaration, Edge, Group, Member, ParseProblem, Skill, SkillCorpus
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
    "Trit", "MINUS", "ERGODIC", "PLUS", "parse_trit", "trit_sum", "is_balanced", "balancing_trit",
    "tensor", "conservation_holds",
    "Skill", "Declaration", "Group", "Member", "Edge", "ParseProblem", "SkillCorpus",
    "load_skills", "parse_skill_text",
    "AuditReport", "Finding", "audit_corpus", "audit_skills", "audit_main",
    "SchSkillBalance", "SKILL_BALANCE_TYPES", "skill_corpus_acset", "written_sums", "declared_sums",
    "PresentBlock", "extract_present_schemas", "extract_main",
]
