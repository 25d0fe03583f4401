"""Batched closed-loop rollouts of an ensemble, recorded step by step into numpy arrays.

Each environment has its own MjModel (its own physics); all are stepped together by
``mujoco.batch.Batch`` on a thread pool. The policy is any
:class:`~acset_s2r.sim2real.policies.Policy`, called once per control step on the whole
batch of observations; linear-Gaussian policies (one shared, or one per env) take a fast
path with their action noise drawn up front. Everything random (initial states, observation noise and bias,
latencies, action noise) is drawn up front from one generator, so a rollout is
a pure function of its inputs and seed, and the loop only does array arithmetic.

Observations are the task's (named selections of qpos, qvel and sensors, or every sensor)
at the state the policy acts in (not the one-step stale ``sensordata`` that ``mj_step``
leaves behind). When they read only the state (or every sensor is a scalar
jointpos/jointvel sensor) they are gathered from the state directly; otherwise the batch
computes the sensors' stages after each step. Actions become controls through the task's
``ctrl = offset + scale · action``.
"""

from __future__ import annotations

import collections
import functools
from typing import Sequence

import attrs
import mujoco
import mujoco.batch
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import RealPlant
from acset_s2r.sim2real.policies import as_policy, check_policy, describe
from acset_s2r.sim2real.policy import LinearGaussianPolicy
from acset_s2r.sim2real.randomization import Ensemble
from acset_s2r.sim2real.tasks import Task

# Magnitude past which a state counts as diverged; MuJoCo itself only objects
# past 1e10, and a huge timestep can grow the state without tripping that.
MAX_ABS_STATE = 1e6

_recent_warnings: collections.deque[str] = collections.deque(maxlen=32)
_handler_installed = False


def _on_mujoco_warning(message: str) -> None:
    _recent_warnings.append(message)


def install_warning_handler() -> None:
    """Route MuJoCo warnings into this module, so none is written to MUJOCO_LOG.TXT.

    Rollouts call it; it replaces any handler set with ``mujoco.set_mju_user_warning``.
    """
    global _handler_installed
    if not _handler_installed:
        mujoco.set_mju_user_warning(_on_mujoco_warning)
        _handler_installed = True


def recent_mujoco_warnings() -> list[str]:
    """The last MuJoCo warning messages seen (at most 32)."""
    return list(_recent_warnings)


def _env_major(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.swapaxes(a, 0, 1))


@attrs.frozen(eq=False)
class RolloutBatch:
    """N episodes of T control steps. Per step t:

    - ``obs`` (N, T, nobs): the observation the policy saw (noise and bias included);
    - ``obs_clean`` (N, T, nobs): the same observation without noise;
    - ``action`` (N, T, nu): the action the policy commanded (clipped to the task's action bounds);
    - ``ctrl`` (N, T, nu): the control the plant received during step t (after latency and
      the task's offset and scale);
    - ``time`` (N, T): simulation time at the observation;
    - ``qpos`` (N, T+1, nq), ``qvel`` (N, T+1, nv): state at step t, and after it at t+1;
    - ``reward`` (N, T): reward of the transition t -> t+1;
    - ``terminated`` (N, T): the transition that ended the episode (state left the healthy set);
    - ``alive`` (N, T): the step is part of the episode (up to and including termination).

    Per episode: ``obs_bias`` (N, nobs), ``latency`` (N,) in control steps, and
    ``control_dt`` (N,) seconds per control step. Steps after termination are still
    simulated and recorded (the arrays stay rectangular) but have ``alive`` False
    and count for nothing in ``returns``.
    """

    obs: np.ndarray
    obs_clean: np.ndarray
    action: np.ndarray
    ctrl: np.ndarray
    time: np.ndarray
    qpos: np.ndarray
    qvel: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    alive: np.ndarray
    obs_bias: np.ndarray
    latency: np.ndarray
    control_dt: np.ndarray

    @property
    def n_envs(self) -> int:
        return self.obs.shape[0]

    @property
    def horizon(self) -> int:
        return self.obs.shape[1]

    @property
    def next_qpos(self) -> np.ndarray:
        """(N, T, nq): the state each step led to."""
        return self.qpos[:, 1:]

    @property
    def next_qvel(self) -> np.ndarray:
        return self.qvel[:, 1:]

    @property
    def truncated(self) -> np.ndarray:
        """(N, T): the last step of an episode that ran out of horizon without terminating."""
        out = np.zeros_like(self.alive)
        out[:, -1] = self.alive[:, -1] & ~self.terminated[:, -1]
        return out

    @property
    def done(self) -> np.ndarray:
        return self.terminated | self.truncated

    @functools.cached_property  # recording reads it once per env
    def returns(self) -> np.ndarray:
        """(N,) undiscounted sum of rewards over each episode's live steps."""
        return np.where(self.alive, self.reward, 0.0).sum(axis=1)

    @functools.cached_property
    def lengths(self) -> np.ndarray:
        """(N,) number of live steps per episode."""
        return self.alive.sum(axis=1)


def _as_list(x, n: int | None, what: str) -> list:
    if isinstance(x, (mujoco.MjModel, LinearGaussianPolicy)):
        return [x] * (1 if n is None else n)
    items = list(x)
    if n is not None and len(items) != n:
        raise SimulationError(f"{what}: expected {n} entries (one per env), got {len(items)}")
    return items


def _state_gather(model: mujoco.MjModel) -> np.ndarray | None:
    """Indices into [qpos, qvel] that reproduce sensordata, or None if not all sensors allow it."""
    idx = []
    delay = getattr(model, "sensor_delay", np.zeros(model.nsensor))
    for s in range(model.nsensor):
        kind = model.sensor_type[s]
        if model.sensor_dim[s] != 1 or model.sensor_cutoff[s] > 0 or delay[s] != 0:
            return None
        if model.sensor_objtype[s] != mujoco.mjtObj.mjOBJ_JOINT:
            return None
        j = model.sensor_objid[s]
        if kind == mujoco.mjtSensor.mjSENS_JOINTPOS:
            idx.append(model.jnt_qposadr[j])
        elif kind == mujoco.mjtSensor.mjSENS_JOINTVEL:
            idx.append(model.nq + model.jnt_dofadr[j])
        else:
            return None
    return np.asarray(idx, dtype=np.intp)


@attrs.frozen(eq=False)
class _ObsLayout:
    """How a rollout reads observations: ``gather`` indexes [qpos, qvel] (or [qpos, qvel,
    sensordata] when ``sensors``); no gather means the sensordata itself."""

    nobs: int
    gather: np.ndarray | None
    sensors: bool
    stage: int


def _observation_layout(task: Task, model: mujoco.MjModel) -> _ObsLayout:
    idx = task.observation_index(model)
    none, vel = int(mujoco.mjtStage.mjSTAGE_NONE), int(mujoco.mjtStage.mjSTAGE_VEL)
    if idx is None:
        gather = _state_gather(model)
        return _ObsLayout(model.nsensordata, gather, False, none if gather is not None else vel)
    nstate = model.nq + model.nv
    if np.all(idx < nstate):
        return _ObsLayout(len(idx), idx, False, none)
    adrs = model.sensor_adr
    used = {int(np.searchsorted(adrs, i - nstate, side="right") - 1) for i in idx[idx >= nstate]}
    stage = max(vel, max(int(model.sensor_needstage[s]) for s in used))
    return _ObsLayout(len(idx), idx, True, stage)


def _check_layout(models: list[mujoco.MjModel]) -> None:
    m0 = models[0]
    for i, m in enumerate(models):
        for field in ("nq", "nv", "nu", "na", "nsensordata"):
            if getattr(m, field) != getattr(m0, field):
                raise SimulationError(
                    f"env {i}: model has {field}={getattr(m, field)} but env 0 has "
                    f"{getattr(m0, field)}; an ensemble needs models of one layout"
                )


def _policy_arrays(policies: list[LinearGaussianPolicy], model: mujoco.MjModel, nobs: int):
    p0 = policies[0]
    for i, p in enumerate(policies):
        if not isinstance(p, LinearGaussianPolicy):
            raise SimulationError(
                f"env {i}: one policy per env works for LinearGaussianPolicy only; give any other "
                f"policy once, as a batch policy, not {type(p).__name__}"
            )
        if p.gain.shape != (model.nu, nobs):
            raise SimulationError(
                f"env {i}: policy gain has shape {p.gain.shape} but the model has "
                f"nu={model.nu} actuators and the task {nobs} observation channels"
            )
    shared = all(p is p0 for p in policies)
    if shared:
        gain = p0.gain
        offset = p0.bias - p0.gain @ p0.obs_ref  # K(o - o_ref) + b = K o + offset
        return shared, gain, offset[None], p0.sigma[None], p0.ctrl_low, p0.ctrl_high
    gain = np.stack([p.gain for p in policies])
    offset = np.stack([p.bias - p.gain @ p.obs_ref for p in policies])
    sigma = np.stack([p.sigma for p in policies])
    low = np.stack([p.ctrl_low for p in policies])
    high = np.stack([p.ctrl_high for p in policies])
    return shared, gain, offset, sigma, low, high


def _first(mask: np.ndarray) -> tuple[int, int]:
    """(env, step) where an (N, T) mask first holds: earliest step, then lowest env."""
    envs, steps = np.nonzero(mask)
    k = np.lexsort((envs, steps))[0]
    return int(envs[k]), int(steps[k])


@attrs.frozen
class VelocityKicks:
    """A disturbance: at the start of every control step each env's joint velocities get a
    Gaussian kick of std ``std`` (one per dof, or one for all), an unmodelled random force.

    Drawn after everything else a rollout draws, so with a zero ``std`` nothing is drawn
    and the rollout is the undisturbed one.
    """

    std: np.ndarray = attrs.field(converter=lambda x: np.atleast_1d(np.asarray(x, float)))

    def __attrs_post_init__(self):
        if not (np.all(np.isfinite(self.std)) and np.all(self.std >= 0)):
            raise SimulationError(f"VelocityKicks.std must be finite and >= 0, got {self.std}")

    def active(self) -> bool:
        return bool(np.any(self.std))

    def draw(self, rng: np.random.Generator, horizon: int, n: int, nv: int) -> np.ndarray:
        """(horizon, n, nv) velocity changes."""
        if self.std.size not in (1, nv):
            raise SimulationError(f"VelocityKicks.std has {self.std.size} entries but the model has {nv} dofs")
        return rng.standard_normal((horizon, n, nv)) * self.std


def _pair(value) -> tuple[float, float]:
    lo, hi = (float(v) for v in np.broadcast_to(np.asarray(value, float), (2,)))
    return lo, hi


@attrs.frozen
class Pushes:
    """Per-episode pushes, as MuJoCo Playground's legged tasks give them: every U(interval)
    seconds each env's velocity along ``dofs`` jumps by U(magnitude) m/s (or rad/s) in a
    random direction of that subspace (a random sign for one dof).

    ``dofs`` defaults to (0, 1): the horizontal linear velocity of a free joint that comes
    first in the model, as a floating base does. :meth:`scaled` multiplies the magnitudes
    by a curriculum level. Drawn after everything else a rollout draws, like
    :class:`VelocityKicks`, whose place it takes as the ``disturbance``.

    Examples
    --------
    >>> import numpy as np
    >>> p = Pushes(magnitude=(0.5, 1.0), interval=(0.1, 0.2), control_dt=0.02)
    >>> kicks = p.draw(np.random.default_rng(0), 50, 3, 14)
    >>> kicks.shape, bool(np.all(kicks[:, :, 2:] == 0))
    ((50, 3, 14), True)
    >>> speed = np.linalg.norm(kicks[:, :, :2], axis=2)
    >>> bool(np.all((speed == 0) | ((speed >= 0.5) & (speed <= 1.0))))
    True
    """

    magnitude: tuple[float, float] = attrs.field(default=(0.1, 2.0), converter=_pair)
    interval: tuple[float, float] = attrs.field(default=(5.0, 10.0), converter=_pair)
    control_dt: float = attrs.field(default=0.02, converter=float)
    dofs: tuple[int, ...] = attrs.field(default=(0, 1), converter=lambda d: tuple(int(i) for i in np.atleast_1d(d)))

    def __attrs_post_init__(self):
        lo, hi = self.magnitude
        if not (0 <= lo <= hi and np.isfinite(hi)):
            raise SimulationError(f"Pushes.magnitude needs 0 <= low <= high, got {self.magnitude}")
        lo, hi = self.interval
        if not (0 < lo <= hi and np.isfinite(hi)) or not self.control_dt > 0:
            raise SimulationError(f"Pushes.interval needs 0 < low <= high seconds and control_dt > 0, got {self.interval}, {self.control_dt}")
        if not self.dofs:
            raise SimulationError("Pushes.dofs names no dof")

    def scaled(self, level: float) -> "Pushes":
        """The same pushes with magnitudes multiplied by ``level``."""
        return attrs.evolve(self, magnitude=(self.magnitude[0] * level, self.magnitude[1] * level))

    def active(self) -> bool:
        return self.magnitude[1] > 0

    def draw(self, rng: np.random.Generator, horizon: int, n: int, nv: int) -> np.ndarray:
        """(horizon, n, nv) velocity changes: zero except at the push steps."""
        if max(self.dofs) >= nv or min(self.dofs) < -nv:
            raise SimulationError(f"Pushes.dofs {self.dofs} out of range for a model with {nv} dofs")
        out = np.zeros((horizon, n, nv))
        # enough gaps to pass the horizon even if every one is the shortest
        count = int(np.ceil(horizon * self.control_dt / self.interval[0])) + 1
        gaps = rng.uniform(*self.interval, (n, count))
        steps = np.floor(np.cumsum(gaps, axis=1) / self.control_dt).astype(np.int64)
        direction = rng.standard_normal((n, count, len(self.dofs)))
        direction /= np.maximum(np.linalg.norm(direction, axis=2, keepdims=True), 1e-12)
        speed = rng.uniform(*self.magnitude, (n, count))
        env, k = np.nonzero(steps < horizon)
        out[steps[env, k][:, None], env[:, None], np.asarray(self.dofs)[None, :]] = (
            direction[env, k] * speed[env, k, None]
        )
        return out


@attrs.frozen(eq=False)
class _Draws:
    """Everything random in a rollout, drawn up front in a fixed order."""

    qpos0: np.ndarray
    qvel0: np.ndarray
    noise: np.ndarray  # (T, N, nobs), bias included
    bias: np.ndarray  # (N, nobs)
    delays: np.ndarray  # (N,) control steps
    drive: np.ndarray  # (T, N, nu): everything in the action but K·o
    kicks: np.ndarray | None  # (T, N, nv) or None


def _draw(base, n, task, rng, horizon, nobs, obs_noise, latency, sigma, offset, initial_state, disturbance) -> _Draws:
    nq, nv, nu = base.nq, base.nv, base.nu
    if initial_state is None:
        qpos0, qvel0 = task.initial_state(base, n, rng)
    else:
        qpos0, qvel0 = (np.asarray(a, float) for a in initial_state)
        if qpos0.shape != (n, nq) or qvel0.shape != (n, nv):
            raise SimulationError(
                f"initial_state must be qpos ({n}, {nq}) and qvel ({n}, {nv}), "
                f"got {qpos0.shape} and {qvel0.shape}"
            )
    noise, bias = (obs_noise or ObservationNoise()).sample(rng, horizon, n, nobs)
    if isinstance(latency, ActionLatency):
        delays = latency.sample(rng, n)
    else:
        delays = np.broadcast_to(np.asarray(latency), (n,)).astype(np.int64)
        if np.any(delays < 0):
            raise SimulationError(f"action latency must be >= 0 steps, got {latency}")
    if sigma is None:  # a batch policy: its actions are all it commands
        drive = np.zeros((horizon, n, nu))
    else:
        drive = rng.standard_normal((horizon, n, nu)) * sigma[None] + offset[None]
    kicks = disturbance.draw(rng, horizon, n, nv) if disturbance is not None and disturbance.active() else None
    return _Draws(qpos0, qvel0, noise, bias, delays, drive, kicks)


def _build_batch(base, models, ensemble, n: int, nthread: int, persistent: bool):
    """The mujoco.batch.Batch of the envs, each with its own physics."""
    batch = mujoco.batch.Batch(base, n, nthread=nthread, persistent=persistent)
    if ensemble is not None and ensemble.params.names:
        for name, values in ensemble.fields().items():
            batch.expand(name)[...] = values
        try:
            batch.set_const()
        except mujoco.batch.SimulationError as exc:
            raise SimulationError(f"mj_setConst failed in env {int(exc.ids[0])}: {exc}") from exc
    elif any(m is not base for m in models):
        batch.set_models(models)
    return batch


@attrs.frozen(eq=False)
class _Trace:
    """The time-major record of a closed loop (see :func:`_step`)."""

    act: np.ndarray  # (dmax + T, N, nu): rows [0, dmax) are the zero commands before the episode
    obs: np.ndarray  # (T, N, nobs)
    clean: np.ndarray  # (T + 1, N, nobs)
    qpos: np.ndarray  # (T + 1, N, nq)
    qvel: np.ndarray  # (T + 1, N, nv)
    time: np.ndarray  # (T, N)


def _step(batch, base, layout: _ObsLayout, draws: _Draws, policy_arrays, horizon: int, substeps: int,
          transform: tuple[np.ndarray, np.ndarray] | None) -> _Trace:
    """Close the loop for ``horizon`` control steps: observe, act, delay, disturb, step."""
    shared, gain, _, _, low, high = policy_arrays
    n = len(draws.delays)
    nq, nv, nu, nobs = base.nq, base.nv, base.nu, layout.nobs
    gather = layout.gather
    delays = draws.delays
    dmax = int(delays.max())
    uniform_delay = bool(np.all(delays == dmax))
    # the delay line is the action record itself, read dmax - delay rows behind the write position
    act_buf = np.zeros((dmax + horizon, n, nu))
    obs_buf = np.empty((horizon, n, nobs))
    clean_buf = np.empty((horizon + 1, n, nobs))
    qpos_buf = np.empty((horizon + 1, n, nq))
    qvel_buf = np.empty((horizon + 1, n, nv))
    time_buf = np.empty((horizon, n))
    envs = np.arange(n)
    read_rows = dmax - delays

    b_qpos, b_qvel, b_ctrl = batch.bind("qpos"), batch.bind("qvel"), batch.bind("ctrl")
    b_time = batch.bind("time")
    b_sensor = batch.bind("sensordata") if gather is None or layout.sensors else None
    warn = batch.warning[:, :, 1]
    stage = layout.stage
    ctrl = np.empty((n, nu)) if transform is not None else None

    _recent_warnings.clear()
    try:
        batch.reset(stage=mujoco.mjtStage.mjSTAGE_NONE)
        b_qpos[...] = draws.qpos0
        b_qvel[...] = draws.qvel0
        batch.forward(stage=max(int(mujoco.mjtStage.mjSTAGE_VEL), stage))
    except mujoco.batch.SimulationError as exc:
        raise SimulationError(f"MuJoCo failed at reset in env {exc.ids[0]}: {exc}") from exc
    state = np.empty((n, nq + nv + (base.nsensordata if layout.sensors else 0)))

    def record_state(row: int) -> None:
        qpos_buf[row] = b_qpos
        qvel_buf[row] = b_qvel
        if layout.sensors:
            np.concatenate((qpos_buf[row], qvel_buf[row], b_sensor), axis=1, out=state)
            np.take(state, gather, axis=1, out=clean_buf[row])
        elif gather is not None:
            np.concatenate((qpos_buf[row], qvel_buf[row]), axis=1, out=state)
            np.take(state, gather, axis=1, out=clean_buf[row])
        else:
            clean_buf[row] = b_sensor

    record_state(0)
    for t in range(horizon):
        o = obs_buf[t]
        np.add(clean_buf[t], draws.noise[t], out=o)
        a = act_buf[dmax + t]
        if shared is None:
            a[...] = _batch_action(gain, o, t, n, nu)
        elif shared:
            np.matmul(o, gain.T, out=a)
        else:
            np.matmul(gain, o[:, :, None], out=a[:, :, None])
        a += draws.drive[t]
        np.clip(a, low, high, out=a)
        delayed = act_buf[t] if uniform_delay else act_buf[t + read_rows, envs]
        if transform is None:
            b_ctrl[...] = delayed
        else:
            np.multiply(delayed, transform[1], out=ctrl)
            ctrl += transform[0]
            b_ctrl[...] = ctrl
        time_buf[t] = b_time
        if draws.kicks is not None:
            b_qvel[...] += draws.kicks[t]
        try:
            batch.step(nstep=substeps, stage=stage)
        except mujoco.batch.SimulationError as exc:
            raise SimulationError(f"MuJoCo raised in env {int(exc.ids[0])} at step {t}: {exc}") from exc
        if warn.any():
            env = int(np.nonzero(warn.any(axis=1))[0][0])
            msg = _recent_warnings[-1] if _recent_warnings else "a MuJoCo warning"
            raise SimulationError(f"simulation diverged in env {env} at step {t}: {msg}")
        record_state(t + 1)
    return _Trace(act_buf, obs_buf, clean_buf, qpos_buf, qvel_buf, time_buf)


def _batch_action(policy, obs: np.ndarray, t: int, n: int, nu: int) -> np.ndarray:
    """One call of a batch policy, its output checked: (n, nu) finite actions."""
    try:
        out = np.asarray(policy(obs), dtype=float)
    except SimulationError:
        raise
    except Exception as exc:  # user code: say where it failed and what it was given
        kind, source = describe(policy)
        raise SimulationError(
            f"the {kind} policy {source or type(policy).__name__} raised at step {t} on observations of shape "
            f"{obs.shape}: {type(exc).__name__}: {exc}"
        ) from exc
    if out.shape != (n, nu):
        raise SimulationError(f"the policy returned actions of shape {out.shape} at step {t}; expected ({n}, {nu})")
    if not np.all(np.isfinite(out)):
        env = int(np.nonzero(~np.isfinite(out).all(axis=1))[0][0])
        raise SimulationError(f"the policy returned a non-finite action for env {env} at step {t}")
    return out


def _collect(trace: _Trace, draws: _Draws, task: Task, models, substeps: int, max_abs_state: float,
             transform: tuple[np.ndarray, np.ndarray] | None) -> RolloutBatch:
    """Check the states, turn the record env-major, and score it with the task."""
    horizon = trace.obs.shape[0]
    qpos, qvel = _env_major(trace.qpos), _env_major(trace.qvel)
    bad = ~(np.isfinite(qpos).all(axis=2) & np.isfinite(qvel).all(axis=2))
    with np.errstate(invalid="ignore"):
        bad |= (np.abs(qpos) > max_abs_state).any(axis=2) | (np.abs(qvel) > max_abs_state).any(axis=2)
    if bad.any():
        env, row = _first(bad)
        raise SimulationError(
            f"simulation diverged in env {env} at step {max(row - 1, 0)}: state non-finite "
            f"or beyond {max_abs_state:g} (qpos {qpos[env, row]}, qvel {qvel[env, row]})"
        )
    delays = draws.delays
    dmax = int(delays.max())
    action = _env_major(trace.act[dmax:])
    if np.all(delays == dmax):
        ctrl = _env_major(trace.act[:horizon])
    else:
        envs = np.arange(len(delays))
        rows = np.arange(horizon)[:, None] + (dmax - delays)[None, :]
        ctrl = _env_major(trace.act[rows, envs[None, :]])
    if transform is not None:
        ctrl = transform[0] + transform[1] * ctrl
    reward = task.reward(qpos[:, 1:], qvel[:, 1:], ctrl)
    unhealthy = task.terminated(qpos[:, 1:], qvel[:, 1:])
    # alive through the first unhealthy transition, dead after it
    before = np.cumsum(unhealthy, axis=1) - unhealthy
    alive = before == 0
    dts = np.array([m.opt.timestep * substeps for m in models])  # expand leaves opt alone
    return RolloutBatch(
        obs=_env_major(trace.obs),
        obs_clean=_env_major(trace.clean[:horizon]),
        action=action,
        ctrl=ctrl,
        time=_env_major(trace.time),
        qpos=qpos,
        qvel=qvel,
        reward=np.asarray(reward, float),
        terminated=unhealthy & alive,
        alive=alive,
        obs_bias=draws.bias,
        latency=delays.copy(),
        control_dt=dts,
    )


def rollout(
    models: Ensemble | mujoco.MjModel | Sequence[mujoco.MjModel],
    policy,
    task: Task,
    rng: np.random.Generator,
    *,
    n_envs: int | None = None,
    horizon: int | None = None,
    obs_noise: ObservationNoise | None = None,
    latency: ActionLatency | int | np.ndarray = 0,
    substeps: int | None = None,
    initial_state: tuple[np.ndarray, np.ndarray] | None = None,
    disturbance: VelocityKicks | Pushes | None = None,
    nthread: int = 0,
    max_abs_state: float = MAX_ABS_STATE,
) -> RolloutBatch:
    """Roll out N environments in closed loop and record every control step.

    ``models`` is an :class:`Ensemble` with one member per env (the fast path:
    per-env parameters go through ``Batch.expand``), one MjModel per env, or one
    model shared by ``n_envs`` envs. ``policy`` is any
    :class:`~acset_s2r.sim2real.policies.Policy` (a callable on the (N, nobs) batch, an
    ONNX path, a torch module; see :func:`~acset_s2r.sim2real.policies.as_policy`), called
    once per control step after ``reset(N)`` if it has one, or a LinearGaussianPolicy for
    all envs or one per env (the fast path, with its action noise σ). ``horizon`` and ``substeps`` default to
    the task's. ``latency`` is an ActionLatency drawn per env, a fixed number of
    control steps, or an (N,) array. ``initial_state`` overrides the task's reset
    draw with (qpos (N, nq), qvel (N, nv)). ``disturbance`` (:class:`VelocityKicks`)
    adds an unmodelled random force. ``nthread=0`` uses every core.

    The steps: draw every random number up front (:func:`_draw`), build the batch of
    envs (:func:`_build_batch`), close the loop (:func:`_step`), check and score the
    record (:func:`_collect`).

    Raises SimulationError naming the env and step if MuJoCo warns (a bad
    acceleration, say), a state turns non-finite or exceeds ``max_abs_state``.
    """
    install_warning_handler()
    ensemble = None
    if isinstance(models, Ensemble):
        ensemble = models
        if n_envs is not None and n_envs != len(ensemble):
            raise SimulationError(
                f"n_envs={n_envs} but the ensemble has {len(ensemble)} members (one per env)"
            )
        models = [ensemble.base] * len(ensemble)
    models = _as_list(models, n_envs, "models")
    n = len(models)
    if n == 0:
        raise SimulationError("rollout needs at least one environment")
    _check_layout(models)
    base = models[0]
    layout = _observation_layout(task, base)
    low, high = task.action_bounds(base)
    if isinstance(policy, LinearGaussianPolicy) or (
        isinstance(policy, (list, tuple)) and policy and isinstance(policy[0], LinearGaussianPolicy)
    ):
        policy_arrays = _policy_arrays(_as_list(policy, n, "policy"), base, layout.nobs)
    else:
        policy = as_policy(policy)
        check_policy(policy, layout.nobs, base.nu)
        reset = getattr(policy, "reset", None)
        if callable(reset):
            reset(n)
        policy_arrays = (None, policy, None, None, low, high)
    horizon = task.horizon if horizon is None else int(horizon)
    substeps = task.substeps if substeps is None else int(substeps)
    if horizon < 1 or substeps < 1:
        raise SimulationError(f"horizon and substeps must be >= 1, got {horizon}, {substeps}")
    _, _, offset, sigma, _, _ = policy_arrays
    draws = _draw(base, n, task, rng, horizon, layout.nobs, obs_noise, latency, sigma, offset, initial_state, disturbance)
    batch = _build_batch(base, models, ensemble, n, nthread, persistent=layout.gather is None or layout.sensors)
    transform = task.action_transform(base)
    trace = _step(batch, base, layout, draws, policy_arrays, horizon, substeps, transform)
    return _collect(trace, draws, task, models, substeps, max_abs_state, transform)


def deploy(
    plant: RealPlant,
    policy,
    task: Task,
    rng: np.random.Generator,
    n_episodes: int,
    horizon: int | None = None,
    nthread: int = 0,
    disturbance: VelocityKicks | Pushes | None = None,
) -> RolloutBatch:
    """Run ``n_episodes`` of a policy (any Policy, as :func:`rollout` takes) on the real plant,
    with its noise, bias and latency."""
    return rollout(
        plant.model,
        policy,
        task,
        rng,
        n_envs=n_episodes,
        horizon=horizon,
        obs_noise=plant.config.obs_noise,
        latency=plant.config.latency,
        substeps=plant.substeps(task),
        disturbance=disturbance,
        nthread=nthread,
    )


def stack_episodes(batches: list[RolloutBatch]) -> RolloutBatch:
    """One batch whose envs are the given batches' envs, in order."""
    if not batches:
        raise SimulationError("stack_episodes: no episode to stack")
    fields = {f.name: np.concatenate([getattr(b, f.name) for b in batches]) for f in attrs.fields(RolloutBatch)}
    return RolloutBatch(**fields)
