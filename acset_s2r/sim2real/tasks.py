"""Tasks: what a model is for, declared in code or read from a TOML file.

A :class:`Task` names its model (a shipped name, an MJCF path or an ``MjSpec``), what the
policy observes (named selections of qpos, qvel and sensors, or every sensor), how actions
become controls, the control timestep (physics steps per action), the reward and
termination, and the initial-state distribution (``qpos0`` or a keyframe, jittered in the
tangent space so free and ball joints keep unit quaternions).

Rewards and termination are plain vectorised functions of the state after a
control step, so a rollout computes them once over all (env, step) pairs
instead of per step in Python.

A task file is TOML (read with the standard library's ``tomllib``); relative model paths
are read from the file's folder::

    name = "quadruped-stand"
    model = "quadruped"            # a shipped model, or a path such as "robot.xml"
    control_dt = 0.02              # seconds per action (a whole number of physics steps);
                                   # or substeps = 4
    horizon = 300
    keyframe = "stand"             # initial state and the default action offset
    reset_qpos = 0.02              # U(-a, a) jitter per qpos tangent coordinate
    reset_qvel = 0.05
    observations = ["qpos:root[2:7]", "qpos:fl_hip", "qvel:root", "sensor:gyro"]

    [action]                       # ctrl = offset + scale · action
    scale = 1.0
    offset = "keyframe"            # or a number, or one number per actuator

    [[reward]]                     # kinds: acset_s2r.sim2real.terms.REWARD_KINDS
    kind = "alive"
    [[reward]]
    kind = "linear"
    select = "qvel:root[0]"

    [[termination]]                # kinds: acset_s2r.sim2real.terms.TERMINATION_KINDS
    kind = "outside"
    select = "qpos:root[2]"
    low = 0.15

Examples
--------
>>> task = get_task("quadruped")
>>> m = task.load_model()
>>> task.observation_size(m), m.nu, round(task.control_dt(m), 3)
(27, 8, 0.02)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.fileio import read_toml
from acset_s2r.sim2real.models import load_model, model_names, observation_names
from acset_s2r.sim2real.selections import as_selections, resolve, state_selections
from acset_s2r.sim2real.terms import Termination, reward_from_spec, termination_from_spec

RewardFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
TerminatedFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _as_observations(value):
    if value is None:
        return None
    return tuple(str(s) for s in as_selections(value))


def _as_scale(value):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise SimulationError(f"Task.action_scale must be > 0 (a number or one per actuator), got {value!r}")
    return float(arr[0]) if arr.size == 1 else tuple(arr.tolist())


def _as_offset(value):
    if isinstance(value, str):
        if value != "keyframe":
            raise SimulationError(f"Task.action_offset must be 'keyframe' or numbers, got {value!r}")
        return value
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or not np.all(np.isfinite(arr)):
        raise SimulationError(f"Task.action_offset must be finite numbers, got {value!r}")
    return float(arr[0]) if arr.size == 1 else tuple(arr.tolist())


def _quaternion_adrs(model: mujoco.MjModel) -> list[int]:
    """qpos addresses of every free or ball joint's quaternion."""
    out = []
    for j in range(model.njnt):
        kind = int(model.jnt_type[j])
        if kind == int(mujoco.mjtJoint.mjJNT_FREE):
            out.append(int(model.jnt_qposadr[j]) + 3)
        elif kind == int(mujoco.mjtJoint.mjJNT_BALL):
            out.append(int(model.jnt_qposadr[j]))
    return out


@attrs.frozen
class Task:
    """What a model is for: reward(qpos, qvel, ctrl), terminated(qpos, qvel), observations,
    actions and resets.

    - ``model``: a shipped model's name, a path to an MJCF file, or a ``mujoco.MjSpec``;
    - ``substeps`` physics steps make one control step (the action repeat);
    - ``observations``: selections such as ``"qpos:root[2:7]"``, ``"qvel:hip"``,
      ``"sensor:gyro"`` (:mod:`~acset_s2r.sim2real.selections`), in order; ``None``
      observes every sensor (``sensordata``), as the cartpole and hopper do;
    - ``action_scale``, ``action_offset``: the plant receives ``offset + scale · action``;
      ``"keyframe"`` takes the offset from the keyframe's ctrl (a default pose);
    - initial states are ``qpos0`` (or the ``keyframe``'s qpos and qvel) plus a uniform
      U(-reset_qpos, reset_qpos) step per tangent coordinate, integrated so quaternions
      stay normalised, and U(-reset_qvel, reset_qvel) per velocity;
    - ``source``: the file the task was read from, named in errors.
    """

    name: str
    model: Any
    reward: RewardFn
    terminated: TerminatedFn
    substeps: int = attrs.field(default=1, validator=attrs.validators.ge(1))
    horizon: int = attrs.field(default=500, validator=attrs.validators.ge(1))
    reset_qpos: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    reset_qvel: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    observations: tuple[str, ...] | None = attrs.field(default=None, converter=_as_observations)
    keyframe: str | int | None = None
    action_scale: float | tuple[float, ...] = attrs.field(default=1.0, converter=_as_scale)
    action_offset: float | str | tuple[float, ...] = attrs.field(default=0.0, converter=_as_offset)
    source: str | None = None

    def __str__(self) -> str:
        return self.name

    def _where(self) -> str:
        return f"task {self.name!r}" + (f" ({self.source})" if self.source else "")

    def load_model(self) -> mujoco.MjModel:
        """Compile the task's model (a fresh MjModel each call)."""
        if isinstance(self.model, mujoco.MjSpec):
            try:
                return self.model.compile()
            except ValueError as exc:
                raise SimulationError(f"{self._where()}: MuJoCo could not compile the MjSpec: {exc}") from exc
        return load_model(self.model)

    def control_dt(self, model: mujoco.MjModel) -> float:
        """Seconds per control step: the physics timestep times ``substeps``."""
        return float(model.opt.timestep * self.substeps)

    # --- observations ---------------------------------------------------------------

    def observation_index(self, model: mujoco.MjModel) -> np.ndarray | None:
        """Indices into ``[qpos, qvel, sensordata]`` of the observation; None for every sensor."""
        if self.observations is None:
            return None
        try:
            return resolve(model, self.observations)[0]
        except SimulationError as exc:
            raise SimulationError(f"{self._where()}, observations: {exc}") from None

    def observation_size(self, model: mujoco.MjModel) -> int:
        idx = self.observation_index(model)
        return model.nsensordata if idx is None else len(idx)

    def observation_names(self, model: mujoco.MjModel) -> list[str]:
        """One label per observation channel (sensor names, or the selections' labels)."""
        if self.observations is None:
            return observation_names(model)
        return resolve(model, self.observations)[1]

    def observe(self, model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """The noise-free observation at one state (sensors computed by ``mj_forward``)."""
        data = mujoco.MjData(model)
        data.qpos[:], data.qvel[:] = qpos, qvel
        mujoco.mj_forward(model, data)
        idx = self.observation_index(model)
        if idx is None:
            return data.sensordata.copy()
        return np.concatenate([data.qpos, data.qvel, data.sensordata])[idx]

    def nominal_observation(self, model: mujoco.MjModel) -> np.ndarray:
        """The observation at the reference state: a linear policy's default o_ref."""
        return self.observe(model, *self.reference_state(model))

    # --- actions ----------------------------------------------------------------------

    def _key(self, model: mujoco.MjModel) -> int | None:
        if self.keyframe is None:
            return None
        if isinstance(self.keyframe, str):
            k = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_KEY, self.keyframe)
        else:
            k = int(self.keyframe) if 0 <= int(self.keyframe) < model.nkey else -1
        if k < 0:
            names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_KEY, i) or str(i) for i in range(model.nkey)]
            raise SimulationError(
                f"{self._where()}: the model has no keyframe {self.keyframe!r}; it has {', '.join(names) or 'none'}"
            )
        return k

    def action_transform(self, model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray] | None:
        """(offset (nu,), scale (nu,)) with ctrl = offset + scale · action; None for the identity."""
        if self.action_offset == 0.0 and self.action_scale == 1.0:
            return None
        if self.action_offset == "keyframe":
            k = self._key(model)
            if k is None:
                raise SimulationError(f"{self._where()}: action_offset 'keyframe' needs a keyframe")
            offset = model.key_ctrl[k].copy()
        else:
            offset = self._per_actuator(model, self.action_offset, "action_offset")
        return offset, self._per_actuator(model, self.action_scale, "action_scale")

    def _per_actuator(self, model: mujoco.MjModel, value, what: str) -> np.ndarray:
        arr = np.atleast_1d(np.asarray(value, float))
        if arr.size not in (1, model.nu):
            raise SimulationError(f"{self._where()}: {what} has {arr.size} entries but the model has {model.nu} actuators")
        return np.broadcast_to(arr, (model.nu,)).copy()

    def action_bounds(self, model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray]:
        """Action bounds that keep ``offset + scale · action`` inside ctrlrange (±inf if unlimited).

        Examples
        --------
        >>> task = get_task("quadruped")
        >>> low, high = task.action_bounds(task.load_model())
        >>> low[:2], high[:2]  # hip target in [-1.2, 1.6] around 0.6, knee in [-2.6, -0.3] around -1.2
        (array([-3.6, -2.8]), array([2. , 1.8]))
        """
        limited = model.actuator_ctrllimited.astype(bool)
        low = np.where(limited, model.actuator_ctrlrange[:, 0], -np.inf)
        high = np.where(limited, model.actuator_ctrlrange[:, 1], np.inf)
        transform = self.action_transform(model)
        if transform is None:
            return low, high
        offset, scale = transform
        return (low - offset) / scale, (high - offset) / scale

    # --- initial states ---------------------------------------------------------------

    def reference_state(self, model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray]:
        """(qpos, qvel) resets are drawn around: the keyframe's, or qpos0 at rest."""
        k = self._key(model)
        if k is None:
            return model.qpos0.copy(), np.zeros(model.nv)
        return model.key_qpos[k].copy(), model.key_qvel[k].copy()

    def initial_state(
        self, model: mujoco.MjModel, n: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """(qpos (n, nq), qvel (n, nv)) drawn around the reference state, quaternions normalised."""
        if self.keyframe is None and model.nq == model.nv:
            qpos = model.qpos0[None, :] + rng.uniform(-1, 1, (n, model.nq)) * self.reset_qpos
            qvel = rng.uniform(-1, 1, (n, model.nv)) * self.reset_qvel
            return qpos, qvel
        qref, vref = self.reference_state(model)
        step = rng.uniform(-1, 1, (n, model.nv)) * self.reset_qpos
        qvel = vref[None, :] + rng.uniform(-1, 1, (n, model.nv)) * self.reset_qvel
        qpos = np.repeat(qref[None, :], n, axis=0)
        for i in range(n):
            mujoco.mj_integratePos(model, qpos[i], step[i], 1.0)
        for adr in _quaternion_adrs(model):
            q = qpos[:, adr : adr + 4]
            q /= np.linalg.norm(q, axis=1, keepdims=True)
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


# Quadruped: qpos = (x, y, z, quaternion w x y z, 8 joint angles); qvel = (linear, angular, 8 joints).
QUADRUPED_HEIGHT = 0.266
QUADRUPED_MIN_HEIGHT = 0.15
QUADRUPED_MAX_TILT = 0.8
QUADRUPED_JOINTS = tuple(f"{leg}_{j}" for leg in ("fl", "fr", "hl", "hr") for j in ("hip", "knee"))


def _upright(qpos: np.ndarray) -> np.ndarray:
    q = qpos[..., 3:7]
    return 1.0 - 2.0 * (q[..., 1] ** 2 + q[..., 2] ** 2) / np.sum(q**2, axis=-1)


def quadruped_reward(qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """Stand: 1 per step alive plus cos(tilt), minus costs on height error and drift; at most 2."""
    height = qpos[..., 2] - QUADRUPED_HEIGHT
    drift = np.sum(qvel[..., 0:2] ** 2, axis=-1)
    return 1.0 + _upright(qpos) - 20.0 * height**2 - 0.1 * drift


def quadruped_terminated(qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
    """The torso sank below QUADRUPED_MIN_HEIGHT or tilted past QUADRUPED_MAX_TILT radians."""
    return (qpos[..., 2] < QUADRUPED_MIN_HEIGHT) | (_upright(qpos) < np.cos(QUADRUPED_MAX_TILT))


QUADRUPED = Task(
    name="quadruped",
    model="quadruped",
    reward=quadruped_reward,
    terminated=quadruped_terminated,
    substeps=4,
    horizon=250,
    reset_qpos=0.02,
    reset_qvel=0.05,
    observations=("qpos:root[2:7]", *(f"qpos:{j}" for j in QUADRUPED_JOINTS), "qvel:root",
                  *(f"qvel:{j}" for j in QUADRUPED_JOINTS)),
    keyframe="stand",
    action_scale=0.5,
    action_offset="keyframe",
)
"""A floating-base quadruped standing from its keyframe; actions are joint-angle targets
relative to the stance (ctrl = stance + 0.5 · action), so the zero action holds the pose."""

TASKS = {t.name: t for t in (CARTPOLE, HOPPER, QUADRUPED)}

TASK_KEYS = {
    "name", "model", "control_dt", "substeps", "horizon", "keyframe", "reset_qpos", "reset_qvel",
    "observations", "action", "reward", "termination",
}


def _substeps(model: mujoco.MjModel, table: dict, where: str) -> int:
    if "control_dt" in table and "substeps" in table:
        raise SimulationError(f"{where}: give control_dt or substeps, not both")
    if "control_dt" not in table:
        return int(table.get("substeps", 1))
    ratio = float(table["control_dt"]) / model.opt.timestep
    if not (ratio >= 1 and abs(ratio - round(ratio)) < 1e-6):
        raise SimulationError(
            f"{where}: control_dt {table['control_dt']} is not a whole number of physics steps "
            f"of {model.opt.timestep} s"
        )
    return int(round(ratio))


def task_from_dict(table: dict, base_dir: Path | None = None, source: str | None = None) -> Task:
    """A task from a table of the TOML file's layout (see the module docstring).

    Selections, keyframe and terms are checked against the model here, so a bad name fails
    on loading, naming ``source``.

    Examples
    --------
    >>> t = task_from_dict({"name": "hold", "model": "quadruped", "control_dt": 0.02, "keyframe": "stand",
    ...                     "observations": ["qpos:root[2]", "sensor:gyro"], "reward": [{"kind": "alive"}]})
    >>> t.substeps, t.observation_names(t.load_model())
    (4, ['qpos:root[2]', 'sensor:gyro[0]', 'sensor:gyro[1]', 'sensor:gyro[2]'])
    """
    where = f"task file {source}" if source else "task table"
    unknown = set(table) - TASK_KEYS
    if unknown:
        raise SimulationError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; keys are {', '.join(sorted(TASK_KEYS))}")
    if "model" not in table:
        raise SimulationError(f"{where}: needs 'model' (a shipped model name or an MJCF path)")
    model_ref = str(table["model"])
    if model_ref not in model_names():
        path = Path(model_ref)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        model_ref = str(path)
    model = load_model(model_ref)
    action = table.get("action", {})
    if not isinstance(action, dict) or set(action) - {"scale", "offset"}:
        raise SimulationError(f"{where}: [action] takes 'scale' and 'offset' only, got {action!r}")
    try:
        task = Task(
            name=str(table.get("name", Path(model_ref).stem)),
            model=model_ref,
            reward=reward_from_spec(model, table.get("reward", [{"kind": "alive"}]), f"{where}, reward"),
            terminated=termination_from_spec(model, table.get("termination", []), f"{where}, termination"),
            substeps=_substeps(model, table, where),
            horizon=int(table.get("horizon", 500)),
            reset_qpos=float(table.get("reset_qpos", 0.0)),
            reset_qvel=float(table.get("reset_qvel", 0.0)),
            observations=table.get("observations"),
            keyframe=table.get("keyframe"),
            action_scale=action.get("scale", 1.0),
            action_offset=action.get("offset", 0.0),
            source=source,
        )
    except (TypeError, ValueError) as exc:
        raise SimulationError(f"{where}: {exc}") from None
    task.observation_index(model)
    task.action_bounds(model)
    task.reference_state(model)
    return task


def task_from_file(path: str | Path) -> Task:
    """Read a task from a TOML file (see the module docstring for its keys)."""
    path = Path(path)
    table = read_toml(path, "task file", SimulationError)
    return task_from_dict(table, path.resolve().parent, str(path))


def task_for_model(path: str | Path) -> Task:
    """A default task for any MJCF file: observe every sensor (every joint's qpos and qvel
    when it has none), start from its first keyframe if it has one, reward 1 per step, never
    terminate. Declare a :class:`Task` or a task file for anything more.

    Examples
    --------
    >>> from acset_s2r.sim2real.models import model_path
    >>> task_for_model(model_path("cartpole")).observations is None
    True
    """
    model = load_model(path)
    observations = None if model.nsensordata else state_selections(model)
    return Task(
        name=Path(str(path)).stem, model=str(path), reward=reward_from_spec(model, [{"kind": "alive"}]),
        terminated=Termination(()), observations=observations, keyframe=0 if model.nkey else None,
        source=str(path),
    )


def get_task(name: str | Path | Task) -> Task:
    """A task: a shipped one by name, a TOML task file, the default task of an MJCF file
    (:func:`task_for_model`), or a :class:`Task` itself.

    Examples
    --------
    >>> get_task("hopper").substeps
    2
    >>> get_task("unicycle")
    Traceback (most recent call last):
    ...
    acset_s2r.errors.SimulationError: no task named 'unicycle'; choose from cartpole, hopper, quadruped, or give a .toml task file or an .xml model path
    """
    if isinstance(name, Task):
        return name
    text = str(name)
    if text in TASKS:
        return TASKS[text]
    if text.endswith(".toml"):
        return task_from_file(text)
    if text.endswith(".xml"):
        return task_for_model(text)
    raise SimulationError(
        f"no task named {text!r}; choose from {', '.join(TASKS)}, or give a .toml task file or an .xml model path"
    )
