"""Tasks: reward, termination and initial states for the shipped models.

Rewards and termination are plain vectorised functions of the state after a
control step, so a rollout computes them once over all (env, step) pairs
instead of per step in Python.
"""

from __future__ import annotations

from typing import Callable

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.models import load_model

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
TerminatedFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@attrs.frozen
class Task:
    """What a model is for: reward(qpos, qvel, ctrl), terminated(qpos, qvel) and resets.

    ``substeps`` physics steps make one control step. Initial states are the
    model's ``qpos0`` and zero velocity plus U(-reset_qpos, reset_qpos) and
    U(-reset_qvel, reset_qvel) per coordinate.
    """

    name: str
    model: str
    reward: RewardFn
    terminated: TerminatedFn
    substeps: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    horizon: int = attrs.field(default=500, validator=attrs.validators.ge(1))
    reset_qpos: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    reset_qvel: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))

    def load_model(self) -> mujoco.MjModel:
        return load_model(self.model)

    def initial_state(
        self, model: mujoco.MjModel, n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """(qpos (n, nq), qvel (n, nv)) drawn around the model's qpos0."""
        if model.nq != model.nv:
            # free/ball joints would need quaternion-aware noise
            raise SimulationError(
                f"task {self.name!r}: initial_state supports only hinge/slide joints "
                f"(model has nq={model.nq}, nv={model.nv})"
            )
        qpos = model.qpos0[None, :] + rng.uniform(-1, 1, (n, model.nq)) * self.reset_qpos
        qvel = rng.uniform(-1, 1, (n, model.nv)) * self.reset_qvel
        return qpos, qvel


# Cartpole: qpos = (cart x, pole angle), pole upright at angle 0.
CARTPOLE_MAX_ANGLE = 0.8
CARTPOLE_MAX_X = 2.0


def cartpole_reward(qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """Upright bonus cos(angle) minus quadratic costs on cart offset and effort; at most 1."""
    x, angle = qpos[..., 0], qpos[..., 1]
    return np.cos(angle) - 0.05 * x**2 - 0.01 * np.sum(ctrl**2, axis=-1)


def cartpole_terminated(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """The pole fell past CARTPOLE_MAX_ANGLE or the cart left the central part of the rail."""
    return (np.abs(qpos[..., 1]) > CARTPOLE_MAX_ANGLE) | (np.abs(qpos[..., 0]) > CARTPOLE_MAX_X)


# Hopper: qpos = (rootx, torso height, pitch, thigh, leg, foot).
HOPPER_MIN_HEIGHT = 0.7
HOPPER_MAX_PITCH = 0.5


def hopper_reward(qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """Forward velocity plus 1 per step alive, minus a small effort cost."""
    return qvel[..., 0] + 1.0 - 1e-3 * np.sum(ctrl**2, axis=-1)


def hopper_terminated(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """The torso sank below HOPPER_MIN_HEIGHT or pitched past HOPPER_MAX_PITCH."""
    return (qpos[..., 1] < HOPPER_MIN_HEIGHT) | (np.abs(qpos[..., 2]) > HOPPER_MAX_PITCH)


CARTPOLE = Task(
    name="cartpole",
    model="cartpole",
    reward=cartpole_reward,
    terminated=cartpole_terminated,
    substeps=1,
    horizon=500,
    reset_qpos=0.1,
    reset_qvel=0.05,
)

HOPPER = Task(
    name="hopper",
    model="hopper",
    reward=hopper_reward,
    terminated=hopper_terminated,
    substeps=2,
    horizon=300,
    reset_qpos=0.005,
    reset_qvel=0.005,
)

TASKS = {t.name: t for t in (CARTPOLE, HOPPER)}


def get_task(name: str) -> Task:
    """The task of a shipped model, by name."""
    try:
        return TASKS[name]
    except KeyError:
        raise SimulationError(f"no task named {name!r}; tasks are {', '.join(TASKS)}") from None
