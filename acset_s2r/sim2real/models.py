"""The MJCF models shipped with the package, and loading a model by name or path."""

from __future__ import annotations

from pathlib import Path

import mujoco

from acset_s2r.errors import SimulationError

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


def model_names() -> tuple[str, ...]:
    """Names of the shipped models.

    Examples
    --------
    >>> model_names()
    ('cartpole', 'hopper', 'quadruped')
    """
    return tuple(sorted(p.stem for p in MODELS_DIR.glob("*.xml")))


def model_path(name: str) -> Path:
    """Path of a shipped model's MJCF file."""
    path = MODELS_DIR / f"{name}.xml"
    if not path.is_file():
        raise SimulationError(
            f"no shipped model named {name!r}; shipped models are {', '.join(model_names())}"
        )
    return path


def load_model(name_or_path: str | Path | mujoco.MjSpec = "cartpole") -> mujoco.MjModel:
    """Compile a shipped model by name, any MJCF file by path, or an ``MjSpec``.

    A name without a path separator or ``.xml`` suffix is looked up among the
    shipped models; anything else is read as a file.

    Examples
    --------
    >>> load_model("quadruped").nu
    8
    >>> load_model("no/such/robot.xml")
    Traceback (most recent call last):
    ...
    acset_s2r.errors.SimulationError: model file 'no/such/robot.xml' does not exist
    """
    if isinstance(name_or_path, mujoco.MjSpec):
        try:
            return name_or_path.compile()
        except ValueError as exc:
            raise SimulationError(f"MuJoCo could not compile the MjSpec: {exc}") from exc
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or text.endswith(".xml") or "/" in text
    path = Path(text) if looks_like_path else model_path(text)
    if not path.is_file():
        raise SimulationError(f"model file {str(path)!r} does not exist")
    try:
        return mujoco.MjModel.from_xml_path(str(path))
    except ValueError as exc:
        raise SimulationError(f"MuJoCo could not compile {str(path)!r}: {exc}") from exc


def _names(model: mujoco.MjModel, obj: mujoco.mjtObj, count: int, dims, prefix: str) -> list[str]:
    names = []
    for i in range(count):
        name = mujoco.mj_id2name(model, obj, i) or f"{prefix}{i}"
        dim = int(dims[i])
        names += [name] if dim == 1 else [f"{name}[{k}]" for k in range(dim)]
    return names


def observation_names(model: mujoco.MjModel) -> list[str]:
    """One label per observation channel: the sensor names, ``name[i]`` for vector sensors.

    Examples
    --------
    >>> observation_names(load_model("cartpole"))
    ['cart_pos', 'pole_angle', 'cart_vel', 'pole_angvel']
    """
    return _names(model, mujoco.mjtObj.mjOBJ_SENSOR, model.nsensor, model.sensor_dim, "sensor")


def actuator_names(model: mujoco.MjModel) -> list[str]:
    """One label per action channel: the actuator names (``actuator{i}`` when unnamed).

    Examples
    --------
    >>> actuator_names(load_model("cartpole"))
    ['push']
    """
    return _names(model, mujoco.mjtObj.mjOBJ_ACTUATOR, model.nu, [1] * model.nu, "actuator")
