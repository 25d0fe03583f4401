"""Transfer events and their verification: the seed's Narya section, recorded in an ACSet.

The seed logs each sim-to-real comparison as a ``Sim2RealNaryaEvent`` holding a
``TransferDelta`` (kl_gap, observation_error, dynamics_error, latency_delta), a GF(3) trit
and an impact, and ``verify_transfer_success`` turns a list of events into a ``ProofBundle``.
Here events are parts of :data:`SchSim2RealVerification`, which extends the trajectory
schema with two objects::

    NaryaEvent --event_delta--> TransferDelta --delta_policy--> Policy
    NaryaEvent --before--> Policy          NaryaEvent --after--> RealEnv

``before`` and ``after`` are the seed's Narya fields: the policy as trained in simulation
and the policy deployed on the real plant. Two schema equations tie them to the rest,
``before = event_delta ⋅ delta_policy`` and ``after = before ⋅ deploy``, so the streams an
event compares are ``before ⋅ train⁻¹ ⋅ observe_sim`` and ``after ⋅ observe_real``.
``TransferDelta``'s gap is called ``delta_kl_gap`` because ``kl_gap`` already names the
Policy attribute (attribute names are global in a schema); both have type TransferGap.

The seed's rules, with its numbers:

- trit: 0 when ``kl_gap < 0.1``, -1 when ``kl_gap > 0.5``, +1 in between (both boundary
  values give +1). The seed's field comment ("-1 mismatch, 0 within tolerance, +1 exact
  match") does not fit its own rule, which gives the *smallest* gaps 0; the rule is what
  is implemented, and the comment is not used.
- impact: 1 when ``kl_gap > TRANSFER_THRESHOLD``, else 0.
- verifiers: every event's observation, dynamics and latency error below its threshold,
  and ``sum(trit) % 3 == 0``; the verdict is VERIFIED when all four hold.
- the proof hash: sha256 of the events as JSON.

Where the seed gives no number (TRANSFER_THRESHOLD, OBS/DYN/LAT_THRESHOLD) the defaults in
:class:`VerificationThresholds` say why they are what they are. GF(3) conservation is
bookkeeping of the trits, not physics: it holds when the +1 and -1 events differ in number
by a multiple of 3, which is what the seed asks and all it means.

A caution on scale: the seed's 0.1 and 0.5 nats are fixed numbers, but an estimated gap
carries its noise floor. On 60-100-step cartpole streams the experiment's transition
kl_gap is 1-12 nats even when the real plant *is* the nominal model, so with the seed's
rule nearly every real event is -1. The experiment judges ``transfer(π)`` with a calibrated
test for this reason (:mod:`acset_s2r.sim2real.judge`), and an event that carries the test's
p-value gets its trit from it (``trit_rule``); without one the seed's thresholds apply.

The per-event rules are also stated as :class:`~acset_s2r.constraints.Constraint` data
(:func:`event_constraints`) and checked with :func:`~acset_s2r.constraints.violations`, so a
recorded trit or impact that disagrees with its delta (a tampered or hand-made event) is
reported and fails the verdict.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import sympy

from acset_s2r.acset import ACSet
from acset_s2r.constraints import Constraint, violations
from acset_s2r.errors import InstanceError, SerializationError
from acset_s2r.gf3.trit import Trit, conservation_holds, trit_sum
from acset_s2r.paths import check_equations
from acset_s2r.fileio import atomic_write_text
from acset_s2r.sim2real.diagnosis import transfer_evidence
from acset_s2r.sim2real.judge import read_verdicts
from acset_s2r.sim2real.schema import SchSim2RealTrajectory

__all__ = [
    "SchSim2RealVerification",
    "VERIFICATION_TYPES",
    "VerificationThresholds",
    "TransferDelta",
    "Sim2RealNaryaEvent",
    "ProofBundle",
    "VERIFIERS",
    "transfer_trit",
    "calibrated_trit",
    "TRIT_RULES",
    "transfer_trits",
    "transfer_impact",
    "verification_acset",
    "with_verification_tables",
    "record_transfer_event",
    "record_transfer_events",
    "narya_events",
    "events_acset",
    "event_constraints",
    "canonical_events_json",
    "proof_hash",
    "verify_transfer_success",
    "experiment_deltas",
    "record_experiment_events",
]

SchSim2RealVerification = SchSim2RealTrajectory.extend(
    "SchSim2RealVerification",
    obs=["TransferDelta", "NaryaEvent"],
    homs=[
        ("delta_policy", "TransferDelta", "Policy"),
        ("event_delta", "NaryaEvent", "TransferDelta"),
        ("before", "NaryaEvent", "Policy"),
        ("after", "NaryaEvent", "RealEnv"),
    ],
    attrtypes=["TritValue"],
    attrs=[
        ("delta_kl_gap", "TransferDelta", "TransferGap"),
        ("delta_p_value", "TransferDelta", "Real"),
        ("observation_error", "TransferDelta", "Real"),
        ("dynamics_error", "TransferDelta", "Real"),
        ("latency_delta", "TransferDelta", "Real"),
        ("event_id", "NaryaEvent", "Label"),
        ("trit", "NaryaEvent", "TritValue"),
        ("impact", "NaryaEvent", "Count"),
    ],
    equations=[
        ("before_is_the_deltas_policy", ["before"], ["event_delta", "delta_policy"]),
        ("after_is_the_deployment", ["after"], ["before", "deploy"]),
    ],
)

# Bindings of the scalar attribute types; the vector types of the trajectory schema are
# bound by ``trajectory_types`` when an experiment is recorded.
VERIFICATION_TYPES = {"TransferGap": float, "Real": float, "Count": int, "Label": str, "TritValue": int}

VERIFIERS = ("observation_consistency", "dynamics_fidelity", "latency_bounds", "gf3_conservation")
_DELTA_FIELDS = ("kl_gap", "observation_error", "dynamics_error", "latency_delta")
_DELTA_ATTRS = {"kl_gap": "delta_kl_gap", "observation_error": "observation_error",
                "dynamics_error": "dynamics_error", "latency_delta": "latency_delta"}


# -- thresholds ---------------------------------------------------------------------------------
def _positive_finite(inst: Any, attribute: attrs.Attribute, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InstanceError(f"VerificationThresholds.{attribute.name} must be a positive finite number, got {value!r}")


@attrs.frozen
class VerificationThresholds:
    """The numbers behind the trit rule, impact and the three per-event verifiers.

    Every comparison is strict, as in the seed (``error < threshold`` passes).

    The trit follows one of two rules (``trit_rule``):

    - ``"calibrated"``, on the transfer test's p-value (:mod:`acset_s2r.sim2real.judge`), with
      the seed's own meaning of a trit: -1 a mismatch (``p < alpha``: the real plant lies off
      the randomised sims), +1 an exact match (``p >= match_p = 0.5``: the real plant is at
      least as typical as the median in-support plant), 0 within tolerance (in between). The
      impact is 1 exactly on a mismatch.
    - ``"seed"``, the seed's literal rule on kl_gap in nats (below). Its numbers sit on another
      scale than an estimated gap: sampling noise alone gives gaps of several nats, so nearly
      every event is -1 and GF(3) conservation then only counts events. It also contradicts the
      seed's field comment ("-1 mismatch, 0 within tolerance, +1 exact match"), giving the
      *smallest* gaps 0.
    - ``"auto"`` (default): calibrated when every delta carries a p-value, else the seed's.

    - ``trit_low = 0.1`` and ``trit_high = 0.5`` (nats): the seed's trit rule, verbatim.
    - ``transfer = 0.5`` (nats): the seed's TRANSFER_THRESHOLD for impact has no value. Its
      trit rule calls a gap above 0.5 a mismatch (-1); taking the same boundary makes
      ``impact == 1`` exactly when ``trit == -1``, so the two per-event summaries never
      contradict. (Under the calibrated rule the impact is ``p < alpha`` instead.)
    - ``observation = 0.05``: observation_error is, as
      :func:`~acset_s2r.sim2real.diagnosis.transfer_evidence` measures it, the RMS excess
      sensor-noise std of real over sim relative to each channel's spread. A plant with no
      extra noise gives 0.000 on the cartpole; 0.05 std of real sensor noise gives 0.2-0.85.
      0.05 (excess noise 5% of the spread) is the diagnosis's own ``obs_error`` level, so
      the verifier and the diagnosis call the same plants noisy.
    - ``dynamics = 0.3``: dynamics_error is the RMS one-step velocity residual of real
      transitions replayed through the ensemble, relative to the sim's RMS one-step velocity
      change (so 1 is no better than "velocity stays the same"). Measured on the cartpole
      (100 steps, seeds 1-3): a plant equal to the nominal model gives at most 0.05, held-out
      members of a fully randomised ensemble give 0.1-0.25 against each other (the spread
      domain randomisation trains for), a doubled mass gives 0.4-0.9. 0.3 sits above what
      randomisation itself produces and below a gross mass error.
    - ``latency = 1.0`` (control steps): latency_delta is how far the real plant's realised
      lag (an integer, from a cross-correlation) lies outside the range of lags the sim's
      own streams show, 0 inside it. ``|latency_delta| < 1`` is "inside the sim's range";
      a whole step outside fails, as in the diagnosis's ``latency_steps``. The bound is on
      the magnitude (the seed compares the signed value): a real plant faster than every
      sim env is a temporal mismatch too.
    """

    trit_rule: str = attrs.field(default="auto")
    alpha: float = attrs.field(default=0.05, validator=_positive_finite)
    match_p: float = attrs.field(default=0.5, validator=_positive_finite)
    trit_low: float = attrs.field(default=0.1, validator=_positive_finite)
    trit_high: float = attrs.field(default=0.5, validator=_positive_finite)
    transfer: float = attrs.field(default=0.5, validator=_positive_finite)
    observation: float = attrs.field(default=0.05, validator=_positive_finite)
    dynamics: float = attrs.field(default=0.3, validator=_positive_finite)
    latency: float = attrs.field(default=1.0, validator=_positive_finite)

    def __attrs_post_init__(self) -> None:
        if self.trit_rule not in TRIT_RULES:
            raise InstanceError(f"VerificationThresholds.trit_rule must be one of {TRIT_RULES}, got {self.trit_rule!r}")
        if not self.alpha < self.match_p <= 1:
            raise InstanceError(
                f"VerificationThresholds: need alpha ({self.alpha}) < match_p ({self.match_p}) <= 1"
            )
        if not self.trit_low < self.trit_high:
            raise InstanceError(
                f"VerificationThresholds: trit_low ({self.trit_low}) must be below trit_high ({self.trit_high})"
            )

    def to_json(self) -> dict:
        return attrs.asdict(self)


# -- the seed's per-event rules -------------------------------------------------------------------
def _finite_gap(kl_gap: Any) -> float:
    try:
        g = float(kl_gap)
    except (TypeError, ValueError):
        raise InstanceError(f"kl_gap must be a number, got {kl_gap!r}") from None
    if not math.isfinite(g):
        raise InstanceError(f"kl_gap is {g}; a transfer gap must be finite")
    return g


TRIT_RULES = ("auto", "calibrated", "seed")


def _rule(th: VerificationThresholds, p_values: Sequence[float | None]) -> str:
    """The trit rule in force for a set of events: "calibrated" or "seed"."""
    known = [p is not None and math.isfinite(p) for p in p_values]
    if th.trit_rule == "calibrated" and not all(known):
        raise InstanceError("trit_rule='calibrated' needs a p-value on every delta; "
                            f"{known.count(False)} of {len(known)} have none")
    if th.trit_rule == "auto":
        return "calibrated" if known and all(known) else "seed"
    return th.trit_rule


def calibrated_trit(p_value: float, thresholds: VerificationThresholds | None = None) -> Trit:
    """-1 when ``p < alpha`` (mismatch), +1 when ``p >= match_p`` (exact match), else 0.

    Examples
    --------
    >>> [int(calibrated_trit(p)) for p in (0.01, 0.2, 0.8)]
    [-1, 0, 1]
    """
    th = thresholds or VerificationThresholds()
    return Trit(-1 if p_value < th.alpha else (1 if p_value >= th.match_p else 0))


def transfer_trit(kl_gap: float, thresholds: VerificationThresholds | None = None, p_value: float | None = None) -> Trit:
    """The event's trit: :func:`calibrated_trit` of ``p_value`` under the calibrated rule, else
    the seed's: 0 below ``trit_low``, -1 above ``trit_high``, +1 in between (inclusive)."""
    th = thresholds or VerificationThresholds()
    g = _finite_gap(kl_gap)
    if _rule(th, [p_value]) == "calibrated":
        return calibrated_trit(p_value, th)
    return Trit(0 if g < th.trit_low else (-1 if g > th.trit_high else 1))


def transfer_trits(kl_gaps: Any, thresholds: VerificationThresholds | None = None) -> np.ndarray:
    """:func:`transfer_trit` over an array, as int64 values -1, 0, +1."""
    th = thresholds or VerificationThresholds()
    g = np.asarray(kl_gaps, dtype=float)
    if not np.all(np.isfinite(g)):
        bad = int(np.flatnonzero(~np.isfinite(g.ravel()))[0])
        raise InstanceError(f"kl_gap at position {bad} is {g.ravel()[bad]}; a transfer gap must be finite")
    return np.where(g < th.trit_low, 0, np.where(g > th.trit_high, -1, 1)).astype(np.int64)


def transfer_impact(kl_gap: float, thresholds: VerificationThresholds | None = None, p_value: float | None = None) -> int:
    """The event's impact: under the calibrated rule 1 when ``p < alpha``; under the seed's,
    1 if the gap exceeds the transfer threshold; else 0."""
    th = thresholds or VerificationThresholds()
    g = _finite_gap(kl_gap)
    if _rule(th, [p_value]) == "calibrated":
        return 1 if p_value < th.alpha else 0
    return 1 if g > th.transfer else 0


# -- value classes ------------------------------------------------------------------------------
def _finite_field(inst: Any, attribute: attrs.Attribute, value: float) -> None:
    if not math.isfinite(value):
        raise InstanceError(f"TransferDelta.{attribute.name} is {value}; every field of a delta must be finite")


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InstanceError(f"a TransferDelta field must be a number, got {value!r}") from None


@attrs.frozen
class TransferDelta:
    """The seed's prediction error between sim and real for one comparison.

    ``kl_gap`` is KL(real || sim) in nats; ``latency_delta`` is in control steps (the seed
    says ms; a step count does not depend on the control period). The verifiers compare
    the values as given, so a field may be any finite number; NaN and infinities are refused.
    """

    kl_gap: float = attrs.field(converter=_to_float, validator=_finite_field)
    observation_error: float = attrs.field(converter=_to_float, validator=_finite_field)
    dynamics_error: float = attrs.field(converter=_to_float, validator=_finite_field)
    latency_delta: float = attrs.field(converter=_to_float, validator=_finite_field)
    p_value: float | None = attrs.field(default=None, converter=attrs.converters.optional(_to_float))

    @p_value.validator
    def _check_p(self, attribute: attrs.Attribute, value: float | None) -> None:
        if value is not None and not 0 < value <= 1:
            raise InstanceError(f"TransferDelta.p_value must lie in (0, 1], got {value}")


def _as_trit(value: Any) -> Trit:
    return value if isinstance(value, Trit) else Trit(value)


@attrs.frozen
class Sim2RealNaryaEvent:
    """One transfer event as a value: what :func:`narya_events` reads back from an ACSet.

    ``policy`` is the policy's name (or ``#id`` when it has none). Build events with
    :meth:`from_delta`, which applies the seed's rules; the constructor takes the trit and
    impact as given, so inconsistent events can be made (and are caught by verification).
    """

    event_id: str
    policy: str
    delta: TransferDelta
    trit: Trit = attrs.field(converter=_as_trit)
    impact: int = attrs.field(converter=int)

    @classmethod
    def from_delta(
        cls, event_id: str, policy: str, delta: TransferDelta, thresholds: VerificationThresholds | None = None
    ) -> Sim2RealNaryaEvent:
        return cls(event_id, policy, delta, transfer_trit(delta.kl_gap, thresholds, delta.p_value),
                   transfer_impact(delta.kl_gap, thresholds, delta.p_value))

    def to_dict(self) -> dict:
        """The canonical form hashed into the proof (floats rounded to 12 significant digits)."""
        return {
            "event_id": self.event_id,
            "policy": self.policy,
            "delta": {f: _canonical_float(getattr(self.delta, f)) for f in _DELTA_FIELDS}
            # a delta without a p-value hashes as it did before p-values existed
            | ({} if self.delta.p_value is None else {"p_value": _canonical_float(self.delta.p_value)}),
            "trit": int(self.trit),
            "impact": int(self.impact),
        }


def _canonical_float(x: float) -> float:
    # 12 significant digits, then Python's shortest repr: the same text on every platform,
    # and last-bit noise from BLAS threading does not reach the hash. +0.0 folds -0.0.
    return float(f"{float(x):.12g}") + 0.0


# -- the ACSet side -------------------------------------------------------------------------------
def verification_acset(**types: Any) -> ACSet:
    """An empty ACSet on :data:`SchSim2RealVerification` with the scalar types bound."""
    return ACSet(SchSim2RealVerification, **(VERIFICATION_TYPES | types))


def with_verification_tables(X: ACSet) -> ACSet:
    """A copy of ``X`` (on the trajectory schema or any sub-schema) on the verification schema.

    Parts and ids are kept; TransferDelta and NaryaEvent start empty. An ACSet already on
    the verification schema is returned as a copy.
    """
    if X.schema == SchSim2RealVerification:
        return X.copy()
    if not X.schema.is_subschema_of(SchSim2RealVerification):
        raise InstanceError(
            f"cannot record transfer events on an ACSet of {X.schema.name}: it is not a sub-schema "
            f"of {SchSim2RealVerification.name}"
        )
    bound = {t: spec for t, spec in X.types.items()}
    for t, py in VERIFICATION_TYPES.items():
        bound.setdefault(t, py)
    Y = ACSet(SchSim2RealVerification, **{t: _spec_arg(s) for t, s in bound.items()})
    for ob in X.schema.obs:
        Y.add_parts(ob, X.nparts(ob))
    for h in X.schema.homs:
        Y.set_subpart(Y.parts(h.dom), h.name, X.subpart(h.name))
    for a in X.schema.attrs:
        ok = X.is_defined(a.name)
        if ok.any():
            ids = np.flatnonzero(ok)
            Y.set_subpart(ids, a.name, X.subpart(ids, a.name))
    return Y


def _spec_arg(spec: Any) -> Any:
    """An ``AttrSpec`` back in the form ``ACSet(...)`` accepts as a type binding."""
    if not hasattr(spec, "kind"):
        return spec
    py = spec.python_type
    return (py, spec.width) if spec.width else py


def _require_schema(X: ACSet) -> None:
    if not isinstance(X, ACSet):
        raise InstanceError(f"expected an ACSet on {SchSim2RealVerification.name}, got {type(X).__name__}")
    if not SchSim2RealVerification.is_subschema_of(X.schema):
        raise InstanceError(
            f"the ACSet is on {X.schema.name}, which lacks TransferDelta/NaryaEvent; "
            "use with_verification_tables(X) first"
        )


def _policy_id(X: ACSet, policy: Any) -> int:
    n = X.nparts("Policy")
    if isinstance(policy, str):
        names = X.subpart("policy_name")
        hits = [i for i, v in enumerate(names.tolist()) if v == policy]
        if not hits:
            known = [v for v in names.tolist() if v is not None]
            raise InstanceError(f"unknown policy {policy!r}; the ACSet's policies are {known}")
        if len(hits) > 1:
            raise InstanceError(f"policy name {policy!r} is ambiguous: Policy parts {hits} share it")
        return hits[0]
    if isinstance(policy, (bool, np.bool_)) or not isinstance(policy, (int, np.integer)):
        raise InstanceError(f"a policy is a Policy part id or a policy_name, got {policy!r}")
    if not 0 <= int(policy) < n:
        raise InstanceError(f"unknown policy {int(policy)}: the ACSet has Policy parts 0..{n - 1}")
    return int(policy)


def _policy_label(X: ACSet, p: int) -> str:
    name = X.subpart(p, "policy_name") if X.types["Label"].kind in ("str", "object") else None
    return name if isinstance(name, str) else f"#{p}"


def record_transfer_events(
    X: ACSet,
    policies: Sequence[Any],
    deltas: Sequence[TransferDelta | Mapping[str, float]],
    event_ids: Sequence[str] | None = None,
    thresholds: VerificationThresholds | None = None,
) -> np.ndarray:
    """Add one TransferDelta and one NaryaEvent per (policy, delta); return the event ids.

    The trit and impact are computed by the seed's rules. Every input is checked before
    anything is added, so a bad delta or an unknown policy leaves ``X`` as it was. Default
    event ids are ``transfer_<policy>_<k>`` with ``k`` counting that policy's events.
    """
    _require_schema(X)
    th = thresholds or VerificationThresholds()
    if len(policies) != len(deltas):
        raise InstanceError(f"{len(policies)} policies but {len(deltas)} deltas; give one delta per policy")
    pids = [_policy_id(X, p) for p in policies]
    ds = []
    for i, d in enumerate(deltas):
        try:
            ds.append(d if isinstance(d, TransferDelta) else TransferDelta(**dict(d)))
        except InstanceError as err:
            raise InstanceError(f"delta {i} (policy {_policy_label(X, pids[i])}): {err}") from None
        except TypeError as err:
            raise InstanceError(f"delta {i}: needs exactly the fields {list(_DELTA_FIELDS)}: {err}") from None
    n = len(ds)
    if event_ids is None:
        seen: dict[int, int] = {}
        before = X.subpart("before")
        ids = []
        for p in pids:
            k = int(np.count_nonzero(before == p)) + seen.get(p, 0)
            seen[p] = seen.get(p, 0) + 1
            ids.append(f"transfer_{_policy_label(X, p)}_{k}")
    else:
        ids = [str(e) for e in event_ids]
        if len(ids) != n:
            raise InstanceError(f"{len(ids)} event ids for {n} deltas")
    clash = (set(ids) & set(X.subpart("event_id").tolist())) | {e for e in ids if ids.count(e) > 1}
    if clash:
        raise InstanceError(f"event ids must be unique; {sorted(clash)} already used")
    gaps = np.array([d.kl_gap for d in ds], dtype=float)
    p_values = [d.p_value for d in ds]
    if _rule(th, p_values) == "calibrated":
        trits = np.array([int(calibrated_trit(p, th)) for p in p_values], dtype=np.int64)
        impacts = np.array([p < th.alpha for p in p_values], dtype=np.int64)
    else:
        trits, impacts = transfer_trits(gaps, th), (gaps > th.transfer).astype(np.int64)
    dparts = X.add_parts(
        "TransferDelta", n,
        delta_policy=np.asarray(pids, dtype=np.int64),
        delta_kl_gap=gaps,
        delta_p_value=np.array([np.nan if p is None else p for p in p_values], dtype=float),
        observation_error=[d.observation_error for d in ds],
        dynamics_error=[d.dynamics_error for d in ds],
        latency_delta=[d.latency_delta for d in ds],
    )
    return X.add_parts(
        "NaryaEvent", n,
        event_delta=dparts,
        before=np.asarray(pids, dtype=np.int64),
        after=X.subpart(np.asarray(pids, dtype=np.int64), "deploy"),
        event_id=ids,
        trit=trits,
        impact=impacts,
    )


def record_transfer_event(
    X: ACSet, policy: Any, delta: TransferDelta | Mapping[str, float], event_id: str | None = None,
    thresholds: VerificationThresholds | None = None,
) -> int:
    """Record one event (see :func:`record_transfer_events`); return its NaryaEvent id."""
    ids = None if event_id is None else [event_id]
    return int(record_transfer_events(X, [policy], [delta], ids, thresholds)[0])


def narya_events(X: ACSet) -> list[Sim2RealNaryaEvent]:
    """The NaryaEvent parts of ``X`` as value objects, in part order."""
    _require_schema(X)
    d = X.subpart("event_delta")
    if np.any(d < 0):
        raise InstanceError(f"NaryaEvent {int(np.flatnonzero(d < 0)[0])} has no TransferDelta (event_delta undefined)")
    pol = X.subpart(d, "delta_policy")
    cols = {f: X.subpart(d, a) for f, a in _DELTA_ATTRS.items()}
    p_col = X.subpart(d, "delta_p_value")
    trit_ok, impact_ok = X.is_defined("trit"), X.is_defined("impact")
    out = []
    for e, (tid, trit, impact) in enumerate(zip(X.subpart("event_id"), X.subpart("trit"), X.subpart("impact"))):
        if not (trit_ok[e] and impact_ok[e]):
            raise InstanceError(f"NaryaEvent {e} has no trit or no impact recorded")
        try:
            p = None if not np.isfinite(p_col[e]) else float(p_col[e])
            delta = TransferDelta(**{f: cols[f][e] for f in _DELTA_FIELDS}, p_value=p)
        except InstanceError as err:
            raise InstanceError(f"NaryaEvent {e} ({tid}): {err}") from None
        label = _policy_label(X, int(pol[e])) if pol[e] >= 0 else "#undefined"
        out.append(Sim2RealNaryaEvent(tid if tid is not None else f"#{e}", label, delta, int(trit), int(impact)))
    return out


def events_acset(events: Iterable[Sim2RealNaryaEvent]) -> ACSet:
    """A fresh verification ACSet holding ``events`` as given (trits and impacts are not recomputed).

    Each distinct policy label becomes one Policy part.
    """
    events = list(events)
    for i, e in enumerate(events):
        if not isinstance(e, Sim2RealNaryaEvent):
            raise InstanceError(f"event {i} is a {type(e).__name__}, not a Sim2RealNaryaEvent")
    X = verification_acset()
    labels = list(dict.fromkeys(e.policy for e in events))
    X.add_parts("Policy", len(labels), policy_name=labels)
    pid = np.array([labels.index(e.policy) for e in events], dtype=np.int64)
    n = len(events)
    dparts = X.add_parts(
        "TransferDelta", n, delta_policy=pid,
        **{a: [getattr(e.delta, f) for e in events] for f, a in _DELTA_ATTRS.items()},
        delta_p_value=[np.nan if e.delta.p_value is None else e.delta.p_value for e in events],
    )
    X.add_parts(
        "NaryaEvent", n, event_delta=dparts, before=pid, event_id=[e.event_id for e in events],
        trit=[int(e.trit) for e in events], impact=[e.impact for e in events],
    )
    return X


# -- constraints ----------------------------------------------------------------------------------
_gap = sympy.Symbol("event_delta.delta_kl_gap")
_trit, _impact = sympy.symbols("trit impact")
_lo, _hi, _tr = sympy.symbols("trit_low trit_high transfer")
_p = sympy.Symbol("event_delta.delta_p_value")
_alpha, _match = sympy.symbols("alpha match_p")


def event_constraints(thresholds: VerificationThresholds | None = None, rule: str = "seed") -> list[Constraint]:
    """The per-event rules of ``rule`` ("seed" or "calibrated") as constraint data on NaryaEvent."""
    th = thresholds or VerificationThresholds()
    if rule == "calibrated":
        return [
            Constraint(
                "trit_follows_the_p_value", "NaryaEvent",
                conclusion=sympy.Eq(_trit, sympy.Piecewise((-1, _p < _alpha), (1, _p >= _match), (0, True))),
                params={"alpha": th.alpha, "match_p": th.match_p},
            ),
            Constraint(
                "impact_follows_the_p_value", "NaryaEvent",
                conclusion=sympy.Eq(_impact, sympy.Piecewise((1, _p < _alpha), (0, True))),
                params={"alpha": th.alpha},
            ),
        ]
    return [
        Constraint(
            "trit_follows_the_seed_rule", "NaryaEvent",
            conclusion=sympy.Eq(_trit, sympy.Piecewise((0, _gap < _lo), (-1, _gap > _hi), (1, True))),
            params={"trit_low": th.trit_low, "trit_high": th.trit_high},
        ),
        Constraint(
            "impact_follows_the_gap", "NaryaEvent",
            conclusion=sympy.Eq(_impact, sympy.Piecewise((1, _gap > _tr), (0, True))),
            params={"transfer": th.transfer},
        ),
    ]


# -- the proof bundle -------------------------------------------------------------------------------
def canonical_events_json(events: Iterable[Sim2RealNaryaEvent]) -> str:
    """Events as canonical JSON: sorted by event_id, sorted keys, no spaces, ASCII."""
    rows = sorted((e.to_dict() for e in events), key=lambda r: r["event_id"])
    return json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def proof_hash(events: Iterable[Sim2RealNaryaEvent]) -> str:
    """sha256 (hex) of :func:`canonical_events_json`."""
    return hashlib.sha256(canonical_events_json(events).encode("ascii")).hexdigest()


@attrs.frozen
class ProofBundle:
    """The verdict on a set of transfer events, with the evidence behind it.

    ``verifiers`` holds the seed's four checks; ``failing`` the event ids that broke each
    per-event check; ``inconsistencies`` every event whose recorded trit or impact does not
    follow from its delta (and every broken schema equation); ``overall`` is VERIFIED when
    all four checks hold and nothing is inconsistent. ``events`` is the canonical list that
    ``proof_hash`` covers, so the bundle can be re-checked on its own (:meth:`hash_matches`).
    """

    verifiers: Mapping[str, bool]
    overall: str
    proof_hash: str
    n_events: int
    trit_sum: int
    failing: Mapping[str, tuple[str, ...]]
    inconsistencies: tuple[str, ...]
    thresholds: VerificationThresholds
    events: tuple[Mapping[str, Any], ...]

    @property
    def verified(self) -> bool:
        return self.overall == "VERIFIED"

    def hash_matches(self) -> bool:
        """Recompute the hash from the stored canonical events."""
        text = json.dumps(sorted(self.events, key=lambda r: r["event_id"]), sort_keys=True,
                          separators=(",", ":"), ensure_ascii=True, allow_nan=False)
        return hashlib.sha256(text.encode("ascii")).hexdigest() == self.proof_hash

    def to_json(self) -> dict:
        return {
            "format": "acset_s2r.proof_bundle/1",
            "overall": self.overall,
            "verifiers": dict(self.verifiers),
            "proof_hash": self.proof_hash,
            "n_events": self.n_events,
            "trit_sum": self.trit_sum,
            "failing": {k: list(v) for k, v in self.failing.items()},
            "inconsistencies": list(self.inconsistencies),
            "thresholds": self.thresholds.to_json(),
            "events": [dict(e) for e in self.events],
        }

    @classmethod
    def from_json(cls, data: Mapping | str) -> ProofBundle:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as err:
                raise SerializationError(f"malformed proof bundle JSON: {err}") from None
        try:
            return cls(
                verifiers={k: bool(data["verifiers"][k]) for k in VERIFIERS},
                overall=data["overall"],
                proof_hash=data["proof_hash"],
                n_events=int(data["n_events"]),
                trit_sum=int(data["trit_sum"]),
                failing={k: tuple(v) for k, v in data["failing"].items()},
                inconsistencies=tuple(data["inconsistencies"]),
                thresholds=VerificationThresholds(**data["thresholds"]),
                events=tuple(data["events"]),
            )
        except (KeyError, TypeError) as err:
            raise SerializationError(f"proof bundle JSON lacks or garbles {err}") from None

    def write(self, path: str | Path) -> None:
        """Write the bundle as indented JSON, atomically."""
        atomic_write_text(path, json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n")

    @classmethod
    def read(cls, path: str | Path) -> ProofBundle:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise SerializationError(f"cannot read {path}: {err}") from None
        return cls.from_json(text)

    def report(self) -> str:
        lines = [f"{self.overall}: {self.n_events} transfer events, proof {self.proof_hash[:16]}…"]
        for k, ok in self.verifiers.items():
            bad = self.failing.get(k, ())
            extra = f" (failing: {', '.join(bad)})" if bad else ""
            if k == "gf3_conservation":
                extra = f" (trit sum {self.trit_sum:+d} in GF(3))"
            lines.append(f"  {k:<24}{'pass' if ok else 'FAIL'}{extra}")
        lines += [f"  inconsistent: {s}" for s in self.inconsistencies]
        return "\n".join(lines)


def verify_transfer_success(
    events: ACSet | Iterable[Sim2RealNaryaEvent], thresholds: VerificationThresholds | None = None
) -> ProofBundle:
    """The seed's verification of a set of transfer events (an ACSet's NaryaEvents, or values).

    Refuses an empty set: ``all()`` over no events would verify a transfer nobody measured.
    """
    th = thresholds or VerificationThresholds()
    X = events if isinstance(events, ACSet) else events_acset(events)
    _require_schema(X)
    evs = narya_events(X)
    if not evs:
        raise InstanceError("no NaryaEvent parts to verify; record transfer events first")
    ids = [e.event_id for e in evs]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InstanceError(f"event ids must be unique to be hashed; repeated: {dup}")
    obs = np.array([e.delta.observation_error for e in evs])
    dyn = np.array([e.delta.dynamics_error for e in evs])
    lat = np.array([e.delta.latency_delta for e in evs])
    per_event = {
        "observation_consistency": obs < th.observation,
        "dynamics_fidelity": dyn < th.dynamics,
        "latency_bounds": np.abs(lat) < th.latency,
    }
    trits = [e.trit for e in evs]
    verifiers = {k: bool(v.all()) for k, v in per_event.items()}
    verifiers["gf3_conservation"] = conservation_holds(trits)
    failing = {k: tuple(ids[i] for i in np.flatnonzero(~v)) for k, v in per_event.items()}
    rule = _rule(th, [e.delta.p_value for e in evs])
    inconsistent = [f"{ids[v.part]}: {v}" for v in violations(X, event_constraints(th, rule))]
    inconsistent += [str(v) for v in check_equations(X, [q for q in X.schema.equations
                                                          if q.dom == "NaryaEvent"])]
    overall = "VERIFIED" if all(verifiers.values()) and not inconsistent else "FAILED"
    return ProofBundle(
        verifiers={k: verifiers[k] for k in VERIFIERS},
        overall=overall,
        proof_hash=proof_hash(evs),
        n_events=len(evs),
        trit_sum=int(trit_sum(trits)),
        failing=failing,
        inconsistencies=tuple(inconsistent),
        thresholds=th,
        events=tuple(json.loads(canonical_events_json(evs))),
    )


# -- glue to the experiment ----------------------------------------------------------------------------
def experiment_deltas(X: ACSet, evidence: Mapping[int, Any] | None = None) -> list[TransferDelta]:
    """One TransferDelta per Policy of an experiment ACSet: its verdict's kl_gap and its
    diagnosis evidence.

    The errors are :func:`acset_s2r.sim2real.diagnosis.transfer_evidence`'s
    observation_error, dynamics_error and latency_delta, read from the recorded streams; the
    ACSet describes its own task and parameters. ``evidence`` (Policy id -> TransferEvidence)
    gives what a diagnosis of the same ACSet already computed, so it is not computed again.
    """
    if not isinstance(X, ACSet):
        raise InstanceError(f"expected an experiment ACSet, got {type(X).__name__}")
    out = []
    for v in read_verdicts(X):
        if not v.measured:
            raise InstanceError(
                f"Policy {_policy_label(X, v.policy)} has no finite kl_gap ({v.kl_gap}); measure the gap before verifying"
            )
        ev = (evidence or {}).get(v.policy) or transfer_evidence(X, v.policy)
        p = v.p_value if v.n_null > 0 and math.isfinite(v.p_value) else None
        out.append(TransferDelta(v.kl_gap, ev.observation_error, ev.dynamics_error, ev.latency_delta, p))
    return out


def record_experiment_events(
    X: ACSet, thresholds: VerificationThresholds | None = None, evidence: Mapping[int, Any] | None = None
) -> ACSet:
    """A copy of the experiment's ACSet on the verification schema, with one event per policy.

    ``verify_transfer_success(record_experiment_events(result.acset))`` is the seed's
    ``verify_transfer_success(domain_randomization_narya_log(...))`` on a real run;
    ``evidence`` is passed to :func:`experiment_deltas`.
    """
    deltas = experiment_deltas(X, evidence)
    Y = with_verification_tables(X)
    record_transfer_events(Y, Y.parts("Policy").tolist(), deltas, thresholds=thresholds)
    return Y
