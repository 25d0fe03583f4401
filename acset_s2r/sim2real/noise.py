"""Sensor-side and actuator-side levers: observation noise and action latency.

Both are drawn up front for a whole rollout, so the stepping loop only indexes
arrays. They serve the sim ensemble (noise injected during training, as
Playground and ksim do) and the hidden real plant alike.
"""

from __future__ import annotations

import attrs
import numpy as np

from acset_s2r.errors import SimulationError

NOISE_KINDS = ("gaussian", "uniform")


def _as_nonneg_vector(value) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise SimulationError(f"noise scales must be finite, >= 0 and 1-D, got {value!r}")
    arr.flags.writeable = False
    return arr


@attrs.frozen(eq=False)
class ObservationNoise:
    """Additive per-channel observation noise plus a per-episode bias.

    ``std`` is the per-step noise standard deviation of each channel (a scalar
    applies to all channels); ``bias_std`` the standard deviation of an offset
    drawn once per episode. ``kind`` is ``gaussian`` or ``uniform``; a uniform
    draw with standard deviation s spans ±s·√3.
    """

    std: np.ndarray = attrs.field(default=0.0, converter=_as_nonneg_vector)
    bias_std: np.ndarray = attrs.field(default=0.0, converter=_as_nonneg_vector)
    kind: str = "gaussian"

    def __attrs_post_init__(self):
        if self.kind not in NOISE_KINDS:
            raise SimulationError(
                f"unknown noise kind {self.kind!r}; kinds are {', '.join(NOISE_KINDS)}"
            )

    @classmethod
    def uniform(cls, half_width, bias_half_width=0.0) -> "ObservationNoise":
        """Uniform noise U(-w, w) per channel, as Playground specifies it (e.g. joint pos ±0.03)."""
        s = np.sqrt(3.0)
        return cls(
            std=np.asarray(half_width, float) / s,
            bias_std=np.asarray(bias_half_width, float) / s,
            kind="uniform",
        )

    def scaled(self, level: float) -> "ObservationNoise":
        """The same noise with every scale multiplied by ``level`` (a curriculum)."""
        return attrs.evolve(self, std=self.std * level, bias_std=self.bias_std * level)

    @property
    def is_zero(self) -> bool:
        return not (np.any(self.std) or np.any(self.bias_std))

    def _draw(self, rng: np.random.Generator, shape: tuple[int, ...], scale: np.ndarray):
        if self.kind == "gaussian":
            return rng.standard_normal(shape) * scale
        return rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), shape) * scale

    def _per_channel(self, value: np.ndarray, nobs: int, what: str) -> np.ndarray:
        if value.size == 1:
            return np.full(nobs, value[0])
        if value.size != nobs:
            raise SimulationError(
                f"observation noise {what} has {value.size} channels but observations have {nobs}"
            )
        return value

    def sample(
        self, rng: np.random.Generator, horizon: int, n: int, nobs: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(noise (horizon, n, nobs) including the bias, bias (n, nobs)).

        Time is the leading axis so each control step reads a contiguous slice.
        """
        std = self._per_channel(self.std, nobs, "std")
        bias_std = self._per_channel(self.bias_std, nobs, "bias_std")
        bias = self._draw(rng, (n, nobs), bias_std)
        noise = self._draw(rng, (horizon, n, nobs), std)
        noise += bias[None]
        return noise, bias


@attrs.frozen
class ActionLatency:
    """Action latency in whole control steps, drawn per episode from {low, ..., high}.

    A command issued at step t acts on the plant during step t + k.
    """

    low: int = attrs.field(default=0, converter=int)
    high: int | None = attrs.field(default=None)

    def __attrs_post_init__(self):
        high = self.low if self.high is None else int(self.high)
        object.__setattr__(self, "high", high)
        if self.low < 0 or high < self.low:
            raise SimulationError(
                f"action latency needs 0 <= low <= high steps, got low={self.low}, high={high}"
            )

    def scaled(self, level: float) -> "ActionLatency":
        """Latency bounds multiplied by ``level`` and rounded (a curriculum)."""
        return ActionLatency(round(self.low * level), round(self.high * level))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Per-episode delays, (n,) int."""
        if self.low == self.high:
            return np.full(n, self.low, dtype=np.int64)
        return rng.integers(self.low, self.high + 1, n)
