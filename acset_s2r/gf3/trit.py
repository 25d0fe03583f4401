"""Trits: elements of GF(3) = {-1, 0, +1} and the balance of groups of them.

A skill carries a trit: MINUS (-1, validator), ERGODIC (0, coordinator) or
PLUS (+1, generator). A group of skills is balanced when its trits sum to 0 mod 3,
and the tensor of two groups is their concatenation.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable

import attrs

from acset_s2r.errors import SkillParseError, TritError

__all__ = [
    "Trit",
    "MINUS",
    "ERGODIC",
    "PLUS",
    "parse_trit",
    "parse_trit_value",
    "SYMBOLS",
    "trit_sum",
    "is_balanced",
    "balancing_trit",
    "tensor",
    "conservation_holds",
]


def _balanced(value: int) -> int:
    """The representative of ``value mod 3`` in {-1, 0, +1}."""
    if isinstance(value, bool):
        # bools are ints in Python; a Trit(True) is almost surely a bug
        raise TritError(f"a trit is built from an int, not bool {value!r}")
    try:
        n = operator.index(value)  # accepts numpy integers, refuses floats
    except TypeError:
        raise TritError(
            f"a trit is built from an int, not {type(value).__name__} {value!r}; Trit.parse reads text"
        ) from None
    return (n + 1) % 3 - 1


@attrs.frozen(repr=False)
class Trit:
    """An element of GF(3), stored as its balanced representative -1, 0 or +1.

    ``Trit(n)`` reduces any int mod 3; ``Trit.parse(text)`` reads what people write.
    """

    value: int = attrs.field(converter=_balanced)

    @classmethod
    def parse(cls, text: str) -> Trit:
        return parse_trit(text)

    def __add__(self, other: Trit | int) -> Trit:
        o = _as_int(other)
        return NotImplemented if o is None else Trit(self.value + o)

    __radd__ = __add__  # lets sum() start from 0

    def __sub__(self, other: Trit | int) -> Trit:
        o = _as_int(other)
        return NotImplemented if o is None else Trit(self.value - o)

    def __rsub__(self, other: Trit | int) -> Trit:
        o = _as_int(other)
        return NotImplemented if o is None else Trit(o - self.value)

    def __mul__(self, other: Trit | int) -> Trit:
        o = _as_int(other)
        return NotImplemented if o is None else Trit(self.value * o)

    __rmul__ = __mul__

    def __neg__(self) -> Trit:
        return Trit(-self.value)

    def __int__(self) -> int:
        return self.value

    __index__ = __int__

    def inverse(self) -> Trit:
        """Multiplicative inverse; every nonzero element of GF(3) is its own."""
        if self.value == 0:
            raise ZeroDivisionError("0 has no inverse in GF(3)")
        return self

    @property
    def name(self) -> str:
        return _NAMES[self.value]

    @property
    def role(self) -> str:
        return _ROLES[self.value]

    def __str__(self) -> str:
        return "+1" if self.value == 1 else str(self.value)

    def __repr__(self) -> str:
        return f"Trit({self})"


def _as_int(other: object) -> int | None:
    """The int behind a Trit or integer operand; None lets Python try the other side."""
    if isinstance(other, Trit):
        return other.value
    if isinstance(other, bool):
        return None
    try:
        return operator.index(other)
    except TypeError:
        return None


MINUS = Trit(-1)
ERGODIC = Trit(0)
PLUS = Trit(1)

_NAMES = {-1: "MINUS", 0: "ERGODIC", 1: "PLUS"}
_ROLES = {-1: "Validator", 0: "Coordinator", 1: "Generator"}

# Words SKILL.md authors use for each trit (lower case). The fixture corpus uses
# Generator/Transformer/Absorber and Ergodic/Coordinator besides the canonical names;
# corpora also write the circled operators ⊕ ⊙ ⊖ (SYMBOLS, shared with the claim parser).
SYMBOLS = {"⊕": 1, "⊙": 0, "⊖": -1}
_WORDS = {
    "plus": 1, "generator": 1, "generative": 1, "generation": 1,
    "ergodic": 0, "coordinator": 0, "coordination": 0, "transformer": 0, "neutral": 0,
    "minus": -1, "validator": -1, "validation": -1, "verifier": -1, "absorber": -1,
    **SYMBOLS,
}
_MINUS_SIGNS = "-\u2212\u2013"  # ASCII hyphen, unicode minus, en dash
_NUMBER = re.compile(rf"^([+{_MINUS_SIGNS}]?)\s*([01])$")


def parse_trit(text: str) -> Trit:
    """Read one trit written as a number (``+1``, ``1``, ``-1``, ``−1``, ``0``) or a word.

    Only -1, 0 and +1 are accepted: ``2`` or ``3`` in a SKILL.md is a sum, not a trit.

    Examples
    --------
    >>> parse_trit("−1"), parse_trit("PLUS"), parse_trit("⊙"), parse_trit("**Generator**")
    (Trit(-1), Trit(+1), Trit(0), Trit(+1))
    """
    if not isinstance(text, str):
        raise SkillParseError(f"a trit is written as text, not {type(text).__name__} {text!r}")
    token = text.strip().strip("*`\"'").strip()
    m = _NUMBER.match(token)
    if m:
        sign, digit = m.groups()
        return Trit(-int(digit) if sign and sign in _MINUS_SIGNS else int(digit))
    value = _WORDS.get(token.lower())
    if value is None:
        raise SkillParseError(f"not a trit: {text!r} (expected -1, 0, +1, PLUS, ERGODIC or MINUS)")
    return Trit(value)


_VALUE = re.compile(
    rf"""^[*`"']*(?P<tok>[+{_MINUS_SIGNS}]?[01](?![\d.])|[A-Za-z]+|[⊕⊙⊖])[*`"']*"""
    r"\s*(?:\((?P<note>[^)]*)\))?"
)
_NOTE_WORD = re.compile(rf"^\s*(?:[+{_MINUS_SIGNS}]?[01](?![\d.])|[A-Za-z]+|[⊕⊙⊖])")


def parse_trit_value(text: str) -> Trit:
    """Read the value part of a declaration, such as ``+1 (PLUS)`` or ``MINUS (-1)``.

    The first token is the trit; text after it is allowed. When a parenthesised note
    starts with a trit word or number (``(Generator - produces ...)``) it must agree with
    the first token: ``+1 (MINUS)`` is an error, not a guess.

    Examples
    --------
    >>> parse_trit_value("+1 (PLUS)"), parse_trit_value("⊖ MINUS"), parse_trit_value("0 (Layer 4)")
    (Trit(+1), Trit(-1), Trit(0))
    """
    m = _VALUE.match(text.strip())
    if not m:
        raise SkillParseError(f"no trit at the start of {text.strip()!r}")
    value = parse_trit(m["tok"])
    note = m["note"]
    if note:
        w = _NOTE_WORD.match(note)
        if w:
            try:
                noted = parse_trit(w.group(0))
            except SkillParseError:
                return value  # a note like "(Layer 4)" says nothing about the trit
            if noted != value:
                raise SkillParseError(f"{text.strip()!r} writes {value} but annotates it as {noted.name}")
    return value


def trit_sum(trits: Iterable[Trit | int]) -> Trit:
    """The GF(3) sum of ``trits`` (ints are reduced mod 3).

    Examples
    --------
    >>> trit_sum([PLUS, PLUS, MINUS]), trit_sum([1, 1])
    (Trit(+1), Trit(-1))
    """
    if isinstance(trits, (str, bytes)) or not isinstance(trits, Iterable):
        raise TritError(f"expected a group of trits (an iterable), got {type(trits).__name__} {trits!r}")
    total = Trit(0)
    for i, t in enumerate(trits):
        try:
            total = total + (t if isinstance(t, Trit) else Trit(t))
        except TritError as err:
            raise TritError(f"item {i} of the group: {err}") from None
    return total


def is_balanced(trits: Iterable[Trit | int]) -> bool:
    """True when the trits sum to 0 in GF(3); the empty group is balanced.

    Examples
    --------
    >>> is_balanced([MINUS, ERGODIC, PLUS]), is_balanced([PLUS, PLUS])
    (True, False)
    """
    return trit_sum(trits) == ERGODIC


def balancing_trit(trits: Iterable[Trit | int]) -> Trit:
    """The one trit that, added to ``trits``, makes the group balanced.

    Examples
    --------
    >>> balancing_trit([PLUS, PLUS])
    Trit(+1)
    >>> is_balanced([PLUS, PLUS, balancing_trit([PLUS, PLUS])])
    True
    """
    return -trit_sum(trits)


def tensor(group_a: Iterable[Trit | int], group_b: Iterable[Trit | int]) -> tuple[Trit, ...]:
    """The tensor ``a ⊗ b`` of two groups: their concatenation, as a tuple of Trits.

    Examples
    --------
    >>> tensor([PLUS, MINUS], [0])
    (Trit(+1), Trit(-1), Trit(0))
    """
    return tuple(t if isinstance(t, Trit) else Trit(t) for t in (*group_a, *group_b))


def conservation_holds(trits: Iterable[Trit | int]) -> bool:
    """The seed's Narya event rule, ``sum(e.trit for e in events) % 3 == 0``, on plain ints.

    Kept deliberately separate from ``is_balanced`` (integer sum then ``%``, not
    field addition) so that tests can check the two agree. The sim2real
    verification code should call this for its ``gf3_conservation`` verifier, and its
    tests can reuse ``tests/gf3/test_trit.py::test_conservation_rule_agrees_with_field_sum``.

    Examples
    --------
    >>> conservation_holds([1, 1, 1]), conservation_holds([1, 0])
    (True, False)
    """
    return sum(int(t) for t in trits) % 3 == 0
