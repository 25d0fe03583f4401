"""Training linear-Gaussian policies by the cross-entropy method over a randomised ensemble.

The objective of a policy π over the training models is the max-entropy return

    J(π) = E[ Σ_t (r_t + α·H(π)) ] = E[R] + α·H(π)·E[episode length],

with H(π) = Σ ½ ln(2πeσ²) the entropy of its action noise and α = ``entropy_coef``
(ksim's default is 0.01). σ is either set (``train_sigma=False``) or searched
over as log σ together with the gains. Each generation rolls out every
candidate on every training model in one batched rollout, candidates sharing
initial states (common random numbers) so that their ranking is less noisy.
"""

from __future__ import annotations

import time
from typing import Sequence

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.progress import track
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.policy import LinearGaussianPolicy, zero_policy
from acset_s2r.sim2real.randomization import Ensemble
from acset_s2r.sim2real.rollout import RolloutBatch, rollout
from acset_s2r.sim2real.tasks import Task


def _positive(instance, attribute, value):
    if not value > 0:
        raise SimulationError(f"TrainConfig.{attribute.name} must be > 0, got {value}")


def _nonneg(instance, attribute, value):
    if not value >= 0:
        raise SimulationError(f"TrainConfig.{attribute.name} must be >= 0, got {value}")


@attrs.frozen
class TrainConfig:
    """Cross-entropy-method settings and the sim-side levers used while training.

    ``sigma`` is the action-noise std (the start value when ``train_sigma``).
    ``init_std`` is the search std of every gain and bias, ``log_sigma_std`` that
    of log σ; ``min_std`` is added in quadrature each generation so the search
    never collapses. ``obs_noise`` and ``latency`` are injected in training
    rollouts, as Playground and ksim do.
    """

    generations: int = attrs.field(default=15, validator=_positive)
    population: int = attrs.field(default=24, validator=_positive)
    elite_frac: float = attrs.field(default=0.25, validator=_positive)
    init_std: float = attrs.field(default=1.0, validator=_positive)
    log_sigma_std: float = attrs.field(default=0.5, validator=_positive)
    min_std: float = attrs.field(default=0.02, validator=_nonneg)
    sigma: float = attrs.field(default=0.1, validator=_nonneg)
    train_sigma: bool = False
    entropy_coef: float = attrs.field(default=0.01, validator=_nonneg)
    episodes_per_model: int = attrs.field(default=1, validator=_positive)
    horizon: int | None = None
    obs_noise: ObservationNoise | None = None
    latency: ActionLatency | int = 0

    def __attrs_post_init__(self):
        if self.elite_frac > 1:
            raise SimulationError(f"TrainConfig.elite_frac must be in (0, 1], got {self.elite_frac}")
        if self.train_sigma and self.sigma <= 0:
            raise SimulationError("train_sigma needs a positive starting sigma")


@attrs.frozen(eq=False)
class TrainHistory:
    """Per generation (G,): objective, return and length of the search mean; best and
    elite-mean objectives of the samples; the mean action-noise std; the search std norm."""

    objective: np.ndarray
    mean_return: np.ndarray
    mean_length: np.ndarray
    best_objective: np.ndarray
    elite_objective: np.ndarray
    sigma: np.ndarray
    search_std: np.ndarray


@attrs.frozen(eq=False)
class TrainResult:
    """The trained policy (the final search mean), its history, cost and settings."""

    policy: LinearGaussianPolicy
    history: TrainHistory
    env_steps: int
    wall_time: float
    config: TrainConfig


def objective(batch: RolloutBatch, entropy: np.ndarray, entropy_coef: float) -> np.ndarray:
    """Per-episode max-entropy return R + α·H·length, (N,); ``entropy`` is (N,) per env."""
    bonus = np.where(np.isfinite(entropy), entropy, 0.0) * entropy_coef
    return batch.returns + bonus * batch.lengths


def mean_and_se(x: np.ndarray) -> tuple[float, float]:
    """Mean and standard error of a sample."""
    x = np.asarray(x, float).ravel()
    if x.size < 2:
        raise SimulationError("a standard error needs at least two samples")
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(x.size))


def _repeat_members(models, reps: int, tiles: int = 1):
    """Env physics for members repeated ``reps`` times each, the whole tiled ``tiles`` times."""
    if isinstance(models, Ensemble):
        idx = np.tile(np.repeat(np.arange(len(models)), reps), tiles)
        return models.take(idx)
    if isinstance(models, mujoco.MjModel):
        models = [models]
    return [m for m in models for _ in range(reps)] * tiles


def _n_members(models) -> int:
    return 1 if isinstance(models, mujoco.MjModel) else len(models)


def _base(models) -> mujoco.MjModel:
    if isinstance(models, Ensemble):
        return models.base
    return models if isinstance(models, mujoco.MjModel) else models[0]


def evaluate_policy(
    models: Ensemble | mujoco.MjModel | Sequence[mujoco.MjModel],
    policy: LinearGaussianPolicy,
    task: Task,
    rng: np.random.Generator,
    episodes_per_model: int = 1,
    horizon: int | None = None,
    obs_noise: ObservationNoise | None = None,
    latency: ActionLatency | int = 0,
    nthread: int = 0,
) -> RolloutBatch:
    """Roll a policy out ``episodes_per_model`` times on each model (env-major by model)."""
    return rollout(
        _repeat_members(models, episodes_per_model), policy, task, rng, horizon=horizon, obs_noise=obs_noise,
        latency=latency, nthread=nthread,
    )


def train_cem(
    models: Ensemble | mujoco.MjModel | Sequence[mujoco.MjModel],
    task: Task,
    rng: np.random.Generator,
    config: TrainConfig = TrainConfig(),
    init_policy: LinearGaussianPolicy | None = None,
    progress: bool = True,
    nthread: int = 0,
) -> TrainResult:
    """Train a linear-Gaussian policy by CEM on the training ``models`` (the train morphism).

    ``models`` is best an :class:`Ensemble` (the fast path). Every generation
    evaluates the search mean and ``population`` samples on each model
    ``episodes_per_model`` times, all in one batched rollout, and refits
    the mean and std to the elite samples.
    """
    if _n_members(models) == 0:
        raise SimulationError("train_cem needs at least one training model")
    base = _base(models)
    init = init_policy if init_policy is not None else zero_policy(base, sigma=config.sigma, task=task)
    if init_policy is not None and not config.train_sigma:
        init = init.with_sigma(config.sigma)
    train_sigma = config.train_sigma
    mu = init.to_vector(include_sigma=train_sigma)
    std = np.full(mu.shape, config.init_std)
    if train_sigma:
        std[-init.nu :] = config.log_sigma_std

    pop, n_models, reps = config.population, _n_members(models), config.episodes_per_model
    n_elite = max(1, int(round(config.elite_frac * pop)))
    per_candidate = n_models * reps
    env_models = _repeat_members(models, reps, pop + 1)
    horizon = task.horizon if config.horizon is None else config.horizon

    hist = {k: np.zeros(config.generations) for k in attrs.fields_dict(TrainHistory)}
    env_steps = 0
    start = time.perf_counter()
    bar = track(range(config.generations), f"CEM {task.name}", enabled=progress, leave=False)
    for g in bar:
        samples = mu + std * rng.standard_normal((pop, mu.size))
        candidates = np.vstack([mu[None], samples])
        policies = [init.with_vector(c, include_sigma=train_sigma) for c in candidates]
        env_policies = [p for p in policies for _ in range(per_candidate)]
        qpos0, qvel0 = task.initial_state(base, per_candidate, rng)
        init_state = (np.tile(qpos0, (pop + 1, 1)), np.tile(qvel0, (pop + 1, 1)))
        batch = rollout(
            env_models, env_policies, task, rng, horizon=horizon,
            obs_noise=config.obs_noise, latency=config.latency,
            initial_state=init_state, nthread=nthread,
        )
        env_steps += batch.n_envs * batch.horizon
        entropy = np.repeat([p.entropy() for p in policies], per_candidate)
        J = objective(batch, entropy, config.entropy_coef).reshape(pop + 1, per_candidate)
        J = J.mean(axis=1)
        elite = np.argsort(-J[1:], kind="stable")[:n_elite] + 1
        hist["objective"][g] = J[0]
        hist["mean_return"][g] = batch.returns[:per_candidate].mean()
        hist["mean_length"][g] = batch.lengths[:per_candidate].mean()
        hist["best_objective"][g] = J[1:].max()
        hist["elite_objective"][g] = J[elite].mean()
        hist["sigma"][g] = policies[0].sigma.mean()
        hist["search_std"][g] = np.linalg.norm(std)
        mu = candidates[elite].mean(axis=0)
        std = np.sqrt(candidates[elite].var(axis=0) + config.min_std**2)
        bar.set_postfix(ret=f"{hist['mean_return'][g]:.1f}", elite=f"{J[elite].mean():.1f}")
    bar.close()
    policy = init.with_vector(mu, include_sigma=train_sigma)
    return TrainResult(
        policy=policy,
        history=TrainHistory(**hist),
        env_steps=env_steps,
        wall_time=time.perf_counter() - start,
        config=config,
    )
