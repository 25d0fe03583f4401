"""The experiment ACSet: every seed morphism backed by MuJoCo data, reproducible from a seed."""

import numpy as np
import pytest

from acset_s2r.catalog import SchSim2RealTransfer
from acset_s2r.constraints import violations
from acset_s2r.errors import SimulationError
from acset_s2r.serialization import read_json
from acset_s2r.sim2real.experiment import (
    ExperimentConfig,
    PolicySpec,
    policy_samples,
    run_experiment,
    seed_constraint,
)
from acset_s2r.sim2real.schema import SchSim2RealTrajectory

SMALL = ExperimentConfig(
    n_sim=3,
    steps=40,
    iterations=2,
    population=4,
    seed=3,
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
    for png in ("observations.png", "returns.png", "training.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "kl_gap" in small_run.report()


def test_same_seed_same_experiment(small_run):
    again = run_experiment(SMALL, progress=False)
    assert again.acset == small_run.acset


def test_bad_config_is_a_clear_error():
    with pytest.raises(SimulationError, match="level"):
        ExperimentConfig(level=1.5)
    with pytest.raises(SimulationError, match="no task"):
        ExperimentConfig(model="unicycle")
