"""The diagnosis's parameter fit is mujoco.sysid's, with confidence intervals."""

import mujoco
import numpy as np
import pytest

from acset_s2r.sim2real.diagnosis import transfer_evidence
from acset_s2r.sim2real.faults import Fault, fault_experiment
from acset_s2r.sim2real.policy import lqr_policy
from acset_s2r.sim2real.tasks import get_task

TASK = get_task("cartpole")
POLICY = lqr_policy(TASK.load_model(), sigma=0.1)


def test_the_sysid_toolbox_is_installed_whole():
    import mujoco.sysid

    # a partial install imports silently with nothing in it
    for name in ("optimize", "calculate_intervals", "ParameterDict", "Parameter"):
        assert hasattr(mujoco.sysid, name), name


@pytest.mark.parametrize("seed", [31, 32])
def test_a_mass_fault_is_fitted_with_an_interval_around_the_real_plant(seed):
    X = fault_experiment(POLICY, TASK, Fault("dynamics", 1.0), seed, n_sim=6, steps=150)
    ev = transfer_evidence(X, 0)
    names = list(X.subpart("parameter_name"))
    real = np.asarray(X.subpart(X.subpart(0, "deploy"), "real_params"), float)
    value, low, high = ev.fitted_params["body_mass/pole"]
    truth = real[names.index("body_mass/pole")]
    assert low <= value <= high
    # every link mass doubled: cart, pole and the other parameters trade off, so single masses
    # are not identified, but the fitted vector explains most of the held-out residual
    assert np.isfinite(truth) and ev.dynamics_explained >= 0.5
