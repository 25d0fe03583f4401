"""Transfer events as ACSet parts, the seed's trit rule, impact, the four verifiers and the proof hash."""

import hashlib
import json
import math
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r.constraints import Constraint, constraints_from_json, constraints_to_json, violations
from acset_s2r.errors import InstanceError, SerializationError
from acset_s2r.gf3.trit import MINUS, PLUS, Trit, is_balanced
from acset_s2r.migration import restrict
from acset_s2r.paths import check_equations
from acset_s2r.sim2real.diagnosis import transfer_evidence
from acset_s2r.serialization import schema_from_json, schema_to_json
from acset_s2r.sim2real.config import PolicySpec, default_config
from acset_s2r.sim2real.experiment import run_experiment
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlantConfig
from acset_s2r.sim2real.schema import SchSim2RealTrajectory
from acset_s2r.sim2real.verification import (
    VERIFIERS,
    ProofBundle,
    SchSim2RealVerification,
    Sim2RealNaryaEvent,
    TransferDelta,
    VerificationThresholds,
    canonical_events_json,
    event_constraints,
    events_acset,
    narya_events,
    proof_hash,
    record_experiment_events,
    record_transfer_event,
    record_transfer_events,
    transfer_impact,
    transfer_trit,
    transfer_trits,
    verification_acset,
    verify_transfer_success,
    with_verification_tables,
)

ROOT = Path(__file__).parent.parent.parent
TH = VerificationThresholds()
gaps = st.floats(min_value=-1.0, max_value=5.0, allow_nan=False)


def calibrated_rule(p):
    # the seed's meaning of a trit on the test's p-value: -1 mismatch, 0 within tolerance, +1 match
    return -1 if p < 0.05 else (1 if p >= 0.5 else 0)


def seed_rule(g):
    # The seed, verbatim: trit=0 if kl_gap < 0.1 else (-1 if kl_gap > 0.5 else 1)
    return 0 if g < 0.1 else (-1 if g > 0.5 else 1)


def good(kl_gap=0.05, **kw):
    """A delta that passes every per-event verifier under the default thresholds."""
    return TransferDelta(**({"kl_gap": kl_gap, "observation_error": 0.01, "dynamics_error": 0.1,
                             "latency_delta": 0.0} | kw))


def acset_with_policies(*names):
    X = verification_acset()
    X.add_parts("Policy", len(names), policy_name=list(names))
    return X


# -- schema -----------------------------------------------------------------------------------------
def test_schema_file_matches_declaration():
    data = json.loads((ROOT / "schemas" / "sim2real_verification.json").read_text(encoding="utf-8"))
    assert schema_from_json(data, name="SchSim2RealVerification") == SchSim2RealVerification
    assert data == schema_to_json(SchSim2RealVerification)


def test_schema_extends_the_trajectory_schema_with_the_seed_fields():
    S = SchSim2RealVerification
    assert SchSim2RealTrajectory.is_subschema_of(S)
    assert S.codom("delta_policy") == "Policy" and S.codom("event_delta") == "TransferDelta"
    assert {a.name for a in S.attrs_of("TransferDelta")} == {
        "delta_kl_gap", "delta_p_value", "observation_error", "dynamics_error", "latency_delta"}
    assert {a.name for a in S.attrs_of("NaryaEvent")} == {"event_id", "trit", "impact"}
    # the delta's gap has the same type as the policy's kl_gap
    assert S.codom("delta_kl_gap") == S.codom("kl_gap") == "TransferGap"


# -- the trit rule and impact --------------------------------------------------------------------------
@pytest.mark.parametrize("g, trit", [
    (0.0, 0), (0.1, 1), (np.nextafter(0.1, 0), 0), (np.nextafter(0.1, 1), 1), (0.3, 1),
    (0.5, 1), (np.nextafter(0.5, 0), 1), (np.nextafter(0.5, 1), -1), (-0.02, 0), (40.0, -1),
])
def test_trit_rule_at_the_boundaries(g, trit):
    assert transfer_trit(g) == Trit(trit)


@given(gaps)
def test_trit_rule_is_the_seeds(g):
    assert transfer_trit(g).value == seed_rule(g)


@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_trit_rule_near_each_boundary(eps):
    # points straddling the boundaries, with scale-free offsets
    d = eps * 1e-6
    assert transfer_trit(0.1 - d - 1e-12) == Trit(0)
    assert transfer_trit(0.1 + d) == PLUS
    assert transfer_trit(0.5 - d) == PLUS
    assert transfer_trit(0.5 + d + 1e-12) == MINUS


@given(st.lists(gaps, max_size=30))
def test_vectorised_trit_rule_agrees_with_scalar(gs):
    assert transfer_trits(gs).tolist() == [seed_rule(g) for g in gs]


@given(st.floats(0.01, 1.0), st.floats(0.01, 3.0), gaps)
def test_trit_rule_follows_custom_thresholds(lo, width, g):
    th = VerificationThresholds(trit_low=lo, trit_high=lo + width)
    expect = 0 if g < lo else (-1 if g > lo + width else 1)
    assert transfer_trit(g, th).value == expect


@given(gaps)
def test_impact_is_the_seeds_and_matches_the_mismatch_trit(g):
    assert transfer_impact(g) == (1 if g > 0.5 else 0)
    # default transfer threshold = the trit rule's mismatch boundary
    assert (transfer_impact(g) == 1) == (transfer_trit(g) == MINUS)


def test_impact_boundary_and_custom_threshold():
    assert transfer_impact(0.5) == 0 and transfer_impact(np.nextafter(0.5, 1)) == 1
    th = VerificationThresholds(transfer=1.0)
    assert transfer_impact(0.7, th) == 0 and transfer_impact(1.2, th) == 1


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "x", None])
def test_bad_gap_is_refused(bad):
    with pytest.raises(InstanceError, match="kl_gap"):
        transfer_trit(bad)
    with pytest.raises(InstanceError):
        transfer_impact(bad)


def test_bad_gap_in_an_array_names_its_position():
    with pytest.raises(InstanceError, match="position 2"):
        transfer_trits([0.1, 0.2, np.nan])


@pytest.mark.parametrize("kw", [{"trit_low": 0.5, "trit_high": 0.1}, {"trit_low": 0.3, "trit_high": 0.3},
                                {"latency": 0.0}, {"observation": -1.0}, {"dynamics": float("nan")}])
def test_bad_thresholds_are_refused(kw):
    with pytest.raises(InstanceError, match="VerificationThresholds"):
        VerificationThresholds(**kw)


# -- recording events as parts ---------------------------------------------------------------------------
def test_events_are_parts_with_the_rule_applied():
    X = acset_with_policies("a", "b")
    ids = record_transfer_events(X, ["a", 1, "b"], [good(0.05), good(0.3), good(0.9)])
    assert ids.tolist() == [0, 1, 2]
    assert X.nparts("TransferDelta") == 3 and X.nparts("NaryaEvent") == 3
    assert X.subpart("trit").tolist() == [0, 1, -1]
    assert X.subpart("impact").tolist() == [0, 0, 1]
    assert X.subpart("before").tolist() == [0, 1, 1]
    assert X.subpart(ids, ["event_delta", "delta_policy"]).tolist() == [0, 1, 1]
    assert X.subpart(ids, ["event_delta", "delta_kl_gap"]).tolist() == [0.05, 0.3, 0.9]
    assert X.subpart("event_id").tolist() == ["transfer_a_0", "transfer_b_0", "transfer_b_1"]
    assert check_equations(X) == []
    assert violations(X, event_constraints()) == []
    e = narya_events(X)[2]
    assert e == Sim2RealNaryaEvent("transfer_b_1", "b", good(0.9), MINUS, 1)
    # a policy's events are reached through the converse of before
    assert X.incident(1, "before").tolist() == [1, 2]


def test_recorded_rule_at_the_boundaries_and_ids_continue():
    X = acset_with_policies("a")
    record_transfer_events(X, ["a", "a"], [good(0.5), good(np.nextafter(0.5, 1))])
    record_transfer_events(X, ["a"], [good(0.1)])
    assert X.subpart("impact").tolist() == [0, 1, 0]
    assert X.subpart("trit").tolist() == [1, -1, 1]
    assert X.subpart("event_id").tolist() == ["transfer_a_0", "transfer_a_1", "transfer_a_2"]


def test_record_one_event_with_its_id_and_mapping_delta():
    X = acset_with_policies("a")
    e = record_transfer_event(X, 0, dict(kl_gap=0.2, observation_error=0.0, dynamics_error=0.0, latency_delta=1.0),
                              event_id="run7")
    assert X.subpart(e, "event_id") == "run7" and X.subpart(e, "trit") == 1


@pytest.mark.parametrize("policy, msg", [("nope", "unknown policy 'nope'"), (5, "unknown policy 5"),
                                         (-1, "unknown policy -1"), (1.5, "Policy part id or a policy_name")])
def test_unknown_policy_is_refused_and_nothing_changes(policy, msg):
    X = acset_with_policies("a", "b")
    record_transfer_event(X, "a", good())
    before = X.copy()
    with pytest.raises(InstanceError, match=msg):
        record_transfer_events(X, ["a", policy], [good(), good()])
    assert X == before


@pytest.mark.parametrize("field", ["kl_gap", "observation_error", "dynamics_error", "latency_delta"])
def test_nan_in_a_delta_is_refused_and_nothing_changes(field):
    X = acset_with_policies("a")
    before = X.copy()
    d = {"kl_gap": 0.1, "observation_error": 0.1, "dynamics_error": 0.1, "latency_delta": 0.0} | {field: math.nan}
    with pytest.raises(InstanceError, match=rf"delta 1 \(policy a\).*{field}"):
        record_transfer_events(X, ["a", "a"], [good(), d])
    assert X == before
    with pytest.raises(InstanceError, match=field):
        TransferDelta(**d)


def test_other_bad_records_are_refused():
    X = acset_with_policies("a", "a2")
    record_transfer_event(X, "a", good(), event_id="e")
    with pytest.raises(InstanceError, match="unique"):
        record_transfer_event(X, "a2", good(), event_id="e")
    with pytest.raises(InstanceError, match="1 policies but 2 deltas"):
        record_transfer_events(X, ["a"], [good(), good()])
    with pytest.raises(InstanceError, match="fields"):
        record_transfer_event(X, "a", {"kl_gap": 0.1})
    X.set_subpart(1, "policy_name", "a")
    with pytest.raises(InstanceError, match="ambiguous"):
        record_transfer_event(X, "a", good())
    with pytest.raises(InstanceError, match="with_verification_tables"):
        from acset_s2r.acset import ACSet
        record_transfer_event(ACSet(SchSim2RealTrajectory, Label=str), 0, good())


# -- the four verifiers ------------------------------------------------------------------------------------
VERIFIER_FIELD = {"observation_consistency": ("observation_error", "observation"),
                  "dynamics_fidelity": ("dynamics_error", "dynamics"),
                  "latency_bounds": ("latency_delta", "latency")}


def three_balanced(delta_of_last):
    """Three events with trits 0, 0, 0 (balanced) whose last delta is given."""
    return [Sim2RealNaryaEvent.from_delta(f"e{i}", "p", d) for i, d in enumerate([good(), good(), delta_of_last])]


def test_all_verifiers_pass_on_good_balanced_events():
    b = verify_transfer_success(three_balanced(good()))
    assert b.verifiers == dict.fromkeys(VERIFIERS, True)
    assert b.overall == "VERIFIED" and b.verified and b.inconsistencies == ()
    assert tuple(b.verifiers) == VERIFIERS and b.n_events == 3


@pytest.mark.parametrize("verifier", sorted(VERIFIER_FIELD))
@pytest.mark.parametrize("sign", [1, -1])
def test_each_per_event_verifier_fails_alone(verifier, sign):
    field, th_name = VERIFIER_FIELD[verifier]
    limit = getattr(TH, th_name)
    # just below the threshold passes, at it fails (strict, as in the seed)
    ok = verify_transfer_success(three_balanced(good(**{field: np.nextafter(limit, 0)})))
    assert ok.verified
    bad_value = sign * limit if field == "latency_delta" else limit
    bad = verify_transfer_success(three_balanced(good(**{field: bad_value})))
    assert bad.overall == "FAILED"
    assert bad.verifiers == {k: k != verifier for k in VERIFIERS}
    assert bad.failing[verifier] == ("e2",)


def test_signed_errors_below_threshold_pass_for_observation_and_dynamics():
    # the seed compares the value itself: a negative error is below any positive bound
    b = verify_transfer_success(three_balanced(good(observation_error=-5.0, dynamics_error=-5.0)))
    assert b.verified


def test_gf3_conservation_fails_alone():
    evs = [Sim2RealNaryaEvent.from_delta(f"e{i}", "p", good(g)) for i, g in enumerate([0.05, 0.3])]
    b = verify_transfer_success(evs)
    assert b.verifiers == {k: k != "gf3_conservation" for k in VERIFIERS}
    assert b.trit_sum == 1 and b.overall == "FAILED"
    # three +1 events sum to 3 = 0 in GF(3)
    evs.append(Sim2RealNaryaEvent.from_delta("e2", "p", good(0.2)))
    evs.append(Sim2RealNaryaEvent.from_delta("e3", "p", good(0.25)))
    assert verify_transfer_success(evs).verified


@settings(max_examples=60, deadline=None)
@given(st.lists(gaps, min_size=1, max_size=25))
def test_gf3_conservation_agrees_with_the_direct_sum(gs):
    evs = [Sim2RealNaryaEvent.from_delta(f"e{i}", "p", good(g)) for i, g in enumerate(gs)]
    b = verify_transfer_success(evs)
    direct = sum(seed_rule(g) for g in gs)
    assert b.verifiers["gf3_conservation"] == (direct % 3 == 0) == is_balanced([seed_rule(g) for g in gs])
    assert b.trit_sum == (direct + 1) % 3 - 1
    assert b.verified == (direct % 3 == 0)  # everything else passes by construction


def test_verification_is_the_same_on_the_acset_and_on_values():
    X = acset_with_policies("a", "b")
    record_transfer_events(X, ["a", "b", "b"], [good(0.2), good(0.3, latency_delta=2.0), good(0.01)])
    from_acset = verify_transfer_success(X)
    from_values = verify_transfer_success(narya_events(X))
    assert from_acset == from_values
    assert narya_events(events_acset(narya_events(X))) == narya_events(X)
    assert from_acset.failing["latency_bounds"] == ("transfer_b_0",)


def test_inconsistent_event_fails_the_verdict_through_the_constraint():
    # trits 0, 0, 0 but the last is written as 0 for a gap that the rule calls +1:
    # the four verifiers pass, the constraint does not
    evs = three_balanced(good())[:2] + [Sim2RealNaryaEvent("e2", "p", good(0.3), 0, 0)]
    b = verify_transfer_success(evs)
    assert all(b.verifiers.values())
    assert b.overall == "FAILED"
    assert len(b.inconsistencies) == 1 and "e2" in b.inconsistencies[0]
    assert "trit_follows_the_seed_rule" in b.inconsistencies[0]
    wrong_impact = three_balanced(good())[:2] + [Sim2RealNaryaEvent("e2", "p", good(0.05), 0, 1)]
    assert "impact_follows_the_gap" in verify_transfer_success(wrong_impact).inconsistencies[0]


@given(st.lists(gaps, min_size=1, max_size=10), st.data())
def test_trit_constraint_finds_exactly_the_flipped_events(gs, data):
    X = acset_with_policies("p")
    record_transfer_events(X, ["p"] * len(gs), [good(g) for g in gs])
    assert violations(X, event_constraints()) == []
    k = data.draw(st.integers(0, len(gs) - 1))
    shift = data.draw(st.sampled_from([1, 2]))
    X.set_subpart(k, "trit", (X.subpart(k, "trit") + shift + 1) % 3 - 1)
    bad = violations(X, event_constraints())
    assert [(v.constraint, v.part) for v in bad] == [("trit_follows_the_seed_rule", k)]


def test_event_constraints_are_data():
    cs = event_constraints(VerificationThresholds(trit_low=0.2))
    back = constraints_from_json(constraints_to_json(cs))
    assert all(isinstance(c, Constraint) for c in back)
    assert back[0].params == {"trit_low": 0.2, "trit_high": 0.5}
    X = acset_with_policies("p")
    record_transfer_event(X, "p", good(0.15))  # +1 under the defaults
    assert violations(X, back)[0].constraint == "trit_follows_the_seed_rule"


def test_broken_equation_is_an_inconsistency():
    X = acset_with_policies("a", "b")
    record_transfer_events(X, ["a", "b", "b"], [good(), good(), good()])
    assert verify_transfer_success(X).verified
    X.set_subpart(0, "before", 1)
    b = verify_transfer_success(X)
    assert b.overall == "FAILED" and any("before_is_the_deltas_policy" in s for s in b.inconsistencies)


def test_nothing_to_verify_is_an_error():
    with pytest.raises(InstanceError, match="no NaryaEvent"):
        verify_transfer_success([])
    with pytest.raises(InstanceError, match="no NaryaEvent"):
        verify_transfer_success(acset_with_policies("a"))
    with pytest.raises(InstanceError, match="not a Sim2RealNaryaEvent"):
        verify_transfer_success([good()])
    with pytest.raises(InstanceError, match="unique"):
        verify_transfer_success([Sim2RealNaryaEvent.from_delta("e", "p", good())] * 3)


def test_nan_written_into_the_acset_is_caught_at_verification():
    X = acset_with_policies("a")
    record_transfer_events(X, ["a"] * 3, [good()] * 3)
    X.set_subpart(1, "dynamics_error", math.nan)
    with pytest.raises(InstanceError, match=r"NaryaEvent 1 \(transfer_a_1\).*dynamics_error"):
        verify_transfer_success(X)


# -- the proof hash ------------------------------------------------------------------------------------
def events_from_seed(seed, n=9):
    rng = np.random.default_rng(seed)
    return [
        Sim2RealNaryaEvent.from_delta(f"ev{i}", f"pi{i % 3}", TransferDelta(*rng.exponential([0.4, 0.3, 0.3, 0.5])))
        for i in range(n)
    ]


def test_hash_is_sha256_of_the_canonical_json():
    evs = events_from_seed(1)
    rows = sorted((e.to_dict() for e in evs), key=lambda r: r["event_id"])
    text = json.dumps(rows, sort_keys=True, separators=(",", ":"))
    assert canonical_events_json(evs) == text
    assert proof_hash(evs) == hashlib.sha256(text.encode()).hexdigest()
    assert verify_transfer_success(evs).proof_hash == proof_hash(evs)


def test_same_seed_same_hash_and_order_does_not_matter():
    a, b = events_from_seed(4), events_from_seed(4)
    assert proof_hash(a) == proof_hash(b)
    assert proof_hash(a[::-1]) == proof_hash(a)
    assert proof_hash(events_from_seed(5)) != proof_hash(a)


@given(st.integers(0, 8), st.sampled_from(["trit", "impact", "kl_gap", "latency_delta", "event_id", "policy"]))
def test_a_flipped_event_changes_the_hash(k, what):
    evs = events_from_seed(7)
    e = evs[k]
    if what == "trit":
        new = Sim2RealNaryaEvent(e.event_id, e.policy, e.delta, e.trit + 1, e.impact)
    elif what == "impact":
        new = Sim2RealNaryaEvent(e.event_id, e.policy, e.delta, e.trit, 1 - e.impact)
    elif what in ("kl_gap", "latency_delta"):
        d = TransferDelta(**({f: getattr(e.delta, f) for f in ("kl_gap", "observation_error", "dynamics_error",
                                                                 "latency_delta")} | {what: getattr(e.delta, what) + 1e-6}))
        new = Sim2RealNaryaEvent(e.event_id, e.policy, d, e.trit, e.impact)
    elif what == "event_id":
        new = Sim2RealNaryaEvent(e.event_id + "x", e.policy, e.delta, e.trit, e.impact)
    else:
        new = Sim2RealNaryaEvent(e.event_id, e.policy + "x", e.delta, e.trit, e.impact)
    flipped = evs[:k] + [new] + evs[k + 1:]
    assert proof_hash(flipped) != proof_hash(evs)


def test_canonical_floats_are_fixed():
    e = Sim2RealNaryaEvent.from_delta("e", "p", TransferDelta(0.1 + 0.2, -0.0, 1 / 3, 2.0))
    d = e.to_dict()["delta"]
    assert d == {"kl_gap": 0.3, "observation_error": 0.0, "dynamics_error": 0.333333333333, "latency_delta": 2.0}
    assert '"observation_error":0.0' in canonical_events_json([e])


# -- the bundle as a file ---------------------------------------------------------------------------------
def test_bundle_round_trips_through_json(tmp_path):
    b = verify_transfer_success(events_from_seed(2))
    path = tmp_path / "sub" / "proof.json"
    b.write(path)
    back = ProofBundle.read(path)
    assert back == b and back.hash_matches()
    assert [p.name for p in path.parent.iterdir()] == ["proof.json"]  # no temp file left behind
    assert b.overall in b.report() and b.proof_hash[:16] in b.report()


def test_bundle_detects_tampered_events_and_bad_json(tmp_path):
    data = verify_transfer_success(events_from_seed(3)).to_json()
    data["events"][0]["trit"] = (data["events"][0]["trit"] + 2) % 3 - 1
    assert not ProofBundle.from_json(data).hash_matches()
    with pytest.raises(SerializationError, match="malformed"):
        ProofBundle.from_json("{")
    with pytest.raises(SerializationError, match="verifiers"):
        ProofBundle.from_json({"overall": "VERIFIED"})
    with pytest.raises(SerializationError, match="cannot read"):
        ProofBundle.read(tmp_path / "missing.json")


# -- end to end on a real experiment ------------------------------------------------------------------------
# the default cartpole plant with 2 steps of latency, and mild sims (Playground ranges, 0..3 steps)
TINY = default_config("cartpole").evolve(
    seed=11, sim={"n_sim": 2, "obs_bias": 0.0, "latency_max": 3, "randomization": None}, real={"latency": 2},
    training={"steps": 60, "iterations": 2, "population": 4}, measure={"n_null": 39},
)


@pytest.fixture(scope="module")
def tiny_runs():
    return run_experiment(TINY, progress=False), run_experiment(TINY, progress=False)


def test_verification_tables_extend_an_experiment_without_changing_it(tiny_runs):
    X = tiny_runs[0].acset
    Y = with_verification_tables(X)
    assert Y.schema == SchSim2RealVerification
    assert Y.nparts("TransferDelta") == Y.nparts("NaryaEvent") == 0
    assert restrict(Y, SchSim2RealTrajectory) == X
    assert with_verification_tables(Y) == Y


def test_experiment_events_give_a_stable_bundle(tiny_runs, tmp_path):
    Y1, Y2 = record_experiment_events(tiny_runs[0].acset), record_experiment_events(tiny_runs[1].acset)
    assert Y1.nparts("NaryaEvent") == Y1.nparts("TransferDelta") == Y1.nparts("Policy") == 4
    assert restrict(Y1, SchSim2RealTrajectory) == tiny_runs[0].acset
    assert check_equations(Y1) == [] and violations(Y1, event_constraints(rule="calibrated")) == []
    # each event's after is its policy's RealEnv; its delta is that policy's gap and evidence
    assert np.array_equal(Y1.subpart("after"), Y1.subpart(Y1.subpart("before"), "deploy"))
    X = tiny_runs[0].acset
    for e in Y1.parts("NaryaEvent").tolist():
        p = Y1.subpart(e, "before")
        ev = transfer_evidence(X, p)
        d = Y1.subpart(e, "event_delta")
        assert Y1.subpart(d, "delta_kl_gap") == X.subpart(p, "kl_gap")
        assert (Y1.subpart(d, "observation_error"), Y1.subpart(d, "dynamics_error"),
                Y1.subpart(d, "latency_delta")) == (ev.observation_error, ev.dynamics_error, ev.latency_delta)
        # an experiment's deltas carry the test's p-value, so the trit follows it
        assert Y1.subpart(d, "delta_p_value") == X.subpart(p, "kl_p_value")
        assert Y1.subpart(e, "trit") == calibrated_rule(X.subpart(p, "kl_p_value"))
    # the seed's literal rule stays available
    Ys = record_experiment_events(X, thresholds=VerificationThresholds(trit_rule="seed"))
    for e in Ys.parts("NaryaEvent").tolist():
        assert Ys.subpart(e, "trit") == seed_rule(X.subpart(Ys.subpart(e, "before"), "kl_gap"))
    assert violations(Ys, event_constraints()) == []
    b1, b2 = verify_transfer_success(Y1), verify_transfer_success(Y2)
    assert b1.proof_hash == b2.proof_hash and b1 == b2
    # the verdicts are the thresholds applied to the recorded numbers
    obs = Y1.subpart("observation_error")
    assert b1.verifiers["observation_consistency"] == bool(np.all(obs < TH.observation))
    assert b1.verifiers["latency_bounds"] == bool(np.all(np.abs(Y1.subpart("latency_delta")) < TH.latency))
    assert b1.verifiers["gf3_conservation"] == (sum(Y1.subpart("trit").tolist()) % 3 == 0)
    b1.write(tmp_path / "proof.json")
    assert ProofBundle.read(tmp_path / "proof.json") == b1
    # a different seed is a different experiment and a different proof
    other = run_experiment(TINY.evolve(seed=12), progress=False)
    assert verify_transfer_success(record_experiment_events(other.acset)).proof_hash != b1.proof_hash


def test_experiment_glue_reads_the_task_from_the_acset(tiny_runs):
    X = tiny_runs[0].acset
    assert record_experiment_events(X) == record_experiment_events(X.copy())
    wrong = X.copy()
    wrong.set_subpart(0, "task_name", "hopper")
    with pytest.raises(InstanceError, match="width"):
        record_experiment_events(wrong)
    with pytest.raises(InstanceError, match="experiment ACSet"):
        record_experiment_events("run")


# One injected fault on an otherwise nominal plant, a nominal policy: the matching
# verifier fails and the others pass (cartpole, 60 steps; clear on seeds 0-5).
FAULTS = {
    "none": (RealPlantConfig(), None),
    "sensor noise": (RealPlantConfig(obs_noise=ObservationNoise(std=0.05)), "observation_consistency"),
    "latency": (RealPlantConfig(latency=ActionLatency(3)), "latency_bounds"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_injected_fault_fails_its_verifier(fault):
    plant, verifier = FAULTS[fault]
    cfg = TINY.evolve(seed=0, real={"plant": plant}, training={"policies": (PolicySpec("nominal", 0.0, 0.1),)})
    b = verify_transfer_success(record_experiment_events(run_experiment(cfg, progress=False).acset))
    assert {k for k, ok in b.verifiers.items() if not ok} - {"gf3_conservation"} == ({verifier} - {None})


# -- trits from the calibrated test ---------------------------------------------------------------
@given(st.floats(1e-6, 1.0), st.floats(0.0, 50.0))
def test_calibrated_trits_follow_the_p_value_and_impact_marks_a_mismatch(p, gap):
    d = TransferDelta(gap, 0.0, 0.0, 0.0, p_value=p)
    e = Sim2RealNaryaEvent.from_delta("e", "pi", d)
    assert int(e.trit) == calibrated_rule(p)
    assert e.impact == (int(e.trit) == -1)
    # without a p-value the seed's rule applies, and the hash is the one it always was
    plain = Sim2RealNaryaEvent.from_delta("e", "pi", TransferDelta(gap, 0.0, 0.0, 0.0))
    assert int(plain.trit) == seed_rule(gap) and "p_value" not in plain.to_dict()["delta"]


def test_calibrated_rule_refuses_deltas_without_p_values_and_bad_p_values():
    X = with_verification_tables(events_acset([]))
    X.add_part("Policy", policy_name="pi")
    with pytest.raises(InstanceError, match="p-value on every delta"):
        record_transfer_events(X, ["pi", "pi"], [TransferDelta(1.0, 0, 0, 0, p_value=0.3), TransferDelta(1.0, 0, 0, 0)],
                               thresholds=VerificationThresholds(trit_rule="calibrated"))
    assert X.nparts("NaryaEvent") == 0
    for bad in (0.0, 1.5, float("nan")):
        with pytest.raises(InstanceError, match="p_value"):
            TransferDelta(1.0, 0, 0, 0, p_value=bad)
    with pytest.raises(InstanceError, match="trit_rule"):
        VerificationThresholds(trit_rule="loose")


def test_calibrated_events_round_trip_through_the_acset_and_the_bundle():
    evs = [Sim2RealNaryaEvent.from_delta(f"e{i}", "pi", TransferDelta(1.0 + i, 0.0, 0.0, 0.0, p_value=p))
           for i, p in enumerate((0.01, 0.3, 0.9))]
    X = events_acset(evs)
    assert narya_events(X) == evs
    b = verify_transfer_success(X)
    assert b.trit_sum == 0 and b.verifiers["gf3_conservation"] and b.inconsistencies == ()
    # a trit that disagrees with its p-value is caught
    X.set_subpart(0, "trit", 1)
    assert verify_transfer_success(X).inconsistencies


def test_evidence_a_diagnosis_already_computed_is_reused_not_recomputed(tiny_runs, monkeypatch):
    from acset_s2r.sim2real import verification

    X = tiny_runs[0].acset
    evidence = {p: transfer_evidence(X, p) for p in X.parts("Policy").tolist()}
    fresh = record_experiment_events(X)

    def refuse(*args, **kwargs):
        raise AssertionError("transfer_evidence was computed again")

    monkeypatch.setattr(verification, "transfer_evidence", refuse)
    assert record_experiment_events(X, evidence=evidence) == fresh
