"""The experiment ACSet: every seed morphism backed by MuJoCo data, reproducible from a seed."""

import numpy as np
import pytest

from acset_s2r.catalog import SchSim2RealTransfer
from acset_s2r.constraints import violations
from acset_s2r.errors import SimulationError
from acset_s2r.serialization import read_json
from acset_s2r.cli import main as cli_main
from acset_s2r.sim2real.experiment import (
    REAL_CARTPOLE_PHYSICS,
    ExperimentConfig,
    PolicySpec,
    _outside_support,
    policy_samples,
    run_experiment,
    seed_constraint,
)
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import make_real_plant
from acset_s2r.sim2real.tasks import get_task
from acset_s2r.sim2real.schema import SchSim2RealTrajectory

SMALL = ExperimentConfig(
    n_sim=3,
    steps=40,
    iterations=2,
    population=4,
    seed=3,
    real_episodes=3,
    policies=(PolicySpec("nominal", 0.0, 0.05), PolicySpec("dr", 1.0, 0.3)),
)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run_experiment(SMALL, out_dir=out, progress=False)


def test_seed_schema_is_a_subschema_of_the_trajectory_schema():
    assert SchSim2RealTransfer.is_subschema_of(SchSim2RealTrajectory)


def test_every_seed_morphism_is_backed_by_rollout_data(small_run):
    X = small_run.acset
    assert X.nparts("Policy") == 2 and X.nparts("SimEnv") == 6 and X.nparts("RealEnv") == 2
    # train: each policy is trained by exactly n_sim sim envs
    for p in X.parts("Policy"):
        assert len(X.incident(p, "train")) == SMALL.n_sim
    # each env has its own stream, of the right domain, with steps that point back to it
    sim_streams = X.subpart("observe_sim")
    real_streams = X.subpart("observe_real")
    assert len(set(sim_streams) | set(real_streams)) == X.nparts("Observation")
    assert set(X.subpart(sim_streams, "domain")) == {"sim"}
    assert set(X.subpart(real_streams, "domain")) == {"real"}
    for s in X.parts("Observation"):
        steps = X.incident(s, "stream")
        assert len(steps) > 0
        np.testing.assert_array_equal(X.subpart(steps, "t_index"), np.arange(len(steps)))
        # the recorded episode return is the sum of the recorded rewards
        assert X.subpart(steps, "reward").sum() == pytest.approx(X.subpart(s, "episode_return"))
    # next_step links each stream in order and stays inside it
    nxt = X.subpart("next_step")
    linked = nxt >= 0
    assert np.all(X.subpart(nxt[linked], "stream") == X.subpart("stream")[linked])
    assert np.all(X.subpart(nxt[linked], "t_index") == X.subpart("t_index")[linked] + 1)


def test_policy_samples_follow_the_composites(small_run):
    X = small_run.acset
    p = 1
    real, real_ids, sim, sim_ids = policy_samples(X, p)
    stream = X.subpart(p, ["deploy", "observe_real"])
    assert set(real_ids) == {stream}
    assert set(sim_ids) == set(X.subpart(X.incident(p, "train"), "observe_sim"))
    assert real.shape[1] == sim.shape[1] == X.subpart("obs").shape[1]


def test_kl_gap_stored_and_seed_constraint_holds(small_run):
    X = small_run.acset
    gaps = X.subpart("kl_gap")
    assert np.all(np.isfinite(gaps))
    for p, name in enumerate(X.subpart("policy_name")):
        assert gaps[p] == small_run.gaps[name].value
    assert violations(X, [seed_constraint(SMALL.eps)]) == []
    # breaking the identity on a small-gap policy is caught
    Y = X.copy()
    Y.set_subpart(0, "kl_gap", 0.0)
    Y.set_subpart(0, "transfer", 1)
    assert [v.part for v in violations(Y, [seed_constraint(SMALL.eps)])] == [0]


def test_files_round_trip_and_plots_exist(small_run):
    out = small_run.out_dir
    back = read_json(out / "experiment.json", SchSim2RealTrajectory, **dict(small_run.acset.types))
    assert back == small_run.acset
    for png in ("observations.png", "returns.png", "training.png", "kl_gap.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "kl_gap" in small_run.report()


def test_outcomes_match_the_acset_and_the_report_says_why(small_run):
    X = small_run.acset
    report = small_run.report()
    for p, name in enumerate(X.subpart("policy_name")):
        out = small_run.outcomes[name]
        assert len(out.real_returns) == len(out.real_lengths) == SMALL.real_episodes
        # the ACSet's real_return is the mean over the real episodes, the first of which is recorded
        assert X.subpart(p, "real_return") == pytest.approx(out.real_returns.mean())
        stream = X.subpart(p, ["deploy", "observe_real"])
        assert X.subpart(stream, "episode_return") == pytest.approx(out.real_returns[0])
        assert len(X.incident(stream, "stream")) == out.real_lengths[0]
        assert [len(o) for o in out.real_obs] == out.real_lengths.tolist()
        np.testing.assert_array_equal(out.real_obs[0], X.subpart(X.incident(stream, "stream"), "obs"))
        verdict = "transferred" if small_run.transferred()[name] else "did not transfer"
        assert f"{name}: {verdict}" in report
    # the nominal policy never saw latency or noise, so the real plant is outside its support there
    assert {"latency", "sensor noise"} <= set(small_run.outcomes["nominal"].outside_support)

def test_same_seed_same_experiment(small_run):
    again = run_experiment(SMALL, progress=False)
    assert again.acset == small_run.acset


def test_default_run_puts_the_real_plant_inside_the_level_1_support_only():
    cfg = ExperimentConfig.for_model()
    task_base = get_task(cfg.model).load_model()
    plant = make_real_plant(task_base, cfg.plant_config(), np.random.default_rng(0))
    # the hidden physics is the documented fixed perturbation, whatever the rng
    assert cfg.plant_config().physics.ranges == REAL_CARTPOLE_PHYSICS
    assert plant.parameters(["body_mass/pole"])[0] == pytest.approx(2 * task_base.body_mass[2])
    assert plant.parameters(["actuator_gain/push"])[0] == pytest.approx(0.5 * task_base.actuator_gainprm[0, 0])
    assert cfg.plant_config().latency.low == 8

    def outside(level):
        noise = ObservationNoise(std=cfg.sim_noise * level, bias_std=cfg.sim_bias * level)
        latency = ActionLatency(0, round(cfg.sim_latency_max * level))
        return set(_outside_support(plant, task_base, cfg.randomization_config(task_base, level), noise, latency))

    assert outside(1.0) == set()
    assert {"body_mass/pole", "actuator_gain/push", "dof_damping/hinge", "latency", "sensor bias"} <= outside(0.0)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--level", "1.5"], "not in [0, 1]"),
        (["--level", "abc"], "not a number"),
        (["--noise", "inf"], "not a finite number"),
        (["--n-sim", "1"], "at least 2"),
        (["--model", "unicycle"], "choose from cartpole, hopper"),
        (["--seed", "-3"], "at least 0"),
    ],
)
def test_bad_run_flags_are_clear_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli_main(["run", "--quiet", *argv])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_output_folder_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert cli_main(["run", "--quiet", "--out", str(blocker)]) == 2
    assert "cannot create the output folder" in capsys.readouterr().err


def test_bad_config_is_a_clear_error():
    with pytest.raises(SimulationError, match="level"):
        ExperimentConfig(level=1.5)
    with pytest.raises(SimulationError, match="no task"):
        ExperimentConfig(model="unicycle")
    with pytest.raises(SimulationError, match="real_episodes"):
        ExperimentConfig(real_episodes=0)
