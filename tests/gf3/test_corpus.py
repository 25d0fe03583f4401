"""The skill corpus as an ACSet on SchSkillBalance, and @present extraction from SKILL.md files."""

import io
import json
from pathlib import Path

import numpy as np
import pytest

from acset_s2r.catalog import SEED_PRESENT, SchSim2RealTransfer
from acset_s2r.gf3.audit import audit_corpus
from acset_s2r.gf3.corpus import declared_sums, skill_corpus_acset, written_sums
from acset_s2r.gf3.extract import extract_main, extract_present_schemas, present_blocks_in_text
from acset_s2r.gf3.parse import load_skills, text_segments
from acset_s2r.gf3.schema import SchSkillBalance
from acset_s2r.serialization import acset_from_json, acset_to_json, schema_from_json, schema_to_json

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "skills"


def test_schema_file_matches_declaration():
    data = json.loads((ROOT / "schemas" / "skill_balance.json").read_text(encoding="utf-8"))
    assert schema_from_json(data, name="SchSkillBalance") == SchSkillBalance
    assert data == schema_to_json(SchSkillBalance)


@pytest.fixture(scope="module")
def corpus():
    return load_skills(FIXTURES)


@pytest.fixture(scope="module")
def X(corpus):
    return skill_corpus_acset(corpus)


def test_acset_sizes_match_the_corpus(corpus, X):
    assert dict(X.size()) == {"Skill": len(corpus.skills), "Declaration": len(corpus.declarations),
                      "Group": len(corpus.groups), "Member": len(corpus.members), "Edge": len(corpus.edges)}


def test_seed_quad_in_the_acset(X):
    (quad,) = np.flatnonzero(X.subpart("group_kind") == "quad")
    members = X.incident(int(quad), "member_group")
    names = [X.subpart(int(m), ["member_skill", "skill_name"]) for m in members]
    assert names == ["sim2real-predictive-coding", "active-inference-robotics", "kscale-kos", "kscale-kinfer"]
    air = int(np.flatnonzero(X.subpart("skill_name") == "active-inference-robotics")[0])
    assert not X.is_defined("skill_trit", [air])[0] and X.subpart(air, "own_decl") == -1
    assert X.subpart(int(quad), ["group_skill", "skill_name"]) == "sim2real-predictive-coding"


def test_unresolved_members_keep_their_name(X):
    ksim = np.flatnonzero(X.subpart("member_name") == "kscale-ksim")
    assert len(ksim) > 0 and np.all(X.subpart(ksim, "member_skill") == -1)
    bare = np.array([n is None for n in X.subpart("member_name")])
    assert bare.any() and np.all(X.subpart(np.flatnonzero(bare), "member_skill") == -1)


def test_own_decl_agrees_with_skill_trit(X):
    skills = np.flatnonzero(X.subpart("own_decl") >= 0)
    assert np.array_equal(X.subpart(skills, ["own_decl", "decl_trit"]), X.subpart(skills, "skill_trit"))
    assert np.array_equal(X.subpart(skills, ["own_decl", "decl_skill"]), skills)
    unworld = int(np.flatnonzero(X.subpart("skill_name") == "unworld")[0])
    assert X.subpart(unworld, "skill_trit") == 1
    assert X.subpart(unworld, ["own_decl", "decl_form"]) == "label"


def test_listing_groups_have_no_claim(X):
    undefined = np.flatnonzero(~X.is_defined("claimed_balanced"))
    assert [X.subpart(int(g), "group_form") for g in undefined] == ["table"]


def test_numpy_sums_agree_with_the_audit(corpus, X):
    report = audit_corpus(corpus)
    claimed = X.is_defined("claimed_balanced") & X.subpart("claimed_balanced")
    written = written_sums(X)
    assert set(np.flatnonzero(claimed & (written != 0))) == {f.group for f in report.of_kind("claim-unbalanced")}
    declared = declared_sums(X)
    flagged = {f.group for f in report.of_kind("declared-unbalanced")}
    assert set(np.flatnonzero(claimed & (declared != 0) & (written == 0))) == flagged
    assert len(flagged) == 3


def test_edges(X):
    deps = np.flatnonzero(X.subpart("edge_kind") == "depends_on")
    targets = {X.subpart(int(e), "edge_target"): X.subpart(int(e), "edge_tgt") for e in deps}
    air = int(np.flatnonzero(X.subpart("skill_name") == "active-inference-robotics")[0])
    assert targets["active-inference-robotics"] == air and targets["domain-randomization"] == -1


def test_acset_json_round_trip(X):
    from acset_s2r.gf3.schema import SKILL_BALANCE_TYPES

    Y = acset_from_json(acset_to_json(X), SchSkillBalance, **SKILL_BALANCE_TYPES)
    for name in ("member_skill", "own_decl", "member_trit", "group_line"):
        assert np.array_equal(Y.subpart(name), X.subpart(name))
    assert np.array_equal(Y.is_defined("claimed_balanced"), X.is_defined("claimed_balanced"))


def test_empty_corpus_gives_empty_acset(tmp_path):
    X = skill_corpus_acset(tmp_path)
    assert all(n == 0 for n in X.size().values())
    assert written_sums(X).shape == (0,)


# -- @present extraction ------------------------------------------------------------------
SKILL_WITH_SCHEMAS = f"""---
name: demo
---
# Demo

```julia
{SEED_PRESENT}```

```julia
@present SchMDP(FreeSchema) begin
  State::Ob
  Action::Ob
  step::Hom(State × Action, State)
end
```

```julia
@present SchOpen(FreeSchema) begin
  X::Ob
```

```julia
@present SchWG <: SchGraph begin
  Weight::AttrType
  weight::Attr(E, Weight)
end
```
"""


def test_blocks_are_found_parsed_and_located():
    lines = SKILL_WITH_SCHEMAS.splitlines()
    seed, mdp, open_, wg = present_blocks_in_text(SKILL_WITH_SCHEMAS, "demo/SKILL.md")
    assert seed.valid and seed.schema == SchSim2RealTransfer and seed.line == 7
    assert not mdp.valid and "product" in mdp.error and lines[mdp.error_line - 1].strip().startswith("step::Hom")
    # the missing "end" is caught at its own fence, and the next block is still found
    assert not open_.valid and "end" in open_.error and lines[open_.line - 1].startswith("@present SchOpen")
    assert wg.valid and wg.schema.codom("src") == "V" and wg.schema.codom("weight") == "Weight"
    assert [b.name for b in (seed, mdp, open_, wg)] == ["SchSim2RealTransfer", "SchMDP", "SchOpen", "SchWG"]


def test_extract_over_a_directory_and_main(tmp_path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "SKILL.md").write_text(SKILL_WITH_SCHEMAS, encoding="utf-8")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "skill.md").write_text("no schemas here\n", encoding="utf-8")
    blocks = extract_present_schemas(tmp_path)
    assert [(b.file, b.valid) for b in blocks] == [("demo/SKILL.md", True), ("demo/SKILL.md", False),
                                                  ("demo/SKILL.md", False), ("demo/SKILL.md", True)]
    out = io.StringIO()
    assert extract_main(tmp_path, stdout=out) == 1
    text = out.getvalue()
    assert "4 @present blocks, 2 valid, 2 not C-set schemas" in text
    assert f"demo/SKILL.md:{blocks[1].line}  SchMDP  NOT a C-set schema (line {blocks[1].error_line})" in text
    assert json.loads(json.dumps([b.to_dict() for b in blocks]))[0]["schema"] == schema_to_json(SchSim2RealTransfer)


def test_extract_main_on_fixtures_and_bad_directory(tmp_path):
    assert extract_present_schemas(FIXTURES) == []  # the fixture excerpts carry no @present block
    assert extract_main(FIXTURES, stdout=io.StringIO()) == 0
    err = io.StringIO()
    assert extract_main(tmp_path / "missing", stdout=io.StringIO(), stderr=err) == 2 and "does not exist" in err.getvalue()


def test_text_segments_split_at_fences():
    text = "a\n```\nb\nc\n```\nd\n~~~\ne\n"
    assert text_segments(text) == [(1, "a"), (3, "b\nc"), (6, "d"), (8, "e")]
