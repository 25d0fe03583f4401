"""Shipped models and domain randomisation, on real MuJoCo models."""

import copy

import mujoco
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r.errors import SimulationError
from acset_s2r.sim2real.models import load_model, model_names, model_path
from acset_s2r.sim2real.randomization import (
    Ensemble,
    PhysicsParams,
    Range,
    RandomizationConfig,
    apply_parameter_rows,
    apply_parameters,
    model_array,
    draw_parameters,
    parameter_fields,
    physics_parameters,
    playground_defaults,
    sample_ensemble,
    sample_models,
    support_bounds,
)

mujoco.set_mju_user_warning(lambda msg: None)

CARTPOLE = load_model("cartpole")
HOPPER = load_model("hopper")
EDITED = ("body_mass", "body_inertia", "geom_friction", "dof_damping", "dof_armature",
          "dof_frictionloss", "actuator_gainprm", "actuator_biasprm")
DERIVED = ("body_subtreemass", "dof_invweight0", "actuator_acc0")


def test_shipped_models_load_with_their_sensors():
    assert set(model_names()) >= {"cartpole", "hopper"}
    assert CARTPOLE.opt.timestep == pytest.approx(0.01)
    names = [CARTPOLE.sensor(i).name for i in range(CARTPOLE.nsensor)]
    assert names == ["cart_pos", "pole_angle", "cart_vel", "pole_angvel"]
    # the contact model collides with a floor
    assert HOPPER.geom("floor").contype or HOPPER.geom("floor").conaffinity
    # a path loads the same model as the name
    by_path = load_model(model_path("hopper"))
    assert by_path.nq == HOPPER.nq and by_path.nsensordata == HOPPER.nsensordata


def test_load_model_rejects_unknown_names_and_files(tmp_path):
    with pytest.raises(SimulationError, match="no shipped model"):
        load_model("no_such_robot")
    with pytest.raises(SimulationError, match="does not exist"):
        load_model(tmp_path / "missing.xml")
    bad = tmp_path / "bad.xml"
    bad.write_text("<mujoco><worldbody><body><geom type='nonsense'/></body></worldbody></mujoco>")
    with pytest.raises(SimulationError, match="could not compile"):
        load_model(bad)


@pytest.mark.parametrize("model", [CARTPOLE, HOPPER], ids=["cartpole", "hopper"])
def test_level_zero_reproduces_the_nominal_model(model):
    config = playground_defaults(model, level=0.0)
    models, params = sample_models(model, config, 3, np.random.default_rng(0))
    nominal = physics_parameters(model, params.names)
    np.testing.assert_array_equal(params.values, np.tile(nominal, (3, 1)))
    for m in models:
        for field in EDITED + DERIVED:
            np.testing.assert_array_equal(getattr(m, field), getattr(model, field), err_msg=field)


def test_defaults_cover_every_lever_on_the_contact_model():
    names = draw_parameters(HOPPER, playground_defaults(HOPPER), 1, np.random.default_rng(0)).names
    fields = {n.split("/")[0] for n in names}
    assert fields == {"body_mass", "geom_friction", "dof_damping", "dof_armature",
                      "dof_frictionloss", "actuator_gain"}
    # the cartpole has nothing that collides, so friction is not randomised there
    cart = draw_parameters(CARTPOLE, playground_defaults(CARTPOLE), 1, np.random.default_rng(0))
    assert not any(n.startswith("geom_friction") for n in cart.names)


@settings(max_examples=30, deadline=None)
@given(
    level=st.floats(0.0, 1.0),
    low=st.floats(0.1, 2.0),
    width=st.floats(0.0, 2.0),
    add_low=st.floats(-0.05, 0.0),
    add_width=st.floats(0.0, 0.1),
    seed=st.integers(0, 2**32 - 1),
)
def test_draws_stay_inside_the_level_scaled_support(level, low, width, add_low, add_width, seed):
    config = RandomizationConfig(
        (
            Range("body_mass", low, low + width),
            Range("dof_damping", add_low, add_low + add_width, mode="add"),
            Range("actuator_gain", low, low + width, mode="set"),
        ),
        level=level,
    )
    params = draw_parameters(CARTPOLE, config, 50, np.random.default_rng(seed))
    names, lo, hi = support_bounds(CARTPOLE, config)
    assert names == params.names
    tol = 1e-12 * np.maximum(1, np.abs(hi))
    assert np.all(params.values >= lo - tol) and np.all(params.values <= hi + tol)
    # closed-form bounds: scale and set shrink towards nominal by the level
    nominal = physics_parameters(CARTPOLE, names)
    pole = names.index("body_mass/pole")
    assert lo[pole] == pytest.approx(nominal[pole] * (1 + level * (low - 1)))
    assert hi[pole] == pytest.approx(nominal[pole] * (1 + level * (low + width - 1)))
    gain = names.index("actuator_gain/push")
    assert lo[gain] == pytest.approx(nominal[gain] + level * (low - nominal[gain]))


def test_draws_are_uniform_on_the_range():
    """Mean and variance of ×U(a, b) factors match (a+b)/2 and (b-a)²/12 within 3 SE."""
    a, b, n = 0.5, 2.5, 4000
    config = RandomizationConfig((Range("dof_damping", a, b),))
    params = draw_parameters(CARTPOLE, config, n, np.random.default_rng(1))
    factor = params.column("dof_damping/slider") / CARTPOLE.dof_damping[0]
    mean, var = (a + b) / 2, (b - a) ** 2 / 12
    assert abs(factor.mean() - mean) < 3 * np.sqrt(var / n)
    # Var(s²) = (μ4 - σ⁴)/n with μ4 = 9σ⁴/5 for a uniform
    assert abs(factor.var(ddof=1) - var) < 3 * np.sqrt(0.8 * var**2 / n)
    # independent per target unless shared
    other = params.column("dof_damping/hinge") / CARTPOLE.dof_damping[1]
    assert abs(np.corrcoef(factor, other)[0, 1]) < 3 / np.sqrt(n)
    shared = draw_parameters(
        CARTPOLE, RandomizationConfig((Range("dof_damping", a, b, shared=True),)), 20,
        np.random.default_rng(1),
    )
    np.testing.assert_allclose(
        shared.column("dof_damping/slider") / CARTPOLE.dof_damping[0],
        shared.column("dof_damping/hinge") / CARTPOLE.dof_damping[1],
    )


def test_mass_edits_rescale_inertia_and_refresh_derived_constants():
    base = copy.deepcopy(HOPPER)
    model = apply_parameters(HOPPER, ["body_mass/thigh", "body_mass/torso"], [5.0, 1.5])
    thigh, torso = HOPPER.body("thigh").id, HOPPER.body("torso").id
    for i, mass in ((thigh, 5.0), (torso, 1.5)):
        ratio = mass / HOPPER.body_mass[i]
        np.testing.assert_allclose(model.body_inertia[i], HOPPER.body_inertia[i] * ratio)
    # mj_setConst ran: the subtree mass of the root follows the edit
    expected = HOPPER.body_subtreemass[torso] + (5.0 - HOPPER.body_mass[thigh]) + (
        1.5 - HOPPER.body_mass[torso])
    assert model.body_subtreemass[torso] == pytest.approx(expected)
    # the base model is untouched
    for field in EDITED + DERIVED:
        np.testing.assert_array_equal(getattr(HOPPER, field), getattr(base, field))


def _model_arrays(model: mujoco.MjModel) -> dict[str, np.ndarray]:
    out = {f"opt.{n}": np.asarray(getattr(model.opt, n)) for n in dir(model.opt) if not n.startswith("_")}
    out.update({n: v for n in dir(model) if not n.startswith("_") and isinstance(v := getattr(model, n), np.ndarray)})
    return out


def test_parameter_rows_build_the_models_one_fresh_copy_each_would():
    quad = load_model("quadruped")
    config = playground_defaults(quad)
    _, params = sample_models(quad, config, 5, np.random.default_rng(3))
    batch = apply_parameter_rows(quad, params.names, params.values)
    fields = parameter_fields(quad, params.names, params.values)
    assert len(batch) == 5 and len({id(m) for m in batch}) == 5
    for row, got in enumerate(batch):
        # the reference: a fresh copy, the fields written, mj_setConst with its own MjData
        want = copy.deepcopy(quad)
        for name, arr in fields.items():
            model_array(want, name)[...] = arr[row]
        mujoco.mj_setConst(want, mujoco.MjData(want))
        got_arrays, want_arrays = _model_arrays(got), _model_arrays(want)
        assert got_arrays.keys() == want_arrays.keys() and len(got_arrays) > 100
        for name, value in want_arrays.items():
            np.testing.assert_array_equal(got_arrays[name], value, err_msg=f"model {row}: {name}")
    # the rows differ where their parameters do, and the base is untouched
    assert not np.array_equal(batch[0].body_mass, batch[1].body_mass)
    np.testing.assert_array_equal(quad.body_mass, load_model("quadruped").body_mass)
    np.testing.assert_array_equal(apply_parameters(quad, params.names, params.values[2]).actuator_acc0, batch[2].actuator_acc0)


def test_position_servo_gain_keeps_its_bias_consistent():
    xml = """<mujoco><worldbody><body><joint name="j" type="hinge"/>
      <geom size=".1" mass="1"/></body></worldbody>
      <actuator><position name="servo" joint="j" kp="30"/></actuator></mujoco>"""
    m = mujoco.MjModel.from_xml_string(xml)
    fields = parameter_fields(m, ["actuator_gain/servo"], [[45.0]])
    assert fields["actuator_gainprm"][0, 0, 0] == 45.0
    assert fields["actuator_biasprm"][0, 0, 1] == -45.0


def test_ensemble_materialises_the_same_models_as_sample_models():
    config = playground_defaults(HOPPER)
    ens = sample_ensemble(HOPPER, config, 4, np.random.default_rng(7))
    models, params = sample_models(HOPPER, config, 4, np.random.default_rng(7))
    np.testing.assert_array_equal(ens.params.values, params.values)
    for a, b in zip(ens.models(), models):
        for field in EDITED + DERIVED:
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    picked = ens.take([2, 2, 0])
    np.testing.assert_array_equal(picked.params.values, ens.params.values[[2, 2, 0]])
    # physics_parameters reads back exactly what was applied
    np.testing.assert_array_equal(physics_parameters(models[1], params.names), params.values[1])
    rec = params.structured()
    np.testing.assert_array_equal(rec["body_mass/torso"], params.column("body_mass/torso"))


def test_bad_configurations_raise_simulation_errors():
    with pytest.raises(SimulationError, match="low <= high"):
        Range("body_mass", 1.2, 0.8)
    with pytest.raises(SimulationError, match="unknown randomised field"):
        Range("body_colour", 0.5, 1.0)
    with pytest.raises(SimulationError, match="unknown randomisation mode"):
        Range("body_mass", 0.5, 1.0, mode="multiply")
    with pytest.raises(SimulationError, match="negative"):
        Range("dof_damping", -1.0, 1.0)
    with pytest.raises(SimulationError, match="level"):
        RandomizationConfig((), level=1.5)
    with pytest.raises(SimulationError, match="no element 'tail'"):
        draw_parameters(CARTPOLE, RandomizationConfig((Range("body_mass", 1, 2, targets="tail"),)),
                        2, np.random.default_rng(0))
    # an additive offset that makes the pole's mass negative names the model and parameter
    config = RandomizationConfig((Range("body_mass", -0.5, -0.2, mode="add", targets="pole"),))
    with pytest.raises(SimulationError, match=r"model 0: parameter 'body_mass/pole'"):
        sample_models(CARTPOLE, config, 2, np.random.default_rng(0))
    with pytest.raises(SimulationError, match="bad physical parameter name"):
        physics_parameters(CARTPOLE, ["mass_of_pole"])
    with pytest.raises(SimulationError):
        Ensemble(CARTPOLE, PhysicsParams(["body_mass/pole"], [[np.nan]]))


QUADRUPED = load_model("quadruped")
NEW_FIELDS = RandomizationConfig((
    Range("geom_friction", 0.4, 1.0, mode="set", targets="floor"),
    Range("body_ipos", -0.05, 0.05, mode="add", targets=("torso:x", "torso:z")),
    Range("qpos0", -0.05, 0.05, mode="add"),
    Range("actuator_kp", 0.5, 1.5),
    Range("actuator_kd", 0.5, 2.0),
    Range("gravity", 0.8, 1.2, targets="z"),
    Range("body_mass", -1.0, 1.0, mode="add", targets="torso"),
))


def test_new_fields_draw_uniformly_in_their_level_scaled_ranges():
    n = 4000
    for level in (0.0, 0.5, 1.0):
        p = draw_parameters(QUADRUPED, NEW_FIELDS.at_level(level), n, np.random.default_rng(7))
        x0 = QUADRUPED.body_ipos[1, 0]
        for name, centre, half in [
            ("body_ipos/torso:x", x0, 0.05 * level),
            ("qpos0/fl_knee", QUADRUPED.qpos0[8], 0.05 * level),
            ("actuator_kp/fr_hip", 25.0, 12.5 * level),
            ("actuator_kd/hr_knee", 0.8 * (1 + 0.25 * level), 0.8 * 0.75 * level),  # ×U(0.5, 2)
            ("gravity/z", -9.81, 9.81 * 0.2 * level),
            ("body_mass/torso", 3.0, 1.0 * level),
        ]:
            col = p.column(name)
            assert np.all(np.abs(col - centre) <= half + 1e-12), name
            if level > 0:
                se = 2 * half / np.sqrt(12) / np.sqrt(n)
                assert abs(col.mean() - centre) < 3 * se, name
                assert col.std() == pytest.approx(2 * half / np.sqrt(12), rel=0.05), name
            else:
                np.testing.assert_allclose(col, centre if name != "gravity/z" else QUADRUPED.opt.gravity[2], rtol=1e-15)


def test_new_fields_reach_the_model_and_the_batch_alike():
    p = draw_parameters(QUADRUPED, NEW_FIELDS, 3, np.random.default_rng(1))
    m = apply_parameters(QUADRUPED, p.names, p.values[2])
    torso = 1
    assert m.body_ipos[torso, 0] == p.column("body_ipos/torso:x")[2]
    assert m.opt.gravity[2] == p.column("gravity/z")[2]
    kp, kd = p.column("actuator_kp/fl_hip")[2], p.column("actuator_kd/fl_hip")[2]
    np.testing.assert_array_equal(m.actuator_gainprm[0, 0], kp)
    np.testing.assert_array_equal(m.actuator_biasprm[0, :3], [0.0, -kp, -kd])
    np.testing.assert_allclose(physics_parameters(m, p.names), p.values[2])
    # the batch (Batch.expand, opt.gravity included) and explicit models give the same physics
    from acset_s2r.sim2real.policy import zero_policy
    from acset_s2r.sim2real.rollout import rollout
    from acset_s2r.sim2real.tasks import QUADRUPED as TASK

    pol = zero_policy(QUADRUPED, task=TASK)
    ens = Ensemble(QUADRUPED, p)
    a = rollout(ens, pol, TASK, np.random.default_rng(3), horizon=30)
    b = rollout(ens.models(), pol, TASK, np.random.default_rng(3), horizon=30)
    np.testing.assert_allclose(a.qpos, b.qpos, atol=1e-10)


def test_signed_fields_take_negative_values_and_bounds_follow_them():
    names, low, high = support_bounds(QUADRUPED, RandomizationConfig((Range("gravity", 0.8, 1.2, targets="z"),)))
    assert names == ("gravity/z",)
    assert low[0] == pytest.approx(-1.2 * 9.81) and high[0] == pytest.approx(-0.8 * 9.81)
    Range("body_ipos", -0.1, 0.1, mode="set")  # a position may be negative
    with pytest.raises(SimulationError, match="negative physical value"):
        Range("actuator_kp", -1.0, 1.0, mode="set")
    with pytest.raises(SimulationError, match="no actuator_kp element 'push'|no element 'push'"):
        draw_parameters(CARTPOLE, RandomizationConfig((Range("actuator_kp", 0.9, 1.1, targets="push"),)), 1,
                        np.random.default_rng(0))
