"""Domain randomisation of physical parameters, as MuJoCo Playground and ksim do it.

A :class:`RandomizationConfig` is a list of uniform :class:`Range` terms over the
model fields in :data:`FIELDS`: masses, friction (of any geom, the floor included),
damping, armature, frictionloss, actuator gain, centre of mass (``body_ipos``), joint
zero offsets (``qpos0``), PD servo gains (``actuator_kp`` moves ``gainprm`` and
``biasprm`` together, ``actuator_kd`` the damping term) and gravity. Each term
multiplies (``scale``), offsets (``add``) or replaces (``set``) the nominal value of some
elements. A curriculum ``level`` in [0, 1]
shrinks every range towards the nominal value, so level 0 reproduces the base
model exactly. Parameters are named ``"<field>/<element>"`` (for example
``"body_mass/pole"``, ``"body_ipos/torso:x"``, ``"gravity/z"``) and recorded as
absolute values, so that the sim ensemble and the hidden real plant can be compared
column by column. Per-episode pushes are a disturbance of the rollout
(:class:`~acset_s2r.sim2real.rollout.Pushes`), not a model field.

Examples
--------
>>> from acset_s2r.sim2real.models import load_model
>>> m = load_model("quadruped")
>>> cfg = RandomizationConfig((Range("body_ipos", -0.02, 0.02, mode="add", targets="torso:x"),
...                            Range("actuator_kp", 0.8, 1.2), Range("gravity", 0.9, 1.1, targets="z")))
>>> p = draw_parameters(m, cfg, 3, np.random.default_rng(0))
>>> p.names[:2], p.names[-1]
(('body_ipos/torso:x', 'actuator_kp/fl_hip'), 'gravity/z')
>>> bool(np.all((p.column("gravity/z") <= -0.9 * 9.81) & (p.column("gravity/z") >= -1.1 * 9.81)))
True
"""

from __future__ import annotations

import copy
from typing import Sequence

import attrs
import mujoco
import numpy as np

from acset_s2r.errors import SimulationError

FIELDS = (
    "body_mass",
    "geom_friction",
    "dof_damping",
    "dof_armature",
    "dof_frictionloss",
    "actuator_gain",
    "body_ipos",
    "qpos0",
    "actuator_kp",
    "actuator_kd",
    "gravity",
)
SIGNED = ("body_ipos", "qpos0", "gravity")
"""Fields whose values may be negative (positions and accelerations, not magnitudes)."""
_AXES = ("x", "y", "z")
MODES = ("scale", "add", "set")


def _check_field(instance, attribute, value):
    if value not in FIELDS:
        raise SimulationError(f"unknown randomised field {value!r}; fields are {', '.join(FIELDS)}")


def _check_mode(instance, attribute, value):
    if value not in MODES:
        raise SimulationError(f"unknown randomisation mode {value!r}; modes are {', '.join(MODES)}")


def _to_targets(value):
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen
class Range:
    """One uniform randomisation term: ``field`` of ``targets`` drawn from U(low, high).

    ``mode`` is ``scale`` (value × draw), ``add`` (value + draw) or ``set``
    (value = draw). ``targets`` names the elements (bodies, geoms, joints or
    actuators); ``None`` means all of them (bodies with mass, geoms that collide,
    every dof, every actuator). ``shared`` draws one value for all targets of an
    environment instead of one each.
    """

    field: str = attrs.field(validator=_check_field)
    low: float = attrs.field(converter=float)
    high: float = attrs.field(converter=float)
    mode: str = attrs.field(default="scale", validator=_check_mode)
    targets: tuple[str, ...] | None = attrs.field(default=None, converter=_to_targets)
    shared: bool = False

    def __attrs_post_init__(self):
        if not (np.isfinite(self.low) and np.isfinite(self.high)) or self.low > self.high:
            raise SimulationError(
                f"range for {self.field}: need finite low <= high, got [{self.low}, {self.high}]"
            )
        if self.mode in ("scale", "set") and self.low < 0 and self.field not in SIGNED:
            raise SimulationError(
                f"range for {self.field} ({self.mode}): a negative bound {self.low} "
                "would give a negative physical value"
            )


@attrs.frozen
class RandomizationConfig:
    """Randomisation terms applied in order, and the curriculum level scaling them all."""

    ranges: tuple[Range, ...] = attrs.field(converter=tuple)
    level: float = attrs.field(default=1.0, converter=float)

    def __attrs_post_init__(self):
        if not 0.0 <= self.level <= 1.0:
            raise SimulationError(f"curriculum level must lie in [0, 1], got {self.level}")
        for r in self.ranges:
            if not isinstance(r, Range):
                raise SimulationError(f"randomisation terms must be Range, got {type(r).__name__}")

    def at_level(self, level: float) -> "RandomizationConfig":
        return attrs.evolve(self, level=level)


@attrs.frozen
class PhysicsParams:
    """Physical parameters of n models: ``values[i, j]`` is parameter ``names[j]`` of model i."""

    names: tuple[str, ...] = attrs.field(converter=tuple)
    values: np.ndarray = attrs.field(converter=lambda v: np.atleast_2d(np.asarray(v, float)))

    def __attrs_post_init__(self):
        if self.values.shape[1] != len(self.names):
            raise SimulationError(
                f"PhysicsParams: {len(self.names)} names but values of shape {self.values.shape}"
            )

    def __len__(self) -> int:
        return self.values.shape[0]

    def column(self, name: str) -> np.ndarray:
        try:
            return self.values[:, self.names.index(name)]
        except ValueError:
            raise SimulationError(f"no physical parameter {name!r}") from None

    def structured(self) -> np.ndarray:
        """The same table as a numpy structured array of shape (n,), one field per name."""
        out = np.zeros(len(self), dtype=[(n, float) for n in self.names])
        for j, n in enumerate(self.names):
            out[n] = self.values[:, j]
        return out


# --- elements of a model that each field addresses -------------------------------------


def _name(model: mujoco.MjModel, obj: mujoco.mjtObj, i: int, prefix: str) -> str:
    return mujoco.mj_id2name(model, obj, i) or f"{prefix}{i}"


def _dof_names(model: mujoco.MjModel) -> list[str]:
    joint = model.dof_jntid.astype(int)
    ndof = np.bincount(joint, minlength=model.njnt)
    names = []
    for i, j in enumerate(joint):
        base = _name(model, mujoco.mjtObj.mjOBJ_JOINT, j, "joint")
        names.append(base if ndof[j] == 1 else f"{base}:{i - int(model.jnt_dofadr[j])}")
    return names


def _is_servo(model: mujoco.MjModel, i: int) -> bool:
    """A position servo: affine bias whose position term is -kp."""
    kp = model.actuator_gainprm[i, 0]
    return (
        model.actuator_biastype[i] == mujoco.mjtBias.mjBIAS_AFFINE and kp != 0 and model.actuator_biasprm[i, 1] == -kp
    )


def elements(model: mujoco.MjModel, field: str) -> dict[str, int | tuple[int, int]]:
    """Element name -> index for a randomisable field (geoms and bodies by name, dofs by joint;
    ``body:x`` and an axis for ``body_ipos``, ``x``/``y``/``z`` for gravity, hinge and slide
    joints' qpos addresses for ``qpos0``, position servos for ``actuator_kp``/``actuator_kd``).

    Examples
    --------
    >>> from acset_s2r.sim2real.models import load_model
    >>> elements(load_model("cartpole"), "qpos0")
    {'slider': 0, 'hinge': 1}
    """
    _check_field(None, None, field)
    if field == "body_mass":
        return {_name(model, mujoco.mjtObj.mjOBJ_BODY, i, "body"): i for i in range(1, model.nbody)}
    if field == "body_ipos":
        return {
            f"{_name(model, mujoco.mjtObj.mjOBJ_BODY, i, 'body')}:{a}": (i, k)
            for i in range(1, model.nbody) for k, a in enumerate(_AXES)
        }
    if field == "gravity":
        return {a: k for k, a in enumerate(_AXES)}
    if field == "qpos0":
        hinge_slide = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))
        return {
            _name(model, mujoco.mjtObj.mjOBJ_JOINT, j, "joint"): int(model.jnt_qposadr[j])
            for j in range(model.njnt) if int(model.jnt_type[j]) in hinge_slide
        }
    if field in ("actuator_kp", "actuator_kd"):
        return {
            _name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i, "actuator"): i for i in range(model.nu) if _is_servo(model, i)
        }
    if field == "geom_friction":
        return {_name(model, mujoco.mjtObj.mjOBJ_GEOM, i, "geom"): i for i in range(model.ngeom)}
    if field.startswith("dof_"):
        return {n: i for i, n in enumerate(_dof_names(model))}
    return {_name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, i, "actuator"): i for i in range(model.nu)}


def _default_targets(model: mujoco.MjModel, field: str) -> list[str]:
    els = elements(model, field)
    if field == "body_mass":
        return [n for n, i in els.items() if model.body_mass[i] > 0]
    if field == "body_ipos":
        return [n for n, (i, _) in els.items() if model.body_mass[i] > 0]
    if field == "geom_friction":
        return [
            n for n, i in els.items() if model.geom_contype[i] or model.geom_conaffinity[i]
        ]
    return list(els)


def _get(model: mujoco.MjModel, field: str, i) -> float:
    if field == "body_ipos":
        return float(model.body_ipos[i])
    if field == "gravity":
        return float(model.opt.gravity[i])
    if field == "actuator_kp":
        return float(model.actuator_gainprm[i, 0])
    if field == "actuator_kd":
        return float(-model.actuator_biasprm[i, 2])
    if field == "geom_friction":
        return float(model.geom_friction[i, 0])
    if field == "actuator_gain":
        return float(model.actuator_gainprm[i, 0])
    return float(getattr(model, field)[i])


def _resolve(model: mujoco.MjModel, names: Sequence[str]) -> list[tuple[str, int]]:
    """(field, element index) of each parameter name."""
    out = []
    cache: dict[str, dict[str, int]] = {}
    for name in names:
        field, element = _split(name)
        if field not in cache:  # not setdefault: its argument would be built on every name
            cache[field] = elements(model, field)
        els = cache[field]
        if element not in els:
            raise SimulationError(
                f"parameter {name!r}: the model has no {field} element {element!r}; "
                f"it has {', '.join(els) or 'none'}"
            )
        out.append((field, els[element]))
    return out


def _check_values(names: Sequence[str], values: np.ndarray) -> None:
    for j, name in enumerate(names):
        col = values[:, j]
        field = name.partition("/")[0]
        if field in SIGNED:
            bad = ~np.isfinite(col)
        else:
            bad = ~np.isfinite(col) | (col <= 0 if field == "body_mass" else col < 0)
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            raise SimulationError(
                f"model {i}: parameter {name!r} would be {col[i]}, which is not physical"
            )


def parameter_fields(
    base: mujoco.MjModel, names: Sequence[str], values: np.ndarray
) -> dict[str, np.ndarray]:
    """The MjModel fields that n parameter vectors change, each with a leading axis n.

    ``values`` is (n, len(names)) of absolute values. A mass also rescales its
    body's inertia (fixed shape); a gain also moves a position servo's -kp bias.
    Friction edits the sliding column only; a servo's kp sets ``gainprm[0]`` and
    ``biasprm[1] = -kp``, its kd ``biasprm[2] = -kd``; gravity is ``opt.gravity`` (the
    name ``Batch.expand`` takes). Derived constants are not included: run ``mj_setConst``
    (or ``Batch.set_const``) after writing these.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    if values.shape[1] != len(names):
        raise SimulationError(f"{len(names)} parameter names but values of shape {values.shape}")
    _check_values(names, values)
    n = values.shape[0]
    fields: dict[str, np.ndarray] = {}

    def field(name: str) -> np.ndarray:
        if name not in fields:
            fields[name] = np.repeat(model_array(base, name)[None].copy(), n, axis=0)
        return fields[name]

    for (kind, i), col in zip(_resolve(base, names), values.T):
        if kind == "body_mass":
            field("body_inertia")[:, i] = base.body_inertia[i] * (col / base.body_mass[i])[:, None]
            field("body_mass")[:, i] = col
        elif kind == "geom_friction":
            field("geom_friction")[:, i, 0] = col
        elif kind == "body_ipos":
            field("body_ipos")[:, i[0], i[1]] = col
        elif kind == "gravity":
            field("opt.gravity")[:, i] = col
        elif kind == "actuator_kp":
            field("actuator_gainprm")[:, i, 0] = col
            field("actuator_biasprm")[:, i, 1] = -col
        elif kind == "actuator_kd":
            field("actuator_biasprm")[:, i, 2] = -col
        elif kind == "actuator_gain":
            old = base.actuator_gainprm[i, 0]
            field("actuator_gainprm")[:, i, 0] = col
            if (
                base.actuator_biastype[i] == mujoco.mjtBias.mjBIAS_AFFINE
                and old != 0
                and base.actuator_biasprm[i, 1] == -old
            ):
                field("actuator_biasprm")[:, i, 1] = -col
        else:
            field(kind)[:, i] = col
    return fields


def model_array(model: mujoco.MjModel, name: str) -> np.ndarray:
    """The live array of a model field named as ``Batch.expand`` names it (``opt.gravity``).

    Examples
    --------
    >>> from acset_s2r.sim2real.models import load_model
    >>> model_array(load_model("cartpole"), "opt.gravity")
    array([ 0.  ,  0.  , -9.81])
    """
    if name.startswith("opt."):
        return getattr(model.opt, name[4:])
    return getattr(model, name)


def parameter_names(model: mujoco.MjModel, config: RandomizationConfig) -> tuple[str, ...]:
    """The names of the parameters ``config`` randomises, in first-touched order."""
    names: dict[str, None] = {}
    for r in config.ranges:
        for target in _resolve_targets(model, r):
            names[f"{r.field}/{target}"] = None
    return tuple(names)


def _resolve_targets(model: mujoco.MjModel, r: Range) -> list[str]:
    if r.targets is None:
        return _default_targets(model, r.field)
    els = elements(model, r.field)
    for t in r.targets:
        if t not in els:
            raise SimulationError(
                f"randomisation of {r.field}: the model has no element {t!r}; "
                f"it has {', '.join(els) or 'none'}"
            )
    return list(r.targets)


def _split(name: str) -> tuple[str, str]:
    field, sep, element = name.partition("/")
    if not sep or field not in FIELDS:
        raise SimulationError(
            f"bad physical parameter name {name!r}: expected '<field>/<element>' "
            f"with field one of {', '.join(FIELDS)}"
        )
    return field, element


def physics_parameters(model: mujoco.MjModel, names: Sequence[str]) -> np.ndarray:
    """Current absolute values of named parameters of one model, shape (len(names),)."""
    return np.array([_get(model, f, i) for f, i in _resolve(model, names)], dtype=float)


def apply_parameters(
    base: mujoco.MjModel, names: Sequence[str], values: np.ndarray
) -> mujoco.MjModel:
    """A copy of ``base`` with the named parameters set to absolute ``values``.

    Masses rescale their body's inertia, and ``mj_setConst`` refreshes the derived
    constants. ``base`` is never modified.
    """
    values = np.asarray(values, float)
    if values.shape != (len(names),):
        raise SimulationError(f"{len(names)} parameter names but values of shape {values.shape}")
    return apply_parameter_rows(base, names, values[None])[0]


def apply_parameter_rows(
    base: mujoco.MjModel, names: Sequence[str], values: np.ndarray
) -> list[mujoco.MjModel]:
    """One copy of ``base`` per row of ``values`` (n, len(names)), each as
    :func:`apply_parameters` makes it: the names are resolved and the values checked once for
    all rows, which is most of the cost of one model (a parameter fit asks for hundreds).

    >>> from acset_s2r.sim2real.models import load_model
    >>> m = load_model("cartpole")
    >>> a, b = apply_parameter_rows(m, ["body_mass/pole"], [[0.2], [0.4]])
    >>> float(a.body_mass[2]), float(b.body_mass[2]), float(m.body_mass[2])
    (0.2, 0.4, 0.1)
    """
    values = np.atleast_2d(np.asarray(values, float))
    fields = parameter_fields(base, names, values)
    models = []
    scratch = None
    for row in range(len(values)):
        model = copy.deepcopy(base)
        for name, arr in fields.items():
            model_array(model, name)[...] = arr[row]
        # copies share every size, so one MjData is workspace enough for each mj_setConst
        scratch = mujoco.MjData(model) if scratch is None else scratch
        mujoco.mj_setConst(model, scratch)
        models.append(model)
    return models


@attrs.frozen(eq=False)
class Ensemble:
    """A base model and one parameter row per member: a randomised ensemble, unmaterialised.

    Rollouts give each environment its member's parameters through
    ``Batch.expand``, which is markedly faster than one MjModel per environment.
    """

    base: mujoco.MjModel
    params: PhysicsParams

    def __attrs_post_init__(self):
        _resolve(self.base, self.params.names)
        _check_values(self.params.names, self.params.values)

    def __len__(self) -> int:
        return len(self.params)

    def take(self, indices) -> "Ensemble":
        """The members at ``indices`` (repeats allowed), e.g. one per environment."""
        idx = np.asarray(indices, dtype=np.intp)
        return Ensemble(self.base, PhysicsParams(self.params.names, self.params.values[idx]))

    def fields(self) -> dict[str, np.ndarray]:
        return parameter_fields(self.base, self.params.names, self.params.values)

    def model(self, i: int) -> mujoco.MjModel:
        return apply_parameters(self.base, self.params.names, self.params.values[i])

    def models(self) -> list[mujoco.MjModel]:
        return [self.model(i) for i in range(len(self))]


def _term_bounds(r: Range, level: float, v0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of a term's draw at a curriculum level, shrunk towards its identity."""
    if r.mode == "scale":
        lo, hi = 1.0 + level * (r.low - 1.0), 1.0 + level * (r.high - 1.0)
    elif r.mode == "add":
        lo, hi = level * r.low, level * r.high
    else:
        lo, hi = v0 + level * (r.low - v0), v0 + level * (r.high - v0)
    return np.broadcast_to(lo, v0.shape), np.broadcast_to(hi, v0.shape)


def _combine(mode: str, v0: np.ndarray, draw: np.ndarray) -> np.ndarray:
    if mode == "scale":
        return v0 * draw
    if mode == "add":
        return v0 + draw
    return draw


def draw_parameters(
    base: mujoco.MjModel, config: RandomizationConfig, n: int, rng: np.random.Generator
) -> PhysicsParams:
    """Draw n parameter vectors from ``config`` at its level, as absolute values."""
    if n < 0:
        raise SimulationError(f"number of models must be >= 0, got {n}")
    names = parameter_names(base, config)
    nominal = physics_parameters(base, names)
    current = {name: np.full(n, v) for name, v in zip(names, nominal)}
    for r in config.ranges:
        targets = _resolve_targets(base, r)
        if not targets:
            continue
        u = rng.uniform(0.0, 1.0, (n, 1 if r.shared else len(targets)))
        for k, target in enumerate(targets):
            name = f"{r.field}/{target}"
            v0 = current[name]
            lo, hi = _term_bounds(r, config.level, v0)
            current[name] = _combine(r.mode, v0, lo + u[:, 0 if r.shared else k] * (hi - lo))
    values = np.stack([current[name] for name in names], axis=1) if names else np.zeros((n, 0))
    return PhysicsParams(names, values)


def support_bounds(
    base: mujoco.MjModel, config: RandomizationConfig
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(names, low, high): the interval each randomised parameter can take under ``config``.

    Use it to place a real plant inside or outside the randomised support.
    """
    names = parameter_names(base, config)
    nominal = physics_parameters(base, names)
    low = dict(zip(names, nominal))
    high = dict(zip(names, nominal))
    for r in config.ranges:
        for target in _resolve_targets(base, r):
            name = f"{r.field}/{target}"
            a, b = np.asarray(low[name]), np.asarray(high[name])
            # every mode is monotone in the draw and in the old value (scale factors >= 0),
            # so the extremes are at the corners; a negative value flips a scale's order
            corners = []
            for v in (a, b):
                lo_v, hi_v = _term_bounds(r, config.level, v)
                corners += [float(_combine(r.mode, v, lo_v)), float(_combine(r.mode, v, hi_v))]
            low[name], high[name] = min(corners), max(corners)
    return names, np.array([low[k] for k in names]), np.array([high[k] for k in names])


def sample_ensemble(
    base: mujoco.MjModel, config: RandomizationConfig, n: int, rng: np.random.Generator
) -> Ensemble:
    """n randomised members of ``base``, as parameters (see :class:`Ensemble`)."""
    return Ensemble(base, draw_parameters(base, config, n, rng))


def sample_models(
    base: mujoco.MjModel, config: RandomizationConfig, n: int, rng: np.random.Generator
) -> tuple[list[mujoco.MjModel], PhysicsParams]:
    """n randomised copies of ``base`` and the parameters drawn for each.

    Returns ``(models, params)`` with ``params.values`` of shape (n, p). Raises
    SimulationError naming the model and parameter if a draw is unphysical (for
    example an additive mass offset that makes a mass non-positive).
    """
    ensemble = sample_ensemble(base, config, n, rng)
    return ensemble.models(), ensemble.params


def legged_defaults(model: mujoco.MjModel, level: float = 1.0) -> RandomizationConfig:
    """MuJoCo Playground's ranges for its legged robots (Go1, Berkeley Humanoid), for this model.

    Floor friction set to U(0.4, 1.0) (a geom named ``floor``); frictionloss ×U(0.9, 1.1);
    armature ×U(1.0, 1.05); centre of mass of a body named ``torso`` +U(-0.05, 0.05) m per
    axis; link masses ×U(0.9, 1.1); torso mass +U(-1, 1) kg; joint zero offsets
    +U(-0.05, 0.05) rad; servo kp ×U(0.9, 1.1) and kd ×U(0.9, 1.1). Pushes are a rollout
    disturbance (:class:`~acset_s2r.sim2real.rollout.Pushes`).

    Examples
    --------
    >>> from acset_s2r.sim2real.models import load_model
    >>> [r.field for r in legged_defaults(load_model("quadruped")).ranges][:3]
    ['geom_friction', 'dof_frictionloss', 'dof_armature']
    """
    ranges = []
    if "floor" in elements(model, "geom_friction"):
        ranges.append(Range("geom_friction", 0.4, 1.0, mode="set", targets="floor"))
    ranges += [Range("dof_frictionloss", 0.9, 1.1), Range("dof_armature", 1.0, 1.05)]
    if "torso" in elements(model, "body_mass"):
        ranges.append(Range("body_ipos", -0.05, 0.05, mode="add", targets=("torso:x", "torso:y", "torso:z")))
    ranges.append(Range("body_mass", 0.9, 1.1))
    if "torso" in elements(model, "body_mass"):
        ranges.append(Range("body_mass", -1.0, 1.0, mode="add", targets=("torso",)))
    if elements(model, "qpos0"):
        ranges.append(Range("qpos0", -0.05, 0.05, mode="add"))
    if elements(model, "actuator_kp"):
        ranges += [Range("actuator_kp", 0.9, 1.1), Range("actuator_kd", 0.9, 1.1)]
    return RandomizationConfig(tuple(ranges), level=level)


def playground_defaults(model: mujoco.MjModel, level: float = 1.0) -> RandomizationConfig:
    """The ranges MuJoCo Playground (and ksim, for damping) use, for this model.

    Link masses ×U(0.9, 1.1); a body named ``torso`` also +U(-1, 1) kg; friction of
    colliding geoms set to one shared U(0.4, 1.0) (skipped if nothing collides, as
    in the cartpole); joint damping ×U(0.5, 2.5); armature ×U(1.0, 1.05);
    frictionloss ×U(0.5, 2.0); actuator gain ×U(0.8, 1.2).
    """
    ranges = [Range("body_mass", 0.9, 1.1)]
    if "torso" in elements(model, "body_mass"):
        ranges.append(Range("body_mass", -1.0, 1.0, mode="add", targets=("torso",)))
    if _default_targets(model, "geom_friction"):
        ranges.append(Range("geom_friction", 0.4, 1.0, mode="set", shared=True))
    ranges += [
        Range("dof_damping", 0.5, 2.5),
        Range("dof_armature", 1.0, 1.05),
        Range("dof_frictionloss", 0.5, 2.0),
        Range("actuator_gain", 0.8, 1.2),
    ]
    return RandomizationConfig(tuple(ranges), level=level)
