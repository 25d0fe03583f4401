"""Constraints as data: the seed's transfer constraint and a GF(3)-style aggregate."""

import numpy as np
import pytest
import sympy

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchSim2RealTransfer
from acset_s2r.constraints import (
    Constraint,
    constraints_from_json,
    constraints_to_json,
    violations,
)
from acset_s2r.errors import ConstraintError
from acset_s2r.schema import Schema

kl_gap, eps, transfer, part = sympy.symbols("kl_gap eps transfer part")
SEED = Constraint(
    "transfer_identity", "Policy", conclusion=sympy.Eq(transfer, part), premise=kl_gap < eps, params={"eps": 0.1}
)


def _policies(gaps, transfers):
    X = ACSet(SchSim2RealTransfer, TransferGap=float)
    X.add_parts("Policy", len(gaps), kl_gap=gaps)
    X.set_subpart(X.parts("Policy"), "transfer", transfers)
    return X


def test_seed_constraint_flags_exactly_small_gap_policies_whose_transfer_moves():
    # policy 0: small gap, identity -> fine; 1: small gap, not identity -> violation;
    # 2: large gap, not identity -> premise false -> fine; 3: undefined gap -> fine.
    X = _policies([0.05, 0.02, 0.9, np.nan], [0, 0, 0, 3])
    found = violations(X, [SEED])
    assert [v.part for v in found] == [1]
    assert found[0].values == {"kl_gap": 0.02, "part": 1, "transfer": 0}


def test_constraint_without_premise_and_paths():
    X = _policies([0.3, 0.7], [0, 1])
    X.add_parts("RealEnv", 2)
    X.set_subpart([0, 1], "deploy", [1, 1])
    c = Constraint("deploy_to_1", "Policy", conclusion="Eq(deploy, 1)")
    assert violations(X, [c]) == []
    X.set_subpart(0, "deploy", 0)
    assert [v.part for v in violations(X, [c])] == [0]


def test_aggregate_sum_mod_3_over_a_converse():
    S = Schema.build(
        "Groups",
        obs=["Group", "Member"],
        homs=[("group", "Member", "Group")],
        attrtypes=["Int"],
        attrs=[("trit", "Member", "Int")],
    )
    X = ACSet(S, Int=int)
    X.add_parts("Group", 3)
    # group 0: +1 +1 -1 -1 = 0; group 1: +1 +1 = 2 (unbalanced); group 2: -1 +1 0 = 0
    X.add_parts("Member", 9, group=[0, 0, 0, 0, 1, 1, 2, 2, 2], trit=[1, 1, -1, -1, 1, 1, -1, 1, 0])
    s = sympy.Symbol("trit_sum")
    c = Constraint("balanced", "Group", conclusion=sympy.Eq(sympy.Mod(s, 3), 0), aggregates={"trit_sum": ("sum", "group", "trit")})
    bad = violations(X, [c])
    assert [(v.part, v.values["trit_sum"]) for v in bad] == [(1, 2.0)]


def test_json_round_trip_keeps_meaning():
    back = constraints_from_json(constraints_to_json([SEED]))
    assert back == [SEED]
    X = _policies([0.01, 0.01], [1, 1])
    assert [v.part for v in violations(X, back)] == [0]


def test_unknown_symbol_is_a_clear_error():
    X = _policies([0.1], [0])
    c = Constraint("bad", "Policy", conclusion="kl_gapp < 1")
    with pytest.raises(ConstraintError, match="kl_gapp"):
        violations(X, [c])
    with pytest.raises(ConstraintError, match="cannot read"):
        Constraint("bad", "Policy", conclusion="kl_gap <")
