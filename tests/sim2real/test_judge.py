"""The calibrated transfer test: conformal p-values, the threshold ε, the statistic, the verdict."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from acset_s2r.errors import EstimatorError
from acset_s2r.sim2real.config import PolicySpec, default_config
from acset_s2r.sim2real.experiment import draw_null, null_rng, run_experiment
from acset_s2r.sim2real.judge import (
    conformal_p_value,
    conformal_threshold,
    gap_score,
    measure_gap,
    read_verdicts,
    seed_claim,
)
from acset_s2r.sim2real.record import null_gaps, policy_samples
from acset_s2r.sim2real.tasks import get_task

scores = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(scores, min_size=1, max_size=30), scores, st.randoms(use_true_random=False))
def test_p_value_does_not_depend_on_the_order_of_the_null(null, score, rnd):
    shuffled = list(null)
    rnd.shuffle(shuffled)
    assert conformal_p_value(score, null) == conformal_p_value(score, shuffled)


@given(st.lists(scores, min_size=1, max_size=30))
def test_a_score_above_every_null_score_has_the_smallest_p_value(null):
    assert conformal_p_value(max(null) + 1.0, null) == pytest.approx(1 / (len(null) + 1))
    assert conformal_p_value(min(null), null) == 1.0


@given(
    st.lists(st.one_of(scores, st.just(math.nan)), min_size=1, max_size=40),
    st.one_of(scores, st.just(math.nan)),
    st.floats(0.01, 0.5),
)
def test_the_threshold_is_the_p_value_test(null, score, alpha):
    """kl_gap ≤ ε exactly when p ≥ α, ties and unmeasurable (NaN) gaps included."""
    eps = conformal_threshold(null, alpha)
    ranked = math.inf if math.isnan(score) else score
    assert (ranked <= eps) == (conformal_p_value(score, null) >= alpha)


def test_an_empty_null_is_refused():
    with pytest.raises(EstimatorError, match="null"):
        conformal_p_value(1.0, [])


def _stream(rng, mean, n=120, d=2):
    """An AR(1) observation stream of n steps around ``mean``: transitions carry information."""
    x = np.empty((n, d))
    x[0] = mean + rng.standard_normal(d)
    for t in range(1, n):
        x[t] = mean + 0.8 * (x[t - 1] - mean) + 0.6 * rng.standard_normal(d)
    return x


def _plant_score(rng, mean, sim, sim_segments, episodes=3):
    obs = np.concatenate([_stream(rng, mean) for _ in range(episodes)])
    return gap_score(obs, np.repeat(np.arange(episodes), 120), sim, sim_segments)


def _sim(rng, members=6):
    """A randomised sim: each member's stream centred at a draw from U(-1, 1)²."""
    means = rng.uniform(-1, 1, (members, 2))
    return np.concatenate([_stream(rng, m) for m in means]), np.repeat(np.arange(members), 120)


def test_the_p_value_is_uniform_under_the_null_and_small_under_a_shift():
    """Plants drawn from the sim's own distribution: p ~ U; a plant far outside it: p small."""
    rng = np.random.default_rng(0)
    null_p, shifted_p = [], []
    for _ in range(120):
        sim, seg = _sim(rng)
        null = [_plant_score(rng, rng.uniform(-1, 1, 2), sim, seg) for _ in range(19)]
        null_p.append(conformal_p_value(_plant_score(rng, rng.uniform(-1, 1, 2), sim, seg), null))
        shifted_p.append(conformal_p_value(_plant_score(rng, np.array([4.0, -4.0]), sim, seg), null))
    # a discrete uniform on {1/20, ..., 1}: compare with its own CDF
    grid = np.arange(1, 21) / 20
    ks = stats.kstest(null_p, lambda p: np.floor(np.asarray(p) * 20 + 1e-9) / 20)
    assert ks.pvalue > 0.01, ks
    assert abs(np.mean(np.asarray(null_p) < 0.1) - 0.1) < 0.08  # P(p ≤ 2/20) = 0.1 under the null
    assert np.mean(np.asarray(shifted_p) == grid[0]) > 0.95


# --- on a real experiment ----------------------------------------------------------------

SMALL = default_config("cartpole").evolve(
    seed=5,
    sim={"n_sim": 4, "obs_bias": 0.0, "latency_max": 3, "randomization": None},
    real={"episodes": 3, "latency": 2},
    training={"steps": 60, "iterations": 2, "population": 6,
              "policies": (PolicySpec("nominal", 0.0, 0.05), PolicySpec("dr", 1.0, 0.2))},
    measure={"n_null": 39},
)


@pytest.fixture(scope="module")
def small_run():
    return run_experiment(SMALL, progress=False)


def test_the_statistic_is_the_recorded_kl_gap(small_run):
    X = small_run.acset
    for p in X.parts("Policy").tolist():
        real, real_seg, sim, sim_seg = policy_samples(X, p)
        assert gap_score(real, real_seg, sim, sim_seg) == pytest.approx(measure_gap(X, p).value, rel=1e-12)
        assert len(null_gaps(X, p)) == SMALL.measure.n_null


def test_the_recorded_verdict_is_the_test(small_run):
    X = small_run.acset
    for v in read_verdicts(X, SMALL.measure):
        null = null_gaps(X, v.policy)
        assert v.p_value == conformal_p_value(v.kl_gap, null)
        assert v.transferred == (v.p_value >= SMALL.measure.alpha) == (X.subpart(v.policy, "transfer") == v.policy)
        assert v.epsilon == conformal_threshold(null, SMALL.measure.alpha)
        lo, hi = v.real_return_ci
        assert lo <= v.real_return <= hi
    assert seed_claim(read_verdicts(X, SMALL.measure)) == [
        v.name for v in read_verdicts(X, SMALL.measure) if v.kl_gap < v.epsilon and not v.kept
    ]


def test_the_verdict_does_not_depend_on_the_nulls_seed(small_run):
    """20 seeds for the null plants: the verdict flips only where p sits near α."""
    X = small_run.acset
    task = get_task(SMALL.model)
    base = task.load_model()
    specs = {s.name: s for s in SMALL.policy_specs()}
    for v in read_verdicts(X, SMALL.measure):
        ps = []
        for seed in range(20):
            X2 = X.copy()
            gaps, _, _ = draw_null(SMALL, specs[v.name].level, small_run.policies[v.name], task, base, X2,
                                   v.policy, null_rng(100 + seed))
            ps.append(conformal_p_value(v.kl_gap, gaps))
        verdicts = {p >= SMALL.measure.alpha for p in ps}
        borderline = SMALL.measure.alpha / 2 <= np.median(ps) <= 3 * SMALL.measure.alpha
        assert len(verdicts) == 1 or borderline, (v.name, ps)


def test_the_null_is_reproducible_from_the_seed(small_run):
    again = run_experiment(SMALL, progress=False)
    np.testing.assert_array_equal(again.acset.subpart("null_gap"), small_run.acset.subpart("null_gap"))
