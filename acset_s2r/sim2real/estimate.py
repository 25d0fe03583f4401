"""States from observations: what a log without the true state is read through.

:func:`observer` computes a task's noise-free observation for many states at once, and
:func:`estimate_states` inverts it frame by frame: when every channel is a qpos or qvel
coordinate (or a joint position/velocity sensor) the observed coordinates are copied and
the rest kept from the reference state (a free base's x and y, which the dynamics do not
depend on); otherwise a few Gauss-Newton steps in the tangent space, warm-started from the
previous frame. Quaternions are renormalised.

Examples
--------
>>> from acset_s2r.sim2real.tasks import get_task
>>> task = get_task("cartpole"); m = task.load_model()
>>> import numpy as np
>>> x = estimate_states(task, m, np.array([[0.1, 0.2, 0.0, -1.0]]))
>>> x.round(3).tolist()
[[0.1, 0.2, 0.0, -1.0]]
"""

from __future__ import annotations

import mujoco
import numpy as np

from acset_s2r.sim2real.tasks import Task, _quaternion_adrs

# Gauss-Newton steps per frame and the finite-difference step, for sensors that are not
# plain state coordinates.
_GN_STEPS = 3
_FD = 1e-5


def state_index(task: Task, model: mujoco.MjModel) -> np.ndarray | None:
    """Indices into [qpos, qvel] of each observation channel, or None if some channel is not
    a plain state coordinate."""
    idx = task.observation_index(model)
    nstate = model.nq + model.nv
    if idx is not None:
        return idx if np.all(idx < nstate) else None
    out = []
    for s in range(model.nsensor):
        if model.sensor_dim[s] != 1 or model.sensor_objtype[s] != mujoco.mjtObj.mjOBJ_JOINT:
            return None
        j = model.sensor_objid[s]
        if model.sensor_type[s] == mujoco.mjtSensor.mjSENS_JOINTPOS:
            out.append(model.jnt_qposadr[j])
        elif model.sensor_type[s] == mujoco.mjtSensor.mjSENS_JOINTVEL:
            out.append(model.nq + model.jnt_dofadr[j])
        else:
            return None
    return np.asarray(out, np.intp)


# Sensors that read a position or an orientation: at the control rate their second difference
# is O(dt²·acceleration), so what roughness they show is the sensor's own noise.
_POSITION_SENSORS = frozenset(
    int(getattr(mujoco.mjtSensor, n)) for n in (
        "mjSENS_JOINTPOS", "mjSENS_TENDONPOS", "mjSENS_ACTUATORPOS", "mjSENS_BALLQUAT", "mjSENS_FRAMEPOS",
        "mjSENS_FRAMEQUAT", "mjSENS_FRAMEXAXIS", "mjSENS_FRAMEYAXIS", "mjSENS_FRAMEZAXIS",
    )
)


def position_channels(task: Task, model: mujoco.MjModel) -> np.ndarray:
    """(nobs,) bool: which observation channels read a position or orientation (a qpos
    coordinate or a position-type sensor) rather than a velocity, force or acceleration.

    >>> from acset_s2r.sim2real.tasks import get_task
    >>> task = get_task("cartpole"); m = task.load_model()
    >>> position_channels(task, m).tolist()
    [True, True, False, False]
    """
    idx = task.observation_index(model)
    sensor_of = np.concatenate([np.full(d, s) for s, d in enumerate(model.sensor_dim)]) if model.nsensor else np.zeros(0, int)

    def is_position(sensor: int) -> bool:
        return int(model.sensor_type[sensor]) in _POSITION_SENSORS

    if idx is None:
        return np.array([is_position(s) for s in sensor_of], bool)
    nstate = model.nq + model.nv
    return np.array([i < model.nq or (i >= nstate and is_position(sensor_of[i - nstate])) for i in idx], bool)


def observer(task: Task, model: mujoco.MjModel):
    """``f(states (n, nq + nv)) -> (n, nobs)``: the task's noise-free observation of each state."""
    idx = state_index(task, model)
    if idx is not None:
        return lambda states: np.asarray(states, float)[:, idx]
    full = task.observation_index(model)
    data = mujoco.MjData(model)
    nq = model.nq

    def observe(states):
        states = np.atleast_2d(states)
        out = []
        for s in states:
            data.qpos[:], data.qvel[:] = s[:nq], s[nq:]
            mujoco.mj_forward(model, data)
            row = data.sensordata if full is None else np.concatenate([data.qpos, data.qvel, data.sensordata])[full]
            out.append(np.array(row))
        return np.array(out)

    return observe


def _normalise(model: mujoco.MjModel, qpos: np.ndarray) -> np.ndarray:
    for adr in _quaternion_adrs(model):
        q = qpos[..., adr : adr + 4]
        norm = np.linalg.norm(q, axis=-1, keepdims=True)
        q /= np.where(norm > 0, norm, 1.0)
    return qpos


def estimate_states(task: Task, model: mujoco.MjModel, obs: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """(T, nq + nv) states whose observations best match ``obs`` (T, nobs), frame by frame.

    ``reference`` (nq + nv,) fills what the observations do not determine (default: the
    task's reference state).
    """
    obs = np.atleast_2d(np.asarray(obs, float))
    nq, nv = model.nq, model.nv
    if reference is None:
        q0, v0 = task.reference_state(model)
        reference = np.concatenate([q0, v0])
    idx = state_index(task, model)
    if idx is not None:
        x = np.repeat(np.asarray(reference, float)[None], len(obs), axis=0)
        x[:, idx] = obs
        _normalise(model, x[:, :nq])
        return x
    # general sensors: Gauss-Newton in the tangent space (nv position + nv velocity coordinates)
    observe = observer(task, model)
    x = np.asarray(reference, float).copy()
    out = np.empty((len(obs), nq + nv))

    def moved(x, dx):
        q = x[:nq].copy()
        mujoco.mj_integratePos(model, q, dx[:nv], 1.0)
        return np.concatenate([q, x[nq:] + dx[nv:]])

    for t, o in enumerate(obs):
        for _ in range(_GN_STEPS):
            h0 = observe(x[None])[0]
            cols = [moved(x, _FD * e) for e in np.eye(2 * nv)]
            J = (observe(np.array(cols)) - h0[None]).T / _FD
            dx = np.linalg.lstsq(J, o - h0, rcond=1e-8)[0]
            x = moved(x, dx)
        _normalise(model, x[None, :nq])
        out[t] = x
    return out
