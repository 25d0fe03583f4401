"""The audit of a real log: a LeRobot folder written from a hidden plant, read back and audited."""

import json

import numpy as np
import pytest

from acset_s2r.cli import main
from acset_s2r.errors import InstanceError
from acset_s2r.sim2real.audit import audit
from acset_s2r.sim2real.clone import MIN_R2, clone_from_log
from acset_s2r.sim2real.faults import FAULT_BENCH_SIM, Fault, plant_config
from acset_s2r.sim2real.logs import log_from_arrays, write_lerobot
from acset_s2r.sim2real.plant import make_real_plant
from acset_s2r.sim2real.policy import lqr_policy
from acset_s2r.sim2real.record import null_gaps, read_setup
from acset_s2r.sim2real.robotlog import robot_log
from acset_s2r.sim2real.store import read_experiment
from acset_s2r.sim2real.tasks import get_task

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

TASK = get_task("cartpole")
BASE = TASK.load_model()
POLICY = lqr_policy(BASE, sigma=0.1)
LATENCY = 0.035  # 3.5 control steps: outside the sim's 0..1, and not a whole step


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Three episodes of a hidden plant with a 35 ms latency, as a LeRobot v3 folder."""
    rng = np.random.default_rng(7)
    plant = make_real_plant(BASE, plant_config(BASE, FAULT_BENCH_SIM, Fault("none")), rng)
    log = robot_log(plant.model, POLICY, TASK, rng, episodes=3, steps=150, latency=LATENCY, obs_noise=0.01)
    return write_lerobot(log, tmp_path_factory.mktemp("ds") / "hidden", fps=100)


@pytest.fixture(scope="module")
def audited(dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit") / "out"
    assert main(["audit", "--model", "cartpole", "--real", str(dataset), "--out", str(out), "--n-sim", "6",
                 "--n-null", "20", "--quiet"]) == 0
    return out


def test_the_audit_writes_its_files_and_records_no_hidden_truth(audited):
    for name in ("report.html", "proof_bundle.json", "summary.txt", "gap.png", "acset/schema.json"):
        assert (audited / name).is_file(), name
    X = read_experiment(audited)
    real = X.subpart(0, "deploy")
    # a log knows neither the plant's physics, nor its noise, nor its latency in steps
    assert not X.is_defined("real_params", [real]).any()
    assert not X.is_defined("obs_noise_std", [real]).any() and not X.is_defined("latency_steps", [real]).any()
    assert str(X.subpart(real, "real_source")).endswith("file-000.parquet")
    assert X.subpart(real, "sample_dt_mean") == pytest.approx(0.01, abs=5e-4)
    steps = X.incident(X.subpart(real, "observe_real"), "stream")
    assert not X.is_defined("next_state", steps).any()
    assert X.nparts("NullPlant") == 20 and read_setup(X).task_name == "cartpole"
    assert json.loads((audited / "proof_bundle.json").read_text())["proof_hash"]


def test_the_latency_is_found_in_milliseconds_from_the_log_alone(audited):
    X = read_experiment(audited)
    latency_ms = float(X.subpart(X.subpart(0, "deploy"), "latency_ms"))
    assert abs(latency_ms - 1000 * LATENCY) <= 10.0  # within one control step
    summary = (audited / "summary.txt").read_text()
    assert "diagnosis: temporal/latency mismatch" in summary


def _hidden_log(latency: float, seed: int = 7):
    rng = np.random.default_rng(seed)
    plant = make_real_plant(BASE, plant_config(BASE, FAULT_BENCH_SIM, Fault("none")), rng)
    return robot_log(plant.model, POLICY, TASK, rng, episodes=3, steps=150, latency=latency, obs_noise=0.01)


def test_with_its_policy_the_verdict_passes_an_in_support_log_and_rejects_a_late_one():
    # closed loop, the sim side and the null plants are logged as the robot was; a plant in
    # the sim's support (latency 0.5 steps) is one more draw, a 3.5-step latency is not
    kept = audit("cartpole", _hidden_log(0.005), policy=POLICY, n_sim=6, n_null=20, progress=False)
    late = audit("cartpole", _hidden_log(LATENCY), policy=POLICY, n_sim=6, n_null=20, progress=False)
    assert kept.verdict.transferred and kept.verdict.p_value >= 0.1
    assert not late.verdict.transferred and late.verdict.kl_gap > max(null_gaps(late.acset, 0))
    assert kept.diagnosis.cause.value == "none" and late.diagnosis.cause.value == "temporal/latency mismatch"
    assert kept.drive.mode == "policy" and "sim side: closed loop with the given policy" in kept.summary()
    # null plants' latencies are real numbers over the sim's range, as the sim side's are
    lags = late.acset.subpart("null_latency")
    assert np.all((lags >= 0) & (lags <= FAULT_BENCH_SIM.latency_max)) and len(np.unique(lags)) == 20


def test_without_a_policy_a_clone_of_it_passes_an_in_support_log_and_rejects_a_late_one():
    # the policy that made the logs is cloned from each log and runs the sim side and the
    # null plants closed loop, as a given policy would; the late log's clone is the policy too
    kept = audit("cartpole", _hidden_log(0.005), n_sim=6, n_null=20, progress=False)
    late = audit("cartpole", _hidden_log(LATENCY), n_sim=6, n_null=20, progress=False)
    assert kept.verdict.transferred and kept.verdict.p_value >= 0.1
    assert not late.verdict.transferred and late.verdict.kl_gap > max(null_gaps(late.acset, 0))
    assert late.diagnosis.cause.value == "temporal/latency mismatch"
    for result in (kept, late):
        assert result.drive.mode == "cloned" and result.drive.clone.fit > MIN_R2
        assert result.acset.subpart(0, "policy_kind") == "cloned"
        assert "sim side: closed loop with a linear-Gaussian policy cloned from the log (R² 0." in result.summary()


def test_the_clone_recovers_the_gains_of_the_linear_policy_that_made_a_log():
    # a late plant saturates 30% of the commands: least squares on every pair would flatten
    # the gains; the censored fit recovers them to within 4 standard errors of least squares
    # on the unsaturated pairs (σ² (ZᵀZ)⁻¹, Z the centred observations), and σ to within 4 of
    # its own (σ / √(2n))
    log = robot_log(BASE, POLICY, TASK, np.random.default_rng(3), episodes=3, steps=150, latency=LATENCY, obs_noise=0.01)
    obs = np.concatenate([e.obs for e in log.episodes])
    action = np.concatenate([e.action for e in log.episodes])[:, 0]
    free = np.abs(action) < 1.0
    assert 0.1 < 1 - free.mean() < 0.5  # the saturation the fit has to see through
    z = obs[free] - obs[free].mean(0)
    se = POLICY.sigma[0] * np.sqrt(np.diag(np.linalg.inv(z.T @ z)))
    ols = np.linalg.lstsq(np.column_stack([obs, np.ones(len(obs))]), action, rcond=None)[0][:-1]
    assert np.any(np.abs(ols - POLICY.gain[0]) > 4 * se)
    clone = clone_from_log(TASK, BASE, log)
    assert np.all(np.abs(clone.gain[0] - POLICY.gain[0]) < 4 * se)
    assert abs(clone.sigma[0] - POLICY.sigma[0]) < 4 * POLICY.sigma[0] / np.sqrt(2 * free.sum())
    assert clone.fits() and clone.pairs == len(obs) and clone.source == log.source


def test_a_clone_that_fits_badly_falls_back_to_the_replay_and_says_it_is_not_calibrated():
    # commands no linear map of the observations explains (R² about 0.06): a fast-varying
    # function of the pole's angular velocity
    rng = np.random.default_rng(5)
    log = robot_log(BASE, lambda o: 0.8 * np.cos(200.0 * o[:, 3:]), TASK, rng, episodes=2, steps=60, obs_noise=0.01)
    result = audit("cartpole", log, n_sim=2, n_null=20, progress=False)
    assert result.drive.mode == "replay" and result.drive.clone.fit < MIN_R2 and not result.drive.calibrated
    assert f"is below {MIN_R2}): the verdict compares open-loop drifts and is NOT calibrated" in result.summary()
    assert result.acset.subpart(0, "policy_kind") == "replay"
    _check_replayed(result.acset)


def _check_replayed(X):
    real = X.incident(X.subpart(X.subpart(0, "deploy"), "observe_real"), "stream")
    horizon = int(np.max(X.subpart(real, "t_index"))) + 1
    logged = np.asarray(X.subpart(real, "action"), float).reshape(-1, horizon)
    for stream in X.subpart(X.incident(0, "train"), "observe_sim"):
        steps = X.incident(stream, "stream")
        episode = X.subpart(steps, "episode")
        assert set(episode.tolist()) == set(range(len(logged)))  # every member replays every episode
        for e in range(len(logged)):
            sim = np.asarray(X.subpart(steps[episode == e], "action"), float)[:, 0]
            # open loop, a replayed episode may leave the task's healthy set and end early
            assert 1 < len(sim) <= horizon
            np.testing.assert_array_equal(sim, logged[e][: len(sim)])


def test_asked_not_to_clone_the_audit_replays_the_logged_commands(tmp_path):
    log = robot_log(BASE, POLICY, TASK, np.random.default_rng(6), episodes=2, steps=60, obs_noise=0.01)
    dataset = write_lerobot(log, tmp_path / "ds", fps=100)
    out = tmp_path / "out"
    assert main(["audit", "--model", "cartpole", "--real", str(dataset), "--out", str(out), "--n-sim", "2",
                 "--n-null", "20", "--quiet", "--no-clone"]) == 0
    summary = (out / "summary.txt").read_text(encoding="utf-8")
    assert "sim side: open loop, replaying the logged commands (no clone asked for)" in summary
    X = read_experiment(out)
    assert X.subpart(0, "policy_kind") == "replay"
    _check_replayed(X)


def write_linear_onnx(path, gain, obs_ref, bias):
    """action = (obs - obs_ref) · gainᵀ + bias as one Gemm."""
    W = gain.T.astype(np.float32)
    B = (bias - obs_ref @ gain.T).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["obs", "W", "B"], ["action"])], "linear",
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", W.shape[0]])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", W.shape[1]])],
        [numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_an_onnx_policy_runs_closed_loop_against_the_log(dataset, tmp_path):
    path = write_linear_onnx(tmp_path / "policy.onnx", POLICY.gain, POLICY.obs_ref, POLICY.bias)
    result = audit("cartpole", dataset, policy=path, n_sim=6, n_null=20, progress=False)
    X = result.acset
    assert X.subpart(0, "policy_kind") == "onnx" and X.subpart(0, "policy_source") == "policy.onnx"
    assert np.isfinite(result.verdict.kl_gap) and result.verdict.n_null == 20


def test_an_onnx_policy_of_the_wrong_width_is_refused_before_anything_is_written(dataset, tmp_path):
    path = write_linear_onnx(tmp_path / "wide.onnx", np.zeros((1, 6)), np.zeros(6), np.zeros(1))
    with pytest.raises(InstanceError, match=r"wide\.onnx.*6.*4"):
        audit("cartpole", dataset, policy=path, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    assert main(["audit", "--model", "cartpole", "--real", str(dataset), "--policy", str(path),
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert not (tmp_path / "out").exists()


def test_a_short_log_is_refused_with_its_episode(tmp_path):
    log = log_from_arrays(np.zeros((8, 4)), np.zeros((8, 1)), fps=100, source="short.npz")
    with pytest.raises(InstanceError, match=r"short\.npz: episode 0 has 8 control steps"):
        audit("cartpole", log, out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
