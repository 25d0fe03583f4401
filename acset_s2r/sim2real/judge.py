"""Measure and judge: a policy's gap from the ACSet, a calibrated transfer test, one verdict.

The question the test answers is the seed's hope, P_real ∈ support(P_sim_randomized): is the
real plant a plausible draw of the policy's randomised sim? The statistic is
``kl_gap(π) = KL(real || sim)`` on observation transitions (Gaussian, Ledoit-Wolf shrinkage),
of the real episodes against the policy's sim streams. Its null is like for like: extra
plants drawn from the policy's own randomisation distribution, each run with the same
policy, episodes and horizon as the real plant, and scored by the same statistic against
the same sim streams (the experiment records them as ``NullPlant`` parts). Under the null the
real and null scores are exchangeable, so the conformal p-value

    p = (1 + #{null gaps ≥ real gap}) / (n_null + 1)

is valid whatever the estimator's bias. ``transfer(π) = π`` iff ``p ≥ α``, and
``ε = kl_epsilon`` is the null's conformal (1 − α) quantile: ``kl_gap ≤ ε`` exactly when
``p ≥ α``, so the seed's ``kl_gap < ε ⇒ transfer(π) = π`` reads as written and holds by
construction (:func:`seed_constraint`). A gap the estimator cannot make (a real episode too
short for it) counts as larger than any number, in the real score and in the null alike.

Beside the shift test, the performance outcome: real and sim returns with bootstrap
intervals and the episodes that ended early. :func:`seed_claim` checks the seed's constraint
as the empirical claim it is: every policy with ``kl_gap < ε`` should keep its return.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
import numpy as np
import sympy

from acset_s2r.acset import ACSet
from acset_s2r.constraints import Constraint
from acset_s2r.errors import EstimatorError, InstanceError
from acset_s2r.sim2real import kl
from acset_s2r.sim2real.config import MeasureSetup
from acset_s2r.sim2real.record import null_gaps, policy_samples, read_setup, real_episodes, sim_returns

_kl_gap, _kl_epsilon, _transfer, _part = sympy.symbols("kl_gap kl_epsilon transfer part")


def seed_constraint() -> Constraint:
    """The seed's key constraint, with ε the policy's own calibrated ``kl_epsilon``:
    kl_gap(π) < ε implies transfer(π) = π.

    Examples
    --------
    >>> seed_constraint().name
    'transfer_is_identity_when_gap_small'
    """
    return Constraint(
        "transfer_is_identity_when_gap_small",
        "Policy",
        conclusion=sympy.Eq(_transfer, _part),
        premise=_kl_gap < _kl_epsilon,
    )


def gap_score(real: np.ndarray, real_segments: np.ndarray, sim: np.ndarray, sim_segments: np.ndarray) -> float:
    """The test statistic: the point estimate of kl_gap on transitions inside segments.

    The same number as :func:`measure_gap`'s ``value``; NaN when the estimator cannot be made.
    """
    try:
        return kl.kl_gaussian_estimate(
            kl.transition_pairs(real, real_segments), kl.transition_pairs(sim, sim_segments), shrinkage="ledoit-wolf"
        )
    except EstimatorError:
        return float("nan")


def _ranked(scores) -> np.ndarray:
    # a gap the estimator could not make sorts above every number
    a = np.asarray(scores, float)
    return np.where(np.isnan(a), np.inf, a)


def conformal_p_value(score: float, null_scores: Sequence[float]) -> float:
    """``(1 + #{null ≥ score}) / (n + 1)``: valid when score and null are exchangeable.

    Examples
    --------
    >>> conformal_p_value(5.0, [1.0, 2.0, 3.0])
    0.25
    >>> conformal_p_value(2.0, [1.0, 2.0, 3.0])
    0.75
    """
    null = _ranked(null_scores)
    if null.ndim != 1 or len(null) == 0:
        raise EstimatorError("conformal_p_value needs a non-empty 1-D array of null scores")
    return float((1 + np.sum(null >= _ranked(score))) / (len(null) + 1))


def conformal_threshold(null_scores: Sequence[float], alpha: float) -> float:
    """ε, the null's conformal (1 − α) quantile: ``score ≤ ε`` exactly when the p-value is ≥ α.

    Examples
    --------
    >>> conformal_threshold([1.0, 2.0, 3.0, 4.0], 0.4)  # p ≥ 0.4 needs 1 null score at or above
    4.0
    >>> conformal_threshold([1.0, 2.0, 3.0, 4.0], 0.6)
    3.0
    """
    null = np.sort(_ranked(null_scores))[::-1]
    # p ≥ α  ⇔  #{null ≥ score} ≥ m, with m the smallest count that reaches α
    m = math.ceil(alpha * (len(null) + 1) - 1 - 1e-12)
    if m <= 0:
        return math.inf
    if m > len(null):
        return -math.inf
    return float(null[m - 1])


def measure_gap(
    X: ACSet, policy: int, rng: np.random.Generator | int = 0, real_episodes: int | None = None
) -> kl.GapEstimate:
    """kl_gap of a policy from the ACSet, with its bootstrap interval and sim-vs-sim floor.

    The bootstrap resamples whole episodes (segments), as steps within one are correlated,
    whenever real and both halves of the sim floor split have 2 or more; else rows. A real
    stream too short for the estimator gives an estimate of NaNs.
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


def _mean_interval(values: np.ndarray, seed: int, n_boot: int = 2000, confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean (the values are episodes or envs)."""
    values = np.asarray(values, float)
    if len(values) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n_boot, len(values)))].mean(axis=1)
    tail = (1 - confidence) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


@attrs.frozen
class Verdict:
    """Did a policy transfer? The shift test and, beside it, the performance outcome.

    Shift: ``kl_gap`` (with its bootstrap interval and sim-vs-sim floor) against its null of
    ``n_null`` in-support plants; ``p_value``; ``epsilon`` the null's (1 − α) quantile;
    ``transferred`` is ``p_value ≥ alpha``. Performance: mean real and sim returns with 95%
    bootstrap intervals (over real episodes and over sim envs), episodes that ended before
    the horizon, and ``kept`` (real ≥ ``return_kept`` × sim).
    """

    policy: int
    name: str
    kl_gap: float
    ci_low: float
    ci_high: float
    floor: float
    floor_ci_high: float
    p_value: float
    epsilon: float
    alpha: float
    n_null: int
    sim_return: float
    sim_return_ci: tuple[float, float]
    real_return: float
    real_return_ci: tuple[float, float]
    episodes: int
    fell: int
    return_kept: float

    @property
    def measured(self) -> bool:
        """The gap and its null exist (a gap of NaN is an estimator that could not run)."""
        return self.n_null > 0 and math.isfinite(self.p_value)

    @property
    def transferred(self) -> bool:
        return bool(self.measured and self.p_value >= self.alpha)

    @property
    def kept_fraction(self) -> float:
        """Real return over sim return (NaN when the sim return is not positive)."""
        return self.real_return / self.sim_return if self.sim_return > 0 else float("nan")

    @property
    def kept(self) -> bool:
        return bool(self.kept_fraction >= self.return_kept)

    def reason(self) -> str:
        """Why, in one clause."""
        if self.n_null == 0:
            return "no null plants were drawn, so no test was made"
        gap = "no kl_gap (the real stream was too short for the estimator)" if not math.isfinite(self.kl_gap) \
            else f"kl_gap {self.kl_gap:.2f}"
        if self.transferred:
            return f"{gap} ≤ ε = {self.epsilon:.2f}, p = {self.p_value:.2f} ≥ α: real looks like a draw from its sims"
        return f"{gap} > ε = {self.epsilon:.2f}, p = {self.p_value:.2f} < α: real lies off its randomised sims"


def judge_policy(
    X: ACSet, policy: int, gap: kl.GapEstimate, measure: MeasureSetup = MeasureSetup()
) -> Verdict:
    """Record ``gap`` and the test against the policy's recorded null; set ``transfer(π)``."""
    X.set_subpart(policy, "kl_gap", gap.value)
    X.set_subpart(policy, "kl_ci_low", gap.ci_low)
    X.set_subpart(policy, "kl_ci_high", gap.ci_high)
    X.set_subpart(policy, "kl_floor", gap.floor)
    X.set_subpart(policy, "kl_floor_ci_high", gap.floor_ci_high)
    null = null_gaps(X, policy)
    if len(null):
        X.set_subpart(policy, "kl_p_value", conformal_p_value(gap.value, null))
        X.set_subpart(policy, "kl_epsilon", conformal_threshold(null, measure.alpha))
    verdict = read_verdict(X, policy, measure)
    X.set_subpart(policy, "transfer", policy if verdict.transferred else -1)
    return verdict


def read_verdict(X: ACSet, policy: int, measure: MeasureSetup = MeasureSetup()) -> Verdict:
    """The verdict of a policy, from what :func:`judge_policy` recorded."""
    if isinstance(policy, bool) or not isinstance(policy, (int, np.integer)) or not 0 <= policy < X.nparts("Policy"):
        raise InstanceError(f"policy {policy!r} is not a Policy part (there are {X.nparts('Policy')})")
    policy = int(policy)
    get = lambda name: float(X.subpart(policy, name))  # noqa: E731 -- NaN when not recorded
    returns, lengths = real_episodes(X, policy)
    horizon = read_setup(X).horizon
    fell = int(np.sum(lengths < horizon)) if horizon is not None else 0
    return Verdict(
        policy=policy, name=str(X.subpart(policy, "policy_name")), kl_gap=get("kl_gap"),
        ci_low=get("kl_ci_low"), ci_high=get("kl_ci_high"), floor=get("kl_floor"),
        floor_ci_high=get("kl_floor_ci_high"), p_value=get("kl_p_value"), epsilon=get("kl_epsilon"),
        alpha=measure.alpha, n_null=len(null_gaps(X, policy)),
        sim_return=get("sim_return"), sim_return_ci=_mean_interval(sim_returns(X, policy), seed=policy),
        real_return=get("real_return"), real_return_ci=_mean_interval(returns, seed=policy),
        episodes=len(lengths), fell=fell, return_kept=measure.return_kept,
    )


def read_verdicts(X: ACSet, measure: MeasureSetup = MeasureSetup()) -> list[Verdict]:
    """Every policy's verdict, in Policy order."""
    return [read_verdict(X, p, measure) for p in X.parts("Policy").tolist()]


def seed_claim(verdicts: Sequence[Verdict]) -> list[str]:
    """The seed's constraint as an empirical claim: the names of the policies with
    ``kl_gap < ε`` (judged transferred) that did not keep their return."""
    return [v.name for v in verdicts if v.measured and v.kl_gap < v.epsilon and not v.kept]
