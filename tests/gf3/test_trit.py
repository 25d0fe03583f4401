"""Trit arithmetic against sympy's GF(3), and the balance laws of issue 6."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sympy.polys.domains import FF

from acset_s2r.errors import SkillParseError
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

GF3 = FF(3)
trits = st.sampled_from([MINUS, ERGODIC, PLUS])
groups = st.lists(trits, max_size=12)


def oracle(t: Trit):
    return GF3(t.value)


@given(trits, trits)
def test_addition_and_multiplication_agree_with_sympy_gf3(a, b):
    assert oracle(a + b) == oracle(a) + oracle(b)
    assert oracle(a * b) == oracle(a) * oracle(b)
    assert oracle(a - b) == oracle(a) - oracle(b)
    assert oracle(-a) == -oracle(a)


@given(trits, trits, trits)
def test_field_laws(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert (a * b) * c == a * (b * c)
    assert a + b == b + a and a * b == b * a
    assert a * (b + c) == a * b + a * c
    assert a + ERGODIC == a and a * PLUS == a
    assert a + (-a) == ERGODIC
    if a != ERGODIC:
        assert a * a.inverse() == PLUS


def test_zero_has_no_inverse():
    with pytest.raises(ZeroDivisionError):
        ERGODIC.inverse()


@given(st.integers(min_value=-10**6, max_value=10**6))
def test_int_constructor_reduces_to_balanced_representative(n):
    t = Trit(n)
    assert int(t) in (-1, 0, 1)
    assert oracle(t) == GF3(n)


def test_int_conversion_and_names():
    assert [int(t) for t in (MINUS, ERGODIC, PLUS)] == [-1, 0, 1]
    assert [t.name for t in (MINUS, ERGODIC, PLUS)] == ["MINUS", "ERGODIC", "PLUS"]
    assert [str(t) for t in (MINUS, ERGODIC, PLUS)] == ["-1", "0", "+1"]
    assert Trit(np.int64(2)) == MINUS
    with pytest.raises(TypeError):
        Trit(True)
    with pytest.raises(TypeError):
        Trit(1.0)


@pytest.mark.parametrize(
    "text, value",
    [("+1", 1), ("1", 1), ("-1", -1), ("\u22121", -1), ("0", 0), ("PLUS", 1), ("minus", -1),
     ("ERGODIC", 0), ("⊕", 1), ("⊖", -1), ("Generator", 1), ("Validator", -1),
     ("Coordinator", 0), (" **+1** ", 1), ("`-1`", -1)],
)
def test_parse_spellings(text, value):
    assert parse_trit(text) == Trit(value)
    assert Trit.parse(text) == Trit(value)


@pytest.mark.parametrize("text", ["2", "3", "+2", "", "plus one", "1.0", "++1"])
def test_parse_rejects_non_trits(text):
    with pytest.raises(SkillParseError):
        parse_trit(text)


@given(groups, st.randoms(use_true_random=False))
def test_balance_is_invariant_under_permutation(group, rnd):
    shuffled = list(group)
    rnd.shuffle(shuffled)
    assert is_balanced(shuffled) == is_balanced(group)


@given(groups, groups)
def test_tensor_of_balanced_groups_is_balanced(a, b):
    t = tensor(a, b)
    assert list(t) == [*a, *b]
    if is_balanced(a) and is_balanced(b):
        assert is_balanced(t)
    # one balanced factor: the tensor is balanced exactly when the other one is
    if is_balanced(a):
        assert is_balanced(t) == is_balanced(b)


@given(groups)
def test_negating_every_trit_preserves_balance(group):
    assert is_balanced([-t for t in group]) == is_balanced(group)


@given(groups, trits)
def test_group_plus_t_balanced_iff_group_sums_to_minus_t(group, t):
    assert is_balanced([*group, t]) == (trit_sum(group) == -t)
    assert is_balanced([*group, balancing_trit(group)])


@given(groups)
def test_balance_agrees_with_sympy_sum(group):
    total = GF3(0)
    for t in group:
        total += oracle(t)
    assert is_balanced(group) == (total == GF3(0))


@given(st.lists(st.integers(min_value=-1, max_value=1), max_size=30))
def test_conservation_rule_agrees_with_field_sum(ints):
    # The seed's Narya rule sums plain ints then takes % 3; it must agree with GF(3).
    assert conservation_holds(ints) == is_balanced(ints)
    assert conservation_holds([Trit(i) for i in ints]) == is_balanced(ints)


def test_seed_quad_is_balanced_and_known_sums():
    # sim2real-predictive-coding (+1) ⊗ active-inference-robotics (+1) ⊗ kscale-kos (-1) ⊗ kscale-kinfer (-1)
    assert is_balanced([PLUS, PLUS, MINUS, MINUS])
    assert is_balanced([PLUS, PLUS, PLUS])
    assert not is_balanced([MINUS, MINUS, PLUS])
    assert trit_sum([MINUS, MINUS, PLUS]) == MINUS
    assert is_balanced([])
