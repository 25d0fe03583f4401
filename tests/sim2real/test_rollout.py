"""Batched closed-loop rollouts, noise, latency, the hidden real plant and divergence."""

import attrs
import mujoco
import numpy as np
import pytest

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.models import load_model, model_path
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlantConfig, fixed, in_support, make_real_plant
from acset_s2r.sim2real.policy import lqr_policy, zero_policy
from acset_s2r.sim2real.randomization import (
    Ensemble,
    PhysicsParams,
    RandomizationConfig,
    playground_defaults,
    sample_ensemble,
)
from acset_s2r.sim2real.rollout import deploy, rollout
from acset_s2r.sim2real.tasks import CARTPOLE, HOPPER, cartpole_reward, hopper_terminated

mujoco.set_mju_user_warning(lambda msg: None)

CART = CARTPOLE.load_model()
HOP = HOPPER.load_model()
FIELDS = ("obs", "obs_clean", "action", "ctrl", "time", "qpos", "qvel", "reward",
          "terminated", "alive", "obs_bias", "latency")


def sensors_at(model, qpos, qvel):
    data = mujoco.MjData(model)
    data.qpos[:], data.qvel[:] = qpos, qvel
    mujoco.mj_forward(model, data)
    return data.sensordata.copy()


def test_shapes_and_observations_match_the_state():
    ens = sample_ensemble(HOP, playground_defaults(HOP), 5, np.random.default_rng(0))
    rb = rollout(ens, zero_policy(HOP, sigma=0.3), HOPPER, np.random.default_rng(1), horizon=40)
    n, t = 5, 40
    assert rb.obs.shape == rb.obs_clean.shape == (n, t, HOP.nsensordata)
    assert rb.action.shape == rb.ctrl.shape == (n, t, HOP.nu)
    assert rb.qpos.shape == (n, t + 1, HOP.nq) and rb.qvel.shape == (n, t + 1, HOP.nv)
    assert rb.reward.shape == rb.terminated.shape == rb.alive.shape == rb.time.shape == (n, t)
    np.testing.assert_allclose(rb.time[0], np.arange(t) * HOP.opt.timestep * HOPPER.substeps)
    # every recorded observation is the sensors at the recorded state, not one step stale
    models = ens.models()
    for env, step in [(0, 0), (2, 17), (4, 39)]:
        want = sensors_at(models[env], rb.qpos[env, step], rb.qvel[env, step])
        np.testing.assert_allclose(rb.obs_clean[env, step], want, atol=1e-12)
    # reward and termination are the task's functions of the next state
    np.testing.assert_allclose(
        rb.reward, HOPPER.reward(rb.next_qpos, rb.next_qvel, rb.ctrl))
    unhealthy = hopper_terminated(rb.next_qpos, rb.next_qvel)
    for env in range(n):
        first = np.argmax(unhealthy[env]) if unhealthy[env].any() else t
        assert rb.alive[env].sum() == min(first + 1, t)
        assert rb.terminated[env].sum() == (first < t)
    # actions respect the control range
    assert np.all(np.abs(rb.action) <= 1.0)


def test_non_joint_sensors_are_also_current(tmp_path):
    # a subtree centre of mass is not a joint reading, so the batch computes sensors itself
    xml = model_path("cartpole").read_text().replace(
        "</sensor>", '<subtreecom name="pole_com" body="pole"/></sensor>')
    path = tmp_path / "cartpole_com.xml"
    path.write_text(xml)
    model = load_model(path)
    rb = rollout(model, zero_policy(model, sigma=0.5), CARTPOLE, np.random.default_rng(2),
                 n_envs=3, horizon=30)
    for step in (0, 1, 29):
        want = sensors_at(model, rb.qpos[1, step], rb.qvel[1, step])
        np.testing.assert_allclose(rb.obs_clean[1, step], want, atol=1e-12)


def test_ensemble_and_model_list_give_identical_rollouts():
    ens = sample_ensemble(CART, playground_defaults(CART), 4, np.random.default_rng(3))
    pol = lqr_policy(CART, sigma=0.2)
    a = rollout(ens, pol, CARTPOLE, np.random.default_rng(4), horizon=60)
    b = rollout(ens.models(), pol, CARTPOLE, np.random.default_rng(4), horizon=60)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


def test_same_seed_same_arrays_other_seed_other_arrays():
    ens = sample_ensemble(HOP, playground_defaults(HOP), 4, np.random.default_rng(5))
    pol = zero_policy(HOP, sigma=0.2)
    kw = dict(horizon=50, obs_noise=ObservationNoise(0.01, 0.01),
              latency=ActionLatency(0, 2), nthread=2)
    a = rollout(ens, pol, HOPPER, np.random.default_rng(6), **kw)
    b = rollout(ens, pol, HOPPER, np.random.default_rng(6), **kw)
    c = rollout(ens, pol, HOPPER, np.random.default_rng(7), **kw)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    assert not np.array_equal(a.obs, c.obs)
    # threads do not change results
    d = rollout(ens, pol, HOPPER, np.random.default_rng(6), **{**kw, "nthread": 1})
    np.testing.assert_array_equal(a.qpos, d.qpos)


@pytest.mark.parametrize("kind", ["gaussian", "uniform"])
def test_observation_noise_statistics_match_the_config(kind):
    std = np.array([0.01, 0.05, 0.2, 1.0])
    bias_std = np.array([0.1, 0.0, 0.3, 0.5])
    noise = ObservationNoise(std, bias_std, kind=kind)
    n, t = 400, 50
    rb = rollout(CART, lqr_policy(CART), CARTPOLE, np.random.default_rng(8), n_envs=n,
                 horizon=t, obs_noise=noise)
    err = rb.obs - rb.obs_clean
    white = (err - rb.obs_bias[:, None, :]).reshape(-1, 4)
    m = white.shape[0]
    # Var(s²) = (μ4 - σ⁴)/m: μ4 = 3σ⁴ for a Gaussian, 9σ⁴/5 for a uniform
    excess = 2.0 if kind == "gaussian" else 0.8
    assert np.all(np.abs(white.mean(0)) < 3 * std / np.sqrt(m))
    assert np.all(np.abs(white.var(0, ddof=1) - std**2) < 3 * np.sqrt(excess / m) * std**2)
    # the bias is one draw per episode: zero mean, the configured spread
    bias = rb.obs_bias
    assert np.all(np.abs(bias.mean(0)) <= 3 * bias_std / np.sqrt(n))
    varied = bias_std > 0
    assert np.all(np.abs(bias.var(0, ddof=1)[varied] - bias_std[varied] ** 2)
                  < 3 * np.sqrt(excess / n) * bias_std[varied] ** 2)
    np.testing.assert_array_equal(bias[:, ~varied], 0.0)
    if kind == "uniform":
        assert np.all(np.abs(white) <= np.sqrt(3) * std + 1e-12)
    # the noise acts on what the policy sees: its actions follow the noisy observation
    pol = lqr_policy(CART)
    np.testing.assert_allclose(rb.action, pol.mean_action(rb.obs))


@pytest.mark.parametrize("k", [0, 1, 3])
def test_latency_of_k_steps_delays_a_step_input_by_k_steps(k):
    # the cart starts at rest with the pole upright: nothing moves until the push arrives
    push = attrs.evolve(zero_policy(CART), bias=np.array([0.5]))
    rest = (np.zeros((2, CART.nq)), np.zeros((2, CART.nv)))
    rb = rollout(CART, push, CARTPOLE, np.random.default_rng(0), n_envs=2, horizon=10,
                 latency=k, initial_state=rest)
    assert np.all(rb.action == 0.5)
    moving = np.abs(rb.qvel[0, :, 0]) > 0
    # state index t+1 is the result of step t, the first step the push acts in is k
    assert np.argmax(moving) == k + 1
    np.testing.assert_array_equal(rb.ctrl[0, :, 0], np.where(np.arange(10) < k, 0.0, 0.5))
    assert np.all(rb.latency == k)


def test_per_episode_latencies_delay_each_env_by_its_own_draw():
    push = attrs.evolve(zero_policy(CART), bias=np.array([0.5]))
    n = 12
    rest = (np.zeros((n, CART.nq)), np.zeros((n, CART.nv)))
    rb = rollout(CART, push, CARTPOLE, np.random.default_rng(1), n_envs=n, horizon=10,
                 latency=ActionLatency(0, 4), initial_state=rest)
    assert set(rb.latency) <= set(range(5)) and len(set(rb.latency)) > 1
    first_motion = np.argmax(np.abs(rb.qvel[:, :, 0]) > 0, axis=1)
    np.testing.assert_array_equal(first_motion, rb.latency + 1)


def test_real_plant_hidden_physics_noise_latency_and_control_rate():
    sim_config = playground_defaults(CART)
    inside = RealPlantConfig(physics=RandomizationConfig((fixed("body_mass", 1.05, "pole"),)))
    outside = RealPlantConfig(
        physics=RandomizationConfig((fixed("body_mass", 2.0, "pole"),
                                     fixed("dof_damping", 5.0, "hinge"))),
        obs_noise=ObservationNoise(0.02),
        latency=ActionLatency(2),
        timestep_scale=1.5,
    )
    rng = np.random.default_rng(2)
    real_in = make_real_plant(CART, inside, rng)
    real_out = make_real_plant(CART, outside, rng)
    assert in_support(real_in, CART, sim_config)["body_mass/pole"]
    support = in_support(real_out, CART, sim_config)
    assert not support["body_mass/pole"] and not support["dof_damping/hinge"]
    assert support["body_mass/cart"]
    assert real_out.model.body_mass[CART.body("pole").id] == pytest.approx(0.2)
    assert real_out.params.names == ("body_mass/pole", "dof_damping/hinge")
    rb = deploy(real_out, lqr_policy(CART), CARTPOLE, np.random.default_rng(3), n_episodes=6,
                horizon=30)
    # control-rate mismatch: each control step lasts 1.5 nominal steps
    np.testing.assert_allclose(np.diff(rb.time, axis=1), 0.015)
    assert np.all(rb.control_dt == pytest.approx(0.015))
    assert np.all(rb.latency == 2)
    np.testing.assert_array_equal(rb.ctrl[:, 2:], rb.action[:, :-2])
    assert np.std(rb.obs - rb.obs_clean) == pytest.approx(0.02, rel=0.1)
    with pytest.raises(SimulationError, match="timestep_scale"):
        RealPlantConfig(timestep_scale=0.0)


def test_cartpole_reward_is_bounded_by_one_and_centred():
    q = np.array([[0.0, 0.0], [0.5, 0.3]])
    r = cartpole_reward(q, np.zeros_like(q), np.zeros((2, 1)))
    assert r[0] == 1.0 and r[1] == pytest.approx(np.cos(0.3) - 0.05 * 0.25)


def test_a_huge_timestep_is_reported_as_divergence_naming_the_env():
    model = CARTPOLE.load_model()
    model.opt.timestep = 1e4
    with pytest.raises(SimulationError, match=r"diverged in env 0 at step \d+: state"):
        rollout(model, zero_policy(model), CARTPOLE, np.random.default_rng(0), n_envs=2,
                horizon=50)


def test_an_absurd_gain_in_one_member_names_that_env():
    ens = sample_ensemble(CART, RandomizationConfig(()), 4, np.random.default_rng(0))
    values = np.ones((4, 1)) * CART.actuator_gainprm[0, 0]
    values[3] = 1e30
    mixed = Ensemble(CART, PhysicsParams(("actuator_gain/push",), values))
    push = attrs.evolve(zero_policy(CART), bias=np.array([1.0]))
    with pytest.raises(SimulationError, match=r"env 3 at step 0: .*QACC"):
        rollout(mixed, push, CARTPOLE, np.random.default_rng(0), horizon=20)
    # the same rollout without the bad member is fine
    rb = rollout(ens, push, CARTPOLE, np.random.default_rng(0), horizon=20)
    assert np.all(np.isfinite(rb.qpos))


def test_bad_rollout_inputs_are_rejected():
    pol = zero_policy(CART)
    with pytest.raises(SimulationError, match="policy gain has shape"):
        rollout(HOP, pol, HOPPER, np.random.default_rng(0), n_envs=2)
    with pytest.raises(SimulationError, match="one layout"):
        rollout([CART, HOP], pol, CARTPOLE, np.random.default_rng(0))
    with pytest.raises(SimulationError, match="initial_state"):
        rollout(CART, pol, CARTPOLE, np.random.default_rng(0), n_envs=2,
                initial_state=(np.zeros((3, 2)), np.zeros((3, 2))))
    with pytest.raises(SimulationError, match="channels"):
        rollout(CART, pol, CARTPOLE, np.random.default_rng(0), n_envs=2,
                obs_noise=ObservationNoise([0.1, 0.1]))
    with pytest.raises(SimulationError, match="latency"):
        ActionLatency(3, 1)
