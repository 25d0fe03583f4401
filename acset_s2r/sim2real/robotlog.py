"""A hidden plant that logs as a real robot does: a jittered control loop, sub-step latency.

Tests, the benchmark and the notebook need real logs whose truth is known but not shown.
:func:`robot_log` runs a policy on a plant model the way a robot's controller would:

- the loop ticks at irregular times ``k·T + U(-j, j)·T`` (``jitter`` j, a fraction of T);
- at each tick it reads the observation (the state between physics steps, on the path of
  the step it falls in, plus Gaussian sensor noise), computes a command and logs
  (timestamp, observation, command);
- each command reaches the actuators ``latency`` seconds later, any real number: over a
  physics step the control is the time-weighted mean of the commands active in it;
- an optional velocity kick per physics step stands for unmodelled forces.

The log holds only what a LeRobot dataset holds: timestamps, noisy observations and
commands (with ``with_state`` also the true qpos/qvel, for checks).

:func:`log_ensemble` logs a sim ensemble the same way, at a real log's own ticks: the sim side
of a log, observed, commanded and resampled as the log was (like for like).
"""

from __future__ import annotations

from collections.abc import Sequence

import mujoco
import numpy as np

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.estimate import observer
from acset_s2r.sim2real.logs import RealLog, log_from_arrays
from acset_s2r.sim2real.models import actuator_names
from acset_s2r.sim2real.policies import ReplayActions, as_policy
from acset_s2r.sim2real.policy import LinearGaussianPolicy
from acset_s2r.sim2real.randomization import Ensemble
from acset_s2r.sim2real.rollout import install_warning_handler
from acset_s2r.sim2real.tasks import Task


def _state(data: mujoco.MjData) -> np.ndarray:
    return np.concatenate([data.qpos, data.qvel])


def jittered_clock(steps: int, control_dt: float, jitter: float, rng: np.random.Generator) -> np.ndarray:
    """(steps,) tick times ``k·T + U(-jitter, jitter)·T`` in seconds, the first one not before 0."""
    ticks = control_dt * (np.arange(steps) + rng.uniform(-jitter, jitter, steps))
    ticks[0] = max(ticks[0], 0.0)
    return ticks


def _episode(model, task, policy, sigma, rng, ticks, latency, noise_std, kick_std, start=None):
    nq, nv, nu = model.nq, model.nv, model.nu
    h = model.opt.timestep
    observe = observer(task, model)
    low, high = task.action_bounds(model)
    transform = task.action_transform(model)
    offset, scale = (np.zeros(nu), np.ones(nu)) if transform is None else transform
    data = mujoco.MjData(model)
    q0, v0 = task.initial_state(model, 1, rng) if start is None else (start[0][None], start[1][None])
    data.qpos[:], data.qvel[:] = q0[0], v0[0]
    mujoco.mj_forward(model, data)
    if callable(getattr(policy, "reset", None)):
        policy.reset(1)
    steps = len(ticks)
    arrive = ticks + latency
    edges = np.concatenate([arrive, [np.inf]])
    commands = np.zeros((steps, nu))
    times, obs, act, states = [], [], [], []
    k = 0  # next tick to serve
    n_phys = int(np.ceil((ticks[-1] + h) / h)) + 1
    # the physics step each tick falls in, decided once: comparing a tick with i·h + h in the
    # loop served a tick on the grid one step early whenever the product rounded up
    tick_step = np.floor(ticks / h + 1e-9).astype(int)
    noise_std = np.broadcast_to(np.asarray(noise_std, float), (len(observe(_state(data)[None])[0]),))
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    saved = np.empty(mujoco.mj_stateSize(model, spec))

    def ctrl_over_step(cmds, t):
        # time-weighted mean of the commands active over [t, t + h)
        w = (np.clip(edges[1:], t, t + h) - np.clip(edges[:-1], t, t + h)) / h
        return offset + scale * (w @ cmds)

    def step(ctrl, kick):
        data.ctrl[:] = ctrl
        if kick is not None:
            data.qvel[:] += kick
        mujoco.mj_step(model, data)

    for i in range(n_phys):
        t = i * h
        cur = _state(data)
        kick = None if kick_std is None else rng.standard_normal(nv) * kick_std
        # serve the ticks in [t, t + h): the state at a tick lies on this physics step's path,
        # stepped with the commands known then (a later command arrives after the tick)
        while k < steps and tick_step[k] <= i:
            frac = max(ticks[k] - t, 0.0) / h
            x_tick = cur
            if frac > 0:
                known = commands.copy()
                known[k:] = commands[k - 1] if k else 0.0
                mujoco.mj_getState(model, data, saved, spec)
                step(ctrl_over_step(known, t), kick)
                x_tick = cur + frac * (_state(data) - cur)
                mujoco.mj_setState(model, data, saved, spec)
            o = observe(x_tick[None])[0] + rng.standard_normal(len(noise_std)) * noise_std
            a = np.asarray(policy(o[None]), float).reshape(-1) + sigma * rng.standard_normal(nu)
            a = np.clip(a, low, high)
            if not np.all(np.isfinite(a)):
                raise SimulationError(f"the policy returned a non-finite action at tick {k}")
            commands[k] = a
            times.append(ticks[k])
            obs.append(o)
            act.append(a)
            states.append(x_tick)
            k += 1
        if k >= steps and t > ticks[-1]:
            break
        step(ctrl_over_step(commands, t), kick)
        x = _state(data)
        if not np.all(np.isfinite(x)) or np.any(np.abs(x) > 1e6):
            raise SimulationError(f"the hidden plant diverged at t = {t:.3f} s")
        if task.terminated(data.qpos[None, None], data.qvel[None, None])[0, 0]:
            break
    n = len(times)
    states = np.array(states).reshape(n, nq + nv)
    return np.array(times), np.array(obs), np.array(act), states


def robot_log(
    model: mujoco.MjModel,
    policy,
    task: Task,
    rng: np.random.Generator,
    *,
    episodes: int = 4,
    steps: int = 200,
    latency: float = 0.0,
    jitter: float = 0.15,
    obs_noise: float | np.ndarray = 0.01,
    kick_std: np.ndarray | None = None,
    with_state: bool = False,
    source: str = "robot",
    clocks: Sequence[np.ndarray] | None = None,
    initial_state: tuple[np.ndarray, np.ndarray] | None = None,
) -> RealLog:
    """``episodes`` logged episodes of ``policy`` on the plant ``model`` (see the module docstring).

    ``latency`` is in seconds; ``jitter`` a fraction of the control period; a
    LinearGaussianPolicy explores with its σ, as it does in rollouts. Episodes end at the
    task's termination or after ``steps`` ticks. ``clocks`` gives the ticks instead (episode
    e runs at ``clocks[e % len(clocks)]``, seconds from its start, e.g. a real log's own
    timestamps); ``initial_state`` (qpos (episodes, nq), qvel (episodes, nv)) the starts
    instead of the task's initial-state distribution.
    """
    install_warning_handler()
    if not 0 <= jitter < 0.5:
        raise SimulationError(f"jitter must be in [0, 0.5) of the control period, got {jitter}")
    if latency < 0:
        raise SimulationError(f"latency must be >= 0 s, got {latency}")
    sigma = np.asarray(policy.sigma, float) if isinstance(policy, LinearGaussianPolicy) else 0.0
    call = policy if isinstance(policy, LinearGaussianPolicy) else as_policy(policy)
    dt = task.control_dt(model)
    ticks = [jittered_clock(steps, dt, jitter, rng) for _ in range(episodes)] if clocks is None else \
        [_clock(clocks, e) for e in range(episodes)]
    starts = [None] * episodes if initial_state is None else [(initial_state[0][e], initial_state[1][e]) for e in range(episodes)]
    parts = [_episode(model, task, call, sigma, rng, ticks[e], latency, obs_noise, kick_std, starts[e])
             for e in range(episodes)]
    ep = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(parts)])
    states = np.concatenate([p[3] for p in parts])
    return log_from_arrays(
        np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts]),
        np.concatenate([p[0] for p in parts]), episode=ep,
        qpos=states[:, : model.nq] if with_state else None, qvel=states[:, model.nq :] if with_state else None,
        channels=task.observation_names(model), actuators=actuator_names(model), source=source,
    )


def _clock(clocks: Sequence[np.ndarray], e: int) -> np.ndarray:
    """Episode e's ticks from ``clocks``, shifted to start at 0; refused unless increasing."""
    if not len(clocks):
        raise SimulationError("no clock to log at: clocks is empty")
    ticks = np.asarray(clocks[e % len(clocks)], float)
    if ticks.ndim != 1 or len(ticks) < 2 or not np.all(np.isfinite(ticks)) or np.any(np.diff(ticks) <= 0):
        raise SimulationError(f"clock {e % len(clocks)}: ticks must be a 1-d increasing array of 2 or more finite times")
    return ticks - ticks[0]


def log_ensemble(
    ensemble: Ensemble,
    policy,
    task: Task,
    rng: np.random.Generator,
    clocks: Sequence[np.ndarray],
    *,
    latency: tuple[float, float] = (0.0, 0.0),
    obs_noise: float | np.ndarray = 0.0,
    initial_state: tuple[np.ndarray, np.ndarray] | None = None,
    commands: Sequence[np.ndarray] | None = None,
) -> tuple[list[RealLog], np.ndarray]:
    """(one log per member, their latencies in control steps): the sim side of a log.

    Every member runs one episode per clock (a real log's own ticks per episode), logged as
    :func:`robot_log` logs a plant, with one latency drawn uniformly from ``latency`` (low,
    high) in control steps, a real number as a robot's is, and sensor noise ``obs_noise``:
    each member is observed, commanded and resampled as the real plant was, over as many
    episodes. With ``commands`` (per clock, the commands logged at its ticks) episode e
    replays ``commands[e]`` from ``initial_state`` row e instead of running ``policy``. Each
    log holds the true state, for a sim stream's ``next_state``.

    Examples
    --------
    >>> from acset_s2r.sim2real.policy import zero_policy
    >>> from acset_s2r.sim2real.randomization import draw_parameters, playground_defaults
    >>> from acset_s2r.sim2real.tasks import get_task
    >>> task = get_task("cartpole")
    >>> base = task.load_model()
    >>> rng = np.random.default_rng(0)
    >>> ensemble = Ensemble(base, draw_parameters(base, playground_defaults(base), 3, rng))
    >>> clock = jittered_clock(50, task.control_dt(base), 0.15, rng)
    >>> logs, lags = log_ensemble(ensemble, zero_policy(base, task=task), task, rng, [clock],
    ...                           latency=(0.0, 1.0), obs_noise=0.01)
    >>> [len(log.episodes[0]) for log in logs], bool(np.all(logs[0].episodes[0].time == clock - clock[0]))
    ([50, 50, 50], True)
    >>> logs[0].has_state, bool(np.all((0 <= lags) & (lags <= 1)))
    (True, True)
    """
    n = len(clocks)
    if commands is not None and (len(commands) != n or initial_state is None):
        raise SimulationError("a replay needs one command array per clock and the initial states")
    low, high = latency
    if not 0 <= low <= high or not np.isfinite(high):
        raise SimulationError(f"latency range needs 0 <= low <= high control steps, got {latency}")
    lags = rng.uniform(low, high, len(ensemble))
    dt = task.control_dt(ensemble.base)
    logs = []
    for i in range(len(ensemble)):
        model = ensemble.model(i)
        parts = []
        for e in range(n):
            start = None if initial_state is None else (initial_state[0][e][None], initial_state[1][e][None])
            run = policy if commands is None else ReplayActions(np.asarray(commands[e], float)[None])
            parts.append(robot_log(
                model, run, task, rng, episodes=1, latency=float(lags[i]) * dt, obs_noise=obs_noise,
                with_state=True, source="sim", clocks=[clocks[e]], initial_state=start,
            ).episodes[0])
        logs.append(RealLog(tuple(parts), tuple(task.observation_names(model)), tuple(actuator_names(model)), "sim"))
    return logs, lags
