"""Trits written as symbols (⊕ ⊙ ⊖) and words in every place a member's trit is written, and
names resolved as a reader would. The fixture corpus tests/fixtures/skill_forms was written
for these tests; the facts below are read off its lines."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acset_s2r.errors import SkillParseError
from acset_s2r.gf3.audit import audit_skills
from acset_s2r.gf3.parse import load_skills, parse_skill_text
from acset_s2r.gf3.records import Skill, SkillCorpus
from acset_s2r.gf3.trit import parse_trit

FORMS = Path(__file__).parents[1] / "fixtures" / "skill_forms"


def members(text):
    ps = parse_skill_text(text, "s")
    return [(g.form, g.claimed_balanced, [(m.name, int(m.trit)) for m in ps.members if m.group == i])
            for i, g in enumerate(ps.groups)], ps.problems


@pytest.mark.parametrize("symbol, value", [("⊕", 1), ("⊙", 0), ("⊖", -1)])
def test_each_symbol_is_a_trit(symbol, value):
    assert int(parse_trit(symbol)) == value


@pytest.mark.parametrize(
    "text, expected",
    [
        # a Trit column of symbols
        ("| Skill | Trit |\n|---|---|\n| a-b | ⊖ |\n| c-d | ⊕ PLUS |\n", [("table", None, [("a-b", -1), ("c-d", 1)])]),
        # a column of nothing but symbols beside the name column, whatever its header
        ("| Skill | Polarity |\n|---|---|\n| a-b | ⊙ |\n| c-d | MINUS |\n", [("table", None, [("a-b", 0), ("c-d", -1)])]),
        # the trit in the name's own cell
        ("| Skill | Role |\n|---|---|\n| ⊕ a-b | makes |\n| c-d (⊖) | checks |\n",
         [("table", None, [("a-b", 1), ("c-d", -1)])]),
        # a row of cells, each a name with its trit
        ("| Round | One | Two |\n|---|---|---|\n| 1 | ⊖ a-b | c-d ⊕ |\n", [("table", None, [("a-b", -1), ("c-d", 1)])]),
        # a triad table whose cells also carry the symbol
        ("| PLUS | ERGODIC | MINUS |\n|---|---|---|\n| ⊕ a-b | c-d | ⊖ e-f |\n",
         [("triad-table", True, [("a-b", 1), ("c-d", 0), ("e-f", -1)])]),
        # a list with no written sum, in each way an item can carry its trit
        ("- ⊖ a-b — checks\n- C D (⊙)\n* e-f: ⊕\n1. g-h (+1 PLUS)\n",
         [("list", None, [("a-b", -1), ("C D", 0), ("e-f", 1), ("g-h", 1)])]),
        # a chain with symbols beside the names
        ("⊖ a-b ⊗ ⊙ c-d ⊗ ⊕ e-f = 0 ✓\n", [("chain", True, [("a-b", -1), ("c-d", 0), ("e-f", 1)])]),
    ],
)
def test_symbol_forms(text, expected):
    assert members(text) == (expected, [])


@pytest.mark.parametrize(
    "text",
    [
        "- ⊕ Generator\n- ⊖ Validator\n",  # a legend of the symbols
        "- ⊕ a-b\n\nSome prose.\n",  # one item is not a group
        "```\n- ⊕ a-b\n- ⊖ c-d\n```\n",  # an example in a code block
        "- Trit: ⊕\n- Sum: ⊙\n",  # column words, not members
        "| Trit | Meaning |\n|---|---|\n| ⊕ | generates |\n| ⊖ | checks |\n",  # a legend table
    ],
)
def test_not_members(text):
    assert members(text) == ([], [])


def test_disagreeing_trits_in_one_row_are_a_problem():
    gs, problems = members("| Skill | Trit |\n|---|---|\n| ⊕ a-b | -1 |\n| c-d | 0 |\n")
    assert gs == [("table", None, [("c-d", 0)])]
    assert [p.line for p in problems] == [3] and "writes +1" in problems[0].reason


ENTRY_FORMS = [
    lambda n, s, w: f"- {s} {n}", lambda n, s, w: f"- {n} {s}", lambda n, s, w: f"- {n}: {s}",
    lambda n, s, w: f"- {n} ({s})", lambda n, s, w: f"- {n} ({s} {w})", lambda n, s, w: f"- {n} ({w})",
]
SYMBOL = {1: ("⊕", "PLUS"), 0: ("⊙", "ERGODIC"), -1: ("⊖", "MINUS")}


def _not_a_word(name):
    # a name that is itself a trit word or a column word reads as a legend (see parse_entry)
    try:
        parse_trit(name)
    except SkillParseError:
        return name not in {"trit", "trits", "sum", "total", "polarity", "role", "balance"}
    return False


entry_names = st.from_regex(r"[a-z]{2,6}(-[a-z]{2,6})?", fullmatch=True).filter(_not_a_word)


@given(st.lists(st.tuples(entry_names, st.sampled_from([-1, 0, 1]),
                          st.sampled_from(range(len(ENTRY_FORMS)))), min_size=2, max_size=6), st.booleans())
def test_list_and_table_cells_read_the_same_members(items, as_table):
    lines = [ENTRY_FORMS[f](n, *SYMBOL[t]) for n, t, f in items]
    if as_table:  # the same text in the name cells of a table
        text = "| Skill | Note |\n|---|---|\n" + "".join(f"| {x[2:]} | x |\n" for x in lines)
    else:
        text = "\n".join(lines) + "\n"
    ((form, claimed, ms),), problems = members(text)
    assert (form, claimed, problems) == ("table" if as_table else "list", None, [])
    assert ms == [(n, t) for n, t, _ in items]


# -- names as a reader resolves them --------------------------------------------------------
def corpus(*names, aliases=()):
    skills = tuple(Skill(n, f"{n}/SKILL.md", tuple(a for s, a in aliases if s == n)) for n in names)
    return SkillCorpus("d", skills, (), (), (), (), ())


@pytest.mark.parametrize(
    "written, skill, how",
    [
        ("some-skill", "some-skill", "name"), ("**some-skill**", "some-skill", "name"),
        ("Some-Skill", "some-skill", "case"), ("Some Skill", "some-skill", "spacing"),
        ("some_skill", "some-skill", "spacing"), ("SOME  SKILL", "some-skill", "spacing"),
        ("The Skill", "some-skill", "alias"), ("the skill", "some-skill", "case"),
        ("other", None, None), ("some skil", None, None),
    ],
)
def test_names_resolve_as_a_reader_would(written, skill, how):
    m = corpus("some-skill", "zz", aliases=[("some-skill", "The Skill")]).match(written)
    assert (m.skill, m.how) == (skill, how) if skill else m is None
    if m is not None:
        assert bool(m.note) == (how in ("case", "spacing"))


def test_a_spelling_two_skills_share_resolves_to_neither():
    c = corpus("foo-bar", "foo_bar")
    assert c.resolve("foo-bar") == "foo-bar" and c.resolve("foo_bar") == "foo_bar"
    assert c.resolve("Foo Bar") is None


# -- the fixture corpus -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def forms():
    return load_skills(FORMS)


def test_fixture_groups(forms):
    got = {(g.file, g.line): (g.form, g.claimed_balanced, [(m.name, int(m.trit)) for m in forms.members_of(i)])
           for i, g in enumerate(forms.groups)}
    assert got == {
        ("gay-colors/SKILL.md", 9): ("table", None, [("spi-check", -1), ("Bisim Game", 0), ("gay-colors", 1)]),
        ("gay-colors/SKILL.md", 15): ("table", None, [("spi_check", -1), ("bisim-game", 1)]),
        ("gay-colors/SKILL.md", 22): ("triad-table", True, [("gay-colors", 1), ("bisim-game", 0), ("spi-check", -1)]),
        ("gay-colors/SKILL.md", 26): ("list", None, [("spi-check", -1), ("Bisim Game", 0), ("GAY-COLORS", 1)]),
        ("spi-check/SKILL.md", 5): ("chain", True, [("Spi Check", -1), ("bisim_game", 0), ("gay-colors", 1)]),
        ("bisim-game/SKILL.md", 6): ("list", None, [("spi-check", 1), ("Gay Colors", -1), ("bisim-game", 0)]),
        ("bisim-game/SKILL.md", 12): ("table", None, [("spi-check", -1), ("gay-colors", 1)]),
        ("bisim-game/SKILL.md", 14): ("chain", True, [("spi-check", -1), ("Bisim Game", 0), ("gay-colors", -1)]),
    }
    assert forms.problems == ()


def test_fixture_findings_say_how_names_were_read():
    report = audit_skills(FORMS)
    got = {(f.kind, f.file, f.line, f.skill) for f in report.findings}
    assert got == {
        ("member-mismatch", "gay-colors/SKILL.md", 18, "bisim-game"),  # bisim-game | ⊕
        ("member-mismatch", "bisim-game/SKILL.md", 6, "spi-check"),  # spi-check (+1 PLUS)
        ("member-mismatch", "bisim-game/SKILL.md", 7, "gay-colors"),  # Gay Colors ⊖
        ("member-mismatch", "bisim-game/SKILL.md", 14, "gay-colors"),  # gay-colors (⊖)
        ("claim-unbalanced", "bisim-game/SKILL.md", 14, "bisim-game"),  # -1 + 0 - 1 = +1
    }
    (loose,) = [f for f in report.findings if f.resolved]
    assert loose.line == 7 and "'Gay Colors' read as gay-colors" in loose.message
    assert "ignoring case, hyphens and spaces" in loose.resolved
    (claim,) = report.of_kind("claim-unbalanced")
    first = claim.fixes[0]  # the fix that agrees with a declaration comes first
    assert (first.action, first.name, int(first.trit)) == ("set-member", "gay-colors", 1)
