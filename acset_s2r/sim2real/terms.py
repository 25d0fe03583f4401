"""Rewards and terminations assembled from named terms, for tasks declared in a file.

A task written in code can pass any vectorised ``reward(qpos, qvel, ctrl)`` and
``terminated(qpos, qvel)``; a task read from a file has no code, so it lists terms, each a
dict with a ``kind`` (see :data:`REWARD_KINDS` and :data:`TERMINATION_KINDS`). Terms read
the state through selections (:mod:`acset_s2r.sim2real.selections`) of ``qpos`` and
``qvel``; the arrays they are called on may have any leading shape.

Examples
--------
>>> import numpy as np
>>> from acset_s2r.sim2real.models import load_model
>>> m = load_model("cartpole")
>>> r = reward_from_spec(m, [{"kind": "alive"}, {"kind": "quadratic", "select": "qpos:slider", "weight": -1.0}])
>>> r(np.array([[2.0, 0.0]]), np.zeros((1, 2)), np.zeros((1, 1)))
array([-3.])
>>> done = termination_from_spec(m, [{"kind": "outside", "select": "qpos:hinge", "low": -0.8, "high": 0.8}])
>>> done(np.array([[0.0, 1.0], [0.0, 0.1]]), np.zeros((2, 2)))
array([ True, False])
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.selections import Selection, resolve

REWARD_KINDS = {
    "alive": "weight per step (default 1)",
    "linear": "weight · Σ selected coordinates (e.g. forward velocity: select = 'qvel:root[0]')",
    "quadratic": "weight · Σ (selected - target)² (weight < 0 for a cost)",
    "ctrl": "weight · Σ ctrl² (weight < 0 for an effort cost)",
    "upright": "weight · cos(tilt) of a free or ball joint's quaternion (joint = NAME)",
}
TERMINATION_KINDS = {
    "outside": "a selected coordinate leaves [low, high] (either bound may be left out)",
    "tilt": "a free or ball joint tilts past max_angle radians from upright (joint = NAME)",
}


def _take(qpos: np.ndarray, qvel: np.ndarray, index: np.ndarray, nq: int) -> np.ndarray:
    if np.all(index < nq):
        return qpos[..., index]
    if np.all(index >= nq):
        return qvel[..., index - nq]
    return np.concatenate([qpos, qvel], axis=-1)[..., index]


def _cos_tilt(qpos: np.ndarray, adr: int) -> np.ndarray:
    """The world-z component of the body's z axis, from its (w, x, y, z) quaternion."""
    q = qpos[..., adr : adr + 4]
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return 1.0 - 2.0 * (q[..., 1] ** 2 + q[..., 2] ** 2)


@attrs.frozen(eq=False)
class Term:
    """One resolved reward term: ``kind``, ``weight``, state ``index`` into [qpos, qvel], ``target``."""

    kind: str
    weight: float
    index: np.ndarray
    nq: int
    target: float = 0.0

    def __call__(self, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
        if self.kind == "alive":
            return np.full(np.shape(qpos)[:-1], self.weight)
        if self.kind == "ctrl":
            return self.weight * np.sum(np.square(ctrl), axis=-1)
        if self.kind == "upright":
            return self.weight * _cos_tilt(qpos, int(self.index[0]))
        x = _take(qpos, qvel, self.index, self.nq)
        if self.kind == "linear":
            return self.weight * np.sum(x, axis=-1)
        return self.weight * np.sum(np.square(x - self.target), axis=-1)


@attrs.frozen(eq=False)
class Reward:
    """The sum of reward terms: a ``reward(qpos, qvel, ctrl)`` for :class:`~acset_s2r.sim2real.tasks.Task`."""

    terms: tuple[Term, ...]

    def __call__(self, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
        total = np.zeros(np.shape(qpos)[:-1])
        for term in self.terms:
            total = total + term(qpos, qvel, ctrl)
        return total


@attrs.frozen(eq=False)
class Condition:
    """One resolved termination condition (see :data:`TERMINATION_KINDS`)."""

    kind: str
    index: np.ndarray
    nq: int
    low: float = -np.inf
    high: float = np.inf

    def __call__(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        if self.kind == "tilt":
            return _cos_tilt(qpos, int(self.index[0])) < self.low
        x = _take(qpos, qvel, self.index, self.nq)
        return np.any((x < self.low) | (x > self.high), axis=-1)


@attrs.frozen(eq=False)
class Termination:
    """Any of the conditions: a ``terminated(qpos, qvel)`` for a task; none means never."""

    conditions: tuple[Condition, ...]

    def __call__(self, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        out = np.zeros(np.shape(qpos)[:-1], dtype=bool)
        for c in self.conditions:
            out = out | c(qpos, qvel)
        return out


def _state_index(model: mujoco.MjModel, select: Any, where: str) -> np.ndarray:
    if select is None:
        raise SimulationError(f"{where}: needs 'select' (e.g. 'qvel:root[0]')")
    idx, _ = resolve(model, [select] if isinstance(select, (str, Selection)) else select)
    if np.any(idx >= model.nq + model.nv):
        raise SimulationError(f"{where}: rewards and terminations read the state, so select qpos or qvel, not sensors")
    return idx


def _quat_adr(model: mujoco.MjModel, joint: Any, where: str) -> np.ndarray:
    j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, str(joint)) if joint is not None else -1
    free, ball = int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL)
    if j < 0 or int(model.jnt_type[j]) not in (free, ball):
        raise SimulationError(f"{where}: 'joint' must name a free or ball joint of the model, got {joint!r}")
    adr = int(model.jnt_qposadr[j]) + (3 if int(model.jnt_type[j]) == free else 0)
    return np.array([adr])


def _fields(spec: Mapping, allowed: set[str], where: str) -> None:
    unknown = set(spec) - allowed - {"kind"}
    if unknown:
        raise SimulationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")


def _kinds(specs: Sequence[Mapping], kinds: dict, where: str, item: str):
    """(where, kind, spec) of each entry, its kind checked."""
    for k, spec in enumerate(specs):
        at = f"{where} {item} {k}"
        kind = spec.get("kind") if isinstance(spec, Mapping) else None
        if kind not in kinds:
            raise SimulationError(f"{at}: unknown kind {kind!r}; kinds are {', '.join(kinds)}")
        yield at, kind, spec


def reward_from_spec(model: mujoco.MjModel, specs: Sequence[Mapping], where: str = "reward") -> Reward:
    """A :class:`Reward` from term dicts, their selections resolved against ``model``."""
    terms = []
    for at, kind, spec in _kinds(specs, REWARD_KINDS, where, "term"):
        _fields(spec, {"weight", "select", "target", "joint"}, at)
        weight = float(spec.get("weight", 1.0))
        if kind in ("alive", "ctrl"):
            index = np.zeros(0, dtype=np.intp)
        elif kind == "upright":
            index = _quat_adr(model, spec.get("joint"), at)
        else:
            index = _state_index(model, spec.get("select"), at)
        terms.append(Term(kind, weight, index, model.nq, float(spec.get("target", 0.0))))
    return Reward(tuple(terms))


def termination_from_spec(model: mujoco.MjModel, specs: Sequence[Mapping], where: str = "termination") -> Termination:
    """A :class:`Termination` from condition dicts, their selections resolved against ``model``."""
    conditions = []
    for at, kind, spec in _kinds(specs, TERMINATION_KINDS, where, "condition"):
        if kind == "tilt":
            _fields(spec, {"joint", "max_angle"}, at)
            if "max_angle" not in spec:
                raise SimulationError(f"{at}: needs 'max_angle' in radians")
            cos_max = float(np.cos(float(spec["max_angle"])))
            conditions.append(Condition(kind, _quat_adr(model, spec.get("joint"), at), model.nq, low=cos_max))
        else:
            _fields(spec, {"select", "low", "high"}, at)
            low, high = float(spec.get("low", -np.inf)), float(spec.get("high", np.inf))
            if not low <= high:
                raise SimulationError(f"{at}: needs low <= high, got {low} > {high}")
            conditions.append(Condition(kind, _state_index(model, spec.get("select"), at), model.nq, low, high))
    return Termination(tuple(conditions))
