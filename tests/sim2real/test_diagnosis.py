"""Transfer-failure diagnosis on real MuJoCo cartpole and hopper runs with one injected fault each."""

import attrs
import numpy as np
import pytest

from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.sim2real.diagnosis import (
    Cause,
    Thresholds,
    _constraint_signature,
    _flags,
    _latency,
    _policy_data,
    _Replay,
    _replay_lags,
    diagnose_transfer_failure,
    transfer_evidence,
)
from acset_s2r.sim2real.config import PolicySpec, default_config
from acset_s2r.sim2real.experiment import run_experiment
from acset_s2r.sim2real.faults import (
    FAULT_BENCH_SIM,
    Fault,
    fault_experiment,
    plant_config,
    record_transfer,
    sim_ensemble,
)
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlantConfig, make_real_plant
from acset_s2r.sim2real.policy import lqr_policy, stance_policy, zero_policy
from acset_s2r.sim2real.randomization import apply_parameters
from acset_s2r.sim2real.record import read_setup
from acset_s2r.sim2real.rollout import VelocityKicks, deploy, rollout, stack_episodes
from acset_s2r.sim2real.tasks import get_task

TASK = get_task("cartpole")
BASE = TASK.load_model()
POLICY = lqr_policy(BASE, sigma=0.1)
SMALL = dict(n_sim=6, steps=150)


def run(kind: str, magnitude: float, seed: int, **kw):
    return fault_experiment(POLICY, TASK, Fault(kind, magnitude), seed, **{**SMALL, **kw})


def evidence(kind, magnitude, seed=11):
    return transfer_evidence(run(kind, magnitude, seed), 0)


@pytest.mark.parametrize(
    "kind, magnitude, cause",
    [
        ("none", 0.0, Cause.NONE),
        ("observation", 0.05, Cause.OBSERVATION),
        ("dynamics", 1.0, Cause.DYNAMICS),
        ("latency", 2, Cause.LATENCY),
        ("overconfidence", 0.5, Cause.OVERCONFIDENCE),
    ],
)
@pytest.mark.parametrize("seed", [21, 22])
def test_each_injected_cause_is_diagnosed(kind, magnitude, cause, seed):
    d = diagnose_transfer_failure(run(kind, magnitude, seed), 0)
    assert d.cause is cause, d.explanation
    assert (cause is Cause.NONE) == (d.flagged == ())


def test_evidence_is_monotone_in_fault_magnitude():
    obs = [evidence("observation", m).observation_error for m in (0.02, 0.05, 0.1)]
    assert obs[0] < obs[1] < obs[2]
    dyn = [evidence("dynamics", m) for m in (0.3, 0.6, 1.0)]
    assert dyn[0].dynamics_error < dyn[1].dynamics_error < dyn[2].dynamics_error
    assert dyn[0].coverage >= dyn[1].coverage >= dyn[2].coverage
    oc = [evidence("overconfidence", m) for m in (0.2, 0.5, 1.0)]
    assert oc[0].dynamics_error < oc[1].dynamics_error < oc[2].dynamics_error
    assert oc[0].coverage >= oc[1].coverage >= oc[2].coverage
    # random kicks drown the in-support parameter mismatch: less and less is explained
    assert oc[0].dynamics_explained >= oc[1].dynamics_explained >= oc[2].dynamics_explained
    assert oc[2].dynamics_explained < Thresholds().explained


@pytest.mark.parametrize("extra", [1, 2, 3])
def test_latency_estimate_is_the_recorded_latency(extra):
    X = run("latency", extra, 5)
    ev = transfer_evidence(X, 0)
    true = X.subpart(X.subpart(0, "deploy"), "latency_steps")
    assert ev.real_latency == true == FAULT_BENCH_SIM.latency_max + extra
    # the sim's streams draw latencies in 0..latency_max, so the gap is exactly `extra`
    assert (ev.sim_latency_low, ev.sim_latency_high) == (0, FAULT_BENCH_SIM.latency_max)
    assert ev.latency_delta == extra


def test_noise_free_sensors_give_zero_observation_error():
    X = run("none", 0.0, 3, sim=attrs.evolve(FAULT_BENCH_SIM, obs_noise=0.0))
    ev = transfer_evidence(X, 0)
    assert ev.observation_error == 0.0 and ev.obs_variance_ratio == 1.0


def test_replay_reproduces_recorded_transitions_through_the_true_model():
    rng = np.random.default_rng(0)
    plant = make_real_plant(BASE, plant_config(BASE, FAULT_BENCH_SIM, Fault("latency", 1)), rng)
    batch = deploy(plant, POLICY, TASK, rng, 1, 60)
    x = np.concatenate([batch.qpos[0], batch.qvel[0]], axis=1)
    nxt = _Replay(BASE, TASK.substeps).step([plant.model] * 60, x[:-1], batch.ctrl[0])
    np.testing.assert_allclose(nxt, x[1:], atol=1e-8)


def test_replay_turns_recorded_actions_into_controls_as_the_task_does():
    # the quadruped's actions are offsets from the keyframe's servo targets: replayed as raw
    # controls they would send every servo to zero
    task = get_task("quadruped")
    base = task.load_model()
    policy = zero_policy(base, sigma=0.1, task=task)
    no_lag = attrs.evolve(FAULT_BENCH_SIM, latency_max=0)  # so that each step's action is what acted
    plant = make_real_plant(base, plant_config(base, no_lag, Fault("none")), np.random.default_rng(0))
    batch = deploy(plant, policy, task, np.random.default_rng(1), 1, 30)
    x = np.concatenate([batch.qpos[0], batch.qvel[0]], axis=1)
    transform = task.action_transform(base)
    assert transform is not None and np.abs(transform[0]).max() > 0.1
    nxt = _Replay(base, task.substeps, transform).step([plant.model] * 30, x[:-1], batch.action[0])
    np.testing.assert_allclose(nxt, x[1:], atol=1e-6)
    raw = _Replay(base, task.substeps).step([plant.model] * 30, x[:-1], batch.action[0])
    assert np.abs(raw - x[1:]).max() > 1e-2


def test_a_small_random_force_on_a_servo_stance_is_unexplained_though_inside_the_band():
    # real MuJoCo: kicks of 0.4 of the typical velocity change barely move the quadruped's
    # servo-held stance, so they leave its band no more than an in-support plant does; but the
    # sim is deterministic, so no parameter offset explains them, while it explains the
    # in-support plant's residual
    task = get_task("quadruped")
    policy = zero_policy(task.load_model(), sigma=0.1, task=task)
    ev = {}
    for fault in (Fault("none"), Fault("overconfidence", 0.4)):
        X = fault_experiment(policy, task, fault, 33, n_sim=4, steps=60, real_episodes=1)
        ev[fault.kind] = transfer_evidence(X, 0, fit=False)
    none, kicked = ev["none"], ev["overconfidence"]
    assert kicked.expected_coverage - kicked.coverage < Thresholds().coverage_deficit
    assert none.dynamics_explained >= Thresholds().explained > kicked.dynamics_explained
    assert _flags(none, Thresholds()) == {}
    assert set(_flags(kicked, Thresholds())) == {Cause.OVERCONFIDENCE}


def test_a_zero_disturbance_is_the_undisturbed_deploy():
    plant = make_real_plant(BASE, plant_config(BASE, FAULT_BENCH_SIM, Fault("observation", 0.05)), np.random.default_rng(1))
    a = deploy(plant, POLICY, TASK, np.random.default_rng(2), 1, 80)
    b = deploy(plant, POLICY, TASK, np.random.default_rng(2), 1, 80, disturbance=VelocityKicks(0.0))
    for field in ("obs", "action", "ctrl", "qpos", "qvel", "reward", "alive"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_velocity_kicks_are_applied_before_each_step():
    """A kicked episode differs from the plain one only after its first step, by the kick's
    effect; and one step from the recorded state with the kick reproduces the recorded next state."""
    plant = make_real_plant(BASE, plant_config(BASE, FAULT_BENCH_SIM, Fault("none")), np.random.default_rng(1))
    std = np.full(BASE.nv, 0.5)
    plain = deploy(plant, POLICY, TASK, np.random.default_rng(2), 1, 30)
    kicked = deploy(plant, POLICY, TASK, np.random.default_rng(2), 1, 30, disturbance=VelocityKicks(std))
    np.testing.assert_array_equal(plain.qpos[0, 0], kicked.qpos[0, 0])
    assert not np.allclose(plain.qvel[0, 1:], kicked.qvel[0, 1:])
    # the same generator draws the kicks last: replay them and the first step is reproduced
    rng = np.random.default_rng(2)
    deploy(plant, POLICY, TASK, rng, 1, 30)
    kicks = rng.standard_normal((30, 1, BASE.nv)) * std
    import mujoco

    d = mujoco.MjData(plant.model)
    d.qpos[:], d.qvel[:] = kicked.qpos[0, 0], kicked.qvel[0, 0] + kicks[0, 0]
    d.ctrl[:] = kicked.ctrl[0, 0]
    mujoco.mj_step(plant.model, d, nstep=TASK.substeps)
    np.testing.assert_allclose(d.qvel, kicked.qvel[0, 1], atol=1e-9)
    with pytest.raises(SimulationError, match="dofs"):
        deploy(plant, POLICY, TASK, np.random.default_rng(2), 1, 30, disturbance=VelocityKicks([1.0, 2.0, 3.0]))


def _two_episode_acsets(fault: Fault, seed: int, steps: int = 120):
    """The same sim side and two real episodes, recorded as one 2-episode stream and alone."""
    rng = np.random.default_rng(seed)
    sim = FAULT_BENCH_SIM
    ens = sim_ensemble(BASE, sim, 5, rng)
    sim_batch = rollout(ens, POLICY, TASK, rng, horizon=steps, obs_noise=ObservationNoise(std=sim.obs_noise),
                        latency=ActionLatency(0, sim.latency_max), nthread=1)
    plant = make_real_plant(BASE, plant_config(BASE, sim, fault), rng)
    episodes = [deploy(plant, POLICY, TASK, rng, 1, steps, nthread=1) for _ in range(2)]
    assert all(e.alive.all() for e in episodes)  # the LQR cartpole runs the whole horizon
    both = record_transfer(POLICY, ens, sim_batch, stack_episodes(episodes), plant, sim.level, TASK)
    alone = [record_transfer(POLICY, ens, sim_batch, e, plant, sim.level, TASK) for e in episodes]
    return both, alone


@pytest.mark.parametrize("fault", [Fault("none"), Fault("dynamics", 0.6), Fault("overconfidence", 0.4)])
def test_episodes_are_pooled_without_crossing_a_reset(fault):
    both, alone = _two_episode_acsets(fault, 8)
    ev = transfer_evidence(both, 0)
    one = [transfer_evidence(X, 0) for X in alone]
    n = np.array([e.n_steps for e in one])
    # transitions only inside an episode: one fewer per episode than steps
    assert ev.n_steps == n.sum() == 2 * (120 - 1)
    w = n / n.sum()
    # per-transition statistics pool as the transition-weighted mean of each episode's own
    assert ev.coverage == pytest.approx(w @ [e.coverage for e in one], rel=1e-12)
    assert ev.dynamics_error**2 == pytest.approx(w @ [e.dynamics_error**2 for e in one], rel=1e-9)
    assert ev.obs_variance_ratio == pytest.approx(w @ [e.obs_variance_ratio for e in one], rel=1e-9)
    assert ev.vfe_past == pytest.approx(w @ [e.vfe_past for e in one], rel=1e-9, abs=1e-9)
    # read as one run, the reset is a transition: the jump to a fresh initial state leaves the band
    steps = both.incident(both.subpart(both.subpart(0, "deploy"), "observe_real"), "stream")
    both.set_subpart(steps, "t_index", np.arange(len(steps)))
    both.set_subpart(steps, "episode", np.zeros(len(steps), np.int64))
    merged = transfer_evidence(both, 0)
    assert merged.n_steps == ev.n_steps + 1
    assert merged.dynamics_error > ev.dynamics_error


def test_first_real_episode_does_not_depend_on_how_many_follow():
    one, four = run("dynamics", 0.6, 3), run("dynamics", 0.6, 3, real_episodes=4)
    s1 = one.incident(one.subpart(one.subpart(0, "deploy"), "observe_real"), "stream")
    s4 = four.incident(four.subpart(four.subpart(0, "deploy"), "observe_real"), "stream")
    assert np.array_equal(np.bincount(four.subpart(s4, "episode")), [SMALL["steps"]] * 4)
    first = s4[four.subpart(s4, "episode") == 0]
    np.testing.assert_array_equal(one.subpart(s1, "next_state"), four.subpart(first, "next_state"))
    with pytest.raises(SimulationError, match="real_episodes"):
        run("none", 0.0, 3, real_episodes=0)


def test_same_seed_same_evidence():
    assert evidence("dynamics", 0.6, 4).as_dict() == evidence("dynamics", 0.6, 4).as_dict()


def test_thresholds_are_configurable():
    X = run("dynamics", 1.0, 21)
    assert diagnose_transfer_failure(X, 0).cause is Cause.DYNAMICS
    lax = Thresholds(coverage_deficit=1.0)
    assert diagnose_transfer_failure(X, 0, thresholds=lax).cause is Cause.NONE
    # everything unexplained counts as overconfidence when nothing may explain it
    strict = Thresholds(explained=1.01)
    assert diagnose_transfer_failure(X, 0, thresholds=strict).cause is Cause.OVERCONFIDENCE


def test_explanation_is_the_pad_split():
    d = diagnose_transfer_failure(run("observation", 0.05, 21), 0)
    past, future, verdict = d.explanation.split("\n")[:3]
    assert past.startswith("Past (VFE)") and future.startswith("Future (KL)")
    assert verdict.startswith(f"Cause: {Cause.OBSERVATION.value}")


def test_bad_input_raises_clear_errors():
    X = run("none", 0.0, 1)
    for bad in (1, -1, "0", 0.0, True):
        with pytest.raises(InstanceError, match="not a Policy part"):
            transfer_evidence(X, bad)
    extra = X.copy()
    extra.add_part("Parameter", parameter_name="body_mass/cart")
    with pytest.raises(InstanceError, match="Setup names"):
        transfer_evidence(extra, 0)
    hopper = X.copy()
    hopper.set_subpart(0, "task_name", "hopper")
    with pytest.raises(InstanceError, match="width"):
        transfer_evidence(hopper, 0)
    short = run("none", 0.0, 1, steps=8)
    with pytest.raises(InstanceError, match="at least"):
        transfer_evidence(short, 0)
    X.set_subpart(0, "deploy", -1)
    with pytest.raises(InstanceError, match="no real stream"):
        diagnose_transfer_failure(X, 0)


def test_diagnoses_a_run_experiment_acset():
    # nominal physics and clean sensors, only a latency beyond the sim's 0..3 steps
    plant = RealPlantConfig(latency=ActionLatency(6))
    cfg = default_config("cartpole").evolve(
        seed=2, sim={"n_sim": 4, "obs_noise": 0.0, "obs_bias": 0.0, "latency_max": 3, "randomization": None},
        real={"plant": plant},
        training={"steps": 80, "iterations": 3, "population": 8, "policies": (PolicySpec("dr", 1.0, 0.3),)},
        measure={"n_null": 39},
    )
    X = run_experiment(cfg, progress=False).acset
    ev = transfer_evidence(X, 0)
    assert ev.real_latency == X.subpart(X.subpart(0, "deploy"), "latency_steps") == 6
    assert ev.latency_delta >= 3  # the sim draws latencies in 0..3
    assert diagnose_transfer_failure(X, 0).cause is Cause.LATENCY


# --- the contact model -------------------------------------------------------------------

HOPPER = get_task("hopper")
HOPPER_BASE = HOPPER.load_model()
# PD stance gains from bench/diagnosis.py's search (seed 0): it keeps the hopper standing
STANCE = stance_policy(HOPPER_BASE, [1.136, 0.0, -1.661, -0.019, -0.667, 0.003, -0.096, -0.312])


def test_constraint_signature_tells_contact_from_flight():
    nq = HOPPER_BASE.nq
    x = np.zeros((3, nq + HOPPER_BASE.nv))
    x[:, :nq] = HOPPER_BASE.qpos0
    x[:, 1] += (-0.01, 0.3, 0.5)  # torso height: the foot in the floor, then off it
    sig = _constraint_signature(HOPPER_BASE, x)
    assert sig[0] != sig[1] and sig[1] == sig[2]


def test_hopper_latency_fault_is_diagnosed_on_a_standing_stream():
    X = fault_experiment(STANCE, HOPPER, Fault("latency", 2), 31, n_sim=4, steps=100)
    d = diagnose_transfer_failure(X, 0)
    true = X.subpart(X.subpart(0, "deploy"), "latency_steps")
    assert d.evidence.n_steps >= 50  # it stays up far longer than MIN_STEPS
    assert d.evidence.real_latency == true == FAULT_BENCH_SIM.latency_max + 2
    assert d.cause is Cause.LATENCY, d.explanation


def test_stance_policy_needs_the_hoppers_layout():
    with pytest.raises(SimulationError, match="hopper's 3 motors"):
        stance_policy(BASE, np.zeros(8))


def test_replayed_lag_recovers_the_latency_where_the_cross_correlation_misses():
    # seed 50: through contact the correlation of commands with the inferred control is
    # weak and peaks one step early in most episodes; the replay residual is not fooled
    X = fault_experiment(STANCE, HOPPER, Fault("latency", 1), 50, n_sim=4, steps=150, real_episodes=4)
    true = X.subpart(X.subpart(0, "deploy"), "latency_steps")
    real, sims, params, names = _policy_data(X, 0, HOPPER_BASE, read_setup(X).parameters)
    rep = _Replay(HOPPER_BASE, HOPPER.substeps)
    mean_model = apply_parameters(HOPPER_BASE, names, params.mean(axis=0))
    xcorr, peaks = _latency(rep, mean_model, real)
    assert np.sum(xcorr != true) >= 2 and peaks.max() < 0.6  # the case is a hard one
    dscale = np.ones(HOPPER_BASE.nv)
    assert np.all(_replay_lags(rep, mean_model, real, dscale)[0] == true)
    # each sim stream replayed through its own member gives the lags it drew
    for member, stream in zip(params, sims):
        lags = _replay_lags(rep, apply_parameters(HOPPER_BASE, names, member), stream, dscale)[0]
        assert np.all((0 <= lags) & (lags <= FAULT_BENCH_SIM.latency_max))
    d = diagnose_transfer_failure(X, 0)
    assert d.evidence.real_latency == true == FAULT_BENCH_SIM.latency_max + 1
    assert (d.evidence.sim_latency_low, d.evidence.sim_latency_high) == (0, FAULT_BENCH_SIM.latency_max)
    assert d.cause is Cause.LATENCY, d.explanation


@pytest.mark.parametrize("seed", [42, 43])
def test_hopper_mass_fault_is_explained_by_a_parameter_offset(seed):
    # link masses x2 through contact: far outside the 25% secant, refitted at the first fit
    X = fault_experiment(STANCE, HOPPER, Fault("dynamics", 1.0), seed, n_sim=4, steps=150, real_episodes=4)
    d = diagnose_transfer_failure(X, 0)
    assert d.evidence.dynamics_explained >= Thresholds().explained
    assert d.cause is Cause.DYNAMICS, d.explanation
    kicked = fault_experiment(STANCE, HOPPER, Fault("overconfidence", 0.4), seed, n_sim=4, steps=150, real_episodes=4)
    assert transfer_evidence(kicked, 0).dynamics_explained < Thresholds().explained
