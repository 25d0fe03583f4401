"""The experiment's settings: one nested config, and the one place its defaults live.

An :class:`ExperimentConfig` has four sections, one per side of the experiment:

- ``sim`` (:class:`SimSide`): the randomised ensemble each policy trains on;
- ``real`` (:class:`RealSide`): the hidden plant and how often a policy is run on it;
- ``training`` (:class:`TrainingSetup`): the policies to train and the CEM budget;
- ``measure`` (:class:`MeasureSetup`): how the transfer verdict is made.

:func:`default_config` gives the defaults of a model, as MuJoCo Playground's
``default_config()`` does per environment; the command ``acset-s2r run``, :func:`run_experiment`
with no config and the notebooks all start from it, and override with :meth:`ExperimentConfig.evolve`.

Examples
--------
>>> cfg = default_config("cartpole")
>>> cfg.sim.n_sim, cfg.real.latency, cfg.measure.alpha
(8, 8, 0.05)
>>> small = cfg.evolve(seed=3, sim={"n_sim": 4}, training={"steps": 80})
>>> small.seed, small.sim.n_sim, small.training.steps, small.real.latency
(3, 4, 80, 8)
"""

from __future__ import annotations

from typing import Any

import attrs
import mujoco

from acset_s2r import _validators as v
from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.plant import RealPlantConfig
from acset_s2r.sim2real.presets import (
    REAL_CARTPOLE_PHYSICS,
    REAL_CONTACT_PHYSICS,
    cartpole_randomization,
    hidden_plant,
)
from acset_s2r.sim2real.randomization import RandomizationConfig, playground_defaults, legged_defaults
from acset_s2r.sim2real.tasks import Task, get_task

DEFAULT_ALPHA = 0.05
"""Level of the transfer test: a policy did not transfer when its real plant's gap is larger
than all but a fraction α of the gaps of plants drawn from its own randomisation (p < α)."""

DEFAULT_N_NULL = 99
"""Null plants per policy. With α = 0.05 the test rejects when fewer than 5 of 99 in-support
plants score as high as the real one; the p-value resolves steps of 1/100."""

RETURN_KEPT = 0.95
"""A policy kept its performance on the real plant when its real return is at least this
fraction of its sim return; the report sets this outcome beside the kl_gap verdict."""

DEFAULT_RUN_LATENCY = 8
"""Real action latency of the default cartpole run, in 10 ms control steps: 80 ms, as a
USB-serial link, a motor driver and a camera-rate sensor together can add."""

_E = SimulationError


@attrs.frozen
class PolicySpec:
    """One policy to train: its name, randomisation level and action noise σ (entropy of Q)."""

    name: str = attrs.field(validator=v.instance_of(str, _E))
    level: float = attrs.field(validator=v.between(0.0, 1.0, _E))
    sigma: float = attrs.field(validator=v.at_least(0.0, _E))


def default_policies(level: float) -> tuple[PolicySpec, ...]:
    """With and without domain randomisation, at low and high entropy.

    Examples
    --------
    >>> [p.name for p in default_policies(1.0)]
    ['nominal-lowH', 'nominal-highH', 'dr-lowH', 'dr-highH']
    """
    return (
        PolicySpec("nominal-lowH", 0.0, 0.05),
        PolicySpec("nominal-highH", 0.0, 0.3),
        PolicySpec("dr-lowH", level, 0.05),
        PolicySpec("dr-highH", level, 0.3),
    )


MAX_SENSOR_ERROR = 10.0
"""Largest sensor noise or bias std: ten times the size of the shipped models' observations
(order 1: metres, radians, metres per second); beyond it a run records noise, not the plant."""


def _sensor_error():
    return v.within(0.0, MAX_SENSOR_ERROR, _E, why="10x the observations' scale of order 1; see MAX_SENSOR_ERROR")


def _latency_fits(instance: Any, attribute: Any, value: Any) -> None:
    # commands that act after the episode has ended would never act at all
    for name, latency in (("real.latency", instance.real.latency), ("sim.latency_max", instance.sim.latency_max)):
        if latency >= value.steps:
            raise SimulationError(
                f"ExperimentConfig.{name} is {latency} control steps, not less than the episode's "
                f"{value.steps} (training.steps): no command would act"
            )


@attrs.frozen
class SimSide:
    """The randomised sim ensemble of a policy; every lever is scaled by the policy's level.

    ``n_sim`` envs per policy; ``level`` is the curriculum level of the randomised (dr-*)
    policies; ``obs_noise`` and ``obs_bias`` are the sensor-noise and per-episode bias std
    at level 1; latency is drawn in 0..``latency_max`` control steps at level 1;
    ``randomization`` holds the physics ranges (None: MuJoCo Playground's for the model).
    """

    n_sim: int = attrs.field(default=8, validator=v.at_least(2, _E, integer=True))
    level: float = attrs.field(default=1.0, validator=v.between(0.0, 1.0, _E))
    obs_noise: float = attrs.field(default=0.02, validator=_sensor_error())
    obs_bias: float = attrs.field(default=0.0, validator=_sensor_error())
    latency_max: int = attrs.field(default=3, validator=v.at_least(0, _E, integer=True))
    randomization: RandomizationConfig | None = attrs.field(
        default=None, validator=v.instance_of(RandomizationConfig, _E, optional=True)
    )

    def ranges(self, base: mujoco.MjModel, level: float) -> RandomizationConfig:
        """The physics ranges at ``level``: ``randomization``, or Playground's for ``base``."""
        dr = self.randomization if self.randomization is not None else playground_defaults(base)
        return dr.at_level(level)


@attrs.frozen
class RealSide:
    """The hidden plant and the episodes each policy runs on it.

    ``physics`` are its fixed changes from the nominal model; its sensors have noise of std
    ``obs_noise`` and a per-episode bias of std ``obs_bias``; commands act ``latency`` control
    steps late. ``plant`` replaces all four with a full :class:`RealPlantConfig`.
    """

    episodes: int = attrs.field(default=8, validator=v.at_least(1, _E, integer=True))
    obs_noise: float = attrs.field(default=0.02, validator=_sensor_error())
    obs_bias: float = attrs.field(default=0.01, validator=_sensor_error())
    latency: int = attrs.field(default=2, validator=v.at_least(0, _E, integer=True))
    physics: RandomizationConfig = attrs.field(
        factory=lambda: RandomizationConfig(REAL_CONTACT_PHYSICS), validator=v.instance_of(RandomizationConfig, _E)
    )
    plant: RealPlantConfig | None = attrs.field(default=None, validator=v.instance_of(RealPlantConfig, _E, optional=True))

    def plant_config(self) -> RealPlantConfig:
        """The hidden plant these settings describe."""
        if self.plant is not None:
            return self.plant
        return hidden_plant(self.physics, self.obs_noise, self.obs_bias, self.latency)


@attrs.frozen
class TrainingSetup:
    """What is trained: ``policies`` (None: :func:`default_policies` at the sim's level),
    each by CEM for ``iterations`` generations of ``population`` samples, on rollouts of
    ``steps`` control steps (the episode length everywhere in the run); ``init_std`` is the
    search's starting std of every gain and bias (small where a zero policy already works,
    as the quadruped's stance does)."""

    steps: int = attrs.field(default=300, validator=v.at_least(10, _E, integer=True))
    iterations: int = attrs.field(default=10, validator=v.at_least(1, _E, integer=True))
    population: int = attrs.field(default=24, validator=v.at_least(2, _E, integer=True))
    init_std: float = attrs.field(default=1.0, validator=v.positive(_E))
    policies: tuple[PolicySpec, ...] | None = attrs.field(default=None, converter=attrs.converters.optional(tuple))


def _enough_null(instance: Any, attribute: Any, value: Any) -> None:
    if (instance.n_null + 1) * instance.alpha <= 1:
        raise SimulationError(
            f"MeasureSetup: with n_null = {instance.n_null} the smallest p-value is 1/{instance.n_null + 1}, "
            f"which is never below α = {instance.alpha}; draw at least {int(1 / instance.alpha)} null plants"
        )


@attrs.frozen
class MeasureSetup:
    """The transfer test: ``n_null`` plants drawn from each policy's own randomisation play
    "real" as the real plant did; transfer(π) = π when the real gap's conformal p-value is at
    least ``alpha``. A policy kept its return when real ≥ ``return_kept`` × sim."""

    alpha: float = attrs.field(default=DEFAULT_ALPHA, validator=v.between(1e-6, 0.5, _E))
    n_null: int = attrs.field(default=DEFAULT_N_NULL, validator=[v.at_least(1, _E, integer=True), _enough_null])
    return_kept: float = attrs.field(default=RETURN_KEPT, validator=v.between(0.0, 1.0, _E))


def _section(kind: type):
    return attrs.field(factory=kind, validator=v.instance_of(kind, _E))


def _known_model(instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Task):
        get_task(value)  # our error, naming the known models or the bad file


@attrs.frozen
class ExperimentConfig:
    """Everything that defines a run; the seed makes it reproducible. Start from :func:`default_config`."""

    model: str | Task = attrs.field(default="cartpole", validator=_known_model)
    """A shipped task's name, a TOML task file, an MJCF path (its default task) or a Task."""
    seed: int = attrs.field(default=0, validator=v.within(0, 2**63 - 1, _E, integer=True, why="the experiment ACSet stores it as int64"))
    sim: SimSide = _section(SimSide)
    real: RealSide = _section(RealSide)
    training: TrainingSetup = attrs.field(factory=TrainingSetup, validator=[v.instance_of(TrainingSetup, _E), _latency_fits])
    measure: MeasureSetup = _section(MeasureSetup)

    def evolve(self, **changes: Any) -> ExperimentConfig:
        """A copy with ``changes``: top-level fields by value, sections by value or by a dict of
        the section's fields to change (``sim={"n_sim": 4}``)."""
        sections = {f.name: f.type for f in attrs.fields(type(self)) if f.name in ("sim", "real", "training", "measure")}
        resolved = {}
        for name, value in changes.items():
            if name in sections and isinstance(value, dict):
                current = getattr(self, name)
                unknown = set(value) - set(attrs.fields_dict(type(current)))
                if unknown:
                    raise SimulationError(
                        f"{type(current).__name__} has no setting {', '.join(sorted(unknown))}; "
                        f"it has {', '.join(attrs.fields_dict(type(current)))}"
                    )
                value = attrs.evolve(current, **value)
            resolved[name] = value
        unknown = set(resolved) - set(attrs.fields_dict(type(self)))
        if unknown:
            raise SimulationError(f"ExperimentConfig has no setting {', '.join(sorted(unknown))}")
        return attrs.evolve(self, **resolved)

    def policy_specs(self) -> tuple[PolicySpec, ...]:
        """The policies to train."""
        policies = self.training.policies
        return policies if policies is not None else default_policies(self.sim.level)


def default_config(model: str | Task = "cartpole") -> ExperimentConfig:
    """The defaults of a model's experiment: what ``acset-s2r run --model MODEL`` runs.

    Cartpole: the hidden plant (:data:`~acset_s2r.sim2real.presets.REAL_CARTPOLE_PHYSICS`)
    has 80 ms of latency (:data:`DEFAULT_RUN_LATENCY`) and sensor bias of the noise's size;
    the randomised sims draw 0–10 steps of latency and
    :func:`~acset_s2r.sim2real.presets.cartpole_randomization` physics, so the real plant lies
    inside the level-1 support and outside the nominal one; CEM gets 20 generations of 48 so
    the randomised search converges. Hopper: 200 control steps, Playground ranges, 2 steps of
    real latency, milder hidden physics. Quadruped: as the hopper, with Playground's legged
    ranges (:func:`~acset_s2r.sim2real.randomization.legged_defaults`) and a narrow CEM search
    around the stance (5 generations of 16). Any other task (a
    TOML task file, an MJCF path, a :class:`~acset_s2r.sim2real.tasks.Task`): the hopper's
    settings with Playground's ranges.

    Examples
    --------
    >>> default_config("hopper").training.steps
    200
    >>> [r.field for r in default_config("quadruped").sim.randomization.ranges][:2]
    ['geom_friction', 'dof_frictionloss']
    >>> default_config("unicycle")
    Traceback (most recent call last):
    ...
    acset_s2r.errors.SimulationError: ...
    """
    task = get_task(model)  # raises, naming the known models or the bad file
    if model == "cartpole":
        return ExperimentConfig(
            model=model,
            sim=SimSide(obs_bias=0.02, latency_max=10, randomization=cartpole_randomization()),
            real=RealSide(obs_noise=0.02, obs_bias=0.02, latency=DEFAULT_RUN_LATENCY,
                          physics=RandomizationConfig(REAL_CARTPOLE_PHYSICS)),
            training=TrainingSetup(steps=300, iterations=20, population=48),
        )
    if model == "quadruped":
        # the zero action holds the stance; a wide search starts from policies that fall
        return ExperimentConfig(
            model=model, sim=SimSide(randomization=legged_defaults(task.load_model())),
            training=TrainingSetup(steps=200, iterations=5, population=16, init_std=0.05),
        )
    return ExperimentConfig(model=model, training=TrainingSetup(steps=200))
