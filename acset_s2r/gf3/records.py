"""Small value records for what a SKILL.md corpus says about trits.

Paths in records are relative to the corpus directory (POSIX style), lines are 1-based,
so that ``f"{file}:{line}"`` points an editor at the place.
"""

from __future__ import annotations

import re

import attrs

from acset_s2r.gf3.trit import Trit

__all__ = [
    "Skill",
    "Declaration",
    "Group",
    "Member",
    "Edge",
    "ParseProblem",
    "SkillCorpus",
    "NameMatch",
    "DECLARATION_FORMS",
    "GROUP_FORMS",
    "GROUP_KINDS",
    "normalize_name",
    "name_key",
    "looks_like_skill",
    "group_kind",
]

# How a skill states its own trit (see acset_s2r.gf3.parse for the syntax of each).
DECLARATION_FORMS = ("frontmatter", "label", "heading", "table-row", "html-comment", "constant", "plain")
# How a group of trits is written.
GROUP_FORMS = ("chain", "arrow", "sum", "tuple", "listing", "triad-table", "table", "list")
GROUP_KINDS = ("triad", "quad", "other")

_SKILL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _strip_markup(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().strip("*`_[]\"'").strip())


def normalize_name(name: str) -> str:
    """The form under which a written name is looked up: markup stripped, lower case.

    Examples
    --------
    >>> normalize_name("**Gay-MCP**")
    'gay-mcp'
    """
    return _strip_markup(name).lower()


def name_key(name: str) -> str:
    """A name as a reader hears it: lower case, hyphens, underscores and spaces alike.

    Examples
    --------
    >>> name_key("Some Skill") == name_key("some-skill") == name_key("SOME_SKILL")
    True
    """
    return re.sub(r"[\s_-]+", "-", normalize_name(name)).strip("-")


def looks_like_skill(name: str) -> bool:
    """Whether a written name reads as a skill identifier (``kscale-kos``), not a label.

    Labels such as ``α``, ``Agent A`` or ``ACP Layer`` name roles in an example; they are
    kept as member names but never reported as missing skills.

    Examples
    --------
    >>> looks_like_skill("kscale-kos"), looks_like_skill("Agent A")
    (True, False)
    """
    n = normalize_name(name)
    return bool(_SKILL_ID.match(n)) and any(c.isalpha() for c in n)


def group_kind(n_members: int) -> str:
    """What a group of ``n_members`` is called in reports.

    Examples
    --------
    >>> group_kind(3), group_kind(4), group_kind(7)
    ('triad', 'quad', 'other')
    """
    return {3: "triad", 4: "quad"}.get(n_members, "other")


@attrs.frozen
class Skill:
    """A skill directory: its name (the directory's), its SKILL.md and other names it goes by."""

    name: str
    file: str
    aliases: tuple[str, ...] = ()


@attrs.frozen
class Declaration:
    """A place where a skill states its own trit.

    ``section`` is the nearest Markdown heading above, ``in_code`` whether the line sits in a
    fenced block, ``boilerplate`` whether that block recurs verbatim in another skill's file
    (set by ``load_skills``, which sees the whole corpus).
    """

    skill: str
    trit: Trit
    form: str = attrs.field(validator=attrs.validators.in_(DECLARATION_FORMS))
    file: str
    line: int
    text: str = ""
    section: str = ""
    in_code: bool = False
    boilerplate: bool = False


@attrs.frozen
class Group:
    """A written group of trits (a triad, a quad, ...) and what its author claims about it.

    ``claimed_balanced`` is True (``= 0 ✓``), False (``✗``, ``≠``, "needs") or None for a
    listing that claims nothing. ``written_sum`` is the integer the author wrote as the sum,
    if any. ``skill`` is the skill whose file holds the group.
    """

    kind: str = attrs.field(validator=attrs.validators.in_(GROUP_KINDS))
    claimed_balanced: bool | None
    written_sum: int | None
    file: str
    line: int
    text: str = ""
    form: str = attrs.field(default="chain", validator=attrs.validators.in_(GROUP_FORMS))
    skill: str = ""


@attrs.frozen
class Member:
    """One term of a group: an index into ``SkillCorpus.groups``, the name as written
    (None for a bare trit), the written trit and its weight (``5(+1)`` has weight 5)."""

    group: int
    name: str | None
    trit: Trit
    weight: int = 1
    line: int = 0


@attrs.frozen
class Edge:
    """A ``depends_on`` or ``enables`` entry of a skill; ``target`` is the name as written."""

    kind: str = attrs.field(validator=attrs.validators.in_(("depends_on", "enables")))
    skill: str
    target: str
    file: str
    line: int


@attrs.frozen
class ParseProblem:
    """A line that looks like a declaration or claim but could not be read."""

    file: str
    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        shown = self.text.strip()
        return f"{self.file}:{self.line}: {self.reason}" + (f": {shown}" if shown else "")


@attrs.frozen
class NameMatch:
    """How a written name was resolved to a skill.

    ``how`` is ``name`` (the directory name as written), ``alias`` (a ``name:`` or
    ``**Skill Name**:`` the skill gives itself), ``case`` (the same but for case) or
    ``spacing`` (the same but for case, hyphens, underscores and spaces).
    """

    written: str
    skill: str
    how: str = attrs.field(validator=attrs.validators.in_(("name", "alias", "case", "spacing")))

    @property
    def loose(self) -> bool:
        """Whether a reader's leniency was needed (the finding then says so)."""
        return self.how in ("case", "spacing")

    @property
    def note(self) -> str:
        if not self.loose:
            return ""
        ignored = "case" if self.how == "case" else "case, hyphens and spaces"
        return f"{_strip_markup(self.written)!r} read as {self.skill}, ignoring {ignored}"


@attrs.frozen
class SkillCorpus:
    """Everything ``load_skills`` read from one directory of skills."""

    directory: str
    skills: tuple[Skill, ...]
    declarations: tuple[Declaration, ...]
    groups: tuple[Group, ...]
    members: tuple[Member, ...]
    edges: tuple[Edge, ...]
    problems: tuple[ParseProblem, ...]

    _exact: dict = attrs.field(init=False, eq=False, repr=False)
    _aliases: dict = attrs.field(init=False, eq=False, repr=False)
    _loose: dict = attrs.field(init=False, eq=False, repr=False)
    _by_group: dict = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        exact: dict[str, NameMatch] = {}
        for s in self.skills:
            exact.setdefault(s.name, NameMatch(s.name, s.name, "name"))
        for s in self.skills:
            for a in s.aliases:
                exact.setdefault(_strip_markup(a), NameMatch(a, s.name, "alias"))
        aliases: dict[str, str] = {}
        # directory names first, so an alias never shadows another skill's own name
        for s in self.skills:
            aliases.setdefault(normalize_name(s.name), s.name)
        for s in self.skills:
            for a in s.aliases:
                aliases.setdefault(normalize_name(a), s.name)
        loose: dict[str, set[str]] = {}
        for key, skill in aliases.items():
            loose.setdefault(name_key(key), set()).add(skill)
        by_group: dict[int, list[Member]] = {}
        for m in self.members:
            by_group.setdefault(m.group, []).append(m)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_aliases", aliases)
        # a key two skills share (foo-bar and foo_bar) resolves to neither
        object.__setattr__(self, "_loose", {k: next(iter(v)) for k, v in loose.items() if len(v) == 1})
        object.__setattr__(self, "_by_group", {g: tuple(ms) for g, ms in by_group.items()})

    @property
    def skill_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.skills)

    def resolve(self, name: str | None) -> str | None:
        """The skill a written name refers to (see ``match``), or None."""
        m = self.match(name)
        return None if m is None else m.skill

    def match(self, name: str | None) -> NameMatch | None:
        """How a written name resolves, as a reader would: as written, then ignoring case,
        then ignoring case, hyphens, underscores and spaces; None when it names no skill."""
        if name is None:
            return None
        found = self._exact.get(_strip_markup(name))
        if found is not None:
            return NameMatch(name, found.skill, found.how)
        skill = self._aliases.get(normalize_name(name))
        if skill is not None:
            return NameMatch(name, skill, "case")
        skill = self._loose.get(name_key(name))
        return None if skill is None else NameMatch(name, skill, "spacing")

    def members_of(self, group: int) -> tuple[Member, ...]:
        return self._by_group.get(group, ())

    def declarations_of(self, skill: str) -> tuple[Declaration, ...]:
        return tuple(d for d in self.declarations if d.skill == skill)
