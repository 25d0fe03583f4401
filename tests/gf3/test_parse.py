"""Reading SKILL.md declarations and claims: every form on small texts, then the fixtures.

Fixture facts below were read off the files by hand (tests/fixtures/skills, see NOTICE.md).
"""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acset_s2r.errors import SkillParseError
from acset_s2r.gf3.parse import load_skills, parse_skill_text, skill_files
from acset_s2r.gf3.records import looks_like_skill
from acset_s2r.gf3.trit import MINUS, PLUS, ERGODIC, Trit, trit_sum

FIXTURES = Path(__file__).parents[1] / "fixtures" / "skills"


def decls(text):
    return [(d.form, int(d.trit), d.line) for d in parse_skill_text(text, "s").declarations]


def groups(text):
    ps = parse_skill_text(text, "s")
    out = []
    for i, g in enumerate(ps.groups):
        ms = [(m.name, int(m.trit), m.weight) for m in ps.members if m.group == i]
        out.append((g.kind, g.form, g.claimed_balanced, g.written_sum, g.line, ms))
    return out, ps.problems


# -- declaration forms --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("---\nname: s\ntrit: 1\n---\n", [("frontmatter", 1, 3)]),
        ("---\ntrit: \"-1\"\n---\n", [("frontmatter", -1, 2)]),
        ("**Trit**: +1 (PLUS)\n", [("label", 1, 1)]),
        ("- **GF(3) Trit**: −1 (MINUS)\n", [("label", -1, 1)]),
        ("```\nTrit: -1 (MINUS)\nRole: Verification\n```\n", [("plain", -1, 2)]),
        ("Trit: 0\n", [("plain", 0, 1)]),
        ("## GF(3) Trit: +1 (Generator)\n", [("heading", 1, 1)]),
        ("| Field | Value |\n|---|---|\n| Trit | +1 (PLUS) |\n", [("table-row", 1, 3)]),
        ("<!-- Propagated to amp | Trit: 0 | Source: x -->\n", [("html-comment", 0, 1)]),
        ("<!--\nnotes\nTrit: -1\n-->\n", [("html-comment", -1, 3)]),
        ("```python\nTRIT = 1  # PLUS\n```\n", [("constant", 1, 2)]),
        ("```python\nTRIT: int = -1\n```\n", [("constant", -1, 2)]),
    ],
)
def test_declaration_forms(text, expected):
    assert decls(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "```ruby\n{ trit: 1 }  # a hash key in an example\n```\n",  # lower case outside frontmatter
        "```python\nif TRIT == 1:\n    pass\n```\n",
        "| Trit | Role | Semantics |\n|---|---|---|\n| **+1** (PLUS) | Generator | x |\n",  # a legend
        "### Trit Mapping\n",
    ],
)
def test_non_declarations(text):
    assert decls(text) == []


@pytest.mark.parametrize("text", ["**Trit**: +1 (MINUS)\n", "Trit: 2\n", "## GF(3) Trit: maybe\n"])
def test_unreadable_declarations_are_problems(text):
    ps = parse_skill_text(text, "s")
    assert ps.declarations == []
    assert len(ps.problems) == 1 and ps.problems[0].line == 1
    assert "trit declaration" in ps.problems[0].reason


def test_declaration_context_is_recorded():
    text = "# S\n\n## GF(3) Trit Assignment\n\n```\nTrit: +1\n```\n"
    (d,) = parse_skill_text(text, "s").declarations
    assert d.section == "GF(3) Trit Assignment" and d.in_code and not d.boilerplate


# -- claim forms --------------------------------------------------------------------------
def test_one_line_chain():
    (g,), problems = groups("a (-1) ⊗ b (0) ⊗ c (+1) = 0 ✓\n")
    assert g == ("triad", "chain", True, 0, 1, [("a", -1, 1), ("b", 0, 1), ("c", 1, 1)])
    assert problems == []


def test_multi_line_chain_with_header_like_the_seed():
    text = "Balanced quad:\n  p (+1) ⊗ \n  q (+1) ⊗ \n  r (-1) ⊗ \n  s (-1) = 0 ✓\n"
    ps = parse_skill_text(text, "s")
    (g,) = ps.groups
    assert (g.kind, g.line, g.claimed_balanced, g.written_sum) == ("quad", 2, True, 0)
    assert [(m.name, int(m.trit), m.line) for m in ps.members] == [
        ("p", 1, 2), ("q", 1, 3), ("r", -1, 4), ("s", -1, 5)]


def test_chain_continued_by_a_leading_operator():
    (g,), _ = groups("a (+1)\n  ⊗ b (+1)\n  ⊗ c (+1) = 3 ✓\n")
    assert g[0] == "triad" and g[3] == 3 and [m[0] for m in g[5]] == ["a", "b", "c"]


def test_arrow_chain():
    (g,), _ = groups("x (+1) → y (0) → z (-1) = 0 ✓\n")
    assert g[:4] == ("triad", "arrow", True, 0)


@pytest.mark.parametrize(
    "line, trits, written",
    [
        ("Σ = +1 + 0 + (-1) = 0 ✓", [1, 0, -1], 0),
        ("(-1) + (0) + (+1) ≡ 0 (mod 3)", [-1, 0, 1], 0),
        ("**Conservation**: (−1) + (0) + (+1) = 0 ✓", [-1, 0, 1], 0),
        ("- (+1, +1, +1) → 3 ≡ 0 ✓", [1, 1, 1], 3),
    ],
)
def test_anonymous_sums(line, trits, written):
    (g,), problems = groups(line + "\n")
    assert [m[1] for m in g[5]] == trits and all(m[0] is None for m in g[5])
    assert g[2] is True and g[3] == written and problems == []


def test_weights():
    (g,), _ = groups("Σ = 5(+1) + 3(0) + 5(-1) = 0 ✓\n")
    assert [(m[1], m[2]) for m in g[5]] == [(1, 5), (0, 3), (-1, 5)]
    (g,), _ = groups("gen 2(+1) ⊗ val (-1) = 1 ✗\n")
    assert g[5] == [("gen", 1, 2), ("val", -1, 1)] and g[2] is False and g[3] == 1


@pytest.mark.parametrize(
    "line, written",
    [
        ("a (+1) ⊗ b (+1) ⊗ c (0) = 2 ✗", 2),
        ("a (+1) ⊗ b (+1) ⊗ c (0) ≠ 0", None),
        ("a (+1) ⊗ b (+1) needs a (+1) partner", None),
        ("- (-1, -1, +1) → -1 ≡ 0? → -1 + 3 = 2 ✗ (invalid!)", -1),
    ],
)
def test_claims_marked_unbalanced(line, written):
    (g,), problems = groups(line + "\n")
    assert g[2] is False and g[3] == written and problems == []


def test_triad_table_rows_are_claimed_triads():
    text = ("| Domain | MINUS (-1) | ERGODIC (0) | PLUS (+1) |\n|---|---|---|---|\n"
            "| robots | `kscale-kos` | kscale-ksim | **gym** |\n| db | a | b | c |\n")
    gs, problems = groups(text)
    assert problems == []
    assert gs[0] == ("triad", "triad-table", True, None, 3,
                     [("kscale-kos", -1, 1), ("kscale-ksim", 0, 1), ("gym", 1, 1)])
    assert gs[1][4] == 4 and [m[0] for m in gs[1][5]] == ["a", "b", "c"]


def test_termless_sum_takes_the_listing_above():
    text = "```\nWorld-Hopping (+1)   - explore\nTriad-Interleave (0) - weave\nArbitrage (-1)  - exploit\n\nΣ = 0 ✓\n```\n"
    (g,), problems = groups(text)
    assert g[:5] == ("triad", "listing", True, 0, 6)
    assert g[5] == [("World-Hopping", 1, 1), ("Triad-Interleave", 0, 1), ("Arbitrage", -1, 1)]
    assert problems == []


def test_balance_statement_takes_the_listing_below_and_alone_is_skipped():
    text = "```\n│ Layers (sum ≡ 0 mod 3) │\n├──────┤\n│ A (-1): x │\n│ B (0): y │\n│ C (+1): z │\n```\n"
    (g,), _ = groups(text)
    assert g[1:4] == ("listing", True, 0) and [m[0] for m in g[5]] == ["A", "B", "C"]
    gs, problems = groups("The GF(3) sum ≡ 0 (mod 3) always holds.\n")
    assert gs == [] and problems == []


def test_anonymous_sum_takes_names_from_a_matching_table():
    text = ("| Trit | Skill | Role |\n|---|---|---|\n| -1 | v | x |\n| 0 | c | y |\n| +1 | **g** | z |\n\n"
            "**Conservation**: (-1) + (0) + (+1) = 0 ✓\n")
    (g,), _ = groups(text)
    assert g[4] == 7 and g[5] == [("v", -1, 1), ("c", 0, 1), ("g", 1, 1)]


def test_anonymous_sum_keeps_no_names_when_the_listing_differs():
    text = "| Skill | Trit |\n|---|---|\n| v | -1 |\n| g | +1 |\n\n(-1) + (0) + (+1) = 0 ✓\n"
    gs, _ = groups(text)
    # the table stays a group that claims nothing; the sum stays anonymous
    forms = {g[1]: g for g in gs}
    assert forms["table"][2] is None and [m[0] for m in forms["table"][5]] == ["v", "g"]
    assert [m[0] for m in forms["sum"][5]] == [None, None, None]


@pytest.mark.parametrize(
    "line, reason",
    [
        ("a (+1) ⊗ b ⊗ c (-1) = 0 ✓", "unexpected text"),
        ("Σ = 0 ✓", "no listing"),
        ("a (+1) ⊗ b (-1) = 0 ✓ ✗", "both balanced and unbalanced"),
        ("x (+1) ⊗ y (0) ≡ stable", "cannot tell"),
    ],
)
def test_unparseable_claims_are_reported_not_dropped(line, reason):
    ps = parse_skill_text(f"intro\n{line}\n", "s", "s/SKILL.md")
    assert ps.groups == []
    (p,) = ps.problems
    assert (p.file, p.line, p.text) == ("s/SKILL.md", 2, line) and reason in p.reason


def test_table_row_with_bad_trit_is_a_problem():
    ps = parse_skill_text("| Skill | Trit |\n|---|---|\n| a | +1 |\n| b | lots |\n", "s")
    assert [p.line for p in ps.problems] == [4]
    assert [m.name for m in ps.members] == ["a"]


def test_prose_is_not_a_claim():
    text = ("Both skills are generative (+1), balanced by\nprint(\"✓ done\")\n"
            "trit(A) + trit(B) + trit(C) ≡ 0 (mod 3)\nμ(n) ≠ 0 for squarefree n\n")
    gs, problems = groups(text)
    assert gs == [] and problems == []


names = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
spellings = {1: ["+1", "1", "PLUS"], 0: ["0", "ERGODIC"], -1: ["-1", "\u22121", "MINUS"]}


@given(st.lists(st.tuples(names, st.sampled_from([-1, 0, 1]), st.integers(1, 7)), min_size=1, max_size=6),
       st.sampled_from(["⊗", "→"]), st.data())
def test_chain_round_trip(terms, sep, data):
    written = []
    for name, t, w in terms:
        word = data.draw(st.sampled_from(spellings[t]))
        written.append(f"{name} {w}({word})" if w > 1 else f"{name} ({word})")
    total = int(trit_sum(Trit(t) * w for _, t, w in terms))
    mark = "✓" if total == 0 else "✗"
    ps = parse_skill_text(f" {sep} ".join(written) + f" = {total} {mark}\n", "s")
    assert ps.problems == []
    (g,) = ps.groups
    assert [(m.name, int(m.trit), m.weight) for m in ps.members] == terms
    assert g.written_sum == total and g.claimed_balanced == (total == 0)


# -- corpus loading -----------------------------------------------------------------------
def test_skill_files_any_case_and_missing_directory(tmp_path):
    for sub, fname in [("a", "SKILL.md"), ("b", "skill.md"), ("c", "Skill.MD"), ("d", "README.md")]:
        (tmp_path / sub).mkdir()
        (tmp_path / sub / fname).write_text("Trit: 0\n")
    assert [p.parent.name for p in skill_files(tmp_path)] == ["a", "b", "c"]
    with pytest.raises(SkillParseError, match="does not exist"):
        load_skills(tmp_path / "nope")


def test_invalid_utf8_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "SKILL.md").write_bytes(b"**Trit**: +1\n\xff\xfe\n")
    c = load_skills(tmp_path)
    assert c.declarations[0].trit == PLUS
    assert "UTF-8" in c.problems[0].reason


def test_boilerplate_needs_a_block_repeated_in_another_skill(tmp_path):
    block = "```\nTrit: 0 (ERGODIC)\nHome: Prof\n```\n"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "SKILL.md").write_text(f"**Trit**: +1\n\n{block}")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "SKILL.md").write_text("```\nTrit: 0 (ERGODIC)\nHome: Elsewhere\n```\n")
    c = load_skills(tmp_path)
    flags = {(d.skill, d.form): d.boilerplate for d in c.declarations}
    assert flags == {("a", "label"): False, ("a", "plain"): True, ("b", "label"): False,
                     ("b", "plain"): True, ("c", "plain"): False}


@pytest.fixture(scope="module")
def corpus():
    return load_skills(FIXTURES)


def test_fixture_skills_and_aliases(corpus):
    assert len(corpus.skills) == 11
    assert corpus.resolve("unworld-skill") == "unworld"
    assert corpus.resolve("**Gay-MCP**") == "gay-mcp"
    assert corpus.resolve("kscale-ksim") is None


def test_fixture_declarations(corpus):
    by = {}
    for d in corpus.declarations:
        by.setdefault(d.skill, []).append((d.form, int(d.trit), d.line, d.boilerplate))
    assert "active-inference-robotics" not in by
    assert by["kscale-kos"] == [("plain", -1, 10, False)]
    assert by["sim2real-predictive-coding"] == [("plain", 1, 8, False)]
    assert by["autopoiesis"] == [("frontmatter", 0, 6, False), ("label", 0, 15, False)]
    assert by["duckdb-spatial"] == [("heading", 0, 17, False), ("plain", 0, 242, True)]
    assert by["three-match"] == [("html-comment", 0, 8, False), ("label", -1, 13, False),
                                 ("label", -1, 249, False), ("plain", 0, 273, True)]
    assert by["unworld"] == [("label", 1, 13, False), ("label", 1, 252, False), ("plain", 0, 275, True)]
    # the Ruby hash "trit: 1" at curiosity-driven line 136 is an example, not a declaration
    assert by["curiosity-driven"] == [("plain", 0, 174, True)]


def test_fixture_seed_quad(corpus):
    quads = [(i, g) for i, g in enumerate(corpus.groups) if g.kind == "quad"]
    assert len(quads) == 1
    i, g = quads[0]
    assert (g.file, g.line, g.claimed_balanced, g.written_sum) == (
        "sim2real-predictive-coding/SKILL.md", 14, True, 0)
    assert [(m.name, m.trit, m.line) for m in corpus.members_of(i)] == [
        ("sim2real-predictive-coding", PLUS, 14), ("active-inference-robotics", PLUS, 15),
        ("kscale-kos", MINUS, 16), ("kscale-kinfer", MINUS, 17)]


def test_fixture_curiosity_triads(corpus):
    found = {}
    for i, g in enumerate(corpus.groups):
        if g.file == "curiosity-driven/SKILL.md" and g.form == "chain":
            found[g.line] = [(m.name, int(m.trit)) for m in corpus.members_of(i)]
    assert found == {
        116: [("yoneda-directed", -1), ("cognitive-superposition", 0), ("curiosity-driven", 1)],
        117: [("persistent-homology", -1), ("self-evolving-agent", 0), ("curiosity-driven", 1)],
        118: [("three-match", -1), ("unworld", 0), ("curiosity-driven", 1)],
    }


def test_fixture_listings_and_tuples(corpus):
    def at(file, line):
        (i,) = [i for i, g in enumerate(corpus.groups) if (g.file, g.line) == (file, line)]
        return corpus.groups[i], [(m.name, int(m.trit), m.line) for m in corpus.members_of(i)]

    g, ms = at("unworld/SKILL.md", 196)  # the Conservation line names its table's rows
    assert ms == [("fokker-planck-analyzer", -1, 192), ("gay-mcp", 0, 193), ("unworld-skill", 1, 194)]
    g, ms = at("autopoiesis/SKILL.md", 237)  # "# Sum = 0 mod 3 ✓" under claude/codex/amp
    assert ms == [("claude", 1, 234), ("codex", 0, 235), ("amp", -1, 236)]
    g, ms = at("gf3-tripartite/SKILL.md", 76)
    assert [m[0] for m in ms] == ["World-Hopping", "Triad-Interleave", "Epistemic-Arbitrage"]
    g, ms = at("gf3-tripartite/SKILL.md", 43)  # (-1, -1, +1) ... ✗ (invalid!)
    assert (g.claimed_balanced, g.written_sum) == (False, -1) and [m[1] for m in ms] == [-1, -1, 1]
    g, ms = at("active-inference-robotics/SKILL.md", 22)  # a Skill/Trit table claiming nothing
    assert g.claimed_balanced is None and [m[0] for m in ms] == [
        "active-inference", "kscale-ksim", "mujoco-playground"]


def test_fixture_edges_and_no_problems(corpus):
    s2r = [(e.kind, e.target) for e in corpus.edges if e.skill == "sim2real-predictive-coding"]
    assert s2r == [("depends_on", "active-inference-robotics"), ("depends_on", "kscale-ksim"),
                   ("depends_on", "mujoco-playground"), ("depends_on", "domain-randomization"),
                   ("enables", "real-robot-deployment"), ("enables", "continual-learning"),
                   ("enables", "few-shot-adaptation")]
    assert corpus.problems == ()


def test_labels_are_not_skill_names():
    assert looks_like_skill("kscale-kos") and looks_like_skill("World-Hopping")
    assert not looks_like_skill("Agent A") and not looks_like_skill("α") and not looks_like_skill("42")
    assert ERGODIC == Trit(0)
