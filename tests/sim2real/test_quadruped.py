"""The floating-base quadruped through the whole pipeline: randomised rollouts with pushes,
CEM training, deployment to a hidden plant, and a recorded experiment."""

import attrs
import mujoco
import numpy as np
import pytest

from acset_s2r.sim2real.config import default_config
from acset_s2r.sim2real.experiment import run_experiment
from acset_s2r.sim2real.plant import RealPlantConfig, fixed, make_real_plant
from acset_s2r.sim2real.policy import zero_policy
from acset_s2r.sim2real.randomization import RandomizationConfig, legged_defaults, sample_ensemble
from acset_s2r.sim2real.record import read_setup
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.rollout import Pushes, deploy, rollout
from acset_s2r.sim2real.tasks import QUADRUPED
from acset_s2r.sim2real.train import TrainConfig, train_cem

mujoco.set_mju_user_warning(lambda msg: None)

QUAD = QUADRUPED.load_model()


def test_the_model_is_a_floating_base_with_eight_servos_and_contacts():
    assert QUAD.jnt_type[0] == mujoco.mjtJoint.mjJNT_FREE and (QUAD.nq, QUAD.nv, QUAD.nu) == (15, 14, 8)
    data = mujoco.MjData(QUAD)
    mujoco.mj_resetDataKeyframe(QUAD, data, 0)
    mujoco.mj_forward(QUAD, data)
    feet = {mujoco.mj_name2id(QUAD, mujoco.mjtObj.mjOBJ_GEOM, f"{leg}_foot") for leg in ("fl", "fr", "hl", "hr")}
    touching = {int(g) for c in data.contact[: data.ncon] for g in (c.geom1, c.geom2)}
    assert feet <= touching  # the stance keyframe stands on four feet


def test_the_stance_holds_on_randomised_quadrupeds_under_pushes():
    ens = sample_ensemble(QUAD, legged_defaults(QUAD), 12, np.random.default_rng(0))
    pushes = Pushes(magnitude=(0.2, 0.4), interval=(1.0, 2.0), control_dt=QUADRUPED.control_dt(QUAD))
    pol = zero_policy(QUAD, sigma=0.05, task=QUADRUPED)
    rb = rollout(ens, pol, QUADRUPED, np.random.default_rng(1), disturbance=pushes)
    assert rb.alive.all()
    np.testing.assert_allclose(np.linalg.norm(rb.qpos[:, :, 3:7], axis=2), 1.0, atol=1e-9)
    # before the first push the pushed rollout is the unpushed one; after it, it is not
    calm = rollout(ens, pol, QUADRUPED, np.random.default_rng(1))
    first = int(np.floor(1.0 / QUADRUPED.control_dt(QUAD)))
    np.testing.assert_allclose(rb.qpos[:, : first + 1], calm.qpos[:, : first + 1], atol=1e-12)
    assert np.abs(rb.qvel[:, -1, :2] - calm.qvel[:, -1, :2]).max() > 1e-3
    # falling is possible: a hard shove topples it, so the test above could fail
    hard = Pushes(magnitude=(3.0, 3.0), interval=(0.5, 0.5), control_dt=QUADRUPED.control_dt(QUAD))
    shoved = rollout(QUAD, pol, QUADRUPED, np.random.default_rng(1), n_envs=4, disturbance=hard)
    assert not shoved.alive.all()


def test_pushes_are_drawn_at_their_intervals_with_their_magnitudes():
    p = Pushes(magnitude=(0.5, 1.5), interval=(0.2, 0.6), control_dt=0.02)
    kicks = p.draw(np.random.default_rng(0), 4000, 50, 14)
    t, env = np.nonzero(np.linalg.norm(kicks[:, :, :2], axis=2))
    speeds = np.linalg.norm(kicks[t, env, :2], axis=1)
    assert speeds.min() >= 0.5 and speeds.max() <= 1.5
    assert abs(speeds.mean() - 1.0) < 3 * (1 / np.sqrt(12)) / np.sqrt(len(speeds))
    # mean gap (0.2 + 0.6)/2 s = 20 control steps: about 4000 / 20 pushes per env
    per_env = np.bincount(env, minlength=50)
    assert abs(per_env.mean() - 200) < 5
    angles = np.arctan2(kicks[t, env, 1], kicks[t, env, 0])
    assert abs(np.mean(np.cos(angles))) < 3 / np.sqrt(2 * len(angles))
    assert np.all(kicks[:, :, 2:] == 0)
    assert not p.scaled(0.0).active()


def test_cem_trains_and_the_policy_deploys_to_a_hidden_plant():
    ens = sample_ensemble(QUAD, legged_defaults(QUAD, level=0.5), 3, np.random.default_rng(2))
    cfg = TrainConfig(generations=3, population=6, sigma=0.05, init_std=0.05, horizon=60)
    result = train_cem(ens, QUADRUPED, np.random.default_rng(3), cfg, progress=False)
    assert result.policy.gain.shape == (8, 27)
    assert np.all(np.isfinite(result.history.objective))
    assert result.env_steps == 3 * 7 * 3 * 60
    plant = make_real_plant(QUAD, RealPlantConfig(
        physics=RandomizationConfig((fixed("body_mass", 1.2), fixed("actuator_kp", 0.8))),
        obs_noise=ObservationNoise(std=0.01), latency=ActionLatency(1)), np.random.default_rng(4))
    real = deploy(plant, result.policy, QUADRUPED, np.random.default_rng(5), n_episodes=4, horizon=60)
    assert real.obs.shape == (4, 60, 27) and np.all(real.latency == 1)
    np.testing.assert_array_equal(plant.model.actuator_biasprm[:, 1], -plant.model.actuator_gainprm[:, 0])
    np.testing.assert_allclose(plant.model.actuator_gainprm[:, 0], 20.0)


def test_the_experiment_runs_on_the_quadruped_and_records_its_task():
    cfg = default_config("quadruped").evolve(
        sim={"n_sim": 3}, real={"episodes": 4}, training={"steps": 60, "iterations": 1, "population": 2},
        measure={"n_null": 4, "alpha": 0.25},
    )
    result = run_experiment(cfg, progress=False)
    X = result.acset
    setup = read_setup(X)
    assert setup.task_name == "quadruped" and setup.control_dt == pytest.approx(0.02)
    assert setup.channels[:2] == ("qpos:root[2]", "qpos:root[3]") and len(setup.channels) == 27
    assert set(X.subpart("policy_kind")) == {"linear-gaussian"}
    assert all(len(h) == 64 for h in X.subpart("policy_hash"))
    assert "body_ipos/torso:x" in setup.parameters and "actuator_kp/fl_hip" in setup.parameters
    # the narrow search keeps the low-noise policies up on the hidden plant, and their gap is measured
    low = [name for name in result.outcomes if name.endswith("lowH")]
    assert all(result.outcomes[name].real_lengths.min() == 60 for name in low)
    assert all(np.isfinite(result.gaps[name].value) for name in low)


def test_a_task_object_is_a_model_setting():
    short = attrs.evolve(QUADRUPED, name="quadruped-short", horizon=20)
    cfg = default_config(short).evolve(
        sim={"n_sim": 3}, real={"episodes": 4}, training={"steps": 40, "iterations": 1, "population": 2},
        measure={"n_null": 4, "alpha": 0.25},
    )
    result = run_experiment(cfg, progress=False)
    assert read_setup(result.acset).task_name == "quadruped-short"
    assert result.report().splitlines()[0].startswith("sim2real experiment on quadruped-short:")
