"""``SchSkillBalance``: a skill corpus and its GF(3) claims as an ACSet schema.

Objects and the homs between them::

    Declaration --decl_skill--> Skill <--member_skill-- Member --member_group--> Group
                  Skill --own_decl--> Declaration        Group --group_skill--> Skill
                  Edge --edge_src--> Skill,  Edge --edge_tgt--> Skill

- a Declaration is one place where a skill states its trit; ``own_decl`` picks the one the
  audit takes as the skill's own (undefined, -1, when the skill declares none), and
  ``skill_trit`` repeats its value so the common query needs no path;
- a Group is one written triad, quad or other group, held in ``group_skill``'s file;
  ``claimed_balanced`` is undefined for a listing that claims nothing, ``written_sum``
  when no sum is written;
- a Member is one term of a group: ``member_skill`` is -1 when the name is in no skill of
  the corpus (or the term is a bare trit), and ``member_name`` keeps what was written;
- an Edge is a ``depends_on`` or ``enables`` entry; ``edge_tgt`` is -1 when the target is
  not in the corpus, ``edge_target`` keeps its name.

``schemas/skill_balance.json`` is this schema in ACSets.jl JSON (a test keeps them equal).
"""

from __future__ import annotations

from acset_s2r.schema import Schema

__all__ = ["SchSkillBalance", "SKILL_BALANCE_TYPES"]

SchSkillBalance = Schema.build(
    "SchSkillBalance",
    obs=["Skill", "Declaration", "Group", "Member", "Edge"],
    homs=[
        ("decl_skill", "Declaration", "Skill"),
        ("own_decl", "Skill", "Declaration"),
        ("group_skill", "Group", "Skill"),
        ("member_group", "Member", "Group"),
        ("member_skill", "Member", "Skill"),
        ("edge_src", "Edge", "Skill"),
        ("edge_tgt", "Edge", "Skill"),
    ],
    attrtypes=["Name", "TritValue", "Label", "Path", "Line", "Int", "Bool"],
    attrs=[
        ("skill_name", "Skill", "Name"),
        ("skill_trit", "Skill", "TritValue"),
        ("skill_file", "Skill", "Path"),
        ("decl_trit", "Declaration", "TritValue"),
        ("decl_form", "Declaration", "Label"),
        ("decl_rank", "Declaration", "Int"),
        ("decl_boilerplate", "Declaration", "Bool"),
        ("decl_file", "Declaration", "Path"),
        ("decl_line", "Declaration", "Line"),
        ("group_kind", "Group", "Label"),
        ("group_form", "Group", "Label"),
        ("claimed_balanced", "Group", "Bool"),
        ("written_sum", "Group", "Int"),
        ("group_file", "Group", "Path"),
        ("group_line", "Group", "Line"),
        ("member_name", "Member", "Name"),
        ("member_trit", "Member", "TritValue"),
        ("weight", "Member", "Int"),
        ("member_line", "Member", "Line"),
        ("edge_kind", "Edge", "Label"),
        ("edge_target", "Edge", "Name"),
        ("edge_line", "Edge", "Line"),
    ],
)

# Attribute-type bindings for ``ACSet(SchSkillBalance, **SKILL_BALANCE_TYPES)``; trits are
# stored as their balanced representative -1, 0, +1.
SKILL_BALANCE_TYPES = {
    "Name": str,
    "TritValue": int,
    "Label": str,
    "Path": str,
    "Line": int,
    "Int": int,
    "Bool": bool,
}
