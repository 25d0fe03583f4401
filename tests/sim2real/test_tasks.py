"""Tasks declared in code or in TOML: selections, free-joint resets, terms, bad input."""

import attrs
import mujoco
import numpy as np
import pytest

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.models import load_model, model_path
from acset_s2r.sim2real.policy import zero_policy
from acset_s2r.sim2real.rollout import rollout
from acset_s2r.sim2real.selections import Selection, resolve
from acset_s2r.sim2real.tasks import QUADRUPED, Task, get_task, task_from_file
from acset_s2r.sim2real.terms import reward_from_spec, termination_from_spec

mujoco.set_mju_user_warning(lambda msg: None)

QUAD = QUADRUPED.load_model()

NO_SENSORS = """
<mujoco>
  <option timestep="0.01"/>
  <worldbody>
    <body name="ball" pos="0 0 1">
      <freejoint name="free"/>
      <geom type="sphere" size="0.1" mass="1"/>
      <body name="arm" pos="0 0 -0.2">
        <joint name="swing" type="hinge" axis="0 1 0" damping="0.1"/>
        <geom type="capsule" fromto="0 0 0 0 0 -0.3" size="0.02" mass="0.2"/>
      </body>
    </body>
  </worldbody>
  <actuator><motor name="m" joint="swing" ctrlrange="-1 1"/></actuator>
</mujoco>
"""


def test_selections_index_the_flat_state_by_joint_and_sensor_addresses():
    nq, nv = QUAD.nq, QUAD.nv
    hip = mujoco.mj_name2id(QUAD, mujoco.mjtObj.mjOBJ_JOINT, "hr_hip")
    gyro = mujoco.mj_name2id(QUAD, mujoco.mjtObj.mjOBJ_SENSOR, "gyro")
    idx, labels = resolve(QUAD, ["qpos:root[2:7]", "qpos:hr_hip", "qvel:root[-1]", "qvel:hr_hip", "sensor:gyro[1:]"])
    want = [2, 3, 4, 5, 6, QUAD.jnt_qposadr[hip], nq + 5, nq + QUAD.jnt_dofadr[hip],
            nq + nv + QUAD.sensor_adr[gyro] + 1, nq + nv + QUAD.sensor_adr[gyro] + 2]
    np.testing.assert_array_equal(idx, want)
    assert labels[5] == "qpos:hr_hip" and labels[6] == "qvel:root[5]" and labels[-1] == "sensor:gyro[2]"
    assert str(Selection.parse("qvel:root[1:3]")) == "qvel:root[1:3]"


@pytest.mark.parametrize("bad, words", [
    ("qpos:nope", ["no joint named 'nope'", "fl_hip"]),
    ("sensor:accel", ["no sensor named 'accel'", "gyro"]),
    ("qpos:root[9]", ["out of range"]),
    ("pos:root", ["bad selection"]),
])
def test_bad_selections_name_what_is_wrong(bad, words):
    with pytest.raises(SimulationError) as err:
        resolve(QUAD, [bad])
    for w in words:
        assert w in str(err.value)


def test_free_joint_resets_keep_unit_quaternions_and_centre_on_the_keyframe():
    task = attrs.evolve(QUADRUPED, reset_qpos=0.1, reset_qvel=0.2)
    n = 4000
    qpos, qvel = task.initial_state(QUAD, n, np.random.default_rng(0))
    key = QUAD.key_qpos[0]
    np.testing.assert_allclose(np.linalg.norm(qpos[:, 3:7], axis=1), 1.0, atol=1e-12)
    # hinge coordinates and the position move by U(-a, a): mean 0, std a/sqrt(3)
    dev = np.concatenate([qpos[:, :3] - key[:3], qpos[:, 7:] - key[7:]], axis=1)
    assert np.all(np.abs(dev) <= 0.1 + 1e-12)
    se = 0.1 / np.sqrt(3) / np.sqrt(n)
    assert np.all(np.abs(dev.mean(axis=0)) < 3 * se * 1.5)  # 1.5: 11 coordinates tested at once
    np.testing.assert_allclose(dev.std(axis=0), 0.1 / np.sqrt(3), rtol=0.05)
    assert np.all(np.abs(qvel) <= 0.2)
    # the rotation is the integrated angular step: angle = |ω| for a small step
    w = qpos[:, 3]
    angle = 2 * np.arccos(np.clip(np.abs(w), 0, 1))
    assert angle.max() <= np.sqrt(3) * 0.1 + 1e-9


def test_old_tasks_keep_their_reset_draw():
    cart = get_task("cartpole")
    m = cart.load_model()
    qpos, qvel = cart.initial_state(m, 5, np.random.default_rng(3))
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(qpos, m.qpos0 + rng.uniform(-1, 1, (5, m.nq)) * cart.reset_qpos)
    np.testing.assert_array_equal(qvel, rng.uniform(-1, 1, (5, m.nv)) * cart.reset_qvel)


def test_terms_match_closed_forms():
    # a quaternion turned by θ about x tilts the body's z axis by θ
    theta = np.array([0.0, 0.3, 1.0, 2.0])
    qpos = np.zeros((4, QUAD.nq))
    qpos[:, 3], qpos[:, 4] = np.cos(theta / 2), np.sin(theta / 2)
    qvel = np.zeros((4, QUAD.nv))
    qvel[:, 0] = [1.0, 2.0, 3.0, 4.0]
    ctrl = np.ones((4, QUAD.nu))
    r = reward_from_spec(QUAD, [
        {"kind": "upright", "joint": "root", "weight": 2.0},
        {"kind": "linear", "select": "qvel:root[0]"},
        {"kind": "ctrl", "weight": -0.5},
        {"kind": "quadratic", "select": "qpos:root[2]", "target": 0.25, "weight": -4.0},
    ])
    want = 2 * np.cos(theta) + qvel[:, 0] - 0.5 * QUAD.nu - 4.0 * 0.25**2
    np.testing.assert_allclose(r(qpos, qvel, ctrl), want, atol=1e-12)
    done = termination_from_spec(QUAD, [{"kind": "tilt", "joint": "root", "max_angle": 0.8}])
    np.testing.assert_array_equal(done(qpos, qvel), theta > 0.8)
    with pytest.raises(SimulationError, match="free or ball joint"):
        reward_from_spec(QUAD, [{"kind": "upright", "joint": "fl_hip"}])
    with pytest.raises(SimulationError, match="select qpos or qvel, not sensors"):
        termination_from_spec(QUAD, [{"kind": "outside", "select": "sensor:gyro", "high": 1.0}])


def _write(tmp_path, text, name="task.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_task_file_with_a_model_without_sensors_drives_a_rollout(tmp_path):
    _write(tmp_path, NO_SENSORS, "pendulum_ball.xml")
    path = _write(tmp_path, """
name = "hang"
model = "pendulum_ball.xml"
control_dt = 0.02
horizon = 30
reset_qpos = 0.05
observations = ["qpos:free[2]", "qpos:swing", "qvel:swing"]
[[reward]]
kind = "quadratic"
select = "qpos:swing"
weight = -1.0
[[termination]]
kind = "outside"
select = "qpos:free[2]"
low = -100.0
""")
    task = task_from_file(path)
    assert get_task(str(path)).name == "hang" and task.substeps == 2
    model = task.load_model()
    assert model.nsensordata == 0
    rb = rollout(model, lambda o: -o[:, 1:2], task, np.random.default_rng(0), n_envs=3)
    assert rb.obs.shape == (3, 30, 3)
    # the observation is the selected state, read at the step it was taken
    np.testing.assert_allclose(rb.obs_clean[:, :, 0], rb.qpos[:, :-1, 2])
    np.testing.assert_allclose(rb.obs_clean[:, :, 1], rb.qpos[:, :-1, 7])
    np.testing.assert_allclose(rb.reward, -rb.qpos[:, 1:, 7] ** 2)
    np.testing.assert_allclose(np.linalg.norm(rb.qpos[:, :, 3:7], axis=2), 1.0, atol=1e-9)


def test_an_mjcf_path_is_a_task_and_an_mjspec_is_a_model(tmp_path):
    xml = _write(tmp_path, NO_SENSORS, "robot.xml")
    task = get_task(str(xml))
    assert task.observation_names(task.load_model()) == [
        *(f"qpos:free[{k}]" for k in range(7)), "qpos:swing", *(f"qvel:free[{k}]" for k in range(6)), "qvel:swing"]
    spec_task = attrs.evolve(QUADRUPED, model=mujoco.MjSpec.from_file(str(model_path("quadruped"))))
    rb = rollout(spec_task.load_model(), zero_policy(QUAD, task=QUADRUPED), spec_task, np.random.default_rng(0),
                 n_envs=2, horizon=10)
    assert rb.alive.all()


def test_sensor_selections_are_read_at_the_observed_state():
    task = attrs.evolve(QUADRUPED, observations=("qpos:root[2]", "sensor:gyro"))
    rb = rollout(QUAD, lambda o: np.zeros((len(o), 8)), task, np.random.default_rng(1), n_envs=2, horizon=15,
                 initial_state=(np.repeat(QUAD.key_qpos[:1], 2, 0), np.tile(np.linspace(-0.5, 0.5, 14), (2, 1))))
    for env, step in [(0, 0), (1, 7)]:
        np.testing.assert_allclose(rb.obs_clean[env, step], task.observe(QUAD, rb.qpos[env, step], rb.qvel[env, step]),
                                   atol=1e-10)
    # a gyro reads the body-frame angular velocity, which a free joint's qvel[3:6] is
    np.testing.assert_allclose(rb.obs_clean[:, :, 1:], rb.qvel[:, :-1, 3:6], atol=1e-10)


@pytest.mark.parametrize("text, words", [
    ('model = "quadruped"\nobservations = ["qpos:root", "qvel:elbow"]', ["task.toml", "no joint named 'elbow'"]),
    ('model = "quadruped"\ncontrol_dt = 0.012', ["task.toml", "not a whole number of physics steps"]),
    ('model = "quadruped"\nkeyframe = "sit"', ["task.toml", "no keyframe 'sit'", "stand"]),
    ('model = "quadruped"\ngravity = 1', ["task.toml", "unknown key(s) gravity"]),
    ('model = "broken.xml"', ["broken.xml", "could not compile"]),
    ('model = "quadruped"\n[[reward]]\nkind = "speed"', ["task.toml", "unknown kind 'speed'"]),
    ('model = [', ["task.toml", "not valid TOML"]),
])
def test_bad_task_files_get_our_error_naming_the_file(tmp_path, text, words):
    _write(tmp_path, "<mujoco><worldbody><body><geom size='1'/></body></worldbody", "broken.xml")
    path = _write(tmp_path, text)
    with pytest.raises(SimulationError) as err:
        task_from_file(path)
    for w in words:
        assert w in str(err.value)


def test_a_code_task_with_a_bad_observation_fails_at_the_rollout():
    task = Task("mine", "quadruped", QUADRUPED.reward, QUADRUPED.terminated, observations=("qvel:tail",))
    with pytest.raises(SimulationError, match="task 'mine'.*no joint named 'tail'"):
        rollout(QUAD, lambda o: np.zeros((len(o), 8)), task, np.random.default_rng(0), n_envs=1, horizon=2)
    with pytest.raises(SimulationError, match="does not exist"):
        load_model("/no/such/robot.xml")


def test_the_documented_task_file_loads(tmp_path):
    import textwrap

    from acset_s2r.sim2real import tasks

    doc = tasks.__doc__
    block = doc[doc.index("::\n") + 3 : doc.index("Examples\n")]
    task = task_from_file(_write(tmp_path, textwrap.dedent(block)))
    model = task.load_model()
    assert task.name == "quadruped-stand" and task.substeps == 4 and task.observation_size(model) == 5 + 1 + 6 + 3
    assert str(task) == "quadruped-stand"


def test_the_run_command_takes_a_task_file_or_a_model_path(tmp_path, capsys):
    from acset_s2r.cli import build_parser, run_config
    from acset_s2r.sim2real.experiment import run_experiment
    from acset_s2r.sim2real.record import read_setup

    xml = _write(tmp_path, NO_SENSORS, "robot.xml")
    assert run_config(build_parser().parse_args(["run", "--model", str(xml)])).model == str(xml)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--model", str(tmp_path / "nothing.xml")])
    assert "nothing.xml" in capsys.readouterr().err
    toml = _write(tmp_path, 'model = "quadruped"\nkeyframe = "stand"\nhorizon = 40\ncontrol_dt = 0.02\n'
                            'observations = ["qpos:root[2:7]", "qvel:root"]\n[action]\noffset = "keyframe"\nscale = 0.5\n')
    args = build_parser().parse_args(["run", "--model", str(toml), "--n-sim", "3", "--steps", "40", "--iterations", "1",
                                      "--population", "2", "--real-episodes", "4", "--n-null", "4", "--alpha", "0.25"])
    result = run_experiment(run_config(args), progress=False)
    assert read_setup(result.acset).channels == tuple(f"qpos:root[{k}]" for k in range(2, 7)) + tuple(
        f"qvel:root[{k}]" for k in range(6))
    assert all(o.real_lengths.min() == 40 for o in result.outcomes.values())
