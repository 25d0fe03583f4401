"""The sim2real experiment: train, deploy, record into an ACSet, measure the gap.

Every part of the seed's schema is backed by MuJoCo data:

- each ``Policy`` is trained by CEM on its own ensemble of ``SimEnv`` parts (``train``);
- each ``SimEnv`` has one ``Observation`` stream (``observe_sim``): the trained policy's
  rollout on that env's physics;
- each policy is deployed (``deploy``) to a ``RealEnv``: one episode of the hidden
  real plant, whose stream is ``observe_real``;
- ``kl_gap(π) = KL(real || sim)`` between the steps reached by ``deploy ⋅ observe_real``
  and those reached by the converse of ``train`` then ``observe_sim`` (the randomised
  mixture P_sim_randomized), estimated on observation transitions (o_t, o_{t+1});
- ``transfer(π) = π`` when ``kl_gap(π) < eps + floor`` (the sim-vs-held-out-sim noise
  floor) and undefined otherwise, so the seed's constraint ``kl_gap < eps ⇒ transfer(π) = π``
  holds by construction and is checked as data (:func:`seed_constraint`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import sympy

from acset_s2r.acset import ACSet
from acset_s2r.constraints import Constraint, violations
from acset_s2r.errors import SimulationError
from acset_s2r.serialization import atomic_write_text, write_json
from acset_s2r.sim2real import kl
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlantConfig, deploy, fixed, make_real_plant
from acset_s2r.sim2real.randomization import Ensemble, RandomizationConfig, draw_parameters, playground_defaults
from acset_s2r.sim2real.rollout import RolloutBatch
from acset_s2r.sim2real.schema import SchSim2RealTrajectory, trajectory_types
from acset_s2r.sim2real.tasks import get_task
from acset_s2r.sim2real.train import TrainConfig, evaluate, train_cem

_kl_gap, _eps, _transfer, _part = sympy.symbols("kl_gap eps transfer part")

DEFAULT_EPS = 1.0
"""Transfer threshold on kl_gap in nats. Sim against held-out sim sits near 0.1 nats on the
cartpole (the noise floor); one unmodelled lever (noise, latency) gives tens of nats. 1 nat
is an order of magnitude above the floor and well below a single gross mismatch."""


def seed_constraint(eps: float = DEFAULT_EPS) -> Constraint:
    """The seed's key constraint: kl_gap(π) < ε implies transfer(π) = π."""
    return Constraint(
        "transfer_is_identity_when_gap_small",
        "Policy",
        conclusion=sympy.Eq(_transfer, _part),
        premise=_kl_gap < _eps,
        params={"eps": eps},
    )


@attrs.frozen
class PolicySpec:
    """One policy to train: its name, randomisation level and action noise σ (entropy of Q)."""

    name: str
    level: float
    sigma: float


def default_policies(level: float) -> tuple[PolicySpec, ...]:
    """With and without domain randomisation, at low and high entropy."""
    return (
        PolicySpec("nominal-lowH", 0.0, 0.05),
        PolicySpec("nominal-highH", 0.0, 0.3),
        PolicySpec("dr-lowH", level, 0.05),
        PolicySpec("dr-highH", level, 0.3),
    )


def default_real_plant(model: str, noise: float, latency: int) -> RealPlantConfig:
    """The hidden plant: heavier, more damped links, a weaker motor, noisy delayed sensing."""
    physics = RandomizationConfig(
        (
            fixed("body_mass", 1.25),
            fixed("dof_damping", 2.0),
            fixed("actuator_gain", 0.85),
        )
    )
    return RealPlantConfig(
        physics=physics,
        obs_noise=ObservationNoise(std=noise, bias_std=noise / 2),
        latency=ActionLatency(latency),
    )


@attrs.frozen
class ExperimentConfig:
    """Everything that defines a run; the seed makes it reproducible."""

    model: str = "cartpole"
    n_sim: int = 8
    level: float = 1.0
    real_noise: float = 0.02
    real_latency: int = 2
    sim_noise: float = 0.02
    sim_latency_max: int = 3
    steps: int = 300
    iterations: int = 10
    population: int = 24
    seed: int = 0
    eps: float = DEFAULT_EPS
    policies: tuple[PolicySpec, ...] | None = None
    real_plant: RealPlantConfig | None = None

    @classmethod
    def for_model(cls, **overrides: Any) -> ExperimentConfig:
        if overrides.get("model", "cartpole") == "hopper":
            overrides.setdefault("steps", 200)
        return cls(**overrides)

    def __attrs_post_init__(self) -> None:
        get_task(self.model)  # clear error for an unknown model
        if self.n_sim < 2:
            raise SimulationError(f"n_sim must be at least 2, got {self.n_sim}")
        if not 0.0 <= self.level <= 1.0:
            raise SimulationError(f"level must be in [0, 1], got {self.level}")
        if self.steps < 10 or self.iterations < 1 or self.population < 2:
            raise SimulationError("steps >= 10, iterations >= 1 and population >= 2 are needed")

    def policy_specs(self) -> tuple[PolicySpec, ...]:
        return self.policies if self.policies is not None else default_policies(self.level)

    def plant_config(self) -> RealPlantConfig:
        if self.real_plant is not None:
            return self.real_plant
        return default_real_plant(self.model, self.real_noise, self.real_latency)


@attrs.frozen(eq=False)
class ExperimentResult:
    """The filled ACSet, the gap estimates per policy, and where files went."""

    acset: ACSet
    config: ExperimentConfig
    gaps: dict[str, kl.GapEstimate]
    train_curves: dict[str, np.ndarray]
    out_dir: Path | None
    wall_time: float

    def report(self) -> str:
        X = self.acset
        lines = [
            f"sim2real experiment on {self.config.model}: {X.nparts('Policy')} policies, "
            f"{X.nparts('SimEnv')} sim envs, {X.nparts('Step')} steps recorded, seed {self.config.seed}, "
            f"{self.wall_time:.1f} s",
            "",
            f"{'policy':<15}{'σ':>6}{'level':>7}{'sim return':>12}{'real return':>13}"
            f"{'kl_gap':>9}{'floor':>8}{'95% CI':>17}  transferred",
        ]
        for p in X.parts("Policy").tolist():
            name = X.subpart(p, "policy_name")
            g = self.gaps[name]
            ok = X.subpart(p, "transfer") == p
            lines.append(
                f"{name:<15}{X.subpart(p, 'action_noise'):>6.2f}"
                f"{X.subpart(X.incident(p, 'train')[0], 'randomization_level'):>7.2f}"
                f"{X.subpart(p, 'sim_return'):>12.1f}{X.subpart(p, 'real_return'):>13.1f}"
                f"{g.value:>9.2f}{g.floor:>8.2f}{f'[{g.ci_low:.2f}, {g.ci_high:.2f}]':>17}  "
                f"{'yes' if ok else 'no'}"
            )
        bad = violations(X, [seed_constraint(self.config.eps)])
        lines += [
            "",
            f"kl_gap = KL(real || sim) in nats on observation transitions (o_t, o_t+1), Gaussian estimator; "
            f"transfer(π) = π when kl_gap < ε + floor, ε = {self.config.eps}.",
            "seed constraint kl_gap < ε ⇒ transfer(π) = π: "
            + ("holds for every policy" if not bad else "; ".join(map(str, bad))),
        ]
        if self.out_dir is not None:
            lines.append(f"wrote {self.out_dir}/experiment.json and PNG plots")
        return "\n".join(lines)


def _add_stream(X: ACSet, batch: RolloutBatch, env: int, domain: str) -> int:
    """Record one episode's live steps as one Observation stream; return the stream id."""
    alive = batch.alive[env]
    n = int(alive.sum())
    stream = X.add_part("Observation", domain=domain, episode_return=float(batch.returns[env]))
    next_state = np.concatenate([batch.next_qpos[env], batch.next_qvel[env]], axis=1)
    start = X.nparts("Step")
    ids = np.arange(start, start + n)
    X.add_parts(
        "Step",
        n,
        stream=np.full(n, stream),
        next_step=np.where(np.arange(n) < n - 1, ids + 1, -1),
        obs=batch.obs[env, :n],
        action=batch.action[env, :n],
        time=batch.time[env, :n],
        reward=batch.reward[env, :n],
        next_state=next_state[:n],
        t_index=np.arange(n),
    )
    return stream


def policy_samples(X: ACSet, policy: int, transitions: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(real, real_streams, sim, sim_streams) observations of a policy, through the schema.

    Real: the Steps of the stream ``deploy ⋅ observe_real``. Sim: the Steps of the
    streams reached by the converse of ``train`` then ``observe_sim``.
    """
    real_stream = X.subpart(policy, ["deploy", "observe_real"])
    real_steps = X.incident(real_stream, "stream")
    sim_streams = X.subpart(X.incident(policy, "train"), "observe_sim")
    sim_steps = X.incident_many(sim_streams, "stream")
    obs = X.subpart("obs")
    streams = X.subpart("stream")
    return obs[real_steps], streams[real_steps], obs[sim_steps], streams[sim_steps]


def measure_gap(X: ACSet, policy: int, rng: np.random.Generator, transitions: bool = True) -> kl.GapEstimate:
    real, real_ids, sim, sim_ids = policy_samples(X, policy)
    return kl.kl_gap(
        real, sim, estimator="gaussian", transitions=transitions, shrinkage="ledoit-wolf",
        real_streams=real_ids, sim_streams=sim_ids, rng=rng,
    )


def run_experiment(
    config: ExperimentConfig = ExperimentConfig(), out_dir: str | Path | None = None, progress: bool = True
) -> ExperimentResult:
    """Train every policy spec on its ensemble, deploy to the real plant, record, measure."""
    from tqdm.auto import tqdm

    start = time.perf_counter()
    rng = np.random.default_rng(config.seed)
    task = get_task(config.model)
    base = task.load_model()
    plant = make_real_plant(base, config.plant_config(), rng)
    specs = config.policy_specs()
    names = None
    runs = []
    for spec in tqdm(specs, desc="policies", disable=not progress):
        dr = playground_defaults(base, level=spec.level)
        params = draw_parameters(base, dr, config.n_sim, rng)
        names = params.names if names is None else names
        ensemble = Ensemble(base, params)
        # The sim side's own sensor and actuator levers, scaled with the randomisation level.
        sim_noise = ObservationNoise(std=config.sim_noise * spec.level)
        sim_latency = ActionLatency(0, round(config.sim_latency_max * spec.level))
        train_cfg = TrainConfig(
            generations=config.iterations, population=config.population, sigma=spec.sigma,
            horizon=config.steps, obs_noise=sim_noise, latency=sim_latency,
        )
        trained = train_cem(ensemble, task, rng, train_cfg, progress=progress)
        sim_batch = evaluate(
            ensemble, trained.policy, task, rng, horizon=config.steps, obs_noise=sim_noise, latency=sim_latency
        )
        real_batch = deploy(plant, trained.policy, task, rng, n_episodes=1, horizon=config.steps)
        runs.append((spec, params, trained, sim_batch, real_batch))

    nobs, nu = base.nsensordata, base.nu
    policy_dim = runs[0][2].policy.to_vector().size
    X = ACSet(
        SchSim2RealTrajectory,
        **trajectory_types(nobs, nu, base.nq + base.nv, len(names), policy_dim),
    )
    real_params = plant.parameters(names)
    for spec, params, trained, sim_batch, real_batch in runs:
        pol = trained.policy
        p = X.add_part(
            "Policy",
            policy_name=spec.name,
            policy_params=pol.to_vector(),
            action_noise=float(np.mean(pol.sigma)),
            sim_return=float(sim_batch.returns.mean()),
            real_return=float(real_batch.returns.mean()),
        )
        for i in range(config.n_sim):
            stream = _add_stream(X, sim_batch, i, "sim")
            X.add_part(
                "SimEnv", train=p, observe_sim=stream, sim_params=params.values[i],
                sim_seed=config.seed, randomization_level=spec.level,
            )
        stream = _add_stream(X, real_batch, 0, "real")
        r = X.add_part(
            "RealEnv", observe_real=stream, real_params=real_params,
            obs_noise_std=float(np.mean(plant.config.obs_noise.std)),
            latency_steps=int(real_batch.latency[0]),
        )
        X.set_subpart(p, "deploy", r)

    gaps = {}
    for p in X.parts("Policy").tolist():
        name = X.subpart(p, "policy_name")
        gaps[name] = measure_gap(X, p, rng)
        X.set_subpart(p, "kl_gap", gaps[name].value)
        # Judged against the sim-vs-sim floor, so sampling noise alone never blocks transfer.
        X.set_subpart(p, "transfer", p if gaps[name].value < config.eps + gaps[name].floor else -1)
    curves = {spec.name: trained.history.mean_return for spec, _, trained, _, _ in runs}
    result = ExperimentResult(X, config, gaps, curves, None, 0.0)
    if out_dir is not None:
        out_dir = Path(out_dir)
        save_experiment(result, out_dir)
    return attrs.evolve(result, out_dir=out_dir, wall_time=time.perf_counter() - start)


def save_experiment(result: ExperimentResult, out_dir: Path) -> None:
    """experiment.json (ACSets.jl JSON), config and gaps, and the plots."""
    from acset_s2r.sim2real import plots

    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(result.acset, out_dir / "experiment.json")
    summary = {
        "config": attrs.asdict(result.config, value_serializer=lambda _, __, v: repr(v) if not isinstance(v, (int, float, str, list, dict, tuple, type(None))) else v),
        "gaps": {k: attrs.asdict(v) for k, v in result.gaps.items()},
    }
    atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2, default=repr))
    plots.plot_observations(result.acset, out_dir / "observations.png")
    plots.plot_returns(result.acset, out_dir / "returns.png")
    plots.plot_training(result.train_curves, out_dir / "training.png")
