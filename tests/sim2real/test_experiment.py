"""The experiment ACSet: every seed morphism backed by MuJoCo data, reproducible from a seed."""

import json
from pathlib import Path

import numpy as np
import pytest

from acset_s2r.catalog import SchSim2RealTransfer
from acset_s2r.constraints import violations
from acset_s2r.errors import InstanceError, SimulationError
from acset_s2r.serialization import read_json
from acset_s2r.cli import main as cli_main
from acset_s2r.serialization import schema_to_json
from acset_s2r.sim2real.config import ExperimentConfig, PolicySpec, SimSide, default_config
from acset_s2r.sim2real.experiment import outside_support, run_experiment
from acset_s2r.sim2real.judge import measure_gap, read_verdicts, seed_constraint
from acset_s2r.sim2real.presets import REAL_CARTPOLE_PHYSICS
from acset_s2r.sim2real.record import episode_returns, policy_samples, read_setup
from acset_s2r.sim2real import kl
from acset_s2r.sim2real.diagnosis import diagnose_transfer_failure, transfer_evidence
from acset_s2r.sim2real.kl import transition_pairs
from acset_s2r.sim2real.noise import ActionLatency, ObservationNoise
from acset_s2r.sim2real.plant import make_real_plant
from acset_s2r.sim2real.report import save_experiment
from acset_s2r.sim2real.store import read_experiment
from acset_s2r.sim2real.tasks import get_task
from acset_s2r.sim2real.schema import SchSim2RealTrajectory

# the default cartpole plant, with milder sims (Playground ranges, 0..3 steps) and 2 steps of latency
SMALL = default_config("cartpole").evolve(
    seed=3,
    sim={"n_sim": 3, "obs_bias": 0.0, "latency_max": 3, "randomization": None},
    real={"episodes": 3, "latency": 2},
    training={"steps": 40, "iterations": 2, "population": 4,
              "policies": (PolicySpec("nominal", 0.0, 0.05), PolicySpec("dr", 1.0, 0.3))},
    measure={"n_null": 39},
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
        assert len(X.incident(p, "train")) == SMALL.sim.n_sim
    # each env has its own stream, of the right domain, with steps that point back to it
    sim_streams = X.subpart("observe_sim")
    real_streams = X.subpart("observe_real")
    assert len(set(sim_streams) | set(real_streams)) == X.nparts("Observation")
    assert set(X.subpart(sim_streams, "domain")) == {"sim"}
    assert set(X.subpart(real_streams, "domain")) == {"real"}
    n_episodes = 0
    for s in X.parts("Observation"):
        steps = X.incident(s, "stream")
        assert len(steps) > 0
        episode = X.subpart(steps, "episode")
        k = int(episode.max()) + 1
        n_episodes += k
        sums = []
        for e in range(k):
            in_e = steps[episode == e]
            assert len(in_e) > 0
            np.testing.assert_array_equal(X.subpart(in_e, "t_index"), np.arange(len(in_e)))
            sums.append(X.subpart(in_e, "reward").sum())
        # the stream's episode_return is the mean of its episodes' summed rewards
        assert np.mean(sums) == pytest.approx(X.subpart(s, "episode_return"))
    # next_step links each episode in order, stays inside it, and ends once per episode
    nxt = X.subpart("next_step")
    linked = nxt >= 0
    for attr in ("stream", "episode"):
        assert np.all(X.subpart(nxt[linked], attr) == X.subpart(attr)[linked])
    assert np.all(X.subpart(nxt[linked], "t_index") == X.subpart("t_index")[linked] + 1)
    assert np.sum(~linked) == n_episodes


def test_policy_samples_follow_the_composites(small_run):
    X = small_run.acset
    p = 1
    real, real_ids, sim, sim_ids = policy_samples(X, p)
    stream = X.subpart(p, ["deploy", "observe_real"])
    # segments are (stream, episode): named by their first Step
    assert set(X.subpart(real_ids, "stream")) == {stream}
    assert len(set(real_ids)) == SMALL.real.episodes
    assert set(X.subpart(real_ids, "t_index")) == {0}
    assert set(X.subpart(sim_ids, "stream")) == set(X.subpart(X.incident(p, "train"), "observe_sim"))
    first, first_ids, _, _ = policy_samples(X, p, real_episodes=1)
    assert len(set(first_ids)) == 1 and len(first) == np.sum(real_ids == real_ids[0])
    assert real.shape[1] == sim.shape[1] == X.subpart("obs").shape[1]


def test_kl_gap_stored_and_seed_constraint_holds(small_run):
    X = small_run.acset
    gaps = X.subpart("kl_gap")
    assert np.all(np.isfinite(gaps))
    for p, name in enumerate(X.subpart("policy_name")):
        assert gaps[p] == small_run.gaps[name].value
    assert violations(X, [seed_constraint()]) == []
    # breaking the identity on a small-gap policy is caught
    Y = X.copy()
    Y.set_subpart(0, "kl_gap", -1e9)
    Y.set_subpart(0, "transfer", 1)
    assert [v.part for v in violations(Y, [seed_constraint()])] == [0]


def test_files_round_trip_and_plots_exist(small_run):
    out = small_run.out_dir
    back = read_experiment(out)  # Parquet by default: schema and types come with it
    assert back == small_run.acset and back.types == small_run.acset.types
    assert not (out / "experiment.json").exists()
    for png in ("observations.png", "returns.png", "training.png", "kl_gap.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "kl_gap" in small_run.report()


def test_the_row_json_is_written_when_asked_and_reads_back_equal(small_run, tmp_path):
    r = small_run
    save_experiment(r.acset, SMALL, r.gaps, r.outcomes, r.train_curves, tmp_path, json=True)
    back = read_json(tmp_path / "experiment.json", SchSim2RealTrajectory, **dict(r.acset.types))
    assert back == r.acset
    assert read_experiment(tmp_path) == r.acset  # the Parquet folder is written beside it


def test_outcomes_match_the_acset_and_the_report_says_why(small_run):
    X = small_run.acset
    report = small_run.report()
    for p, name in enumerate(X.subpart("policy_name")):
        out = small_run.outcomes[name]
        assert len(out.real_returns) == len(out.real_lengths) == SMALL.real.episodes
        # the ACSet's real_return is the mean over the real episodes, all recorded
        assert X.subpart(p, "real_return") == pytest.approx(out.real_returns.mean())
        stream = X.subpart(p, ["deploy", "observe_real"])
        assert X.subpart(stream, "episode_return") == pytest.approx(out.real_returns.mean())
        assert [len(o) for o in out.real_obs] == out.real_lengths.tolist()
        verdict = "transferred" if small_run.transferred()[name] else "did not transfer"
        assert f"{name}: {verdict}" in report
    # the nominal policy never saw latency or noise, so the real plant is outside its support there
    assert {"latency", "sensor noise"} <= set(small_run.outcomes["nominal"].outside_support)

def test_the_acset_holds_every_real_episode(small_run):
    X = small_run.acset
    for p, name in enumerate(X.subpart("policy_name")):
        out = small_run.outcomes[name]
        stream = X.subpart(p, ["deploy", "observe_real"])
        steps = X.incident(stream, "stream")
        episode = X.subpart(steps, "episode")
        np.testing.assert_array_equal(np.bincount(episode), out.real_lengths)
        np.testing.assert_allclose(episode_returns(X, stream), out.real_returns)
        for e, obs in enumerate(out.real_obs):
            np.testing.assert_array_equal(X.subpart(steps[episode == e], "obs"), obs)


def test_no_transition_crosses_an_episode_boundary(small_run):
    X = small_run.acset
    for p, name in enumerate(X.subpart("policy_name")):
        lengths = small_run.outcomes[name].real_lengths
        assert len(lengths) >= 2
        real, real_ids, _, _ = policy_samples(X, p)
        pairs = transition_pairs(real, real_ids)
        # within episodes only: T_e - 1 pairs each, and each equals the episodes' own pairs
        assert len(pairs) == np.sum(lengths - 1)
        expect = np.concatenate([np.hstack([o[:-1], o[1:]]) for o in small_run.outcomes[name].real_obs])
        np.testing.assert_array_equal(pairs, expect)


def test_kl_gap_reads_back_from_the_saved_run(small_run):
    X = small_run.acset
    back = read_experiment(small_run.out_dir)
    np.testing.assert_array_equal(back.subpart("kl_gap"), X.subpart("kl_gap"))
    for p, name in enumerate(X.subpart("policy_name")):
        again = measure_gap(back, p, np.random.default_rng(11))
        assert again == measure_gap(X, p, np.random.default_rng(11))
        # the same numbers from the episodes kept outside the ACSet: the schema loses none
        _, _, sim, sim_ids = policy_samples(X, p)
        sim_list = [sim[sim_ids == s] for s in np.unique(sim_ids)]
        direct = kl.kl_gap(
            list(small_run.outcomes[name].real_obs), sim_list, estimator="gaussian", transitions=True,
            shrinkage="ledoit-wolf", rng=np.random.default_rng(11), min_streams=2,
        )
        assert again == direct


def test_diagnosis_uses_every_real_episode(small_run):
    X = small_run.acset
    p = int(np.argmax(X.subpart("real_return")))  # the one whose episodes are long enough
    stream = X.subpart(p, ["deploy", "observe_real"])
    steps = X.incident(stream, "stream")
    episode = X.subpart(steps, "episode")
    later = steps[episode > 0]
    assert len(later) > 0
    full = transfer_evidence(X, p)
    # one transition per step, minus the last step of each episode: no reset is read as a transition
    n_episodes = len(np.unique(episode))
    assert full.n_steps == len(steps) - n_episodes
    Y = X.copy()
    Y.rem_parts("Step", later)
    first_only = transfer_evidence(Y, p)
    assert first_only.n_steps == int(np.sum(episode == 0)) - 1
    assert first_only != full


def test_trajectory_schema_file_agrees_with_the_code():
    path = Path(__file__).resolve().parents[2] / "schemas" / "sim2real_trajectory.json"
    on_disk = json.loads(path.read_text())
    assert {k: v for k, v in on_disk.items() if k != "version"} == {
        k: v for k, v in schema_to_json(SchSim2RealTrajectory).items() if k != "version"
    }
    assert ("episode", "Step", "Count") in [(a.name, a.dom, a.codom) for a in SchSim2RealTrajectory.attrs]


def test_same_seed_same_experiment(small_run):
    again = run_experiment(SMALL, progress=False)
    assert again.acset == small_run.acset


def test_default_run_puts_the_real_plant_inside_the_level_1_support_only():
    cfg = default_config("cartpole")
    task_base = get_task(cfg.model).load_model()
    plant_config = cfg.real.plant_config()
    plant = make_real_plant(task_base, plant_config, np.random.default_rng(0))
    # the hidden physics is the documented fixed perturbation, whatever the rng
    assert plant_config.physics.ranges == REAL_CARTPOLE_PHYSICS
    assert plant.parameters(["body_mass/pole"])[0] == pytest.approx(2 * task_base.body_mass[2])
    assert plant.parameters(["actuator_gain/push"])[0] == pytest.approx(0.5 * task_base.actuator_gainprm[0, 0])
    assert plant_config.latency.low == 8

    def outside(level):
        noise = ObservationNoise(std=cfg.sim.obs_noise * level, bias_std=cfg.sim.obs_bias * level)
        latency = ActionLatency(0, round(cfg.sim.latency_max * level))
        return set(outside_support(plant, task_base, cfg.sim.ranges(task_base, level), noise, latency))

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
        default_config().evolve(sim={"level": 1.5})
    with pytest.raises(SimulationError, match="no task"):
        ExperimentConfig(model="unicycle")
    with pytest.raises(SimulationError, match="no task"):
        default_config("unicycle")
    with pytest.raises(SimulationError, match="RealSide.episodes"):
        default_config().evolve(real={"episodes": 0})
    with pytest.raises(SimulationError, match="has no setting n_sims"):
        default_config().evolve(sim={"n_sims": 4})
    with pytest.raises(SimulationError, match="SimSide"):
        default_config().evolve(sim=3)
    with pytest.raises(SimulationError, match="whole number"):
        SimSide(n_sim=2.5)


def test_cli_runs_the_default_config_with_its_flags():
    from acset_s2r.cli import build_parser, run_config

    args = build_parser().parse_args(["run"])
    assert run_config(args) == default_config("cartpole")
    hopper = run_config(build_parser().parse_args(["run", "--model", "hopper", "--noise", "0.1", "--steps", "50"]))
    base = default_config("hopper")
    assert hopper.training.steps == 50 and hopper.real.obs_noise == 0.1
    # the bias keeps its default proportion to the noise
    assert hopper.real.obs_bias == pytest.approx(0.1 * base.real.obs_bias / base.real.obs_noise)
    assert hopper.evolve(training={"steps": base.training.steps}, real={"obs_noise": base.real.obs_noise,
                         "obs_bias": base.real.obs_bias}) == base
    # run_experiment() with no config is the command's experiment
    import inspect

    assert inspect.signature(run_experiment).parameters["config"].default is None


def test_the_experiment_describes_itself(small_run):
    X = small_run.acset
    setup = read_setup(X)
    base = get_task(SMALL.model).load_model()
    assert setup.task_name == SMALL.model
    assert len(setup.channels) == base.nsensordata == X.subpart("obs").shape[1]
    assert len(setup.actuators) == base.nu
    assert len(setup.parameters) == X.subpart("sim_params").shape[1]
    # the names are the ensemble's own columns: the real plant's values read back through them
    assert setup.control_dt == pytest.approx(base.opt.timestep * get_task(SMALL.model).substeps)


def test_diagnosis_from_the_saved_run_needs_no_side_information(small_run):
    X = small_run.acset
    back = read_experiment(small_run.out_dir)
    p = int(np.argmax(X.subpart("real_return")))
    a, b = diagnose_transfer_failure(X, p), diagnose_transfer_failure(back, p)
    assert a.cause == b.cause and a.flagged == b.flagged
    assert a.evidence == b.evidence
    # the verdict the report printed is the one the file holds
    assert read_verdicts(back, SMALL.measure) == read_verdicts(X, SMALL.measure)


def test_an_acset_without_its_setup_is_refused(small_run):
    X = small_run.acset.copy()
    X.add_part("Parameter", parameter_name="extra")
    with pytest.raises(InstanceError, match="Setup names"):
        transfer_evidence(X, 0)


def test_the_number_of_threads_does_not_change_the_run():
    """Sweeps on Ray run each experiment on one thread; the numbers must be the ones of all cores."""
    cfg = SMALL.evolve(training={"policies": (PolicySpec("dr", 1.0, 0.3),)})
    one, every = run_experiment(cfg, progress=False, nthread=1), run_experiment(cfg, progress=False)
    assert one.acset == every.acset


def test_the_fault_bench_draws_from_its_sim_sides_own_ranges():
    from acset_s2r.sim2real.faults import FAULT_BENCH_SIM, sim_ensemble
    from acset_s2r.sim2real.presets import cartpole_randomization

    base = get_task("cartpole").load_model()
    nominal = base.body_mass[2]  # the pole
    own = SimSide(randomization=cartpole_randomization(), level=1.0)

    def pole_mass_factors(sim):
        return sim_ensemble(base, sim, 64, np.random.default_rng(0)).params.column("body_mass/pole") / nominal

    # Playground scales masses by U(0.9, 1.1); the cartpole preset the pole by U(0.7, 2.5)
    assert pole_mass_factors(FAULT_BENCH_SIM).max() <= 1.1 + 1e-9
    assert pole_mass_factors(own).max() > 1.5
    assert own.ranges(base, 0.5).level == 0.5
