"""A SKILL.md corpus as an ACSet on ``SchSkillBalance``, and balance sums over it.

``skill_corpus_acset`` fills the schema from ``load_skills``; ``written_sums`` and
``declared_sums`` are plain numpy functions over the ACSet, so that group balance can be
queried (and cross-checked against the audit) without the parser's records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.gf3.audit import declaration_rank, own_declaration
from acset_s2r.gf3.parse import load_skills
from acset_s2r.gf3.records import SkillCorpus
from acset_s2r.gf3.schema import SKILL_BALANCE_TYPES, SchSkillBalance

__all__ = ["skill_corpus_acset", "written_sums", "declared_sums"]


def skill_corpus_acset(source: str | Path | SkillCorpus) -> ACSet:
    """The corpus in ``source`` (a directory of ``*/SKILL.md`` or a loaded corpus) as an ACSet.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for n, t in {"a": "**Trit**: +1\\n\\na (0) ⊗ b (+1) = 1 ✗\\n", "b": "**Trit**: +1\\n"}.items():
    ...         pathlib.Path(d, n).mkdir()
    ...         _ = pathlib.Path(d, n, "SKILL.md").write_text(t, encoding="utf-8")
    ...     X = skill_corpus_acset(d)
    >>> X.nparts("Skill"), X.nparts("Member"), X.subpart("skill_trit").tolist()
    (2, 2, [1, 1])
    """
    corpus = source if isinstance(source, SkillCorpus) else load_skills(source)
    X = ACSet(SchSkillBalance, **SKILL_BALANCE_TYPES)
    skill_id = {s.name: i for i, s in enumerate(corpus.skills)}

    def sid(name: str | None) -> int:
        skill = corpus.resolve(name)
        return -1 if skill is None else skill_id[skill]

    decl_id = {id(d): i for i, d in enumerate(corpus.declarations)}
    own = [own_declaration(corpus.declarations_of(s.name)) for s in corpus.skills]
    # own_decl points into Declaration, so Skill rows get it after Declarations exist
    X.add_parts("Skill", len(corpus.skills),
                skill_name=[s.name for s in corpus.skills],
                skill_file=[s.file for s in corpus.skills],
                skill_trit=[None if d is None else int(d.trit) for d in own])
    ds = corpus.declarations
    X.add_parts("Declaration", len(ds),
                decl_skill=[skill_id[d.skill] for d in ds],
                decl_trit=[int(d.trit) for d in ds],
                decl_form=[d.form for d in ds],
                decl_rank=[declaration_rank(d) for d in ds],
                decl_boilerplate=[d.boilerplate for d in ds],
                decl_file=[d.file for d in ds],
                decl_line=[d.line for d in ds])
    X.set_subpart(np.arange(len(own)), "own_decl", [-1 if d is None else decl_id[id(d)] for d in own])
    gs = corpus.groups
    X.add_parts("Group", len(gs),
                group_skill=[skill_id.get(g.skill, -1) for g in gs],
                group_kind=[g.kind for g in gs],
                group_form=[g.form for g in gs],
                claimed_balanced=[g.claimed_balanced for g in gs],
                written_sum=[g.written_sum for g in gs],
                group_file=[g.file for g in gs],
                group_line=[g.line for g in gs])
    ms = corpus.members
    X.add_parts("Member", len(ms),
                member_group=[m.group for m in ms],
                member_skill=[sid(m.name) for m in ms],
                member_name=[m.name for m in ms],
                member_trit=[int(m.trit) for m in ms],
                weight=[m.weight for m in ms],
                member_line=[m.line for m in ms])
    es = corpus.edges
    X.add_parts("Edge", len(es),
                edge_src=[skill_id[e.skill] for e in es],
                edge_tgt=[sid(e.target) for e in es],
                edge_kind=[e.kind for e in es],
                edge_target=[e.target for e in es],
                edge_line=[e.line for e in es])
    return X


def _balanced(values: np.ndarray) -> np.ndarray:
    return (values + 1) % 3 - 1


def written_sums(X: ACSet) -> np.ndarray:
    """Per Group, the GF(3) sum of its members' written trits times their weights (-1, 0, +1).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for n, t in {"a": "**Trit**: +1\\n\\na (0) ⊗ b (+1) = 1 ✗\\n", "b": "**Trit**: +1\\n"}.items():
    ...         pathlib.Path(d, n).mkdir()
    ...         _ = pathlib.Path(d, n, "SKILL.md").write_text(t, encoding="utf-8")
    ...     X = skill_corpus_acset(d)
    >>> written_sums(X).tolist()  # 0 + 1
    [1]
    """
    contrib = X.subpart("member_trit").astype(np.int64) * X.subpart("weight")
    return _balanced(np.bincount(X.subpart("member_group"), weights=contrib, minlength=X.nparts("Group"))
                     .astype(np.int64))


def declared_sums(X: ACSet) -> np.ndarray:
    """Per Group, the GF(3) sum when each member that resolves to a skill with a declared trit
    takes that trit instead of the written one (weights kept).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for n, t in {"a": "**Trit**: +1\\n\\na (0) ⊗ b (+1) = 1 ✗\\n", "b": "**Trit**: +1\\n"}.items():
    ...         pathlib.Path(d, n).mkdir()
    ...         _ = pathlib.Path(d, n, "SKILL.md").write_text(t, encoding="utf-8")
    ...     X = skill_corpus_acset(d)
    >>> declared_sums(X).tolist()  # a takes its declared +1: 1 + 1 = -1 in GF(3)
    [-1]
    """
    skill = X.subpart("member_skill")
    trit = X.subpart("member_trit").astype(np.int64).copy()
    resolved = skill >= 0
    declared = np.zeros(len(skill), dtype=bool)
    declared[resolved] = X.is_defined("skill_trit", skill[resolved])
    trit[declared] = X.subpart(skill[declared], "skill_trit")
    contrib = trit * X.subpart("weight")
    return _balanced(np.bincount(X.subpart("member_group"), weights=contrib, minlength=X.nparts("Group"))
                     .astype(np.int64))
