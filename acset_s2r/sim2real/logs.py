"""Real-robot logs in: observations, actions and measured timestamps, with no hidden truth.

A :class:`RealLog` holds episodes of frames ``(time, observation, action)``, and the true
state (qpos, qvel) and plant parameters only when the log has them. It is read from

- numpy arrays (:func:`log_from_arrays`);
- a dataset folder in LeRobot's v3 layout (:func:`read_lerobot`: ``meta/info.json`` and
  ``data/chunk-XXX/file-XXX.parquet``, read with pyarrow; nothing is downloaded);
- one Parquet, CSV or NPZ file with a column mapping (:func:`read_table`).

Timestamps are first-class: :meth:`RealLog.sampling` measures the intervals (real loops
jitter), and :meth:`RealLog.resample` puts every episode onto the control grid
(observations and states interpolated linearly, each grid step taking the command of the
nearest frame).

Bad input raises one :class:`~acset_s2r.errors.InstanceError` naming the file, the column
and the row (0-based data row): a NaN or infinity, timestamps that do not increase within
an episode, an episode of one frame, widths that do not fit the task
(:func:`check_log`).

Examples
--------
>>> import numpy as np
>>> t = np.array([0.0, 0.011, 0.019, 0.031, 0.040])
>>> log = log_from_arrays(np.arange(5.0)[:, None], np.zeros((5, 1)), time=t)
>>> round(log.sampling().mean * 1000, 1)
10.0
>>> log.resample(0.01).episodes[0].time.tolist()
[0.0, 0.01, 0.02, 0.03, 0.04]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs
import numpy as np

from acset_s2r.errors import InstanceError


@attrs.frozen(eq=False)
class LogEpisode:
    """One episode: ``time`` (T,) seconds, ``obs`` (T, nobs), ``action`` (T, nu), and when the
    log has them the true ``qpos`` (T, nq) and ``qvel`` (T, nv); ``rows`` are the data rows
    the frames came from (for error messages)."""

    time: np.ndarray
    obs: np.ndarray
    action: np.ndarray
    qpos: np.ndarray | None = None
    qvel: np.ndarray | None = None
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)


@attrs.frozen
class Sampling:
    """Sampling intervals of a log, in seconds, pooled over its episodes."""

    mean: float
    std: float
    min: float
    max: float
    n: int

    @property
    def jitter(self) -> float:
        """Relative jitter: std over mean of the interval."""
        return self.std / self.mean if self.mean > 0 else 0.0


@attrs.frozen(eq=False)
class RealLog:
    """Episodes of a real robot, the names of their columns, and where they came from.

    ``obs_column``, ``action_column`` and ``time_column`` name the source columns, so that a
    width mismatch can say which one; ``params`` (name -> value) only when the log knows
    the plant's physical parameters.
    """

    episodes: tuple[LogEpisode, ...]
    channels: tuple[str, ...]
    actuators: tuple[str, ...]
    source: str = "arrays"
    obs_column: str = "obs"
    action_column: str = "action"
    time_column: str = "time"
    params: Mapping[str, float] | None = None
    fps: float | None = None

    @property
    def n_frames(self) -> int:
        return sum(len(e) for e in self.episodes)

    @property
    def has_state(self) -> bool:
        return all(e.qpos is not None and e.qvel is not None for e in self.episodes)

    @property
    def obs_dim(self) -> int:
        return self.episodes[0].obs.shape[1]

    @property
    def act_dim(self) -> int:
        return self.episodes[0].action.shape[1]

    def sampling(self) -> Sampling:
        """The measured sampling intervals (every consecutive pair inside an episode)."""
        dt = np.concatenate([np.diff(e.time) for e in self.episodes])
        return Sampling(float(dt.mean()), float(dt.std()), float(dt.min()), float(dt.max()), len(dt))

    def resample(self, control_dt: float) -> RealLog:
        """Every episode on the grid ``t0 + k·control_dt`` inside its recorded span.

        Observations and states are interpolated linearly (quaternions renormalised by the
        reader of the state); each grid step takes the command of the frame nearest in time.
        """
        if not (control_dt > 0 and np.isfinite(control_dt)):
            raise InstanceError(f"{self.source}: control timestep must be > 0, got {control_dt}")
        out = []
        for e in self.episodes:
            t0 = e.time[0]
            n = int(np.floor((e.time[-1] - t0) / control_dt + 1e-9)) + 1
            grid = t0 + control_dt * np.arange(n)

            # a command belongs to the frame it was computed at: take the nearest frame's, so a
            # late tick does not shift a grid step's command by a whole step
            right = np.clip(np.searchsorted(e.time, grid), 1, len(e) - 1)
            near = np.where(grid - e.time[right - 1] <= e.time[right] - grid, right - 1, right)
            lin = [None if a is None else interpolate(grid, e.time, a) for a in (e.obs, e.qpos, e.qvel)]
            out.append(LogEpisode(grid, lin[0], e.action[near], lin[1], lin[2], None))
        return attrs.evolve(self, episodes=tuple(out), fps=1.0 / control_dt)


def interpolate(grid: np.ndarray, time: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(len(grid), d): each column of ``values`` (T, d), sampled at ``time``, linearly
    interpolated at ``grid`` (held at the end values outside ``time``'s span).

    >>> interpolate(np.array([0.0, 0.5, 2.0]), np.array([0.0, 1.0]), np.array([[0.0], [2.0]])).ravel().tolist()
    [0.0, 1.0, 2.0]
    """
    return np.stack([np.interp(grid, time, values[:, j]) for j in range(values.shape[1])], 1)


# --------------------------------------------------------------------- building and checking


def _where(source: str, column: str, row) -> str:
    return f"{source}, column {column!r}, row {int(row)}"


def _finite(a: np.ndarray, rows: np.ndarray, source: str, column: str) -> None:
    bad = ~np.isfinite(a).reshape(len(a), -1).all(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InstanceError(f"{_where(source, column, rows[i])}: value is not finite ({a[i].tolist()})")


def _as_2d(a, source: str, column: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InstanceError(f"{source}, column {column!r}: not numbers ({exc})") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise InstanceError(f"{source}, column {column!r}: expected one vector per frame, got shape {arr.shape}")
    return arr


def _build(
    time, obs, action, episode, rows, *, source: str, columns: tuple[str, str, str], channels=None, actuators=None,
    qpos=None, qvel=None, params=None, fps=None,
) -> RealLog:
    """Check the per-frame arrays and split them into episodes (in order of first appearance)."""
    obs_col, act_col, time_col = columns
    obs = _as_2d(obs, source, obs_col)
    action = _as_2d(action, source, act_col)
    time = np.asarray(time, dtype=float).reshape(-1)
    n = len(time)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    episode = np.zeros(n, np.int64) if episode is None else np.asarray(episode).reshape(-1)
    for name, a in ((obs_col, obs), (act_col, action), ("episode_index", episode)):
        if len(a) != n:
            raise InstanceError(f"{source}: column {name!r} has {len(a)} rows but {time_col!r} has {n}")
    if n == 0:
        raise InstanceError(f"{source}: the log has no frames")
    _finite(time, rows, source, time_col)
    _finite(obs, rows, source, obs_col)
    _finite(action, rows, source, act_col)
    state = {}
    for name, a in (("qpos", qpos), ("qvel", qvel)):
        if a is not None:
            state[name] = _as_2d(a, source, name)
            _finite(state[name], rows, source, name)
    episodes = []
    _, first = np.unique(episode, return_index=True)
    for ep in episode[np.sort(first)]:
        idx = np.flatnonzero(episode == ep)
        t = time[idx]
        if len(idx) < 2:
            raise InstanceError(
                f"{_where(source, time_col, rows[idx[0]])}: episode {ep} has one frame; a log needs at least two per episode"
            )
        back = np.flatnonzero(np.diff(t) <= 0)
        if len(back):
            i = idx[back[0] + 1]
            raise InstanceError(
                f"{_where(source, time_col, rows[i])}: timestamps must increase within an episode "
                f"({t[back[0]]:.6g} then {t[back[0] + 1]:.6g} s in episode {ep})"
            )
        episodes.append(LogEpisode(
            t, obs[idx], action[idx], state["qpos"][idx] if "qpos" in state else None,
            state["qvel"][idx] if "qvel" in state else None, rows[idx],
        ))
    channels = tuple(channels) if channels is not None else tuple(f"{obs_col}[{j}]" for j in range(obs.shape[1]))
    actuators = tuple(actuators) if actuators is not None else tuple(f"{act_col}[{j}]" for j in range(action.shape[1]))
    if len(channels) != obs.shape[1] or len(actuators) != action.shape[1]:
        raise InstanceError(
            f"{source}: {len(channels)} channel names for {obs.shape[1]} observation columns, "
            f"{len(actuators)} actuator names for {action.shape[1]} action columns"
        )
    return RealLog(
        tuple(episodes), channels, actuators, source, obs_col, act_col, time_col,
        None if params is None else {str(k): float(v) for k, v in params.items()}, fps,
    )


def log_from_arrays(
    obs, action, time=None, *, episode=None, fps: float | None = None, qpos=None, qvel=None,
    channels: Sequence[str] | None = None, actuators: Sequence[str] | None = None,
    params: Mapping[str, float] | None = None, source: str = "arrays",
) -> RealLog:
    """A log from per-frame arrays: ``obs`` (n, nobs), ``action`` (n, nu), ``time`` (n,) seconds
    (or ``fps`` for nominal times ``frame / fps`` per episode), ``episode`` (n,) ids."""
    if time is None:
        if fps is None:
            raise InstanceError(f"{source}: give the frames' timestamps (time=) or a nominal rate (fps=)")
        ep = np.zeros(len(obs), np.int64) if episode is None else np.asarray(episode)
        frame = np.zeros(len(ep))
        for e in np.unique(ep):
            frame[ep == e] = np.arange(np.sum(ep == e))
        time = frame / float(fps)
    return _build(
        time, obs, action, episode, None, source=source, columns=("obs", "action", "time"), channels=channels,
        actuators=actuators, qpos=qpos, qvel=qvel, params=params, fps=fps,
    )


# --------------------------------------------------------------------- files


def _column(table, name: str, source: str):
    if name not in table.column_names:
        raise InstanceError(f"{source}: no column {name!r}; it has {', '.join(table.column_names)}")
    col = table.column(name).combine_chunks()
    import pyarrow as pa

    if pa.types.is_fixed_size_list(col.type) or pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        values = col.to_pylist()
        widths = {len(v) for v in values if v is not None}
        if len(widths) > 1 or any(v is None for v in values):
            bad = next(i for i, v in enumerate(values) if v is None or len(v) != len(values[0]))
            raise InstanceError(f"{_where(source, name, bad)}: vector of another width (or null) than row 0")
        return np.asarray(values, dtype=float)
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=float)


def _columns(table, names, source: str) -> np.ndarray:
    names = [names] if isinstance(names, str) else list(names)
    return np.column_stack([_column(table, n, source) for n in names])


def read_lerobot(
    folder: str | Path, *, obs_key: str = "observation.state", action_key: str = "action",
    qpos_key: str | None = None, qvel_key: str | None = None,
) -> RealLog:
    """A dataset folder in LeRobot's v3 layout: ``meta/info.json`` (fps, feature names) and the
    Parquet files ``data/chunk-XXX/file-XXX.parquet``, episodes by ``episode_index`` in
    ``frame_index`` order, times from ``timestamp``. Video features are not read.

    ``qpos_key``/``qvel_key`` name columns of the true state if the dataset has them.
    """
    folder = Path(folder)
    info_path = folder / "meta" / "info.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstanceError(f"{folder}: not a LeRobot dataset folder (no meta/info.json)") from None
    except json.JSONDecodeError as exc:
        raise InstanceError(f"{info_path}: not valid JSON ({exc})") from None
    version = str(info.get("codebase_version", ""))
    if not version.startswith("v3"):
        raise InstanceError(f"{info_path}: codebase_version {version!r}; this reader reads the v3 layout")
    files = sorted((folder / "data").glob("chunk-*/file-*.parquet"))
    if not files:
        raise InstanceError(f"{folder}: no data/chunk-XXX/file-XXX.parquet files")
    import pyarrow as pa
    import pyarrow.parquet as pq

    features = info.get("features", {})
    for key in (obs_key, action_key):
        if key not in features:
            raise InstanceError(f"{info_path}: no feature {key!r}; features are {', '.join(features)}")
    parts, sources = [], []
    for f in files:
        try:
            parts.append(pq.read_table(f))
        except (pa.ArrowException, OSError) as exc:
            raise InstanceError(f"{f}: not a readable Parquet file ({exc})") from None
        sources.append(np.full(parts[-1].num_rows, len(sources)))
    # one error names the file the row is in: read each file's columns separately
    cols = {}
    for key in [obs_key, action_key, "timestamp", "episode_index", "frame_index"] + [k for k in (qpos_key, qvel_key) if k]:
        cols[key] = np.concatenate([_columns(t, key, str(f)) for t, f in zip(parts, files)])
    file_of = np.concatenate(sources)
    row_in_file = np.concatenate([np.arange(t.num_rows) for t in parts])
    episode = cols["episode_index"][:, 0].astype(np.int64)
    order = np.lexsort((cols["frame_index"][:, 0], episode))
    one_file = len(files) == 1
    source = str(files[0]) if one_file else str(folder)

    def names(key):
        n = features[key].get("names")
        return [str(x) for x in n] if isinstance(n, list) and all(isinstance(x, str) for x in n) else None

    # errors name the data file and its row
    for key in cols:
        bad = ~np.isfinite(cols[key]).all(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InstanceError(f"{_where(str(files[file_of[i]]), key, row_in_file[i])}: value is not finite")
    try:
        return _build(
            cols["timestamp"][order, 0], cols[obs_key][order], cols[action_key][order], episode[order],
            row_in_file[order], source=source, columns=(obs_key, action_key, "timestamp"),
            channels=names(obs_key), actuators=names(action_key),
            qpos=cols[qpos_key][order] if qpos_key else None, qvel=cols[qvel_key][order] if qvel_key else None,
            fps=float(info["fps"]) if "fps" in info else None,
        )
    except InstanceError as exc:
        if one_file:
            raise
        raise InstanceError(f"{exc} (rows count from 0 in each of {len(files)} data files)") from None


def read_table(path: str | Path, columns: Mapping[str, str | Sequence[str]]) -> RealLog:
    """A log from one Parquet, CSV or NPZ file, with a column mapping.

    ``columns`` maps ``obs``, ``action`` and ``time`` (and optionally ``episode``, ``qpos``,
    ``qvel``) to a column name or a list of scalar column names (NPZ: array names).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> _ = open(path, "w").write("t,x,v,u\\n0,0,1,0.5\\n0.01,0.01,1,0.5\\n0.02,0.02,1,0.4\\n")
    >>> log = read_table(path, {"obs": ["x", "v"], "action": "u", "time": "t"})
    >>> log.channels, log.n_frames
    (('x', 'v'), 3)
    """
    path = Path(path)
    missing = {"obs", "action", "time"} - set(columns)
    unknown = set(columns) - {"obs", "action", "time", "episode", "qpos", "qvel"}
    if missing or unknown:
        raise InstanceError(
            f"{path}: the column mapping needs obs, action and time (and may give episode, qpos, qvel); "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}"
        )
    if not path.is_file():
        raise InstanceError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}

        def get(names):
            names = [names] if isinstance(names, str) else list(names)
            for n in names:
                if n not in data:
                    raise InstanceError(f"{path}: no array {n!r}; it has {', '.join(data)}")
            return np.column_stack([np.asarray(data[n], float).reshape(len(data[n]), -1) for n in names])
    elif suffix in (".parquet", ".csv"):
        import pyarrow as pa

        try:
            if suffix == ".parquet":
                import pyarrow.parquet as pq

                table = pq.read_table(path)
            else:
                import pyarrow.csv as pcsv

                table = pcsv.read_csv(path)
        except (pa.ArrowException, OSError) as exc:
            raise InstanceError(f"{path}: could not be read ({exc})") from None

        def get(names):
            return _columns(table, names, str(path))
    else:
        raise InstanceError(f"{path}: expected a .parquet, .csv or .npz file")

    def label(names):
        return names if isinstance(names, str) else ",".join(names)

    def scalars(names, width):
        return list(names) if not isinstance(names, str) and len(names) == width else None

    obs, action = get(columns["obs"]), get(columns["action"])
    return _build(
        get(columns["time"])[:, 0], obs, action,
        get(columns["episode"])[:, 0].astype(np.int64) if "episode" in columns else None, None,
        source=str(path), columns=(label(columns["obs"]), label(columns["action"]), label(columns["time"])),
        channels=scalars(columns["obs"], obs.shape[1]), actuators=scalars(columns["action"], action.shape[1]),
        qpos=get(columns["qpos"]) if "qpos" in columns else None, qvel=get(columns["qvel"]) if "qvel" in columns else None,
    )


def read_log(path: str | Path, columns: Mapping[str, str | Sequence[str]] | None = None) -> RealLog:
    """A LeRobot v3 folder, or a Parquet/CSV/NPZ file with ``columns`` (:func:`read_table`)."""
    path = Path(path)
    if path.is_dir():
        return read_lerobot(path)
    if columns is None:
        raise InstanceError(f"{path}: a single log file needs a column mapping (obs, action, time)")
    return read_table(path, columns)


def check_log(log: RealLog, obs_dim: int, act_dim: int, task_label: str, nq: int | None = None, nv: int | None = None) -> None:
    """Raise, naming the file and column, when the log's widths do not fit the task's."""
    for what, column, got, want in (
        ("observation", log.obs_column, log.obs_dim, obs_dim),
        ("action", log.action_column, log.act_dim, act_dim),
    ):
        if got != want:
            raise InstanceError(
                f"{log.source}, column {column!r}: {got} {what} values per frame, but {task_label} "
                f"{'observes' if what == 'observation' else 'takes'} {want}"
            )
    if log.has_state and nq is not None:
        e = log.episodes[0]
        if e.qpos.shape[1] != nq or e.qvel.shape[1] != nv:
            raise InstanceError(
                f"{log.source}: the true state has {e.qpos.shape[1]} qpos and {e.qvel.shape[1]} qvel values, "
                f"but {task_label}'s model has {nq} and {nv}"
            )


def write_lerobot(log: RealLog, folder: str | Path, fps: float, task: str = "audit", robot_type: str | None = None) -> Path:
    """Write a log as a dataset folder in LeRobot's v3 layout (the files LeRobot reads:
    ``meta/info.json``, ``meta/tasks.parquet``, ``meta/episodes/chunk-000/file-000.parquet``,
    ``data/chunk-000/file-000.parquet``), timestamps as measured, restarting at 0 per episode.
    Values are float32, as LeRobot stores them. Returns the folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    lengths = [len(e) for e in log.episodes]
    n = sum(lengths)
    obs = np.concatenate([e.obs for e in log.episodes]).astype(np.float32)
    act = np.concatenate([e.action for e in log.episodes]).astype(np.float32)
    stamp = np.concatenate([e.time - e.time[0] for e in log.episodes]).astype(np.float32)
    episode = np.repeat(np.arange(len(lengths)), lengths)
    frame = np.concatenate([np.arange(k) for k in lengths])

    def vectors(a):
        return pa.FixedSizeListArray.from_arrays(pa.array(a.ravel()), a.shape[1])

    data = pa.table({
        "observation.state": vectors(obs), "action": vectors(act), "timestamp": pa.array(stamp),
        "frame_index": pa.array(frame, pa.int64()), "episode_index": pa.array(episode, pa.int64()),
        "index": pa.array(np.arange(n), pa.int64()), "task_index": pa.array(np.zeros(n, np.int64)),
    })
    ends = np.cumsum(lengths)
    episodes = pa.table({
        "episode_index": pa.array(np.arange(len(lengths)), pa.int64()),
        "tasks": pa.array([[task]] * len(lengths), pa.list_(pa.string())),
        "length": pa.array(lengths, pa.int64()),
        "data/chunk_index": pa.array(np.zeros(len(lengths), np.int64)),
        "data/file_index": pa.array(np.zeros(len(lengths), np.int64)),
        "dataset_from_index": pa.array(ends - np.asarray(lengths), pa.int64()),
        "dataset_to_index": pa.array(ends, pa.int64()),
        "meta/episodes/chunk_index": pa.array(np.zeros(len(lengths), np.int64)),
        "meta/episodes/file_index": pa.array(np.zeros(len(lengths), np.int64)),
    })

    def feature(dtype, shape, names=None):
        return {"dtype": dtype, "shape": list(shape), "names": names}

    info = {
        "codebase_version": "v3.0", "robot_type": robot_type, "total_episodes": len(lengths), "total_frames": n,
        "total_tasks": 1, "chunks_size": 1000, "data_files_size_in_mb": 100, "video_files_size_in_mb": 200,
        "fps": fps, "splits": {"train": f"0:{len(lengths)}"},
        "data_path": "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet", "video_path": None,
        "features": {
            "observation.state": feature("float32", [obs.shape[1]], list(log.channels)),
            "action": feature("float32", [act.shape[1]], list(log.actuators)),
            "timestamp": feature("float32", [1]), "frame_index": feature("int64", [1]),
            "episode_index": feature("int64", [1]), "index": feature("int64", [1]), "task_index": feature("int64", [1]),
        },
    }
    for sub in ("data/chunk-000", "meta/episodes/chunk-000"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    pq.write_table(data, folder / "data/chunk-000/file-000.parquet")
    pq.write_table(episodes, folder / "meta/episodes/chunk-000/file-000.parquet")
    pq.write_table(pa.table({"task": [task], "task_index": pa.array([0], pa.int64())}), folder / "meta/tasks.parquet")
    (folder / "meta/info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    return folder
