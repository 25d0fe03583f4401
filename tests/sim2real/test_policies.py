"""The Policy protocol: numpy callables, ONNX files, torch modules, policies with memory."""

import importlib.util

import mujoco
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from acset_s2r.errors import SimulationError  # noqa: E402
from acset_s2r.sim2real.policies import NumpyPolicy, OnnxPolicy, TorchPolicy, as_policy, describe, policy_hash  # noqa: E402
from acset_s2r.sim2real.policy import lqr_policy  # noqa: E402
from acset_s2r.sim2real.rollout import rollout  # noqa: E402
from acset_s2r.sim2real.tasks import CARTPOLE, QUADRUPED  # noqa: E402

mujoco.set_mju_user_warning(lambda msg: None)

QUAD = QUADRUPED.load_model()
CART = CARTPOLE.load_model()


def mlp_weights(sizes, seed=0, scale=0.3):
    rng = np.random.default_rng(seed)
    return [(rng.normal(0, scale / np.sqrt(a), (a, b)).astype(np.float32), rng.normal(0, 0.05, b).astype(np.float32))
            for a, b in zip(sizes[:-1], sizes[1:])]


def numpy_mlp(weights, obs):
    x = np.asarray(obs, np.float32)
    for w, b in weights:
        x = np.tanh(x @ w + b)
    return x


def write_onnx(path, weights):
    nodes, inits, x = [], [], "obs"
    for k, (w, b) in enumerate(weights):
        inits += [numpy_helper.from_array(w, f"W{k}"), numpy_helper.from_array(b, f"B{k}")]
        nodes += [helper.make_node("Gemm", [x, f"W{k}", f"B{k}"], [f"h{k}"]),
                  helper.make_node("Tanh", [f"h{k}"], [f"a{k}"])]
        x = f"a{k}"
    nodes[-1].output[0] = "action"
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["batch", weights[0][0].shape[0]])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", weights[-1][0].shape[1]])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return path


def test_an_onnx_policy_gives_the_numpy_networks_actions_and_drives_a_rollout(tmp_path):
    nobs = QUADRUPED.observation_size(QUAD)
    weights = mlp_weights([nobs, 32, 32, QUAD.nu])
    policy = OnnxPolicy(write_onnx(tmp_path / "policy.onnx", weights))
    obs = np.random.default_rng(1).normal(size=(64, nobs))
    np.testing.assert_allclose(policy(obs), numpy_mlp(weights, obs), atol=1e-5)
    assert describe(policy) == ("onnx", "policy.onnx") and len(policy_hash(policy)) == 64
    rb = rollout(QUAD, str(tmp_path / "policy.onnx"), QUADRUPED,
                 np.random.default_rng(2), n_envs=6, horizon=40)
    # every recorded action is the network at the recorded observation (within the action bounds)
    low, high = QUADRUPED.action_bounds(QUAD)
    want = np.clip(numpy_mlp(weights, rb.obs.reshape(-1, nobs)), low, high).reshape(rb.action.shape)
    np.testing.assert_allclose(rb.action, want, atol=1e-5)
    # and the plant got ctrl = stance + 0.5 · action
    np.testing.assert_allclose(rb.ctrl, QUAD.key_ctrl[0] + 0.5 * rb.action, atol=1e-12)


def test_an_onnx_file_of_the_wrong_width_names_the_file_and_both_widths(tmp_path):
    path = write_onnx(tmp_path / "wide.onnx", mlp_weights([30, 8, QUAD.nu]))
    with pytest.raises(SimulationError) as err:
        rollout(QUAD, str(path), QUADRUPED, np.random.default_rng(0), n_envs=2, horizon=5)
    msg = str(err.value)
    assert "wide.onnx" in msg and "width 30" in msg and "gives 27" in msg
    out = write_onnx(tmp_path / "narrow_out.onnx", mlp_weights([27, 8, 3]))
    with pytest.raises(SimulationError, match="narrow_out.onnx.*width 3 but the model has 8 actuators"):
        rollout(QUAD, str(out), QUADRUPED, np.random.default_rng(0), n_envs=2, horizon=5)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    with pytest.raises(SimulationError, match="junk.onnx.*could not be loaded"):
        OnnxPolicy(junk)
    with pytest.raises(SimulationError, match="does not exist"):
        OnnxPolicy(tmp_path / "missing.onnx")


def test_a_numpy_callable_follows_the_same_trajectory_as_the_linear_fast_path():
    lqr = lqr_policy(CART)
    fast = rollout(CART, lqr, CARTPOLE, np.random.default_rng(5), n_envs=4, horizon=100, latency=[0, 1, 2, 3])
    slow = rollout(CART, lambda o: lqr.mean_action(o), CARTPOLE, np.random.default_rng(5), n_envs=4, horizon=100,
                   latency=[0, 1, 2, 3])
    np.testing.assert_allclose(slow.qpos, fast.qpos, atol=1e-9)
    np.testing.assert_allclose(slow.action, fast.action, atol=1e-9)


class Memory:
    """Acts on the observation of the previous step: a policy with memory."""

    def __init__(self):
        self.resets = []
        self.last = None

    def reset(self, n_envs):
        self.resets.append(n_envs)
        self.last = np.zeros((n_envs, 4))

    def __call__(self, obs):
        act, self.last = -0.5 * self.last[:, :1], obs.copy()
        return act


def test_policies_with_memory_are_reset_with_the_batch_size_and_called_once_per_step():
    pol = Memory()
    rb = rollout(CART, NumpyPolicy(pol), CARTPOLE, np.random.default_rng(0), n_envs=3, horizon=20)
    assert pol.resets == [3]
    np.testing.assert_allclose(rb.action[:, 1:, 0], np.clip(-0.5 * rb.obs[:, :-1, 0], -1, 1))
    np.testing.assert_allclose(rb.action[:, 0], 0.0)


def test_bad_policy_outputs_get_our_error():
    with pytest.raises(SimulationError, match=r"shape \(3, 2\) at step 0; expected \(3, 1\)"):
        rollout(CART, lambda o: np.zeros((3, 2)), CARTPOLE, np.random.default_rng(0), n_envs=3, horizon=5)
    with pytest.raises(SimulationError, match="non-finite action for env 1 at step 0"):
        rollout(CART, lambda o: np.array([[0.0], [np.nan]]), CARTPOLE, np.random.default_rng(0), n_envs=2, horizon=5)
    with pytest.raises(SimulationError, match="must be callable"):
        as_policy(42)
    with pytest.raises(SimulationError, match="only .onnx"):
        as_policy("policy.pt")


@pytest.mark.skipif(importlib.util.find_spec("torch") is not None, reason="torch is installed")
def test_without_torch_the_torch_adapter_says_so():
    with pytest.raises(SimulationError, match="needs torch, which is not installed"):
        TorchPolicy(object())


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_a_torch_module_drives_a_rollout():
    import torch

    net = torch.nn.Linear(4, 1)
    rb = rollout(CART, net, CARTPOLE, np.random.default_rng(0), n_envs=2, horizon=5)
    with torch.no_grad():
        want = net(torch.as_tensor(rb.obs.reshape(-1, 4), dtype=torch.float32)).numpy().reshape(rb.action.shape)
    np.testing.assert_allclose(rb.action, np.clip(want, -1, 1), atol=1e-6)


def test_the_acset_records_what_the_policy_was(tmp_path):
    from acset_s2r.sim2real.plant import RealPlantConfig, make_real_plant
    from acset_s2r.sim2real.record import Setup, new_experiment, record_policy

    nobs = QUADRUPED.observation_size(QUAD)
    path = write_onnx(tmp_path / "walker.onnx", mlp_weights([nobs, 16, QUAD.nu], scale=0.1))
    policy = OnnxPolicy(path)
    sim = rollout(QUAD, policy, QUADRUPED, np.random.default_rng(0), n_envs=2, horizon=10)
    plant = make_real_plant(QUAD, RealPlantConfig(), np.random.default_rng(0))
    real = rollout(plant.model, policy, QUADRUPED, np.random.default_rng(1), n_envs=2, horizon=10)
    setup = Setup("quadruped", 0.02, tuple(QUADRUPED.observation_names(QUAD)), tuple(f"a{i}" for i in range(8)),
                  ("body_mass/torso",))
    lg_policy = zero_policy_for_record()
    X = new_experiment(setup, QUAD.nq + QUAD.nv, lg_policy.to_vector().size)
    p = record_policy(X, "onnx", policy, sim, np.full((2, 1), 3.0), real, plant, 0.0, 0)
    lg = record_policy(X, "zero", lg_policy, sim, np.full((2, 1), 3.0), real, plant, 0.0, 0)
    assert X.subpart(p, "policy_kind") == "onnx" and X.subpart(p, "policy_source") == "walker.onnx"
    import hashlib

    assert X.subpart(p, "policy_hash") == hashlib.sha256(path.read_bytes()).hexdigest()
    assert np.all(np.isnan(X.subpart(p, "policy_params")))  # undefined: an ONNX graph has no parameter vector
    assert X.subpart(p, "action_noise") == 0.0
    assert X.subpart(lg, "policy_kind") == "linear-gaussian" and X.subpart(lg, "policy_source") == ""


def zero_policy_for_record():
    from acset_s2r.sim2real.policy import LinearGaussianPolicy

    return LinearGaussianPolicy(np.zeros((8, 27)), np.zeros(8), np.zeros(8), np.zeros(27), -np.ones(8), np.ones(8))


def test_a_policy_that_raises_is_named_with_the_observation_shape():
    W = np.ones((3, 1))  # built for 3 observations; the cartpole has 4
    with pytest.raises(SimulationError, match=r"numpy policy .* raised at step 0 on observations of shape \(2, 4\): ValueError"):
        rollout(CART, lambda o: o @ W, CARTPOLE, np.random.default_rng(0), n_envs=2, horizon=5)


def test_an_observation_history_stacks_the_last_observations_and_restarts_each_rollout(tmp_path):
    from acset_s2r.sim2real.policies import ObservationHistory

    nobs = QUADRUPED.observation_size(QUAD)
    weights = mlp_weights([3 * nobs, 16, QUAD.nu], scale=0.1)
    pol = ObservationHistory(str(write_onnx(tmp_path / "history.onnx", weights)), length=3)
    assert describe(pol) == ("onnx", "history.onnx")
    for seed in (0, 1):  # the second rollout starts from an empty history again
        rb = rollout(QUAD, pol, QUADRUPED, np.random.default_rng(seed), n_envs=2, horizon=12)
        stacked = np.concatenate([np.zeros((2, 2, nobs)), rb.obs], axis=1)
        rows = np.stack([stacked[:, t : t + 3].reshape(2, -1) for t in range(12)], axis=1)
        low, high = QUADRUPED.action_bounds(QUAD)
        want = np.clip(numpy_mlp(weights, rows.reshape(-1, 3 * nobs)), low, high).reshape(rb.action.shape)
        np.testing.assert_allclose(rb.action, want, atol=1e-5)
    with pytest.raises(SimulationError, match="history.onnx.*width 81 but the task gives 27|width 81"):
        ObservationHistory(str(tmp_path / "history.onnx"), length=1).check(nobs, QUAD.nu)
