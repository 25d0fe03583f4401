"""Real logs in: LeRobot v3 folders (LeRobot's own and ours), tables, timestamps, bad input."""

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.sim2real.audit import audit
from acset_s2r.sim2real.logs import check_log, log_from_arrays, read_lerobot, read_log, read_table, write_lerobot
from acset_s2r.sim2real.policy import lqr_policy
from acset_s2r.sim2real.record import Setup, new_experiment, record_log_stream
from acset_s2r.sim2real.robotlog import robot_log
from acset_s2r.sim2real.tasks import get_task

LEROBOT = Path(__file__).resolve().parents[1] / "fixtures" / "lerobot_v3" / "random_3ep"
TASK = get_task("cartpole")
BASE = TASK.load_model()


def test_reads_the_dataset_lerobot_wrote():
    log = read_lerobot(LEROBOT)
    assert [len(e) for e in log.episodes] == [30, 20, 25]
    assert log.channels == tuple(f"s{i}" for i in range(11)) and log.actuators == ("a0", "a1", "a2")
    assert log.fps == 50
    # LeRobot's timestamps are frame_index / fps, restarting each episode
    for e in log.episodes:
        np.testing.assert_allclose(e.time, np.arange(len(e)) / 50, atol=1e-6)
    s = log.sampling()
    assert s.n == 75 - 3 and s.mean == pytest.approx(0.02, abs=1e-6) and s.std < 1e-6
    # the rows are the data file's: episode 1 starts after episode 0's 30 frames
    assert log.episodes[1].rows[0] == 30
    table = pq.read_table(LEROBOT / "data/chunk-000/file-000.parquet")
    first = np.asarray(table.column("observation.state").to_pylist()[30], np.float32)
    np.testing.assert_array_equal(log.episodes[1].obs[0].astype(np.float32), first)


def test_lerobot_channels_that_do_not_fit_the_model_name_the_column(tmp_path):
    with pytest.raises(InstanceError, match=r"file-000\.parquet, column 'observation\.state': 11 observation values "
                                            r"per frame, but task 'quadruped' observes 27"):
        audit("quadruped", LEROBOT, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def _hidden_log(seed=0, **kw):
    rng = np.random.default_rng(seed)
    return robot_log(BASE, lqr_policy(BASE, sigma=0.1), TASK, rng, **{"episodes": 2, "steps": 60, **kw})


def test_a_log_round_trips_through_our_lerobot_layout(tmp_path):
    log = _hidden_log(latency=0.013)
    back = read_lerobot(write_lerobot(log, tmp_path / "ds", fps=100))
    assert back.channels == log.channels and back.actuators == log.actuators
    for a, b in zip(log.episodes, back.episodes):
        np.testing.assert_allclose(b.obs, a.obs, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(b.action, a.action, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(b.time, a.time - a.time[0], atol=1e-6)


def test_jittered_sampling_is_measured():
    log = _hidden_log(jitter=0.15, steps=400, episodes=1)
    s = log.sampling()
    # ticks k·T + U(-j, j)·T: the mean interval is T, its std T·j·sqrt(2/3)
    assert s.mean == pytest.approx(0.01, abs=3 * 0.01 * 0.15 / np.sqrt(s.n))
    assert s.std == pytest.approx(0.01 * 0.15 * np.sqrt(2 / 3), rel=0.15)


def test_resampling_is_exact_on_linear_signals_and_keeps_each_frames_command():
    rng = np.random.default_rng(3)
    t = 0.01 * (np.arange(50) + rng.uniform(-0.3, 0.3, 50))
    obs = np.column_stack([2.0 + 3.0 * t, -t])
    action = np.arange(50.0)[:, None]
    grid = log_from_arrays(obs, action, t).resample(0.01).episodes[0]
    np.testing.assert_allclose(grid.time, t[0] + 0.01 * np.arange(len(grid)))
    np.testing.assert_allclose(grid.obs, np.column_stack([2.0 + 3.0 * grid.time, -grid.time]), atol=1e-12)
    nearest = np.argmin(np.abs(t[None, :] - grid.time[:, None]), axis=1)
    np.testing.assert_array_equal(grid.action[:, 0], nearest)


def test_tables_with_a_column_mapping(tmp_path):
    log = _hidden_log()
    e = np.concatenate([np.full(len(x), i) for i, x in enumerate(log.episodes)])
    obs = np.concatenate([x.obs for x in log.episodes])
    act = np.concatenate([x.action for x in log.episodes])
    t = np.concatenate([x.time for x in log.episodes])
    cols = {f"o{j}": obs[:, j] for j in range(4)} | {"u": act[:, 0], "t": t, "ep": e}
    pq.write_table(pa.table(cols), tmp_path / "log.parquet")
    np.savez(tmp_path / "log.npz", **cols)
    (tmp_path / "log.csv").write_text(
        "o0,o1,o2,o3,u,t,ep\n" + "\n".join(",".join(repr(float(cols[k][i])) for k in cols) for i in range(len(t))) + "\n"
    )
    mapping = {"obs": ["o0", "o1", "o2", "o3"], "action": "u", "time": "t", "episode": "ep"}
    for name in ("log.parquet", "log.npz", "log.csv"):
        got = read_log(tmp_path / name, mapping)
        assert [len(x) for x in got.episodes] == [len(x) for x in log.episodes]
        np.testing.assert_allclose(got.episodes[1].obs, log.episodes[1].obs)
        assert got.channels == ("o0", "o1", "o2", "o3")


@pytest.mark.parametrize("defect, message", [
    ("nan", r"log\.csv, column 'x', row 2: value is not finite"),
    ("backwards", r"log\.csv, column 't', row 3: timestamps must increase"),
    ("one frame", r"log\.csv, column 't', row 4: episode 1 has one frame"),
])
def test_bad_logs_name_file_column_and_row(tmp_path, defect, message):
    rows = [["0", "0.0", "0.1", "0"], ["0.01", "0.1", "0.1", "0"], ["0.02", "0.2", "0.1", "0"], ["0.03", "0.3", "0.1", "0"]]
    if defect == "nan":
        rows[2][1] = "nan"
    elif defect == "backwards":
        rows[3][0] = "0.015"
    else:
        rows.append(["0.04", "0.4", "0.1", "1"])
    path = tmp_path / "log.csv"
    path.write_text("t,x,u,ep\n" + "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(InstanceError, match=message):
        read_table(path, {"obs": "x", "action": "u", "time": "t", "episode": "ep"})


def test_a_nan_in_a_lerobot_folder_names_its_data_file_and_row(tmp_path):
    log = _hidden_log()
    folder = write_lerobot(log, tmp_path / "ds", fps=100)
    path = folder / "data/chunk-000/file-000.parquet"
    table = pq.read_table(path)
    action = np.asarray(table.column("action").to_pylist(), np.float32)
    action[37, 0] = np.nan
    table = table.set_column(1, "action", pa.FixedSizeListArray.from_arrays(pa.array(action.ravel()), 1))
    pq.write_table(table, path)
    with pytest.raises(InstanceError, match=r"file-000\.parquet, column 'action', row 37: value is not finite"):
        read_lerobot(folder)


def test_widths_are_checked_against_the_task():
    log = _hidden_log()
    check_log(log, 4, 1, "task 'cartpole'")
    with pytest.raises(InstanceError, match="column 'action': 1 action values per frame, but task 'x' takes 2"):
        check_log(log, 4, 2, "task 'x'")


def test_a_log_without_state_records_undefined_physics_and_states():
    log = _hidden_log().resample(0.01)
    X = new_experiment(Setup("cartpole", 0.01, ("a", "b", "c", "d"), ("u",), ("mass",)), 4, 1)
    stream = record_log_stream(X, log)
    steps = X.incident(stream, "stream")
    assert len(steps) == log.n_frames
    assert not X.is_defined("next_state", steps).any() and not X.is_defined("reward", steps).any()
    with_state = _hidden_log(with_state=True).resample(0.01)
    steps = X.incident(record_log_stream(X, with_state), "stream")
    defined = X.is_defined("next_state", steps)
    assert defined.sum() == with_state.n_frames - len(with_state.episodes)  # each episode's last lacks it


def test_a_logs_samples_are_what_its_recorded_stream_reads_back():
    # the null plants' logs are scored without recording them: their samples must be the
    # recorded stream's, frame for frame, cut into the same episodes
    from acset_s2r.sim2real.record import log_samples, stream_steps

    log = _hidden_log().resample(0.01)
    X = new_experiment(Setup("cartpole", 0.01, ("a", "b", "c", "d"), ("u",), ("mass",)), 4, 1)
    steps, segments = stream_steps(X, record_log_stream(X, log))
    obs, episodes = log_samples(log)
    assert np.array_equal(obs, X.subpart(steps, "obs"))
    assert [len(e) for e in log.episodes] == np.bincount(episodes).tolist()
    # one segment per episode, in the same order: the two labellings are one partition
    assert np.array_equal(np.unique(segments, return_inverse=True)[1], episodes)


def test_the_sim_side_of_a_log_runs_every_member_over_every_logged_episode_at_its_ticks():
    from acset_s2r.sim2real.randomization import Ensemble, draw_parameters, playground_defaults
    from acset_s2r.sim2real.robotlog import jittered_clock, log_ensemble

    rng = np.random.default_rng(4)
    ensemble = Ensemble(BASE, draw_parameters(BASE, playground_defaults(BASE), 3, rng))
    dt = TASK.control_dt(BASE)
    clocks = [0.3 + jittered_clock(40, dt, 0.15, rng), jittered_clock(30, dt, 0.15, rng)]
    policy = lqr_policy(BASE, sigma=0.1)
    logs, lags = log_ensemble(ensemble, policy, TASK, rng, clocks, latency=(0.0, 1.0), obs_noise=0.01)
    assert len(logs) == 3 and np.all((lags >= 0) & (lags <= 1)) and len(set(lags.tolist())) == 3
    for log in logs:
        assert log.has_state and [len(e) for e in log.episodes] == [40, 30]
        for e, clock in zip(log.episodes, clocks):
            np.testing.assert_allclose(e.time, clock - clock[0])  # each episode at its clock, from 0
    # a replay commands what was logged, from the given starts
    starts = (np.tile(BASE.qpos0, (2, 1)) + 0.01, np.zeros((2, BASE.nv)))
    commands = [rng.uniform(-0.5, 0.5, (len(c), 1)) for c in clocks]
    replays, _ = log_ensemble(ensemble, None, TASK, rng, clocks, initial_state=starts, commands=commands)
    for log in replays:
        for e, sent in zip(log.episodes, commands):
            np.testing.assert_array_equal(e.action, sent)
            np.testing.assert_allclose(e.qpos[0], starts[0][0])
    with pytest.raises(SimulationError, match="latency range"):
        log_ensemble(ensemble, policy, TASK, rng, clocks, latency=(1.0, 0.0))
    with pytest.raises(SimulationError, match="clock 0"):
        log_ensemble(ensemble, policy, TASK, rng, [np.array([0.0, 0.02, 0.01])])
    with pytest.raises(SimulationError, match="replay needs"):
        log_ensemble(ensemble, None, TASK, rng, clocks, commands=commands)
