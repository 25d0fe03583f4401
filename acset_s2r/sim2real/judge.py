"""Measure and judge: a policy's gap from the ACSet, and the one transfer verdict.

:func:`measure_gap` estimates ``kl_gap(π) = KL(real || sim)`` from the recorded streams
(observation transitions, Gaussian with Ledoit-Wolf shrinkage, episode bootstrap);
:func:`judge_policy` records it with its floor and interval on the Policy part and sets
``transfer(π) = π`` when ``kl_gap < ε + floor``, so the seed's constraint
``kl_gap < ε ⇒ transfer(π) = π`` (:func:`seed_constraint`) holds by construction and is
checked as data. :func:`read_verdict` reads the verdict back, as a :class:`Verdict`,
which the report, the plots, the diagnosis and the verification all read.
"""

from __future__ import annotations

import math

import attrs
import numpy as np
import sympy

from acset_s2r.acset import ACSet
from acset_s2r.constraints import Constraint
from acset_s2r.errors import EstimatorError, InstanceError
from acset_s2r.sim2real import kl
from acset_s2r.sim2real.config import DEFAULT_EPSILON, MeasureSetup
from acset_s2r.sim2real.record import policy_samples

_kl_gap, _epsilon, _transfer, _part = sympy.symbols("kl_gap epsilon transfer part")


def seed_constraint(epsilon: float = DEFAULT_EPSILON) -> Constraint:
    """The seed's key constraint: kl_gap(π) < ε implies transfer(π) = π.

    Examples
    --------
    >>> seed_constraint(0.5).params
    {'epsilon': 0.5}
    """
    return Constraint(
        "transfer_is_identity_when_gap_small",
        "Policy",
        conclusion=sympy.Eq(_transfer, _part),
        premise=_kl_gap < _epsilon,
        params={"epsilon": epsilon},
    )


def measure_gap(
    X: ACSet, policy: int, rng: np.random.Generator | int = 0, real_episodes: int | None = None
) -> kl.GapEstimate:
    """Gaussian KL(real || sim) of a policy on observation transitions, from the ACSet.

    Ledoit-Wolf shrinkage; the bootstrap resamples whole episodes (segments), as steps within
    one are correlated, whenever real and both halves of the sim floor split have 2 or more;
    else rows. A real stream too short for the estimator gives an estimate of NaNs.
    """
    real, real_ids, sim, sim_ids = policy_samples(X, policy, real_episodes=real_episodes)
    try:
        return kl.kl_gap(
            real, sim, estimator="gaussian", transitions=True, shrinkage="ledoit-wolf",
            real_streams=real_ids, sim_streams=sim_ids, rng=rng, min_streams=2,
        )
    except EstimatorError:
        # a real episode that fell within a few steps leaves too few transitions to fit
        nan = float("nan")
        return kl.GapEstimate(nan, nan, nan, nan, nan, 0, 0, "gaussian", 0)


@attrs.frozen
class Verdict:
    """Did a policy transfer? Its kl_gap against ε + floor, and its returns beside it.

    ``transferred`` is the verdict (kl_gap < ε + floor, with a finite gap); ``kept`` is the
    return-based outcome set beside it (real return ≥ ``return_kept`` × sim return).
    """

    policy: int
    name: str
    kl_gap: float
    ci_low: float
    ci_high: float
    floor: float
    floor_ci_high: float
    epsilon: float
    sim_return: float
    real_return: float
    return_kept: float

    @property
    def threshold(self) -> float:
        """ε + floor: the largest gap that still counts as a transfer."""
        return self.epsilon + self.floor

    @property
    def measured(self) -> bool:
        return math.isfinite(self.kl_gap)

    @property
    def transferred(self) -> bool:
        return bool(self.kl_gap < self.threshold)

    @property
    def kept_fraction(self) -> float:
        """Real return over sim return (NaN when the sim return is not positive)."""
        return self.real_return / self.sim_return if self.sim_return > 0 else float("nan")

    @property
    def kept(self) -> bool:
        return bool(self.kept_fraction >= self.return_kept)

    def reason(self) -> str:
        """Why, in one clause."""
        if not self.measured:
            return "no kl_gap: the real stream was too short for the estimator"
        if self.transferred:
            return f"kl_gap {self.kl_gap:.2f} < ε + floor = {self.threshold:.2f}: real looks like a draw from its sims"
        return f"kl_gap {self.kl_gap:.2f} ≥ ε + floor = {self.threshold:.2f}: real lies off its sims"


def judge_policy(X: ACSet, policy: int, gap: kl.GapEstimate, measure: MeasureSetup = MeasureSetup()) -> Verdict:
    """Record ``gap`` on the Policy part and set ``transfer(π)``; return the verdict."""
    X.set_subpart(policy, "kl_gap", gap.value)
    X.set_subpart(policy, "kl_ci_low", gap.ci_low)
    X.set_subpart(policy, "kl_ci_high", gap.ci_high)
    X.set_subpart(policy, "kl_floor", gap.floor)
    X.set_subpart(policy, "kl_floor_ci_high", gap.floor_ci_high)
    verdict = read_verdict(X, policy, measure)
    # judged against the sim-vs-sim floor, so sampling noise alone never blocks transfer
    X.set_subpart(policy, "transfer", policy if verdict.transferred else -1)
    return verdict


def read_verdict(X: ACSet, policy: int, measure: MeasureSetup = MeasureSetup()) -> Verdict:
    """The verdict of a policy, from the gap recorded by :func:`judge_policy`."""
    if isinstance(policy, bool) or not isinstance(policy, (int, np.integer)) or not 0 <= policy < X.nparts("Policy"):
        raise InstanceError(f"policy {policy!r} is not a Policy part (there are {X.nparts('Policy')})")
    policy = int(policy)
    # an unmeasured gap reads as NaN, as a gap the estimator could not make
    get = lambda name: float(X.subpart(policy, name))  # noqa: E731
    return Verdict(
        policy=policy, name=str(X.subpart(policy, "policy_name")), kl_gap=get("kl_gap"),
        ci_low=get("kl_ci_low"), ci_high=get("kl_ci_high"), floor=get("kl_floor"),
        floor_ci_high=get("kl_floor_ci_high"), epsilon=measure.epsilon,
        sim_return=get("sim_return"), real_return=get("real_return"), return_kept=measure.return_kept,
    )


def read_verdicts(X: ACSet, measure: MeasureSetup = MeasureSetup()) -> list[Verdict]:
    """Every policy's verdict, in Policy order."""
    return [read_verdict(X, p, measure) for p in X.parts("Policy").tolist()]
