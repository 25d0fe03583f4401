"""Reading one balance claim, or one listing entry, from the text of a line.

A claim is a group of terms and a verdict. The terms are ``name (t)``, ``(t)``, a bare
``t`` or a weighted ``5(+1)``, where t is a trit. They are joined by ``⊗``, ``→`` or ``+``,
or written as a tuple ``(t, t, t)``. The verdict is ``= 0 ✓``, ``≡ 0 (mod 3)``,
``= 2 ✗``, ``≠ 0`` or "needs ...". A claim may also be a bare ``Σ = 0 ✓``; that one takes
its members from the listing next to it (see ``acset_s2r.gf3.parse``).

These are plain functions over strings; ``parse.py`` supplies the line context.
"""

from __future__ import annotations

import re

import attrs

from acset_s2r.errors import SkillParseError
from acset_s2r.gf3.trit import Trit, parse_trit

__all__ = [
    "Term",
    "Claim",
    "is_claim_candidate",
    "is_balance_statement",
    "parse_claim",
    "parse_entry",
    "clean_content",
    "has_term",
    "ends_open",
    "starts_open",
    "term_spans",
]

_TRIT_TOKEN = r"[+\-]?[01](?![\d.])|PLUS|MINUS|ERGODIC|[⊕⊙⊖]"
_PAREN_TRIT = re.compile(rf"\(\s*(?:{_TRIT_TOKEN})\s*\)")
_TERM = re.compile(
    # name (optional), weight (optional), then a parenthesised trit, possibly after a role
    rf"(?:(?P<name>(?!\d+\s*[×x*·]?\s*\()[^\s()⊗→=≡≠,+\-][^()⊗→=≡≠,+]*?)\s*)?"
    rf"(?:(?<![\w-])(?P<weight>\d+)\s*[×x*·]?\s*)?"
    rf"\((?:[^(),]*,\s*)?(?P<trit>{_TRIT_TOKEN})\s*\)"
    rf"|(?P<bare>(?<![\w.])[+\-]?[01](?![\w.]))"
)
_TRIT_PLUS = re.compile(  # two trits added: "(-1) + (0)", "+1 + 0"
    rf"(?:\(\s*(?:{_TRIT_TOKEN})\s*\)|(?<![\w.])(?:{_TRIT_TOKEN}))\s*\+\s*(?:\(\s*(?:{_TRIT_TOKEN})\s*\)|(?:{_TRIT_TOKEN}))"
)
_GAP = re.compile(r"^[\s⊗→+⊕,·]*$")
_TUPLE = re.compile(rf"^\((?P<items>\s*(?:{_TRIT_TOKEN})(?:\s*,\s*(?:{_TRIT_TOKEN}))+\s*)\)\s*(?P<rest>(?:→|=|≡).*)$")
_SUM_PREFIX = re.compile(r"^(?:Σ|∑|Sum|Conservation|Total)\s*[:=≡]\s*")
_RELATION = re.compile(r"≡|≠|(?<![<>!=])=(?!=)|\bneeds?\b")
_NUMBER_AFTER = re.compile(r"^(?:→|=|≡)?\s*([+\-]?\d+)(?![\d.])")
_TRAILING_GF3 = re.compile(r"(?:→\s*)?(?:GF\(3\)|Σ)\s*$")
_OK = "✓✔✅"
_BAD = "✗✘❌"
_ANY_VERDICT = re.compile(f"[=≡≠{_OK}{_BAD}]|need")
_NUMBER_RELATION = re.compile(r"[=≡]\s*[+\-]?\d")
_BALANCE_STATEMENT = re.compile(r"(?:\bsum\b|Σ)\s*[≡=]\s*0\b", re.IGNORECASE)
_BOX = "│║┃┆┊"
_LEAD = re.compile(r"^(?:[-*]\s+|\d+\.\s+|>\s*|#+\s*|//+\s*|;+\s*|--\s*|%\s*)+")
_MINUS_LIKE = re.compile(r"[−–](?=\s*[01]\b)")
_ENTRY_PAREN = re.compile(
    rf"^(?P<name>[^()⊗→=≡|:]{{1,40}}?)\s*\((?:[^(),]*,\s*)?(?P<trit>{_TRIT_TOKEN})"
    rf"(?:\s+(?P<also>{_TRIT_TOKEN}))?\s*\)\s*(?:[-:–—].*)?$"
)
# A symbol beside a name, before or after it: "⊕ gay-mcp - colours", "gay-mcp: ⊕ PLUS".
# Only the symbols: a bare "+1" or "PLUS" beside words is too often something else.
_ENTRY_NAME = r"[^\W\d][\w.' -]{0,39}?"
_ENTRY_TAIL = r"\s*(?:[-:–—]\s.*|\(.*\))?$"
_ENTRY_SYMBOL_FIRST = re.compile(
    rf"^(?P<trit>[⊕⊙⊖])(?:\s*(?P<also>{_TRIT_TOKEN}))?\s*[:=]?\s+(?P<name>{_ENTRY_NAME}){_ENTRY_TAIL}"
)
_ENTRY_SYMBOL_AFTER = re.compile(
    rf"^(?P<name>{_ENTRY_NAME})\s*(?:[:=→]|\s[-–—])?\s*(?P<trit>[⊕⊙⊖])(?:\s*(?P<also>{_TRIT_TOKEN}))?{_ENTRY_TAIL}"
)
_SYMBOL_OUTSIDE_PARENS = re.compile(r"(?<!\()\s*[⊕⊙⊖]\s*(?!\s*\))")
# words that head a column or a legend line, never a member ("Trit: ⊕", "Sum ⊙")
_NOT_MEMBERS = {"trit", "trits", "gf(3)", "gf(3) trit", "sum", "total", "polarity", "role", "balance", "σ"}
_ENTRY_ASSIGN = re.compile(  # a number only when quoted: "depth: 1" is not a listing
    r"""^(?P<name>[\w.-]+)\s*[=:]\s*(?:(?P<q>["'])(?P<trit>PLUS|MINUS|ERGODIC|[+\-]?[01])(?P=q)"""
    r"""|(?P<word>PLUS|MINUS|ERGODIC))\s*(?:#.*)?$"""
)


@attrs.frozen
class Term:
    name: str | None
    trit: Trit
    weight: int = 1


@attrs.frozen
class Claim:
    """A parsed claim line: its terms (may be empty for ``Σ = 0 ✓``) and verdict."""

    terms: tuple[Term, ...]
    claimed_balanced: bool
    written_sum: int | None
    form: str


def clean_content(line: str) -> str:
    """The text of a line without box drawing, list, quote and comment markers or emphasis.

    Examples
    --------
    >>> clean_content("- **a (+1)** ⊗ `b` (−1) │")
    'a (+1) ⊗ b (-1)'
    """
    s = line.strip().strip(_BOX).strip()
    s = _LEAD.sub("", s)
    s = s.replace("**", "").replace("`", "")
    s = _MINUS_LIKE.sub("-", s)
    return s.strip().rstrip(_BOX).strip()


def has_term(content: str) -> bool:
    return bool(_PAREN_TRIT.search(content))


def ends_open(content: str) -> bool:
    """A line whose chain continues on the next line (``a (+1) ⊗``).

    Examples
    --------
    >>> has_term("a (+1)"), has_term("a + 1")
    (True, False)

    Examples
    --------
    >>> ends_open("a (+1) ⊗"), ends_open("a (+1)")
    (True, False)
    """
    return has_term(content) and content.rstrip().endswith(("⊗", "→", "+"))


def starts_open(content: str) -> bool:
    return content.lstrip().startswith(("⊗", "→"))


def is_claim_candidate(content: str) -> bool:
    """Whether a line reads as a balance claim and so must be parsed or reported.

    Examples
    --------
    >>> starts_open("⊗ b (-1) = 0 ✓")
    True

    Examples
    --------
    >>> is_claim_candidate("a (+1) ⊗ b (-1) = 0 ✓"), is_claim_candidate("a (+1) and b")
    (True, False)
    """
    if not _ANY_VERDICT.search(content):
        return False  # every rule below needs a relation, a mark or "needs"; most lines have none
    mark = any(c in content for c in _OK + _BAD)
    number_rel = bool(_NUMBER_RELATION.search(content))
    term = has_term(content)
    if term and _needs(content):
        return True
    if term and ("⊗" in content or "→" in content) and (number_rel or mark or "≠" in content or "≡" in content):
        return True
    if _SUM_PREFIX.match(content) and (mark or number_rel):
        return True
    if number_rel and _TRIT_PLUS.search(content):
        return True
    return mark and (number_rel or term or bool(_TUPLE.match(content)))


def is_balance_statement(content: str) -> bool:
    """A termless ``sum ≡ 0 (mod 3)`` that claims balance for an adjacent listing, if any.

    Examples
    --------
    >>> is_balance_statement("sum ≡ 0 (mod 3)")
    True
    """
    return bool(_BALANCE_STATEMENT.search(content)) and not has_term(content)


def _needs(content: str) -> bool:
    return bool(re.search(r"\bneeds?\b", content))


def parse_entry(content: str) -> tuple[str, Trit] | None:
    """A name with its trit beside it, or None: the one reader of a member written outside a
    chain, for listing lines, list items and table cells alike.

    Forms: ``World-Hopping (+1)  - explore``, ``gay-mcp (⊕ PLUS)``, ``claude = "PLUS"``,
    ``⊕ gay-mcp``, ``gay-mcp: ⊖``. When two trits are written (``(+1 MINUS)``) they must
    agree. A name that is itself a trit word or a column word (``⊕ Generator``, ``Trit: ⊕``)
    is a legend, not a member.

    Examples
    --------
    >>> parse_entry("World-Hopping (+1)  - explore")
    ('World-Hopping', Trit(+1))
    >>> parse_entry("⊙ Bisimulation Game - coordinates")
    ('Bisimulation Game', Trit(0))
    >>> parse_entry("⊕ Generator") is None, parse_entry("Trit: ⊖") is None
    (True, True)
    """
    content = content.strip()
    for pattern in (_ENTRY_PAREN, _ENTRY_ASSIGN, _ENTRY_SYMBOL_FIRST, _ENTRY_SYMBOL_AFTER):
        m = pattern.match(content)
        if m:
            return _entry(m)
    return None


def _entry(m: re.Match) -> tuple[str, Trit] | None:
    name = m["name"].strip().strip("*`").strip()
    groups = m.groupdict()
    try:
        trit = parse_trit(groups.get("trit") or groups.get("word"))
        also = parse_trit(groups["also"]) if groups.get("also") else trit
    except SkillParseError:
        return None
    if not name or also != trit or name.lower() in _NOT_MEMBERS:
        return None
    try:
        parse_trit(name)
    except SkillParseError:
        return name, trit
    return None  # "⊕ Generator": a legend of the symbols


def parse_claim(content: str) -> Claim:
    """Parse a claim candidate (already cleaned); raise SkillParseError saying why not.

    Examples
    --------
    >>> c = parse_claim("a (+1) ⊗ b (0) ⊗ c (+1) = 2 ✗")
    >>> [t.name for t in c.terms], c.claimed_balanced, c.written_sum
    (['a', 'b', 'c'], False, 2)
    """
    ok = any(c in content for c in _OK)
    bad = any(c in content for c in _BAD) or "≠" in content or _needs(content)
    if ok and bad:
        raise SkillParseError("the line marks the claim both balanced and unbalanced")

    m = _TUPLE.match(content)
    if m:
        terms = tuple(Term(None, parse_trit(t)) for t in m["items"].split(","))
        written = _written_sum(m["rest"])
        return Claim(terms, _verdict(ok, bad, written), written, "tuple")

    text = content
    prefixed = _SUM_PREFIX.match(text)
    if prefixed:
        text = text[prefixed.end():]
    rel = _RELATION.search(text)
    mark = re.search(f"[{_OK}{_BAD}]", text)
    if rel is None and prefixed:
        lhs, rest = "", text  # "Σ = 0 ✓": what follows the prefix is the sum itself
    elif rel is None and mark is not None:
        lhs, rest = text[: mark.start()], text[mark.start():]  # "a (+1) ⊗ b (+1) ✗"
    elif rel is None:
        raise SkillParseError("no '=', '≡', '≠', 'needs', ✓ or ✗ after the terms")
    else:
        lhs, rest = text[: rel.start()], text[rel.start():]
    lhs = _TRAILING_GF3.sub("", lhs.rstrip()).rstrip()
    lhs = re.sub(r"^[^()⊗→=≡:]{1,60}:\s+(?=\S)", "", lhs) if not prefixed else lhs
    terms = _terms(lhs)
    written = None if rest.lstrip().startswith(("≠", "need")) else _written_sum(rest)
    form = "arrow" if "→" in lhs else "chain" if "⊗" in lhs else "sum"
    if not terms and not prefixed:
        raise SkillParseError("no terms such as 'name (+1)' before the verdict")
    return Claim(terms, _verdict(ok, bad, written), written, form)


def term_spans(content: str) -> list[tuple[int, int]]:
    """Where the terms of a line are (used to give each term of a multi-line chain its line).

    Examples
    --------
    >>> term_spans("a (+1) ⊗ b (-1)")
    [(0, 6), (9, 15)]
    """
    return [m.span() for m in _TERM.finditer(content)]


def _terms(lhs: str) -> tuple[Term, ...]:
    if _SYMBOL_OUTSIDE_PARENS.search(lhs) and not _PAREN_TRIT.search(lhs):
        return _symbol_terms(lhs)
    terms = []
    pos = 0
    for m in _TERM.finditer(lhs):
        gap = lhs[pos: m.start()]
        if not _GAP.match(gap):
            raise SkillParseError(f"unexpected text {gap.strip()!r} between terms")
        pos = m.end()
        if m["bare"] is not None:
            terms.append(Term(None, parse_trit(m["bare"])))
            continue
        name = m["name"].strip().strip("*`").strip() if m["name"] else None
        weight = int(m["weight"]) if m["weight"] else 1
        terms.append(Term(name or None, parse_trit(m["trit"]), weight))
    tail = lhs[pos:]
    if not _GAP.match(tail):
        raise SkillParseError(f"unexpected text {tail.strip()!r} after the terms")
    return tuple(terms)


def _symbol_terms(lhs: str) -> tuple[Term, ...]:
    """Terms of a chain written with symbols beside the names: ``⊖ a ⊗ ⊙ b ⊗ ⊕ c``."""
    terms = []
    for piece in re.split(r"[⊗→]", lhs):
        entry = parse_entry(piece)
        if entry is None:
            raise SkillParseError(f"unexpected text {piece.strip()!r} between terms")
        terms.append(Term(*entry))
    return tuple(terms)


def _written_sum(rest: str) -> int | None:
    m = _NUMBER_AFTER.match(rest.strip())
    return int(m.group(1)) if m else None


def _verdict(ok: bool, bad: bool, written: int | None) -> bool:
    if bad:
        return False
    if ok:
        return True
    if written is not None:
        return written % 3 == 0
    raise SkillParseError("cannot tell whether the line claims balance (no sum, no ✓ or ✗)")
