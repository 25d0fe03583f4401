"""The only bridge between rollouts and the experiment ACSet: write them in, read them back.

Writing: :func:`new_experiment` makes an empty ``SchSim2RealTrajectory`` instance that
describes itself (task, control timestep, channel, actuator and parameter names, in column
order), :func:`record_stream` turns episodes of a :class:`RolloutBatch` into one Observation
stream of Steps, and :func:`record_policy` records a trained policy with its sim ensemble
and its real deployment.

Reading: :func:`read_setup` gives the names back; :func:`stream_steps` the Steps of streams
in time order with their segments (one per episode); :func:`episode_returns` and
:func:`policy_samples` what a policy saw in sim and in real, through the seed's composites.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
import numpy as np

from acset_s2r.acset import ACSet
from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.sim2real.models import actuator_names
from acset_s2r.sim2real.plant import RealPlant
from acset_s2r.sim2real.policies import describe, policy_hash
from acset_s2r.sim2real.rollout import RolloutBatch
from acset_s2r.sim2real.schema import SchSim2RealTrajectory, trajectory_types
from acset_s2r.sim2real.tasks import get_task


@attrs.frozen
class Setup:
    """What an experiment's columns mean: its task, control timestep (s), the names of the
    ``obs``, ``action`` and ``sim_params``/``real_params`` columns, in column order, and the
    episode length in control steps (``horizon``; an episode shorter than it ended early), and
    the file the task was read from (``task_source``: a TOML task file or an MJCF path; None
    for a shipped task), which is how the task is found again."""

    task_name: str
    control_dt: float
    channels: tuple[str, ...]
    actuators: tuple[str, ...]
    parameters: tuple[str, ...]
    horizon: int | None = None
    task_source: str | None = None


def task_setup(task, base, parameters: Sequence[str], horizon: int | None = None) -> Setup:
    """The Setup of an experiment on ``task`` whose nominal model is ``base``, with the named
    physical parameters: channels, actuators and control step read from the task and model.

    >>> from acset_s2r.sim2real.tasks import get_task
    >>> task = get_task("cartpole")
    >>> s = task_setup(task, task.load_model(), ["body_mass/pole"])
    >>> s.task_name, s.control_dt, s.actuators, s.parameters
    ('cartpole', 0.01, ('push',), ('body_mass/pole',))
    """
    return Setup(
        task_name=task.name, control_dt=task.control_dt(base), channels=tuple(task.observation_names(base)),
        actuators=tuple(actuator_names(base)), parameters=tuple(parameters), horizon=horizon,
        task_source=task_source(task),
    )


def task_source(task) -> str | None:
    """The file a task can be read again from: its TOML task file or MJCF path (None for a
    shipped task, found by its name, or one built from an MjSpec)."""
    if getattr(task, "source", None):
        return str(task.source)
    model = getattr(task, "model", None)
    if isinstance(model, str) and model.endswith(".xml"):
        return model
    return None


def resolve_task(setup: Setup, task=None):
    """The task an experiment was run with: ``task`` if given, else read from the Setup's
    ``task_source`` (a TOML task file or an MJCF path), else the shipped task of its name."""
    if task is not None:
        return get_task(task)
    if setup.task_source is not None and setup.task_source.endswith((".toml", ".xml")):
        return get_task(setup.task_source)
    return get_task(setup.task_name)


def new_experiment(setup: Setup, state_dim: int, policy_dim: int) -> ACSet:
    """An empty experiment ACSet with column widths from ``setup``, its Setup recorded.

    Examples
    --------
    >>> X = new_experiment(Setup("cartpole", 0.01, ("x", "v"), ("push",), ("mass",)), 4, 3)
    >>> read_setup(X).channels
    ('x', 'v')
    >>> X.nparts("Parameter")
    1
    """
    X = ACSet(
        SchSim2RealTrajectory,
        **trajectory_types(len(setup.channels), len(setup.actuators), state_dim, len(setup.parameters), policy_dim),
    )
    X.add_part("Setup", task_name=setup.task_name, control_dt=float(setup.control_dt))
    if setup.horizon is not None:
        X.set_subpart(0, "horizon", int(setup.horizon))
    if setup.task_source is not None:
        X.set_subpart(0, "task_source", str(setup.task_source))
    X.add_parts("Channel", len(setup.channels), channel_name=list(setup.channels))
    X.add_parts("Actuator", len(setup.actuators), actuator_name=list(setup.actuators))
    X.add_parts("Parameter", len(setup.parameters), parameter_name=list(setup.parameters))
    return X


def read_setup(X: ACSet) -> Setup:
    """The Setup an experiment ACSet records; InstanceError if it records none or its widths disagree."""
    if "Setup" not in X.schema.obs or X.nparts("Setup") != 1:
        have = X.nparts("Setup") if "Setup" in X.schema.obs else "no Setup object"
        raise InstanceError(
            f"the experiment does not describe itself: it needs exactly one Setup part (has {have}); "
            "record it with acset_s2r.sim2real.record.new_experiment"
        )
    setup = Setup(
        task_name=str(X.subpart(0, "task_name")),
        control_dt=float(X.subpart(0, "control_dt")),
        channels=tuple(X.subpart("channel_name")),
        actuators=tuple(X.subpart("actuator_name")),
        parameters=tuple(X.subpart("parameter_name")),
        horizon=int(X.subpart(0, "horizon")) if X.is_defined("horizon")[0] else None,
        task_source=(
            str(X.subpart(0, "task_source"))
            if "task_source" in X.schema.attr_names and X.is_defined("task_source")[0] else None
        ),
    )
    widths = {"obs": len(setup.channels), "action": len(setup.actuators), "sim_params": len(setup.parameters)}
    for column, want in widths.items():
        got = X.types[X.schema.codom(column)].width
        if got != want:
            raise InstanceError(f"Step/SimEnv column {column} has width {got} but the Setup names {want} columns")
    return setup


def record_stream(X: ACSet, batch: RolloutBatch, env: int | Sequence[int], domain: str) -> int:
    """Record the live steps of episode ``env`` (or of several, in order, as episodes 0, 1, ...)
    as one Observation stream; return the stream id.

    ``t_index`` restarts at each episode and ``next_step`` is -1 at each episode's end, so
    a reset is never read as a transition; ``episode_return`` is the mean over the episodes.
    """
    envs = [int(env)] if np.ndim(env) == 0 else [int(e) for e in env]
    if not envs:
        raise SimulationError(f"record_stream: no episode to record in the {domain} stream")
    lengths = batch.lengths[envs].astype(np.int64)
    stream = X.add_part("Observation", domain=domain, episode_return=float(batch.returns[envs].mean()))
    n = int(lengths.sum())
    ends = np.cumsum(lengths)
    t_index = np.arange(n) - np.repeat(ends - lengths, lengths)
    last = t_index == np.repeat(lengths - 1, lengths)
    ids = X.nparts("Step") + np.arange(n)
    alive = [batch.alive[e] for e in envs]
    X.add_parts(
        "Step",
        n,
        stream=np.full(n, stream),
        next_step=np.where(last, -1, ids + 1),
        obs=np.concatenate([batch.obs[e][a] for e, a in zip(envs, alive)]),
        action=np.concatenate([batch.action[e][a] for e, a in zip(envs, alive)]),
        time=np.concatenate([batch.time[e][a] for e, a in zip(envs, alive)]),
        reward=np.concatenate([batch.reward[e][a] for e, a in zip(envs, alive)]),
        next_state=np.concatenate(
            [np.concatenate([batch.next_qpos[e][a], batch.next_qvel[e][a]], axis=1) for e, a in zip(envs, alive)]
        ),
        t_index=t_index,
        episode=np.repeat(np.arange(len(envs)), lengths),
    )
    return stream


def record_policy(
    X: ACSet,
    name: str,
    policy,
    sim_batch: RolloutBatch,
    sim_params: np.ndarray,
    real_batch: RolloutBatch,
    plant: RealPlant,
    level: float,
    seed: int,
) -> int:
    """Record one trained policy: its Policy part, one SimEnv and sim stream per row of
    ``sim_params`` (``train``, ``observe_sim``), and one RealEnv whose stream holds every
    episode of ``real_batch`` (``deploy``, ``observe_real``); return the Policy id.

    The real plant's parameters are read for the experiment's own Parameter columns, and
    ``real_return`` is read back from the recorded stream (the mean episode return). Any
    :class:`~acset_s2r.sim2real.policies.Policy` is recorded with its kind, file name and
    hash; ``policy_params`` only when it has a ``to_vector()`` (undefined otherwise), and its
    action noise is its ``sigma`` (0 for a deterministic policy).
    """
    kind, source = describe(policy)
    vector = {"policy_params": policy.to_vector()} if callable(getattr(policy, "to_vector", None)) else {}
    p = X.add_part(
        "Policy",
        policy_name=name,
        **vector,
        policy_kind=kind,
        policy_source=source,
        policy_hash=policy_hash(policy),
        action_noise=float(np.mean(getattr(policy, "sigma", 0.0))),
        sim_return=float(sim_batch.returns.mean()),
    )
    for i in range(len(sim_params)):  # env i of sim_batch ran ensemble member i
        stream = record_stream(X, sim_batch, i, "sim")
        X.add_part(
            "SimEnv", train=p, observe_sim=stream, sim_params=sim_params[i],
            sim_seed=seed, randomization_level=level,
        )
    stream = record_stream(X, real_batch, range(real_batch.n_envs), "real")
    X.set_subpart(p, "real_return", float(episode_returns(X, stream).mean()))
    r = X.add_part(
        "RealEnv", observe_real=stream, real_params=plant.parameters(read_setup(X).parameters),
        obs_noise_std=float(np.mean(plant.config.obs_noise.std)),
        latency_steps=int(real_batch.latency[0]),
    )
    X.set_subpart(p, "deploy", r)
    return p


def record_log_stream(X: ACSet, log, domain: str = "real") -> int:
    """Record every episode of a log (a :class:`~acset_s2r.sim2real.logs.RealLog` on the control
    grid) as one Observation stream; return its id.

    Rewards are undefined (a log has none); ``next_state`` is the logged state of the next
    frame when the log has the true state, undefined otherwise (and at each episode's end).
    """
    episodes = log.episodes
    lengths = np.array([len(e) for e in episodes], np.int64)
    n = int(lengths.sum())
    stream = X.add_part("Observation", domain=domain)
    ends = np.cumsum(lengths)
    t_index = np.arange(n) - np.repeat(ends - lengths, lengths)
    last = t_index == np.repeat(lengths - 1, lengths)
    ids = X.nparts("Step") + np.arange(n)
    values = dict(
        stream=np.full(n, stream), next_step=np.where(last, -1, ids + 1),
        obs=np.concatenate([e.obs for e in episodes]), action=np.concatenate([e.action for e in episodes]),
        time=np.concatenate([e.time for e in episodes]), t_index=t_index,
        episode=np.repeat(np.arange(len(episodes)), lengths),
    )
    if log.has_state:
        nxt = []
        for e in episodes:
            x = np.concatenate([e.qpos, e.qvel], axis=1)
            nxt.append(np.concatenate([x[1:], np.full((1, x.shape[1]), np.nan)]))
        values["next_state"] = np.concatenate(nxt)
    X.add_parts("Step", n, **values)
    return stream


def record_log_policy(
    X: ACSet,
    name: str,
    policy,
    sim: RolloutBatch | Sequence,
    sim_params: np.ndarray,
    log,
    level: float,
    seed: int,
    sampling=None,
) -> int:
    """Record a policy (or, with ``policy`` None, the log's own commands replayed) against a
    real log: the Policy part, one SimEnv and sim stream per row of ``sim_params``, and one
    RealEnv whose stream is the log (on the control grid); return the Policy id.

    ``sim`` is a RolloutBatch (env i ran member i) or, for a sim side logged as the real log
    was (:func:`~acset_s2r.sim2real.robotlog.log_ensemble`), one log on the control grid per
    member; logs have no rewards, so then ``sim_return`` and the streams' returns stay
    undefined.

    The RealEnv names the log (``real_source``) and its measured sampling (``sampling``:
    :class:`~acset_s2r.sim2real.logs.Sampling` of the raw timestamps); its physical
    parameters are recorded only when the log knows them, for the experiment's own Parameter
    columns, and are undefined otherwise; so are its noise and latency, which a log does
    not know (the diagnosis estimates them).
    """
    if policy is None:
        kind, source, digest, noise, vector = "replay", str(log.source), "", 0.0, {}
    else:
        kind, source = describe(policy)
        digest, noise = policy_hash(policy), float(np.mean(getattr(policy, "sigma", 0.0)))
        vector = {"policy_params": policy.to_vector()} if callable(getattr(policy, "to_vector", None)) else {}
    batch = isinstance(sim, RolloutBatch)
    returns = {"sim_return": float(sim.returns.mean())} if batch else {}
    p = X.add_part(
        "Policy", policy_name=name, **vector, policy_kind=kind, policy_source=source, policy_hash=digest,
        action_noise=noise, **returns,
    )
    for i in range(len(sim_params)):
        stream = record_stream(X, sim, i, "sim") if batch else record_log_stream(X, sim[i], "sim")
        X.add_part(
            "SimEnv", train=p, observe_sim=stream, sim_params=sim_params[i], sim_seed=seed, randomization_level=level,
        )
    stream = record_log_stream(X, log)
    real = {"observe_real": stream, "real_source": str(log.source)}
    if sampling is not None:
        real |= {"sample_dt_mean": float(sampling.mean), "sample_dt_std": float(sampling.std)}
    names = read_setup(X).parameters
    if log.params is not None and all(n in log.params for n in names):
        real["real_params"] = np.array([log.params[n] for n in names], float)
    r = X.add_part("RealEnv", **real)
    X.set_subpart(p, "deploy", r)
    return p


def stream_steps(X: ACSet, streams, episodes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(steps, segments): the Steps of ``streams`` in (stream, episode, t_index) order, and
    for each its segment: the id of the first Step of its (stream, episode).

    Segments are the units of transitions and of the bootstrap. With ``episodes`` only
    each stream's first ``episodes`` episodes are kept.
    """
    streams = np.atleast_1d(np.asarray(streams, dtype=np.int64))
    steps = X.incident_many(streams, "stream")
    stream, episode = X.subpart(steps, "stream"), X.subpart(steps, "episode")
    if episodes is not None:
        keep = episode < episodes
        steps, stream, episode = steps[keep], stream[keep], episode[keep]
    order = np.lexsort((X.subpart(steps, "t_index"), episode, stream))
    steps, stream, episode = steps[order], stream[order], episode[order]
    first = np.ones(len(steps), dtype=bool)
    first[1:] = (stream[1:] != stream[:-1]) | (episode[1:] != episode[:-1])
    return steps, steps[first][np.cumsum(first) - 1]


def episode_returns(X: ACSet, stream: int) -> np.ndarray:
    """Per-episode returns of a stream, summed from its Steps' rewards (episode 0 first)."""
    steps = X.incident(stream, "stream")
    episode = X.subpart(steps, "episode")
    n = int(episode.max()) + 1 if len(steps) else 0
    return np.bincount(episode, weights=X.subpart(steps, "reward"), minlength=n)


def policy_samples(
    X: ACSet, policy: int, real_episodes: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(real, real_segments, sim, sim_segments) observations of a policy, through the schema.

    Real: the Steps of the stream ``deploy ⋅ observe_real``, every episode unless
    ``real_episodes`` keeps only the first ones. Sim: the Steps of the streams reached by
    the converse of ``train`` then ``observe_sim``. Rows are in time order within each
    segment, one (stream, episode) (see :func:`stream_steps`); pass the segment ids as
    stream ids to :func:`kl.kl_gap` or :func:`kl.transition_pairs` so that no transition
    crosses a reset.
    """
    real_steps, real_seg = stream_steps(X, X.subpart(policy, ["deploy", "observe_real"]), real_episodes)
    sim_steps, sim_seg = stream_steps(X, X.subpart(X.incident(policy, "train"), "observe_sim"))
    obs = X.subpart("obs")
    return obs[real_steps], real_seg, obs[sim_steps], sim_seg


def batch_samples(batch: RolloutBatch, envs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(obs, segments) of episodes ``envs`` of a batch, as :func:`stream_steps` would read them
    back had they been recorded as one stream: live steps in time order, one segment per episode."""
    envs = [int(e) for e in envs]
    obs = np.concatenate([batch.obs[e][batch.alive[e]] for e in envs])
    segments = np.repeat(np.arange(len(envs)), batch.lengths[envs].astype(np.int64))
    return obs, segments


def log_samples(log) -> tuple[np.ndarray, np.ndarray]:
    """(obs, segments) of a log's episodes (on the control grid), as :func:`stream_steps`
    would read them back had the log been recorded as one stream."""
    obs = np.concatenate([e.obs for e in log.episodes])
    segments = np.repeat(np.arange(len(log.episodes)), [len(e) for e in log.episodes])
    return obs, segments


def record_null(X: ACSet, policy: int, gaps: np.ndarray, params: np.ndarray, latencies: np.ndarray) -> np.ndarray:
    """Record a policy's null: one NullPlant per extra plant (its gap, parameters and latency)."""
    gaps = np.asarray(gaps, float)
    return X.add_parts(
        "NullPlant", len(gaps), null_of=np.full(len(gaps), int(policy)), null_gap=gaps,
        null_params=np.asarray(params, float), null_latency=np.asarray(latencies, float),
    )


def null_gaps(X: ACSet, policy: int) -> np.ndarray:
    """The gaps of a policy's null plants, in the order they were recorded."""
    return np.asarray(X.subpart(X.incident(int(policy), "null_of"), "null_gap"), float)


def real_episodes(X: ACSet, policy: int) -> tuple[np.ndarray, np.ndarray]:
    """(returns, lengths) of each real episode of a policy (``deploy ⋅ observe_real``)."""
    stream = X.subpart(int(policy), ["deploy", "observe_real"])
    steps = X.incident(stream, "stream")
    episode = X.subpart(steps, "episode")
    n = int(episode.max()) + 1 if len(steps) else 0
    return episode_returns(X, stream), np.bincount(episode, minlength=n)


def sim_returns(X: ACSet, policy: int) -> np.ndarray:
    """Each training env's return (its stream's mean episode return) of a policy."""
    return np.asarray(X.subpart(X.subpart(X.incident(int(policy), "train"), "observe_sim"), "episode_return"), float)
