"""Where a run's experiment ACSet lives on disk, and how it comes back.

A run folder holds ``acset/``, the ACSet as Parquet (one file per object, the schema and
attribute types in ``acset/schema.json``; see :mod:`acset_s2r.parquet`), and, when asked,
``experiment.json``, the ACSets.jl row JSON for Catlab users. Parquet is the default:
at a million steps it is tens of times smaller and faster than the row JSON, and
DuckDB can query it in place (:func:`acset_s2r.sql_engine.sql`).
"""

from __future__ import annotations

import os
from pathlib import Path

from acset_s2r.acset import ACSet
from acset_s2r.errors import SerializationError
from acset_s2r.parquet import read_parquet, write_parquet
from acset_s2r.serialization import read_json, write_json
from acset_s2r.sim2real.schema import SchSim2RealTrajectory

__all__ = ["ACSET_FOLDER", "JSON_FILE", "read_experiment", "write_experiment"]

ACSET_FOLDER = "acset"
JSON_FILE = "experiment.json"


def write_experiment(X: ACSet, run_dir: str | os.PathLike, json: bool = False, float32: bool = False) -> list[Path]:
    """Write ``run_dir/acset/`` (Parquet), and ``run_dir/experiment.json`` too with ``json``; return the paths.

    ``float32`` stores the float columns at single precision (lossy; see :func:`acset_s2r.parquet.write_parquet`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r.sim2real.record import Setup, new_experiment
    >>> X = new_experiment(Setup("cartpole", 0.01, ("x", "v"), ("push",), ("mass",)), 4, 3)
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> [p.name for p in write_experiment(X, run)]
    ['acset']
    >>> read_experiment(run) == X
    True
    """
    run_dir = Path(run_dir)
    written = [run_dir / ACSET_FOLDER]
    write_parquet(X, written[0], float32=float32)
    if json:
        written.append(run_dir / JSON_FILE)
        write_json(X, written[1])
    return written


def read_experiment(run_dir: str | os.PathLike) -> ACSet:
    """The experiment ACSet of a run folder: from ``acset/``, or from ``experiment.json`` if a run has only that.

    The Parquet folder records its schema and attribute types, so nothing else is needed;
    a row JSON file is read against :data:`SchSim2RealTrajectory` with types inferred.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from acset_s2r.sim2real.record import Setup, new_experiment, read_setup
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_experiment(new_experiment(Setup("hopper", 0.008, ("z",), ("thigh",), ("mass",)), 2, 1), run)
    >>> read_setup(read_experiment(run)).task_name
    'hopper'
    """
    run_dir = Path(run_dir)
    folder = run_dir / ACSET_FOLDER
    if folder.is_dir():
        return read_parquet(folder)
    if (run_dir / JSON_FILE).is_file():
        return read_json(run_dir / JSON_FILE, SchSim2RealTrajectory)
    raise SerializationError(f"{run_dir} holds no experiment: neither {ACSET_FOLDER}/ nor {JSON_FILE}")
