"""Fault injection: a sim ensemble, and a real plant that differs from it in one lever.

The sim side is a domain-randomised ensemble with its own observation noise and
action latency range. With no fault the real plant is one more draw from that
same distribution (physics, noise level and latency all inside the sim's
support), so "none" is not the trivial identical plant. A fault moves exactly
one lever out of the sim's support:

- ``observation``: extra Gaussian sensor noise, std ``magnitude`` on every channel;
- ``dynamics``: every link mass multiplied by ``1 + magnitude`` (inertia with it);
- ``latency``: ``magnitude`` more control steps of action latency than the sim's maximum;
- ``overconfidence``: an unmodelled random disturbance, a velocity kick at the start of
  each control step with std ``magnitude`` times the dof's typical one-step velocity
  change in the sim. The sim ensemble is deterministic given state and action, so its
  spread cannot cover it.

The plant is stepped by :func:`acset_s2r.sim2real.rollout.deploy`, the overconfidence
fault as its :class:`~acset_s2r.sim2real.rollout.VelocityKicks` disturbance, and the run is
recorded into a ``SchSim2RealTrajectory`` ACSet like ``run_experiment``'s: several real
episodes on the same faulty plant go into the one real stream as episodes 0, 1, ...

:func:`fault_log_experiment` is the same bench seen from logs alone: the faulty plant logs as
a robot does (:mod:`acset_s2r.sim2real.robotlog`: jittered control ticks, a latency in
seconds), and the ACSet holds only what a LeRobot dataset holds, resampled onto the control
grid. Its sim ensemble is logged the same way at the same ticks, so both sides are observed
alike.
"""

from __future__ import annotations

import attrs
import mujoco
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.config import SimSide
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlant, RealPlantConfig, make_real_plant
from acset_s2r.sim2real.policy import LinearGaussianPolicy
from acset_s2r.sim2real.randomization import (
    Ensemble,
    Range,
    RandomizationConfig,
    sample_ensemble,
)
from acset_s2r.sim2real.record import new_experiment, record_log_policy, record_policy, task_setup
from acset_s2r.sim2real.robotlog import jittered_clock, log_ensemble, robot_log
from acset_s2r.sim2real.rollout import RolloutBatch, VelocityKicks, deploy, rollout, stack_episodes
from acset_s2r.sim2real.tasks import Task

FAULT_KINDS = ("none", "observation", "dynamics", "latency", "overconfidence")


FAULT_BENCH_SIM = SimSide(level=1.0, obs_noise=0.01, latency_max=1)
"""The fault bench's sim side: Playground ranges at level 1, sensor noise σ 0.01, latency 0..1 steps."""


def sim_ensemble(base: mujoco.MjModel, sim: SimSide, n: int, rng: np.random.Generator) -> Ensemble:
    """``n`` members drawn from the sim side's ranges (Playground's by default) at its level."""
    return sample_ensemble(base, sim.ranges(base, sim.level), n, rng)


@attrs.frozen
class Fault:
    """One injected cause and its size (units per kind: see the module docstring)."""

    kind: str = "none"
    magnitude: float = 0.0

    def __attrs_post_init__(self):
        if self.kind not in FAULT_KINDS:
            raise SimulationError(f"unknown fault {self.kind!r}; kinds are {', '.join(FAULT_KINDS)}")
        if not (np.isfinite(self.magnitude) and self.magnitude >= 0):
            raise SimulationError(f"fault magnitude must be finite and >= 0, got {self.magnitude}")


def plant_config(base: mujoco.MjModel, sim: SimSide, fault: Fault) -> RealPlantConfig:
    """The real plant: a fresh draw from the sim's distribution, then the fault on top."""
    level = sim.level
    ranges = list(sim.ranges(base, 1.0).ranges) if level > 0 else []
    level = level if level > 0 else 1.0
    noise = sim.obs_noise
    latency = ActionLatency(0, sim.latency_max)
    if fault.kind == "dynamics":
        # the curriculum level scales a factor f to 1 + level·(f - 1); undo that for the fault
        f = 1.0 + fault.magnitude / level
        ranges.append(Range("body_mass", f, f))
    elif fault.kind == "observation":
        noise = float(np.hypot(sim.obs_noise, fault.magnitude))
    elif fault.kind == "latency":
        k = sim.latency_max + int(round(fault.magnitude))
        latency = ActionLatency(k, k)
    return RealPlantConfig(
        physics=RandomizationConfig(tuple(ranges), level=level),
        obs_noise=ObservationNoise(std=noise),
        latency=latency,
    )


def typical_velocity_change(runs) -> np.ndarray:
    """(nv,) RMS one-step velocity change per dof: over the live steps of a RolloutBatch, or
    over every episode of logs that hold the true state (on the control grid)."""
    if isinstance(runs, RolloutBatch):
        dv = np.diff(runs.qvel, axis=1)[runs.alive]
    else:
        dv = np.concatenate([np.diff(e.qvel, axis=0) for log in runs for e in log.episodes])
    return np.sqrt(np.mean(dv**2, axis=0))


def record_transfer(
    policy: LinearGaussianPolicy,
    ensemble: Ensemble,
    sim_batch: RolloutBatch,
    real_batch: RolloutBatch,
    plant: RealPlant,
    level: float,
    task: Task,
    name: str = "policy",
    seed: int = 0,
) -> ACSet:
    """One Policy, its ``train`` ensemble with one sim stream each, and one deployed real stream
    holding every episode of ``real_batch`` (``real_return`` is their mean)."""
    base = ensemble.base
    X = new_experiment(task_setup(task, base, ensemble.params.names), base.nq + base.nv, policy.to_vector().size)
    record_policy(X, name, policy, sim_batch, ensemble.params.values, real_batch, plant, level, seed)
    return X


def _check_real_episodes(real_episodes) -> None:
    if isinstance(real_episodes, bool) or not isinstance(real_episodes, (int, np.integer)) or real_episodes < 1:
        raise SimulationError(f"real_episodes must be a positive integer, got {real_episodes!r}")


def _sim_runs(policy, task: Task, sim: SimSide, n_sim: int, steps: int, rng: np.random.Generator):
    """(nominal model, ensemble, its rollouts): the bench's sim side, drawn first from ``rng``."""
    base = task.load_model()
    ensemble = sim_ensemble(base, sim, n_sim, rng)
    sim_batch = rollout(
        ensemble, policy, task, rng, horizon=steps, obs_noise=ObservationNoise(std=sim.obs_noise),
        latency=ActionLatency(0, sim.latency_max), nthread=1,
    )
    return base, ensemble, sim_batch


def fault_experiment(
    policy: LinearGaussianPolicy,
    task: Task,
    fault: Fault,
    seed: int,
    *,
    sim: SimSide = FAULT_BENCH_SIM,
    n_sim: int = 8,
    steps: int = 200,
    real_episodes: int = 1,
) -> ACSet:
    """Roll ``policy`` out on a sim ensemble and on a real plant with ``fault``; record both.

    The real plant runs ``real_episodes`` fresh episodes of ``steps`` steps, recorded as the
    episodes of one real stream; the first is the same whatever their number. Everything is
    drawn from ``numpy.random.default_rng(seed)``.
    """
    _check_real_episodes(real_episodes)
    rng = np.random.default_rng(seed)
    base, ensemble, sim_batch = _sim_runs(policy, task, sim, n_sim, steps, rng)
    plant = make_real_plant(base, plant_config(base, sim, fault), rng)
    kicks = None
    if fault.kind == "overconfidence":
        kicks = VelocityKicks(fault.magnitude * typical_velocity_change(sim_batch))
    # one episode at a time, so the first is the same whatever their number
    real_batch = stack_episodes(
        [deploy(plant, policy, task, rng, 1, steps, nthread=1, disturbance=kicks) for _ in range(real_episodes)]
    )
    return record_transfer(policy, ensemble, sim_batch, real_batch, plant, sim.level, task, seed=seed)


#: Jitter of the logging robot's control ticks, a fraction of the control period.
LOG_JITTER = 0.15


def fault_log_experiment(
    policy: LinearGaussianPolicy,
    task: Task,
    fault: Fault,
    seed: int,
    *,
    sim: SimSide = FAULT_BENCH_SIM,
    n_sim: int = 8,
    steps: int = 200,
    real_episodes: int = 4,
    jitter: float = LOG_JITTER,
) -> tuple[ACSet, float]:
    """(ACSet, true latency in s): the bench seen from logs alone.

    The real plant is drawn as :func:`fault_experiment` draws it and logs as a robot does. Its
    latency is a real number of control steps: uniform in the sim's range, or for a latency
    fault ``sim.latency_max + magnitude + 0.5`` (never a whole step); the overconfidence
    fault's kicks come per physics step, sized so that a control step's kick matches
    :func:`fault_experiment`'s. The sim ensemble is logged the same way at the same ticks
    (:func:`~acset_s2r.sim2real.robotlog.log_ensemble`, latencies uniform over the sim's
    range), so an in-support plant is one more member, observed, commanded and resampled
    alike."""
    _check_real_episodes(real_episodes)
    rng = np.random.default_rng(seed)
    base = task.load_model()
    ensemble = sim_ensemble(base, sim, n_sim, rng)
    # the latency fault lives in the log's timing; its plant keeps the sim's latency range
    physics = plant_config(base, sim, fault if fault.kind != "latency" else Fault("none"))
    plant = make_real_plant(base, physics, rng)
    dt = task.control_dt(base)
    lag = rng.uniform(0, sim.latency_max) if fault.kind != "latency" else sim.latency_max + fault.magnitude + 0.5
    clocks = [jittered_clock(steps, dt, jitter, rng) for _ in range(real_episodes)]
    sim_logs, _ = log_ensemble(ensemble, policy, task, rng, clocks, latency=(0.0, float(sim.latency_max)),
                               obs_noise=sim.obs_noise)
    sim_logs = [s.resample(dt) for s in sim_logs]
    kicks = None
    if fault.kind == "overconfidence":
        kicks = fault.magnitude * typical_velocity_change(sim_logs) / np.sqrt(task.substeps)
    log = robot_log(plant.model, policy, task, rng, episodes=real_episodes, latency=lag * dt, clocks=clocks,
                    obs_noise=float(np.mean(physics.obs_noise.std)), kick_std=kicks)
    X = new_experiment(task_setup(task, base, ensemble.params.names), base.nq + base.nv, policy.to_vector().size)
    record_log_policy(X, "policy", policy, sim_logs, ensemble.params.values, log.resample(dt), sim.level, seed,
                      log.sampling())
    return X, lag * dt
