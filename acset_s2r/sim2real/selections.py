"""Named selections of a model's state and sensors: ``"qpos:root[2:7]"``, ``"qvel:fl_hip"``, ``"sensor:gyro"``.

A selection names a source (``qpos``, ``qvel`` or ``sensor``), a joint or sensor of the
model, and optionally a Python-style index or slice into that element's coordinates (a
free joint has 7 qpos and 6 qvel coordinates, a ball joint 4 and 3, a ``gyro`` sensor 3).
Resolved against a model, a list of selections is an index into the flat vector
``[qpos, qvel, sensordata]``, which is how tasks declare observations for models with or
without ``<sensor>`` elements, and how rewards and terminations name the state they read.

Examples
--------
>>> from acset_s2r.sim2real.models import load_model
>>> m = load_model("quadruped")
>>> Selection.parse("qpos:root[2:7]").labels(m)
['qpos:root[2]', 'qpos:root[3]', 'qpos:root[4]', 'qpos:root[5]', 'qpos:root[6]']
>>> resolve(m, ["qvel:fl_hip", "sensor:gyro[2]"])[0]
array([21, 31])
"""

from __future__ import annotations

import re
from typing import Sequence

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError

SOURCES = ("qpos", "qvel", "sensor")
# (qpos, qvel) coordinates of a free, ball, slide and hinge joint
_JOINT_DIMS = {0: (7, 6), 1: (4, 3), 2: (1, 1), 3: (1, 1)}
_PATTERN = re.compile(r"^(qpos|qvel|sensor):([^\[\]]+)(?:\[(-?\d*)(?:(:)(-?\d*))?\])?$")


@attrs.frozen
class Selection:
    """``source:name[index]``: coordinates of one joint (qpos or qvel) or one sensor.

    ``start``/``stop`` slice the element's coordinates (``None``: all of them);
    ``single`` marks a lone index (``[2]``) as against a slice (``[2:3]``).
    """

    source: str
    name: str
    start: int | None = None
    stop: int | None = None
    single: bool = False

    @classmethod
    def parse(cls, text: str) -> "Selection":
        """Read ``"qpos:NAME"``, ``"qvel:NAME[i]"`` or ``"sensor:NAME[a:b]"``.

        Examples
        --------
        >>> Selection.parse("qvel:root[0]")
        Selection(source='qvel', name='root', start=0, stop=None, single=True)
        >>> Selection.parse("state:x")
        Traceback (most recent call last):
        ...
        acset_s2r.errors.SimulationError: bad selection 'state:x': expected 'qpos:NAME', 'qvel:NAME' or 'sensor:NAME', optionally followed by [i] or [a:b]
        """
        match = _PATTERN.match(str(text).strip()) if isinstance(text, str) else None
        if match is None:
            raise SimulationError(
                f"bad selection {text!r}: expected 'qpos:NAME', 'qvel:NAME' or 'sensor:NAME', "
                "optionally followed by [i] or [a:b]"
            )
        source, name, a, colon, b = match.groups()
        if colon is None and a is not None:
            if a == "":
                raise SimulationError(f"bad selection {text!r}: empty index")
            return cls(source, name.strip(), int(a), None, True)
        start = int(a) if a else None
        stop = int(b) if b else None
        return cls(source, name.strip(), start, stop, False)

    def __str__(self) -> str:
        if self.single:
            return f"{self.source}:{self.name}[{self.start}]"
        if self.start is None and self.stop is None:
            return f"{self.source}:{self.name}"
        return f"{self.source}:{self.name}[{'' if self.start is None else self.start}:{'' if self.stop is None else self.stop}]"

    def _element(self, model: mujoco.MjModel) -> tuple[int, int]:
        """(first flat index, number of coordinates) of the named element."""
        obj = mujoco.mjtObj.mjOBJ_SENSOR if self.source == "sensor" else mujoco.mjtObj.mjOBJ_JOINT
        i = mujoco.mj_name2id(model, obj, self.name)
        if i < 0:
            kind = "sensor" if self.source == "sensor" else "joint"
            have = element_names(model, self.source)
            raise SimulationError(
                f"selection {str(self)!r}: the model has no {kind} named {self.name!r}; "
                f"it has {', '.join(have) or 'none'}"
            )
        if self.source == "sensor":
            return model.nq + model.nv + int(model.sensor_adr[i]), int(model.sensor_dim[i])
        qdim, vdim = _JOINT_DIMS[int(model.jnt_type[i])]
        if self.source == "qpos":
            return int(model.jnt_qposadr[i]), qdim
        return model.nq + int(model.jnt_dofadr[i]), vdim

    def indices(self, model: mujoco.MjModel) -> np.ndarray:
        """Indices into ``[qpos, qvel, sensordata]`` of ``model``."""
        first, dim = self._element(model)
        coords = np.arange(dim)
        if self.single:
            if not -dim <= self.start < dim:
                raise SimulationError(f"selection {str(self)!r}: index {self.start} out of range for {dim} coordinates")
            return np.array([first + coords[self.start]], dtype=np.intp)
        picked = coords[self.start : self.stop]
        if picked.size == 0:
            raise SimulationError(f"selection {str(self)!r} picks none of the element's {dim} coordinates")
        return (first + picked).astype(np.intp)

    def labels(self, model: mujoco.MjModel) -> list[str]:
        """One channel name per selected coordinate: ``source:name`` or ``source:name[k]``."""
        first, dim = self._element(model)
        ks = self.indices(model) - first
        base = f"{self.source}:{self.name}"
        return [base] if dim == 1 else [f"{base}[{k}]" for k in ks]


def element_names(model: mujoco.MjModel, source: str) -> list[str]:
    """Names a selection of ``source`` can use: the joints (qpos, qvel) or the sensors.

    Examples
    --------
    >>> from acset_s2r.sim2real.models import load_model
    >>> element_names(load_model("hopper"), "qvel")[:3]
    ['rootx', 'rootz', 'rooty']
    """
    if source == "sensor":
        obj, count = mujoco.mjtObj.mjOBJ_SENSOR, model.nsensor
    else:
        obj, count = mujoco.mjtObj.mjOBJ_JOINT, model.njnt
    return [n for n in (mujoco.mj_id2name(model, obj, i) for i in range(count)) if n]


def as_selections(items: Sequence[str | Selection]) -> tuple[Selection, ...]:
    """Parse every string of ``items``; Selections pass through.

    Examples
    --------
    >>> [str(s) for s in as_selections(["qpos:hip", Selection("qvel", "hip")])]
    ['qpos:hip', 'qvel:hip']
    """
    if isinstance(items, (str, Selection)):
        items = [items]
    return tuple(s if isinstance(s, Selection) else Selection.parse(s) for s in items)


def resolve(model: mujoco.MjModel, items: Sequence[str | Selection]) -> tuple[np.ndarray, list[str]]:
    """(indices into ``[qpos, qvel, sensordata]``, channel names) of the selections, in order."""
    sels = as_selections(items)
    if not sels:
        raise SimulationError("an empty list of selections selects nothing")
    idx = np.concatenate([s.indices(model) for s in sels])
    labels = [name for s in sels for name in s.labels(model)]
    return idx, labels


def state_selections(model: mujoco.MjModel) -> tuple[str, ...]:
    """Every joint's qpos and qvel: the default observation of a model without sensors.

    Examples
    --------
    >>> from acset_s2r.sim2real.models import load_model
    >>> state_selections(load_model("cartpole"))
    ('qpos:slider', 'qpos:hinge', 'qvel:slider', 'qvel:hinge')
    """
    names = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(model.njnt)]
    if not all(names):
        raise SimulationError("every joint needs a name to be selected by name; some joints of this model have none")
    return tuple(f"qpos:{n}" for n in names) + tuple(f"qvel:{n}" for n in names)
