"""The hidden "real" plant: a MuJoCo model with perturbations the sim ensemble does not know.

It is configured apart from the sim ensemble's randomisation, so the user decides
whether the real physics lies inside the randomised support or outside it.
Besides hidden physics it has its own sensor noise and bias, action latency and
a control-rate mismatch (each of its physics steps lasts ``timestep_scale`` times
the nominal one, while the policy still acts once per control step).
"""

from __future__ import annotations

from typing import Sequence

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.randomization import (
    PhysicsParams,
    Range,
    RandomizationConfig,
    apply_parameters,
    draw_parameters,
    physics_parameters,
    support_bounds,
)
from acset_s2r.sim2real.tasks import Task


def fixed(field: str, value: float, targets=None, mode: str = "scale") -> Range:
    """A degenerate range: a known perturbation, e.g. ``fixed("body_mass", 2.0, "pole")``."""
    return Range(field, value, value, mode=mode, targets=targets)


@attrs.frozen
class RealPlantConfig:
    """How the real plant differs from the nominal model.

    ``physics`` is drawn once (use :func:`fixed` ranges for exact values);
    ``timestep_scale`` scales every physics step; ``substeps`` overrides the
    task's physics steps per control step.
    """

    physics: RandomizationConfig = attrs.field(factory=lambda: RandomizationConfig(()))
    obs_noise: ObservationNoise = attrs.field(factory=ObservationNoise)
    latency: ActionLatency = attrs.field(factory=ActionLatency)
    timestep_scale: float = attrs.field(default=1.0, converter=float)
    substeps: int | None = None

    def __attrs_post_init__(self):
        if not (np.isfinite(self.timestep_scale) and self.timestep_scale > 0):
            raise SimulationError(f"timestep_scale must be > 0, got {self.timestep_scale}")
        if self.substeps is not None and self.substeps < 1:
            raise SimulationError(f"real plant substeps must be >= 1, got {self.substeps}")


@attrs.frozen(eq=False)
class RealPlant:
    """The hidden model, its config, and the physical parameters drawn for it (one row)."""

    model: mujoco.MjModel
    config: RealPlantConfig
    params: PhysicsParams

    def substeps(self, task: Task) -> int:
        return task.substeps if self.config.substeps is None else self.config.substeps

    def control_dt(self, task: Task) -> float:
        return self.model.opt.timestep * self.substeps(task)

    def parameters(self, names: Sequence[str]) -> np.ndarray:
        """The plant's values of any named parameters, e.g. the sim ensemble's columns."""
        return physics_parameters(self.model, names)


def make_real_plant(
    base: mujoco.MjModel, config: RealPlantConfig, rng: np.random.Generator
) -> RealPlant:
    """Draw the hidden physics once and build the real plant's model."""
    params = draw_parameters(base, config.physics, 1, rng)
    model = apply_parameters(base, params.names, params.values[0])
    model.opt.timestep = base.opt.timestep * config.timestep_scale
    return RealPlant(model=model, config=config, params=params)


def in_support(
    plant: RealPlant, base: mujoco.MjModel, sim_config: RandomizationConfig
) -> dict[str, bool]:
    """Per randomised sim parameter: does the real plant's value lie in the sim support?"""
    names, low, high = support_bounds(base, sim_config)
    real = plant.parameters(names)
    tol = 1e-12 * np.maximum(1.0, np.abs(real))
    return {n: bool(lo - t <= v <= hi + t) for n, v, lo, hi, t in zip(names, real, low, high, tol)}
