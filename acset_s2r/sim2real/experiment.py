"""The sim2real experiment: train, deploy, record into an ACSet, measure and judge.

Every part of the seed's schema is backed by MuJoCo data:

- each ``Policy`` is trained by CEM on its own ensemble of ``SimEnv`` parts (``train``);
- each ``SimEnv`` has one ``Observation`` stream (``observe_sim``): the trained policy's
  rollout on that env's physics;
- each policy is deployed (``deploy``) to a ``RealEnv`` whose one stream (``observe_real``)
  records every real episode on the hidden plant, as episodes 0, 1, ... of its Steps;
- ``kl_gap(π)`` and ``transfer(π)`` are measured and judged from the recorded streams
  (:mod:`acset_s2r.sim2real.judge`).

:func:`run_experiment` is the orchestration; the stages it calls are, in order, the
config (:mod:`~acset_s2r.sim2real.config`), training and rollouts
(:mod:`~acset_s2r.sim2real.train`, :mod:`~acset_s2r.sim2real.rollout`), the recorder
(:mod:`~acset_s2r.sim2real.record`) and the verdict (:mod:`~acset_s2r.sim2real.judge`).
The report and the files are :mod:`~acset_s2r.sim2real.report`'s.
"""

from __future__ import annotations

import time

import attrs
import mujoco
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.progress import track
from acset_s2r.sim2real import kl
from acset_s2r.sim2real.config import ExperimentConfig, PolicySpec, SimSide, default_config
from acset_s2r.sim2real.judge import Verdict, gap_score, judge_policy, measure_gap
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlant, in_support, make_real_plant
from acset_s2r.sim2real.randomization import (
    Ensemble,
    PhysicsParams,
    RandomizationConfig,
    draw_parameters,
)
from acset_s2r.sim2real.record import (
    batch_samples,
    new_experiment,
    policy_samples,
    record_null,
    record_policy,
    task_setup,
)
from acset_s2r.sim2real.report import PolicyOutcome, report_text, save_experiment
from acset_s2r.sim2real.rollout import RolloutBatch, deploy, rollout
from acset_s2r.sim2real.tasks import Task, get_task
from acset_s2r.sim2real.train import TrainConfig, TrainResult, evaluate_policy, train_cem


@attrs.frozen(eq=False)
class ExperimentResult:
    """The filled ACSet, the gap estimates and verdicts per policy, and where files went."""

    acset: ACSet
    config: ExperimentConfig
    gaps: dict[str, kl.GapEstimate]
    verdicts: dict[str, Verdict]
    train_curves: dict[str, np.ndarray]
    out_dir: object | None
    wall_time: float
    outcomes: dict[str, PolicyOutcome] = attrs.field(factory=dict)
    policies: dict = attrs.field(factory=dict)
    """The trained policies by name."""

    def transferred(self) -> dict[str, bool]:
        """Policy name -> transfer(π) = π (the test's p-value ≥ α, i.e. kl_gap ≤ ε)."""
        return {name: v.transferred for name, v in self.verdicts.items()}

    def report(self) -> str:
        """The run's report as text (:func:`acset_s2r.sim2real.report.report_text`)."""
        return report_text(self.acset, self.config, self.outcomes, self.wall_time, self.out_dir)


@attrs.frozen(eq=False)
class _TrainedPolicy:
    spec: PolicySpec
    params: PhysicsParams
    trained: TrainResult
    sim_batch: RolloutBatch
    real_batch: RolloutBatch


def _sim_levers(sim: SimSide, level: float) -> tuple[ObservationNoise, ActionLatency]:
    """The sim side's own sensor and actuator levers, scaled with the randomisation level."""
    noise = ObservationNoise(std=sim.obs_noise * level, bias_std=sim.obs_bias * level)
    return noise, ActionLatency(0, round(sim.latency_max * level))


def _train_and_deploy(
    config: ExperimentConfig, spec: PolicySpec, task: Task, base: mujoco.MjModel, plant: RealPlant,
    rng: np.random.Generator, progress: bool, nthread: int = 0,
) -> tuple[_TrainedPolicy, PolicyOutcome]:
    """Draw a policy's ensemble, train on it, evaluate it there and deploy it to the plant."""
    dr = config.sim.ranges(base, spec.level)
    params = draw_parameters(base, dr, config.sim.n_sim, rng)
    ensemble = Ensemble(base, params)
    sim_noise, sim_latency = _sim_levers(config.sim, spec.level)
    steps = config.training.steps
    train_cfg = TrainConfig(
        generations=config.training.iterations, population=config.training.population, sigma=spec.sigma,
        init_std=config.training.init_std,
        horizon=steps, obs_noise=sim_noise, latency=sim_latency,
    )
    trained = train_cem(ensemble, task, rng, train_cfg, progress=progress, nthread=nthread)
    sim_batch = evaluate_policy(ensemble, trained.policy, task, rng, horizon=steps, obs_noise=sim_noise,
                                latency=sim_latency, nthread=nthread)
    real_batch = deploy(plant, trained.policy, task, rng, n_episodes=config.real.episodes, horizon=steps,
                        nthread=nthread)
    outcome = PolicyOutcome(
        real_returns=real_batch.returns.copy(),
        real_lengths=real_batch.lengths.copy(),
        outside_support=outside_support(plant, base, dr, sim_noise, sim_latency),
        real_obs=tuple(real_batch.obs[e, real_batch.alive[e]] for e in range(real_batch.n_envs)),
    )
    return _TrainedPolicy(spec, params, trained, sim_batch, real_batch), outcome


def draw_null(
    config: ExperimentConfig, level: float, policy, task: Task, base: mujoco.MjModel, X: ACSet, p: int,
    rng: np.random.Generator, nthread: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gaps, parameters, latencies) of ``n_null`` plants drawn from the randomisation at
    ``level``, each run as the real plant was (same policy, episodes and horizon; its latency
    fixed for all of its episodes, as the real plant's is) and scored against policy ``p``'s
    recorded sim streams by the test statistic (:func:`acset_s2r.sim2real.judge.gap_score`)."""
    n_null, episodes = config.measure.n_null, config.real.episodes
    params = draw_parameters(base, config.sim.ranges(base, level), n_null, rng)
    noise, latency = _sim_levers(config.sim, level)
    latencies = latency.sample(rng, n_null)
    plants = np.repeat(np.arange(n_null), episodes)
    batch = rollout(
        Ensemble(base, params).take(plants), policy, task, rng, horizon=config.training.steps,
        obs_noise=noise, latency=latencies[plants], nthread=nthread,
    )
    _, _, sim, sim_segments = policy_samples(X, p)
    gaps = np.array([
        gap_score(*batch_samples(batch, np.flatnonzero(plants == i)), sim, sim_segments) for i in range(n_null)
    ])
    return gaps, params.values, latencies


def null_rng(seed: int) -> np.random.Generator:
    """The null's own stream of random numbers: the runs do not depend on the null's size."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])


def run_experiment(
    config: ExperimentConfig | None = None, out_dir=None, progress: bool = True, json: bool = False,
    nthread: int = 0,
) -> ExperimentResult:
    """Train every policy on its ensemble, deploy to the real plant, record, measure and judge.

    ``config`` defaults to :func:`default_config` of the cartpole (what ``acset-s2r run`` runs);
    with ``out_dir`` the ACSet, a summary and plots are written there
    (:func:`acset_s2r.sim2real.report.save_experiment`); ``json`` adds the ACSets.jl row JSON.
    ``nthread`` threads step the MuJoCo batches (0: every core); the results do not depend on it.
    """
    config = default_config() if config is None else config
    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    task = get_task(config.model)
    base = task.load_model()
    plant = make_real_plant(base, config.real.plant_config(), rng)

    runs, outcomes = [], {}
    for spec in track(config.policy_specs(), "policies", enabled=progress):
        run, outcomes[spec.name] = _train_and_deploy(config, spec, task, base, plant, rng, progress, nthread)
        runs.append(run)

    setup = task_setup(task, base, runs[0].params.names, horizon=config.training.steps)
    X = new_experiment(setup, base.nq + base.nv, runs[0].trained.policy.to_vector().size)
    for run in runs:
        record_policy(
            X, run.spec.name, run.trained.policy, run.sim_batch, run.params.values, run.real_batch,
            plant, run.spec.level, config.seed,
        )

    gaps, verdicts = {}, {}
    rng_null = null_rng(config.seed)
    for p, run in zip(X.parts("Policy").tolist(), track(runs, "null plants", enabled=progress)):
        name = X.subpart(p, "policy_name")
        gaps[name] = measure_gap(X, p, rng)
        record_null(X, p, *draw_null(config, run.spec.level, run.trained.policy, task, base, X, p, rng_null, nthread))
        verdicts[name] = judge_policy(X, p, gaps[name], config.measure)
    curves = {run.spec.name: run.trained.history.mean_return for run in runs}
    if out_dir is not None:
        save_experiment(X, config, gaps, outcomes, curves, out_dir, json=json)
    policies = {run.spec.name: run.trained.policy for run in runs}
    return ExperimentResult(X, config, gaps, verdicts, curves, out_dir, time.perf_counter() - start, outcomes, policies)


def outside_support(
    plant: RealPlant, base: mujoco.MjModel, dr: RandomizationConfig, noise: ObservationNoise, latency: ActionLatency
) -> tuple[str, ...]:
    """The levers in which the real plant lies outside a policy's randomised sims."""
    out = [name for name, inside in in_support(plant, base, dr).items() if not inside]
    real_lat = plant.config.latency
    if real_lat.low < latency.low or real_lat.high > latency.high:
        out.append("latency")
    real_noise = plant.config.obs_noise
    if np.max(real_noise.std) > np.max(noise.std) + 1e-12:
        out.append("sensor noise")
    if np.max(real_noise.bias_std) > np.max(noise.bias_std) + 1e-12:
        out.append("sensor bias")
    return tuple(out)
