"""Schema and ACSet pictures: Mermaid and DOT text, PNG files."""

from __future__ import annotations

import importlib
import shutil

import pytest

from acset_s2r.acset import ACSet
from acset_s2r.catalog import SchSim2RealTransfer, SchWeightedGraph
from acset_s2r.draw import draw, to_dot, to_mermaid
from acset_s2r.errors import AcsetS2RError

# the flat API's draw() shadows the module's name on the package
draw_module = importlib.import_module("acset_s2r.draw")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_mermaid_has_every_hom_and_attribute_edge():
    text = to_mermaid(SchSim2RealTransfer)
    assert text.splitlines()[0] == "graph LR"
    for h in SchSim2RealTransfer.homs:
        assert f"ob_{h.dom} -->|{h.name}| ob_{h.codom}" in text
    assert "ob_Policy -.->|kl_gap| ty_TransferGap" in text
    assert 'ty_TransferGap(["TransferGap"])' in text


def test_mermaid_without_attributes_shows_objects_and_homs_only():
    text = to_mermaid(SchSim2RealTransfer, attributes=False)
    assert "kl_gap" not in text and "TransferGap" not in text
    assert sum("-->" in line for line in text.splitlines()) == len(SchSim2RealTransfer.homs)


def test_dot_text_marks_attributes_dashed():
    text = to_dot(SchWeightedGraph)
    assert text.startswith('digraph "SchWeightedGraph"') and "style=dashed" in text
    assert "style=dashed" not in to_dot(SchWeightedGraph, attributes=False)


def _weighted() -> ACSet:
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("V", 3)
    X.add_parts("E", 3, src=[0, 1, 1], tgt=[1, 2, 2], weight=[1.0, 2.0, 3.0])
    return X


@pytest.mark.parametrize("use_dot", [False, True], ids=["matplotlib", "graphviz"])
@pytest.mark.parametrize("attributes", [True, False])
def test_draw_writes_png(tmp_path, monkeypatch, use_dot, attributes):
    if use_dot and shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not on PATH")
    if not use_dot:
        monkeypatch.setattr(draw_module.shutil, "which", lambda name: None)
    for obj, name in ((SchSim2RealTransfer, "schema.png"), (_weighted(), "acset.png")):
        out = draw(obj, tmp_path / name, attributes=attributes)
        assert out == tmp_path / name
        assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["acset.png", "schema.png"]  # no temp files left


def test_draw_without_path_uses_a_temp_file():
    out = draw(SchWeightedGraph)
    try:
        assert out.read_bytes()[:8] == PNG_SIGNATURE
    finally:
        out.unlink()


def test_draw_rejects_other_objects():
    with pytest.raises(AcsetS2RError, match="Schema or an ACSet"):
        draw("SchGraph")
