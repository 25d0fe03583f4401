"""The flat public API: every exported name resolves, and the one-name compose dispatches."""

import subprocess
import sys

import pytest

import acset_s2r
from acset_s2r import ACSet, Converse, SchGraph, SchSim2RealTransfer, compose, homomorphisms, identity


@pytest.mark.parametrize("name", acset_s2r.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(acset_s2r, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        acset_s2r.no_such_thing  # noqa: B018


def test_import_does_not_load_mujoco():
    code = "import sys, acset_s2r; print('mujoco' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_compose_of_transformations_is_a_transformation():
    X = ACSet(SchGraph)
    X.add_parts("V", 2)
    X.add_parts("E", 2, src=[0, 1], tgt=[1, 0])
    swap = next(f for f in homomorphisms(X, X) if f["V"].tolist() == [1, 0])
    twice = compose(swap, swap)
    assert twice == identity(X)


def test_compose_of_names_is_a_typed_path():
    path = compose(Converse("train"), "observe_sim", schema=SchSim2RealTransfer)
    assert path.dom == "Policy" and path.codom == "Observation"
