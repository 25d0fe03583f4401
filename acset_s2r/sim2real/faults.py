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

The plant is stepped by :func:`deploy_disturbed`, which with no disturbance draws
and steps exactly as :func:`acset_s2r.sim2real.plant.deploy` does, and the run is
recorded into a ``SchSim2RealTrajectory`` ACSet like ``run_experiment``'s: several real
episodes on the same faulty plant go into the one real stream as episodes 0, 1, ...
"""

from __future__ import annotations

import attrs
import mujoco
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.experiment import record_policy
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlant, RealPlantConfig, make_real_plant
from acset_s2r.sim2real.policy import LinearGaussianPolicy
from acset_s2r.sim2real.randomization import (
    Ensemble,
    Range,
    RandomizationConfig,
    playground_defaults,
    sample_ensemble,
)
from acset_s2r.sim2real.rollout import RolloutBatch, install_warning_handler, rollout
from acset_s2r.sim2real.schema import SchSim2RealTrajectory, trajectory_types
from acset_s2r.sim2real.tasks import Task

FAULT_KINDS = ("none", "observation", "dynamics", "latency", "overconfidence")


@attrs.frozen
class SimSide:
    """The sim's levers: randomisation level, sensor noise std, latency range {0..latency_max}."""

    level: float = 1.0
    obs_noise: float = 0.01
    latency_max: int = 1

    def ensemble(self, base: mujoco.MjModel, n: int, rng: np.random.Generator) -> Ensemble:
        return sample_ensemble(base, playground_defaults(base, self.level), n, rng)


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
    ranges = list(playground_defaults(base, 1.0).ranges) if level > 0 else []
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


def deploy_disturbed(
    plant: RealPlant,
    policy: LinearGaussianPolicy,
    task: Task,
    rng: np.random.Generator,
    horizon: int,
    kick_std: np.ndarray | None = None,
) -> RolloutBatch:
    """One real episode, with an optional velocity kick of std ``kick_std`` (nv,) per control step.

    Random draws come in :func:`rollout`'s order (initial state, sensor noise,
    latency, action noise), the kicks last, so with no kick the episode is the one
    ``deploy(plant, policy, task, rng, 1, horizon)`` gives from the same generator.
    """
    install_warning_handler()
    m = plant.model
    nq, nv, nu, nobs = m.nq, m.nv, m.nu, m.nsensordata
    qpos0, qvel0 = task.initial_state(m, 1, rng)
    noise, bias = plant.config.obs_noise.sample(rng, horizon, 1, nobs)
    delay = int(plant.config.latency.sample(rng, 1)[0])
    action_noise = rng.standard_normal((horizon, 1, nu)) * policy.sigma[None]
    kicks = None
    if kick_std is not None and np.any(kick_std):
        kicks = rng.standard_normal((horizon, nv)) * np.asarray(kick_std, float)
    offset = policy.bias - policy.gain @ policy.obs_ref
    substeps = plant.substeps(task)

    d = mujoco.MjData(m)
    d.qpos[:], d.qvel[:] = qpos0[0], qvel0[0]
    mujoco.mj_forward(m, d)
    obs = np.empty((horizon, nobs))
    clean = np.empty((horizon, nobs))
    acts = np.zeros((delay + horizon, nu))  # rows before `delay` are the pre-episode zero commands
    qpos = np.empty((horizon + 1, nq))
    qvel = np.empty((horizon + 1, nv))
    times = np.empty(horizon)
    qpos[0], qvel[0] = d.qpos, d.qvel
    for t in range(horizon):
        clean[t] = d.sensordata
        obs[t] = clean[t] + noise[t, 0]
        a = policy.gain @ obs[t] + offset + action_noise[t, 0]
        acts[delay + t] = np.clip(a, policy.ctrl_low, policy.ctrl_high)
        d.ctrl[:] = acts[t]
        times[t] = d.time
        if kicks is not None:
            d.qvel[:] += kicks[t]
        mujoco.mj_step(m, d, nstep=substeps)
        if not (np.all(np.isfinite(d.qpos)) and np.all(np.isfinite(d.qvel))):
            raise SimulationError(f"real plant diverged at step {t}")
        mujoco.mj_forward(m, d)  # sensors at the new state, not one step stale
        qpos[t + 1], qvel[t + 1] = d.qpos, d.qvel

    ctrl = acts[:horizon]
    reward = task.reward(qpos[1:], qvel[1:], ctrl)
    unhealthy = task.terminated(qpos[1:], qvel[1:])
    alive = (np.cumsum(unhealthy) - unhealthy) == 0
    return RolloutBatch(
        obs=obs[None], obs_clean=clean[None], action=acts[delay:][None], ctrl=ctrl[None],
        time=times[None], qpos=qpos[None], qvel=qvel[None], reward=np.asarray(reward, float)[None],
        terminated=(unhealthy & alive)[None], alive=alive[None], obs_bias=bias,
        latency=np.array([delay]), control_dt=np.array([plant.control_dt(task)]),
    )


def stack_episodes(batches: list[RolloutBatch]) -> RolloutBatch:
    """One batch whose envs are the given single-episode batches, in order."""
    if not batches:
        raise SimulationError("stack_episodes: no episode to stack")
    fields = {f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in attrs.fields(RolloutBatch)}
    return RolloutBatch(**fields)


def typical_velocity_change(batch: RolloutBatch) -> np.ndarray:
    """(nv,) RMS one-step velocity change per dof over the live steps of a batch."""
    dv = np.diff(batch.qvel, axis=1)[batch.alive]
    return np.sqrt(np.mean(dv**2, axis=0))


def record_transfer(
    policy: LinearGaussianPolicy,
    ensemble: Ensemble,
    sim_batch: RolloutBatch,
    real_batch: RolloutBatch,
    plant: RealPlant,
    level: float,
    name: str = "policy",
    seed: int = 0,
) -> ACSet:
    """One Policy, its ``train`` ensemble with one sim stream each, and one deployed real stream
    holding every episode of ``real_batch`` (``real_return`` is their mean)."""
    base = ensemble.base
    X = ACSet(
        SchSim2RealTrajectory,
        **trajectory_types(base.nsensordata, base.nu, base.nq + base.nv, len(ensemble.params.names),
                           policy.to_vector().size),
    )
    record_policy(
        X, name, policy, sim_batch, ensemble.params.values, real_batch,
        plant.parameters(ensemble.params.names), plant, level, seed,
    )
    return X


def fault_experiment(
    policy: LinearGaussianPolicy,
    task: Task,
    fault: Fault,
    seed: int,
    *,
    sim: SimSide = SimSide(),
    n_sim: int = 8,
    steps: int = 200,
    real_episodes: int = 1,
) -> ACSet:
    """Roll ``policy`` out on a sim ensemble and on a real plant with ``fault``; record both.

    The real plant runs ``real_episodes`` fresh episodes of ``steps`` steps, recorded as the
    episodes of one real stream; the first is the same whatever their number. Everything is
    drawn from ``numpy.random.default_rng(seed)``.
    """
    if isinstance(real_episodes, bool) or not isinstance(real_episodes, (int, np.integer)) or real_episodes < 1:
        raise SimulationError(f"real_episodes must be a positive integer, got {real_episodes!r}")
    rng = np.random.default_rng(seed)
    base = task.load_model()
    ensemble = sim.ensemble(base, n_sim, rng)
    sim_batch = rollout(
        ensemble, policy, task, rng, horizon=steps, obs_noise=ObservationNoise(std=sim.obs_noise),
        latency=ActionLatency(0, sim.latency_max), nthread=1,
    )
    plant = make_real_plant(base, plant_config(base, sim, fault), rng)
    kick = None
    if fault.kind == "overconfidence":
        kick = fault.magnitude * typical_velocity_change(sim_batch)
    real_batch = stack_episodes([deploy_disturbed(plant, policy, task, rng, steps, kick) for _ in range(real_episodes)])
    return record_transfer(policy, ensemble, sim_batch, real_batch, plant, sim.level, seed=seed)
