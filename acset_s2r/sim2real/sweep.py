"""Sweeps: a grid of experiments run as Ray tasks (or one after another), with one summary.

A sweep is a tuple of :class:`SweepTask` (a name and an :class:`ExperimentConfig`), built
by :func:`grid` (models × randomisation levels × action noise σ × seeds) or read from a
TOML file by :func:`load_sweep`. :func:`run_sweep` runs each task's
:func:`~acset_s2r.sim2real.experiment.run_experiment` into its own run folder and writes,
in the sweep folder::

    runs/<task>/             one run folder per task (acset/ as Parquet, summary.json, plots)
    runs/<task>/sweep.json   the task's rows and status, written when the task ends
    summary.parquet, .csv    one row per policy (a failed task: one row with its error)
    merged/<model>/          with ``merge``: the finished runs of a model as one ACSet, their coproduct

A task that raises is recorded with its error and the others go on. Running the same
sweep again skips every task whose ``sweep.json`` says it finished with the same config,
and runs the failed and missing ones. Ray is optional (the ``ray`` extra): it is imported
only when a sweep runs on it, and ``serial=True`` runs the same tasks in this process.

On a cluster (``address``) every node must have ``acset_s2r`` installed and see the sweep
folder at the same path (a shared file system). Each Ray task asks for one CPU, but an
experiment's MuJoCo batches step on every core of its machine, so experiments running side
by side share the cores (``bench/sweep.py`` measures the speed-up).

Examples
--------
>>> tasks = grid(["cartpole"], levels=[0.0, 1.0], sigmas=[0.05], seeds=[0, 1])
>>> [t.name for t in tasks]
['cartpole-L0-s0.05-seed0', 'cartpole-L0-s0.05-seed1', 'cartpole-L1-s0.05-seed0', 'cartpole-L1-s0.05-seed1']
>>> tasks[2].config.training.policies[0]
PolicySpec(name='L1.00-s0.05', level=1.0, sigma=0.05)
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from acset_s2r.acset import ACSet
from acset_s2r.errors import AcsetS2RError
from acset_s2r.fileio import atomic_write_bytes, atomic_write_text, read_toml
from acset_s2r.parquet import write_parquet
from acset_s2r.progress import track
from acset_s2r.sim2real.config import ExperimentConfig, PolicySpec, default_config
from acset_s2r.sim2real.experiment import run_experiment
from acset_s2r.sim2real.store import read_experiment, write_experiment

__all__ = [
    "SUMMARY_COLUMNS", "SweepResult", "SweepTask", "grid", "load_sweep", "merge_runs", "point", "read_summary",
    "run_sweep", "run_task", "write_summary",
]

RUNS = "runs"
TASK_FILE = "sweep.json"
MERGED = "merged"
SUMMARY_COLUMNS = (
    "task", "model", "level", "sigma", "seed", "policy", "status", "error", "kl_gap", "p_value", "epsilon",
    "verdict", "transferred", "sim_return", "real_return", "kept", "fell", "episodes", "wall_time", "run",
)
"""The summary's columns: the task and its grid point, then one policy's outcome. ``verdict``
is "transferred", "did not transfer" or "not measured"; ``status`` is "ok" or "failed"."""

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.=\-]*")
_SECTIONS = ("sim", "real", "training", "measure")


@attrs.frozen
class SweepTask:
    """One experiment of a sweep: ``name`` (its run folder, unique in the sweep), its ``config``,
    and the grid point it stands for (``model``, ``level``, ``sigma``, ``seed``) for the summary."""

    name: str
    config: ExperimentConfig
    model: str = ""
    level: float = math.nan
    sigma: float = math.nan
    seed: int = 0

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise AcsetS2RError(f"sweep task name {self.name!r} cannot name a folder; use letters, digits, _ . = -")
        if not isinstance(self.config, ExperimentConfig):
            raise AcsetS2RError(f"sweep task {self.name}: config must be an ExperimentConfig, got {type(self.config).__name__}")

    def fingerprint(self) -> str:
        """What identifies the experiment, so a rerun knows a finished task is the same one."""
        return hashlib.sha256(repr(self.config).encode()).hexdigest()[:16]


def _model_label(model: Any) -> str:
    """A shipped task's name, or the stem of a task or model file."""
    name = getattr(model, "name", None) or str(model)
    return Path(name).stem if ("/" in name or name.endswith((".xml", ".toml"))) else name


def _num(x: float) -> str:
    return f"{x:g}"


def _changes(base: Mapping[str, Any] | None, own: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` section changes, then ``own`` on top (a section's dicts merged field by field)."""
    out: dict[str, Any] = {}
    for changes in (base or {}), own:
        for key, value in changes.items():
            if key in _SECTIONS and isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = {**out[key], **value}
            else:
                out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def point(
    model: str = "cartpole", level: float = 1.0, sigma: float | None = None, seed: int = 0,
    name: str | None = None, **changes: Any,
) -> SweepTask:
    """One grid point as a task: ``default_config(model)`` at randomisation ``level`` and ``seed``,
    with ``changes`` (as :meth:`ExperimentConfig.evolve` takes them). With ``sigma`` the experiment
    trains one policy at (``level``, ``sigma``), named like ``L0.50-s0.10``; without it, the default
    policies at ``level``.

    Examples
    --------
    >>> t = point("hopper", level=0.5, seed=3, sim={"n_sim": 4})
    >>> t.name, t.config.sim.n_sim, t.config.sim.level, [p.name for p in t.config.policy_specs()][:2]
    ('hopper-L0.5-seed3', 4, 0.5, ['nominal-lowH', 'nominal-highH'])
    """
    level, seed = float(level), int(seed)
    own: dict[str, Any] = {"seed": seed, "sim": {"level": level}}
    if sigma is not None:
        sigma = float(sigma)
        own["training"] = {"policies": (PolicySpec(f"L{level:.2f}-s{sigma:.2f}", level, sigma),)}
    label = _model_label(model)
    if name is None:
        name = f"{label}-L{_num(level)}" + (f"-s{_num(sigma)}" if sigma is not None else "") + f"-seed{seed}"
    config = default_config(model).evolve(**_changes(changes, own))
    return SweepTask(name, config, label, level, math.nan if sigma is None else sigma, seed)


def grid(
    models: Iterable[str] = ("cartpole",), levels: Iterable[float] = (1.0,), sigmas: Iterable[float | None] = (None,),
    seeds: Iterable[int] = (0,), **changes: Any,
) -> tuple[SweepTask, ...]:
    """Every (model, level, σ, seed) as a task (:func:`point`), in that nesting order;
    ``changes`` apply to every experiment (``sim={"n_sim": 2}``, ``training={"steps": 30}``).

    Examples
    --------
    >>> len(grid(["cartpole", "hopper"], levels=[0.0, 0.5, 1.0], seeds=range(4)))
    24
    """
    tasks = tuple(point(m, lv, s, sd, **changes) for m, lv, s, sd in itertools.product(models, levels, sigmas, seeds))
    _check_names(tasks)
    return tasks


def _check_names(tasks: Sequence[SweepTask]) -> None:
    seen: set[str] = set()
    for t in tasks:
        if t.name in seen:
            raise AcsetS2RError(f"two sweep tasks are named {t.name}; give them distinct names")
        seen.add(t.name)


def load_sweep(path: str | os.PathLike) -> tuple[SweepTask, ...]:
    """The tasks of a TOML sweep file: a ``[grid]`` (lists ``models``, ``levels``, ``sigmas``,
    ``seeds``), a list of ``[[experiment]]`` points (``model``, ``level``, ``sigma``, ``seed``,
    ``name``, and section tables), or both; ``[base]`` section tables apply to all. A relative
    model file is read from the TOML file's folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "sweep.toml"
    >>> _ = f.write_text('''
    ... [base]
    ... sim = {n_sim = 2}
    ... [grid]
    ... levels = [0.0, 1.0]
    ... seeds = [0]
    ... [[experiment]]
    ... model = "hopper"
    ... sigma = 0.1
    ... training = {steps = 50}
    ... ''')
    >>> [(t.name, t.config.sim.n_sim, t.config.training.steps) for t in load_sweep(f)]
    [('cartpole-L0-seed0', 2, 300), ('cartpole-L1-seed0', 2, 300), ('hopper-L1-s0.1-seed0', 2, 50)]
    """
    path = Path(path)
    doc = read_toml(path, "sweep file", AcsetS2RError)
    unknown = set(doc) - {"base", "grid", "experiment"}
    if unknown:
        raise AcsetS2RError(f"{path}: unknown tables {sorted(unknown)}; a sweep file has [base], [grid] and [[experiment]]")

    def model_of(m: str) -> str:
        return str(path.parent / m) if m.endswith((".xml", ".toml")) and not Path(m).is_absolute() else m

    base = doc.get("base", {})
    tasks: list[SweepTask] = []
    try:
        if "grid" in doc:
            g = dict(doc["grid"])
            keys = {"models", "levels", "sigmas", "seeds"}
            if set(g) - keys:
                raise AcsetS2RError(f"[grid] has {sorted(set(g) - keys)}; it takes {sorted(keys)}")
            tasks += grid([model_of(m) for m in g.get("models", ["cartpole"])], g.get("levels", [1.0]),
                          g.get("sigmas", [None]), g.get("seeds", [0]), **base)
        for i, e in enumerate(doc.get("experiment", [])):
            e = dict(e)
            known = {k: e.pop(k) for k in ("model", "level", "sigma", "seed", "name") if k in e}
            known["model"] = model_of(known.get("model", "cartpole"))
            tasks.append(point(**known, **_changes(base, e)))
    except (AcsetS2RError, TypeError, ValueError) as err:
        raise AcsetS2RError(f"{path}: {err}") from None
    if not tasks:
        raise AcsetS2RError(f"{path}: no experiments: give a [grid] or [[experiment]] entries")
    _check_names(tasks)
    return tuple(tasks)


# -- one task -------------------------------------------------------------------------------
def _verdict_word(v) -> str:
    return "not measured" if not v.measured else ("transferred" if v.transferred else "did not transfer")


def _row(task: SweepTask, run: str, **values: Any) -> dict[str, Any]:
    row = dict.fromkeys(SUMMARY_COLUMNS)
    row |= {"task": task.name, "model": task.model, "level": task.level, "sigma": task.sigma, "seed": task.seed,
            "run": run}
    return row | values


def run_task(
    task: SweepTask, sweep_dir: str, json_rows: bool = False, reports: bool = True, nthread: int = 0,
) -> list[dict[str, Any]]:
    """Run one task into ``sweep_dir/runs/<name>/`` and return its summary rows; an error is
    caught and returned as a failed row. ``runs/<name>/sweep.json`` records the outcome.

    ``json_rows`` also writes the run's ACSets.jl row JSON; without ``reports`` the run folder
    holds the ACSet only (the plots and report.html take most of a small run's time).
    """
    run = f"{RUNS}/{task.name}"
    out = Path(sweep_dir) / run
    start = time.perf_counter()
    try:
        if reports:
            result = run_experiment(task.config, out_dir=out, progress=False, json=json_rows, nthread=nthread)
        else:
            result = run_experiment(task.config, progress=False, nthread=nthread)
            write_experiment(result.acset, out, json=json_rows)
    except Exception as err:  # recorded, so one bad experiment does not stop the sweep
        rows = [_failed_row(task, run, err, time.perf_counter() - start)]
    else:
        wall = time.perf_counter() - start
        rows = [
            _row(task, run, policy=name, status="ok", error="", kl_gap=v.kl_gap, p_value=v.p_value,
                 epsilon=v.epsilon, verdict=_verdict_word(v), transferred=v.transferred, sim_return=v.sim_return,
                 real_return=v.real_return, kept=v.kept, fell=v.fell, episodes=v.episodes, wall_time=wall)
            for name, v in result.verdicts.items()
        ]
    _write_task_file(out, task, rows)
    return rows


def _failed_row(task: SweepTask, run: str, err: BaseException, wall: float) -> dict[str, Any]:
    where = traceback.extract_tb(err.__traceback__)[-1:] if err.__traceback__ else []
    at = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    return _row(task, run, status="failed", error=f"{type(err).__name__}: {err}{at}", wall_time=wall)


def _write_task_file(out: Path, task: SweepTask, rows: list[dict]) -> None:
    status = "failed" if any(r["status"] == "failed" for r in rows) else "ok"
    out.mkdir(parents=True, exist_ok=True)
    doc = {"task": task.name, "fingerprint": task.fingerprint(), "status": status, "rows": rows}
    atomic_write_text(out / TASK_FILE, json.dumps(doc, indent=1) + "\n")


def _finished(sweep_dir: Path, task: SweepTask) -> list[dict] | None:
    """The rows of a task that already finished with the same config, else None."""
    try:
        doc = json.loads((sweep_dir / RUNS / task.name / TASK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if doc.get("status") != "ok" or doc.get("fingerprint") != task.fingerprint():
        return None
    return doc["rows"]


# -- the sweep ------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class SweepResult:
    """A sweep's ``rows`` (in task order, one per policy; a failed task one row with its error),
    the tasks ``ran`` and ``skipped`` (finished before), its folder, where it ran and how long it took."""

    rows: list[dict[str, Any]]
    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    out_dir: Path
    backend: str
    wall_time: float
    merged: dict[str, ACSet] | None = None

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the tasks that raised."""
        return tuple(dict.fromkeys(r["task"] for r in self.rows if r["status"] == "failed"))

    def column(self, name: str) -> list:
        """One summary column, in row order."""
        return [r[name] for r in self.rows]


def _ray_module():
    try:
        import ray
    except ImportError as err:
        raise AcsetS2RError(
            "running a sweep on Ray needs the ray extra (pip install 'acset_s2r[ray]'); "
            "without it, run the sweep serially (acset-s2r sweep --serial, or run_sweep(..., serial=True))"
        ) from err
    return ray


def _on_ray(todo: Sequence[SweepTask], out: Path, json_rows: bool, reports: bool, address: str | None,
            num_cpus: int | None):
    """Yield each task's rows as it finishes, on a running Ray, a cluster at ``address`` or a local one."""
    ray = _ray_module()
    started = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, include_dashboard=False)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count(), include_dashboard=False)
        started = True
    try:
        remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
        # one thread per task: Ray gives each task one CPU, and MuJoCo's batches would take them all
        refs = {remote.remote(t, str(out), json_rows, reports, 1): t for t in todo}
        pending = list(refs)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            task = refs[ready[0]]
            try:
                yield ray.get(ready[0])
            except Exception as err:  # the worker died: no one else records it
                rows = [_failed_row(task, f"{RUNS}/{task.name}", err, math.nan)]
                _write_task_file(out / RUNS / task.name, task, rows)
                yield rows
    finally:
        if started:
            ray.shutdown()


def run_sweep(
    tasks: Sequence[SweepTask], out_dir: str | os.PathLike, *, serial: bool = False, address: str | None = None,
    num_cpus: int | None = None, merge: bool = False, json: bool = False, reports: bool = True, progress: bool = True,
) -> SweepResult:
    """Run ``tasks`` into ``out_dir`` as Ray tasks, or one after another with ``serial``; write the
    summary (``summary.parquet``, ``summary.csv``) and, with ``merge``, the coproduct of the
    finished runs per model (:func:`merge_runs`).

    Ray: an already initialised Ray is used as it is; else ``address`` joins a cluster, and
    with neither a local Ray starts with ``num_cpus`` (default: this machine's cores) and is
    shut down at the end. Tasks that finished before with the same config are skipped; a task
    that raises is recorded with its error (``status`` "failed") and the others go on.
    ``json`` also writes each run's ACSets.jl row JSON; ``reports=False`` leaves out each run's
    plots and report.html.

    Examples
    --------
    >>> import tempfile
    >>> tiny = dict(sim={"n_sim": 2}, real={"episodes": 2}, measure={"n_null": 20},
    ...             training={"steps": 30, "iterations": 1, "population": 4})
    >>> out = tempfile.mkdtemp()
    >>> tasks = grid(levels=[1.0], sigmas=[0.1], **tiny)
    >>> r = run_sweep(tasks, out, serial=True, reports=False, progress=False)
    >>> r.ran, r.column("verdict") in (["transferred"], ["did not transfer"])
    (('cartpole-L1-s0.1-seed0',), True)
    >>> run_sweep(tasks, out, serial=True, progress=False).skipped
    ('cartpole-L1-s0.1-seed0',)
    >>> r = run_sweep(tasks, tempfile.mkdtemp(), num_cpus=2)  # starts a local Ray  # doctest: +SKIP
    """
    tasks = tuple(tasks)
    if not tasks:
        raise AcsetS2RError("a sweep needs at least one task")
    _check_names(tasks)
    out = Path(out_dir).resolve()  # workers may run elsewhere: give them an absolute path
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows_of: dict[str, list[dict]] = {}
    for t in tasks:
        done = _finished(out, t)
        if done is not None:
            rows_of[t.name] = done
    skipped = tuple(rows_of)
    todo = [t for t in tasks if t.name not in rows_of]
    if not todo:
        results: Iterable[list[dict]] = ()
    elif serial:
        results = (run_task(t, str(out), json, reports) for t in todo)
    else:
        results = _on_ray(todo, out, json, reports, address, num_cpus)
    bar = track(results, "sweep", enabled=progress, total=len(todo))
    failed = 0
    for rows in bar:
        rows_of[rows[0]["task"]] = rows
        failed += rows[0]["status"] == "failed"
        bar.set_postfix(failed=failed)
    rows = [r for t in tasks for r in rows_of[t.name]]
    write_summary(rows, out)
    merged = merge_runs(out, tasks) if merge else None
    backend = "serial" if serial else ("ray " + (address or "local"))
    return SweepResult(rows, tuple(t.name for t in todo), skipped, out, backend, time.perf_counter() - start, merged)


# -- the summary ----------------------------------------------------------------------------
def _arrow_summary(rows: list[dict]):
    import pyarrow as pa

    types = {"level": pa.float64(), "sigma": pa.float64(), "seed": pa.int64(), "kl_gap": pa.float64(),
             "p_value": pa.float64(), "epsilon": pa.float64(), "transferred": pa.bool_(),
             "sim_return": pa.float64(), "real_return": pa.float64(), "kept": pa.bool_(), "fell": pa.int64(),
             "episodes": pa.int64(), "wall_time": pa.float64()}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in SUMMARY_COLUMNS])
    return pa.Table.from_pylist(rows, schema=schema)


def write_summary(rows: list[dict], out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """``summary.parquet`` and ``summary.csv`` of a sweep's rows (written atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    sink = pa.BufferOutputStream()
    pq.write_table(_arrow_summary(rows), sink, compression="zstd")
    atomic_write_bytes(out / "summary.parquet", sink.getvalue().to_pybytes())
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    atomic_write_text(out / "summary.csv", text.getvalue())
    return out / "summary.parquet", out / "summary.csv"


def read_summary(out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The rows of a sweep's ``summary.parquet``."""
    import pyarrow.parquet as pq

    path = Path(out_dir) / "summary.parquet"
    try:
        return pq.read_table(path).to_pylist()
    except (OSError, ValueError) as err:
        raise AcsetS2RError(f"{path}: cannot read the sweep summary: {err}") from None


def merge_runs(out_dir: str | os.PathLike, tasks: Sequence[SweepTask] | None = None) -> dict[str, ACSet]:
    """The finished runs of a sweep folder, per model, as one ACSet each: their coproduct
    (:func:`acset_s2r.limits.coproduct`), parts of the first task's run first. Each is written
    to ``merged/<model>/`` as Parquet. ``tasks`` gives the order (default: the summary's).

    Runs of different models do not share attribute widths (an observation of 5 or of 11
    numbers), so they are merged per model.
    """
    from acset_s2r.limits import coproduct

    out = Path(out_dir)
    if tasks is not None:
        finished = [(t.model, t.name) for t in tasks if _finished(out, t) is not None]
    else:
        seen = dict.fromkeys((r["model"], r["task"]) for r in read_summary(out) if r["status"] == "ok")
        finished = list(seen)
    by_model: dict[str, list[str]] = {}
    for model, name in finished:
        by_model.setdefault(model, []).append(name)
    merged = {}
    for model, names in by_model.items():
        runs = [read_experiment(out / RUNS / n) for n in names]
        X = coproduct(*runs).apex
        write_parquet(X, out / MERGED / model)
        merged[model] = X
    return merged

