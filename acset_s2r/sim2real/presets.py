"""Named physics presets of the shipped tasks: the hidden plants and the randomisation ranges.

These are values, not settings: :func:`acset_s2r.sim2real.config.default_config` picks
them for each model, and the fault bench (:mod:`acset_s2r.sim2real.faults`) uses its own.
"""

from __future__ import annotations

from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlantConfig, fixed
from acset_s2r.sim2real.randomization import RandomizationConfig, Range

REAL_CARTPOLE_PHYSICS = (
    fixed("body_mass", 2.0, "pole"),
    fixed("dof_damping", 3.0),
    fixed("actuator_gain", 0.5),
)
"""The hidden cartpole: a pole twice as heavy as modelled (a heavier rod), bearings three times
as damped, and a motor giving half the modelled force (an undersized driver or a current limit).
Each alone is harmless to a linear balancer; together with the default run's 80 ms of actuation
latency they take away the phase and gain margin that a policy tuned on the nominal model relies on."""

REAL_CONTACT_PHYSICS = (
    fixed("body_mass", 1.25),
    fixed("dof_damping", 2.0),
    fixed("actuator_gain", 0.85),
)
"""The hidden plant of the other models: milder changes, as contact models fall over under less."""


def cartpole_randomization() -> RandomizationConfig:
    """The default run's cartpole ranges: Playground's, widened so that at level 1 the hidden
    plant (:data:`REAL_CARTPOLE_PHYSICS`) lies inside the randomised support.

    Cart mass ×U(0.9, 1.1), pole mass ×U(0.7, 2.5), damping ×U(0.5, 4), armature
    ×U(1, 1.05), frictionloss ×U(0.5, 2), motor gain ×U(0.4, 1.2). With Playground's own
    ranges the real plant lies outside every ensemble and randomised policies fared no
    better than nominal ones; the seed's hope is P_real ∈ support(P_sim_randomized).

    Examples
    --------
    >>> [r.field for r in cartpole_randomization().ranges][:2]
    ['body_mass', 'body_mass']
    """
    return RandomizationConfig(
        (
            Range("body_mass", 0.9, 1.1, targets="cart"),
            Range("body_mass", 0.7, 2.5, targets="pole"),
            Range("dof_damping", 0.5, 4.0),
            Range("dof_armature", 1.0, 1.05),
            Range("dof_frictionloss", 0.5, 2.0),
            Range("actuator_gain", 0.4, 1.2),
        )
    )


def hidden_plant(physics: RandomizationConfig, noise: float, bias: float, latency: int) -> RealPlantConfig:
    """A hidden plant: fixed physics, sensor noise of std ``noise`` with a per-episode bias
    (a calibration offset) of std ``bias``, and commands acting ``latency`` control steps late."""
    return RealPlantConfig(
        physics=physics,
        obs_noise=ObservationNoise(std=noise, bias_std=bias),
        latency=ActionLatency(latency),
    )
