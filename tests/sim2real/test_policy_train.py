"""Linear-Gaussian policies, the LQR baseline, and CEM training over a randomised ensemble."""

import attrs
import mujoco
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.policy import LinearGaussianPolicy, linearize, lqr_policy, zero_policy
from acset_s2r.sim2real.randomization import playground_defaults, sample_ensemble
from acset_s2r.sim2real.rollout import rollout
from acset_s2r.sim2real.tasks import CARTPOLE, HOPPER
from acset_s2r.sim2real.train import TrainConfig, evaluate_policy, mean_and_se, objective, train_cem

mujoco.set_mju_user_warning(lambda msg: None)

CART = CARTPOLE.load_model()
HOP = HOPPER.load_model()
finite = st.floats(-50, 50, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    gain=arrays(float, (3, 11), elements=finite),
    bias=arrays(float, (3,), elements=finite),
    log_sigma=arrays(float, (3,), elements=st.floats(-5, 2)),
)
def test_vector_round_trip(gain, bias, log_sigma):
    template = zero_policy(HOP)
    pol = attrs.evolve(template, gain=gain, bias=bias, sigma=np.exp(log_sigma))
    back = template.with_vector(pol.to_vector())
    np.testing.assert_array_equal(back.gain, gain)
    np.testing.assert_array_equal(back.bias, bias)
    np.testing.assert_allclose(back.sigma, pol.sigma, rtol=1e-12)
    assert pol.n_params() == 3 * 11 + 3 + 3 == pol.to_vector().size
    # without σ the vector leaves the policy's σ alone
    fixed = template.with_sigma(0.3).with_vector(pol.to_vector(include_sigma=False), False)
    np.testing.assert_array_equal(fixed.sigma, 0.3)


def test_action_law_entropy_and_clipping():
    pol = LinearGaussianPolicy(
        gain=[[2.0, -1.0]], bias=[0.1], sigma=[0.5], obs_ref=[1.0, 0.0],
        ctrl_low=[-1.0], ctrl_high=[1.0],
    )
    assert pol.mean_action(np.array([1.2, 0.1]))[0] == pytest.approx(2 * 0.2 - 0.1 + 0.1)
    assert pol.mean_action(np.array([5.0, 0.0]))[0] == 1.0
    assert pol.entropy() == pytest.approx(0.5 * np.log(2 * np.pi * np.e * 0.25))
    # sampled actions are N(0.1, 0.5²) clipped to [-1, 1]: closed-form mean within 3 SE
    n = 20000
    a = pol.sample_action(np.tile([1.0, 0.0], (n, 1)), np.random.default_rng(0))[:, 0]
    mu, s, lo, hi = 0.1, 0.5, -1.0, 1.0
    al, be = (lo - mu) / s, (hi - mu) / s
    clipped_mean = (lo * norm.cdf(al) + hi * norm.sf(be) + mu * (norm.cdf(be) - norm.cdf(al))
                    + s * (norm.pdf(al) - norm.pdf(be)))
    assert abs(a.mean() - clipped_mean) < 3 * a.std(ddof=1) / np.sqrt(n)
    assert a.min() >= lo and a.max() <= hi
    assert zero_policy(CART).entropy() == -np.inf
    with pytest.raises(SimulationError, match="action-noise std"):
        attrs.evolve(pol, sigma=[-0.1])
    with pytest.raises(SimulationError, match="shape"):
        attrs.evolve(pol, bias=[0.0, 0.0])
    with pytest.raises(SimulationError, match="non-finite"):
        attrs.evolve(pol, gain=[[np.nan, 0.0]])


def test_lqr_stabilises_the_linearised_and_the_real_cartpole():
    A, B, C = linearize(CART)
    pol = lqr_policy(CART)
    # observations are the state, so the closed loop is A + B·K with spectral radius < 1
    np.testing.assert_allclose(C, np.eye(4), atol=1e-6)
    assert np.max(np.abs(np.linalg.eigvals(A + B @ pol.gain))) < 1
    # the open loop is unstable (the pole falls)
    assert np.max(np.abs(np.linalg.eigvals(A))) > 1
    rb = rollout(CART, pol, CARTPOLE, np.random.default_rng(0), n_envs=8, horizon=300)
    assert rb.alive.all()
    assert np.all(np.abs(rb.qpos[:, -1, 1]) < 0.02)
    with pytest.raises(SimulationError, match="rank"):
        lqr_policy(HOP)  # rootx is not observed


def test_objective_is_return_plus_entropy_bonus_per_live_step():
    pol = zero_policy(CART, sigma=0.2)
    rb = rollout(CART, pol, CARTPOLE, np.random.default_rng(1), n_envs=6, horizon=150)
    h = np.full(6, pol.entropy())
    np.testing.assert_allclose(
        objective(rb, h, 0.5), rb.returns + 0.5 * pol.entropy() * rb.lengths)
    assert (rb.lengths < 150).any()  # some episodes terminated, so lengths matter


SMALL = TrainConfig(generations=8, population=12, horizon=200)


@pytest.fixture(scope="module")
def ensembles():
    config = playground_defaults(CART)
    train = sample_ensemble(CART, config, 4, np.random.default_rng(0))
    held_out = sample_ensemble(CART, config, 16, np.random.default_rng(100))
    return train, held_out


@pytest.mark.parametrize("seed", [0, 1])
def test_training_beats_the_untrained_policy_well_outside_the_noise(ensembles, seed):
    train, held_out = ensembles
    result = train_cem(train, CARTPOLE, np.random.default_rng(seed), SMALL, progress=False)
    assert result.env_steps == SMALL.generations * (SMALL.population + 1) * 4 * 200
    trained = evaluate_policy(held_out, result.policy, CARTPOLE, np.random.default_rng(seed + 10),
                       episodes_per_model=2, horizon=200)
    untrained = evaluate_policy(held_out, zero_policy(CART, sigma=SMALL.sigma), CARTPOLE,
                         np.random.default_rng(seed + 10), episodes_per_model=2, horizon=200)
    m1, se1 = mean_and_se(trained.returns)
    m0, se0 = mean_and_se(untrained.returns)
    assert m1 - m0 > 5 * np.hypot(se1, se0)
    # the search itself improved: last generation's mean policy beats the first's
    assert result.history.mean_return[-1] > result.history.mean_return[0]


def test_training_is_reproducible_from_its_seed(ensembles):
    train, _ = ensembles
    cfg = attrs.evolve(SMALL, generations=3, horizon=100)
    a = train_cem(train, CARTPOLE, np.random.default_rng(5), cfg, progress=False)
    b = train_cem(train, CARTPOLE, np.random.default_rng(5), cfg, progress=False)
    np.testing.assert_array_equal(a.policy.to_vector(), b.policy.to_vector())
    np.testing.assert_array_equal(a.history.objective, b.history.objective)


@pytest.mark.parametrize("seed", [0, 1])
def test_entropy_bonus_drives_the_trained_action_noise_up(ensembles, seed):
    train, _ = ensembles
    cfg = attrs.evolve(SMALL, sigma=0.3, train_sigma=True)
    plain = train_cem(train, CARTPOLE, np.random.default_rng(seed),
                      attrs.evolve(cfg, entropy_coef=0.0), progress=False)
    bonus = train_cem(train, CARTPOLE, np.random.default_rng(seed),
                      attrs.evolve(cfg, entropy_coef=2.0), progress=False)
    assert bonus.policy.sigma[0] > plain.policy.sigma[0]
    assert bonus.policy.entropy() > plain.policy.entropy()


def test_bad_training_settings_are_rejected():
    with pytest.raises(SimulationError, match="population"):
        TrainConfig(population=0)
    with pytest.raises(SimulationError, match="elite_frac"):
        TrainConfig(elite_frac=1.5)
    with pytest.raises(SimulationError, match="train_sigma"):
        TrainConfig(sigma=0.0, train_sigma=True)
    with pytest.raises(SimulationError, match="at least two"):
        mean_and_se(np.array([1.0]))
