"""Sweeps: tiny cartpole experiments run serially and on a real local Ray (2 CPUs).

One task runs a model that diverges at its first step, so it fails with a real
SimulationError; the others must finish, be summarised, be skipped on a rerun and merge
into one ACSet whose parts are those of every run.
"""

from __future__ import annotations

import csv
import math
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from acset_s2r.cli import main
from acset_s2r.errors import AcsetS2RError
from acset_s2r.sim2real.store import read_experiment
from acset_s2r.sim2real.sweep import grid, load_sweep, merge_runs, point, read_summary, run_sweep

REPO = Path(__file__).resolve().parents[2]
TINY = dict(sim={"n_sim": 2}, real={"episodes": 2}, measure={"n_null": 20},
            training={"steps": 30, "iterations": 1, "population": 4})
# a 1 µg cart pushed with a gear of 1e12: NaN in qacc at the first step
BLOWUP = """<mujoco model="blowup"><option timestep="0.01"/>
<worldbody><body name="cart"><joint name="slide" type="slide" axis="1 0 0"/>
<geom type="box" size="0.1 0.1 0.1" mass="1e-6"/></body></worldbody>
<actuator><motor name="push" joint="slide" gear="1e12" ctrlrange="-1 1" ctrllimited="true"/></actuator>
</mujoco>"""
NUMBERS = ("kl_gap", "p_value", "epsilon", "sim_return", "real_return", "transferred", "kept", "verdict", "fell")


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    model = tmp_path_factory.mktemp("model") / "blowup.xml"
    model.write_text(BLOWUP)
    ok = grid(["cartpole"], levels=[0.0, 1.0], sigmas=[0.1], seeds=[0, 1], **TINY)[:3]
    return ok + (point(str(model), level=1.0, sigma=0.1, name="diverges", **TINY),)


@pytest.fixture(scope="module")
def serial(tasks, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(tasks, out, serial=True, merge=True, reports=False, progress=False)


def test_a_failing_task_is_recorded_and_the_others_finish(serial, tasks):
    assert serial.ran == tuple(t.name for t in tasks) and serial.skipped == ()
    assert serial.failed == ("diverges",)
    (bad,) = [r for r in serial.rows if r["task"] == "diverges"]
    assert bad["status"] == "failed" and bad["error"].startswith("SimulationError: simulation diverged")
    good = [r for r in serial.rows if r["status"] == "ok"]
    assert [r["task"] for r in good] == [t.name for t in tasks[:3]]  # one policy each, in task order
    for r, t in zip(good, tasks):
        assert r["policy"] == t.config.training.policies[0].name
        assert math.isfinite(r["kl_gap"]) and 0 < r["p_value"] <= 1
        assert r["transferred"] == (r["p_value"] >= t.config.measure.alpha)
        assert r["verdict"] == ("transferred" if r["transferred"] else "did not transfer")


def test_the_summary_files_hold_the_rows(serial):
    assert read_summary(serial.out_dir) == serial.rows
    with open(serial.out_dir / "summary.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert [r["task"] for r in table] == serial.column("task")
    assert [r["error"] for r in table] == serial.column("error")
    assert [float(r["kl_gap"]) for r in table if r["status"] == "ok"] == [
        r["kl_gap"] for r in serial.rows if r["status"] == "ok"
    ]


def test_a_rerun_skips_the_finished_tasks(serial, tasks):
    acset = serial.out_dir / "runs" / tasks[0].name / "acset"
    before = {p.name: p.stat().st_mtime_ns for p in acset.iterdir()}
    again = run_sweep(tasks, serial.out_dir, serial=True, reports=False, progress=False)
    assert again.skipped == tuple(t.name for t in tasks[:3]) and again.ran == ("diverges",)
    assert {p.name: p.stat().st_mtime_ns for p in acset.iterdir()} == before
    assert [r for r in again.rows if r["status"] == "ok"] == [r for r in serial.rows if r["status"] == "ok"]


def test_a_changed_config_under_the_same_name_runs_again(tasks, tmp_path):
    changed = point("cartpole", 0.0, 0.1, 0, **{**TINY, "measure": {"n_null": 39}})
    assert changed.name == tasks[0].name
    run_sweep(tasks[:1], tmp_path, serial=True, reports=False, progress=False)
    again = run_sweep([changed], tmp_path, serial=True, reports=False, progress=False)
    assert again.ran == (changed.name,)
    assert read_experiment(tmp_path / "runs" / changed.name).nparts("NullPlant") == 39


def test_the_merged_acset_is_the_coproduct_of_the_runs(serial, tasks):
    runs = [read_experiment(serial.out_dir / "runs" / t.name) for t in tasks[:3]]
    (model,) = serial.merged
    X = serial.merged[model]
    for ob in X.schema.obs:
        assert X.nparts(ob) == sum(R.nparts(ob) for R in runs)
    assert list(X.subpart("policy_name")) == [r.subpart(0, "policy_name") for r in runs]
    # the second run's real steps, seen through the merged ACSet's composites
    offset = runs[0].nparts("Step")
    real = runs[1].incident(runs[1].subpart(0, ["deploy", "observe_real"]), "stream")
    merged_real = X.incident(X.subpart(1, ["deploy", "observe_real"]), "stream")
    assert list(merged_real) == list(real + offset)
    assert (X.subpart("obs")[merged_real] == runs[1].subpart("obs")[real]).all()
    assert merge_runs(serial.out_dir)[model] == X  # from the summary alone, as the files hold it


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray")
    temp = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths live under it
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAY_AUTH_MODE", "disabled")
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=temp)
        try:
            yield ray
        finally:
            ray.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


def test_ray_runs_the_sweep_as_serial_does(local_ray, serial, tasks, tmp_path):
    before = set(os.listdir(REPO))
    result = run_sweep(tasks, tmp_path, merge=True, reports=False, progress=False)
    assert result.backend == "ray local" and result.failed == ("diverges",)
    assert local_ray.available_resources().get("CPU", 0) <= 2
    for a, b in zip(result.rows, serial.rows, strict=True):
        assert a["task"] == b["task"] and a["status"] == b["status"]
        assert {k: a[k] for k in NUMBERS} == {k: b[k] for k in NUMBERS}  # same seeds, same numbers
    (bad,) = [r for r in result.rows if r["status"] == "failed"]
    assert bad["error"].startswith("SimulationError: simulation diverged")
    assert result.merged["cartpole"] == serial.merged["cartpole"]
    again = run_sweep(tasks, tmp_path, reports=False, progress=False)
    assert again.ran == ("diverges",) and len(again.skipped) == 3
    new = {n for n in set(os.listdir(REPO)) - before if "ray" in n.lower() or n.startswith(("session", "MUJOCO"))}
    assert new == set()


def test_without_ray_the_error_names_the_extra(tasks, tmp_path, monkeypatch):
    import acset_s2r.sim2real.sweep as sweep

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(AcsetS2RError, match=r"ray extra.*--serial"):
        list(sweep._on_ray(tasks[:1], tmp_path, False, False, None, 2))


def test_the_command_runs_a_grid_and_a_toml_file(tmp_path, capsys):
    flags = ["--n-sim", "2", "--real-episodes", "2", "--n-null", "20", "--steps", "30", "--iterations", "1",
             "--population", "4", "--serial", "--no-reports", "--quiet", "--out", str(tmp_path)]
    assert main(["sweep", "--levels", "0", "1", "--sigmas", "0.1", "--merge", "--name", "g", *flags]) == 0
    rows = read_summary(tmp_path / "g")
    assert [r["task"] for r in rows] == ["cartpole-L0-s0.1-seed0", "cartpole-L1-s0.1-seed0"]
    assert (tmp_path / "g" / "merged" / "cartpole" / "schema.json").is_file()
    assert "2 ran, 0 skipped, 0 failed" in capsys.readouterr().out
    toml = tmp_path / "s.toml"
    toml.write_text("[[experiment]]\nname = 'one'\nlevel = 0.5\nsigma = 0.2\nseed = 4\n")
    assert main(["sweep", "--config", str(toml), "--name", "t", *flags]) == 0
    (row,) = read_summary(tmp_path / "t")
    assert (row["task"], row["level"], row["sigma"], row["seed"]) == ("one", 0.5, 0.2, 4)


def test_bad_sweeps_raise_our_errors(tmp_path):
    with pytest.raises(AcsetS2RError, match="two sweep tasks are named"):
        run_sweep(grid(levels=[1.0, 1.0], **TINY), tmp_path, serial=True)
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid]\nlevel = [1.0]\n")
    with pytest.raises(AcsetS2RError, match=r"bad.toml.*\[grid\] has \['level'\]"):
        load_sweep(bad)
    bad.write_text("[grid]\nlevels = [2.0]\n")
    with pytest.raises(AcsetS2RError, match="bad.toml"):
        load_sweep(bad)
    with pytest.raises(AcsetS2RError, match="cannot name a folder"):
        point(name="a/b")
    # the file itself: missing, a folder, not TOML; each named as the sweep file it should be
    with pytest.raises(AcsetS2RError, match=r"sweep file '.*missing.toml' does not exist"):
        load_sweep(tmp_path / "missing.toml")
    with pytest.raises(AcsetS2RError, match=r"sweep file '.*' cannot be read"):
        load_sweep(tmp_path)
    bad.write_text("[grid\n")
    with pytest.raises(AcsetS2RError, match=r"sweep file '.*bad.toml' is not valid TOML"):
        load_sweep(bad)


def test_run_json_writes_the_row_json_beside_the_parquet(tmp_path):
    from acset_s2r.cli import build_parser
    from acset_s2r.serialization import read_json
    from acset_s2r.sim2real.experiment import run_experiment
    from acset_s2r.sim2real.schema import SchSim2RealTrajectory

    assert build_parser().parse_args(["run", "--json"]).json and not build_parser().parse_args(["run"]).json
    result = run_experiment(point("cartpole", 1.0, 0.1, **TINY).config, out_dir=tmp_path, progress=False, json=True)
    assert read_json(tmp_path / "experiment.json", SchSim2RealTrajectory, **result.acset.types) == result.acset
    assert read_experiment(tmp_path) == result.acset  # the Parquet folder is still the one read
