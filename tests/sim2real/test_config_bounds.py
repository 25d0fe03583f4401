"""Settings beyond what a run can mean are refused up front, by the config and by the CLI.

No simulation runs here: the checks happen when the config is built.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from acset_s2r.cli import main
from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.config import MAX_SENSOR_ERROR, default_config


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"seed": 2**70}, ["seed", str(2**63 - 1), "int64"]),
        ({"seed": -1}, ["seed", ">= 0"]),
        ({"real": {"latency": 100_000}}, ["real.latency", "100000", "300", "training.steps"]),
        ({"real": {"latency": 300}}, ["real.latency", "300"]),
        ({"sim": {"latency_max": 301}}, ["sim.latency_max", "301"]),
        ({"training": {"steps": 10}}, ["sim.latency_max", "10"]),  # the sims' default 10 no longer fits
        ({"real": {"obs_noise": 1e6}}, ["RealSide.obs_noise", "at most 10", "MAX_SENSOR_ERROR"]),
        ({"real": {"obs_bias": 11.0}}, ["RealSide.obs_bias", "at most 10"]),
        ({"sim": {"obs_noise": float("inf")}}, ["SimSide.obs_noise", "finite"]),
        ({"sim": {"n_sim": "8"}}, ["SimSide.n_sim", "'8'"]),
    ],
)
def test_settings_out_of_bounds_name_the_setting_and_the_bound(changes, words):
    with pytest.raises(SimulationError) as err:
        default_config("cartpole").evolve(**changes)
    for w in words:
        assert w in str(err.value), (w, str(err.value))


def test_the_bounds_themselves_are_allowed():
    cfg = default_config("cartpole").evolve(
        seed=2**63 - 1, real={"latency": 299, "obs_noise": MAX_SENSOR_ERROR}, sim={"latency_max": 299}
    )
    assert cfg.real.latency == 299 and cfg.seed == 2**63 - 1


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--latency", "100000"], ["real.latency", "100000", "no command would act"]),
        (["--noise", "1e6"], ["obs_noise", "at most 10"]),
        (["--seed", str(2**70)], ["seed", "int64"]),
        (["--steps", "20", "--latency", "25"], ["real.latency", "25", "20"]),
    ],
)
def test_the_cli_refuses_them_before_running_and_writes_nothing(argv, words, tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path), "--quiet", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("acset-s2r: error:") and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)
    assert list(Path(tmp_path).iterdir()) == []
