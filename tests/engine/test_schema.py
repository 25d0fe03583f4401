"""Schemas: building, validation, the multigraph view and paths, ACSets.jl JSON, shipped files."""

import itertools
import json
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings

from acset_s2r import catalog
from acset_s2r.errors import PathError, SchemaError
from acset_s2r.schema import Attr, Equation, Hom, Schema
from acset_s2r.serialization import read_schema_json, schema_from_json, schema_to_json, write_schema_json
from acset_s2r.strategies import schemas

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "catlab"
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph() -> Schema:
    return Schema.build("SchGraph", obs=["V", "E"], homs=[("src", "E", "V"), ("tgt", "E", "V")])


def shape(s: Schema) -> tuple:
    """Everything but the name and the order of declarations."""
    return (
        frozenset(s.obs),
        frozenset(s.homs),
        frozenset(s.attrtypes),
        frozenset(s.attrs),
        frozenset((e.dom, e.codom, e.lhs, e.rhs) for e in s.equations),
    )


# -- building ---------------------------------------------------------------------------
def test_build_declares_what_was_given():
    g = graph()
    assert g.obs == ("V", "E")
    assert g.homs == (Hom("src", "E", "V"), Hom("tgt", "E", "V"))
    assert (g.dom("src"), g.codom("tgt")) == ("E", "V")
    assert g.is_hom("src") and not g.is_attr("src")
    assert "V" in g and "src" in g and "nothing" not in g
    assert g.homs_out("E") == g.homs and g.homs_out("V") == ()
    assert g.homs_in("V") == g.homs


def test_extend_keeps_parent_and_adds_children():
    g = graph()
    wg = g.extend("SchWeightedGraph", attrtypes=["Weight"], attrs=[("weight", "E", "Weight")])
    assert wg.name == "SchWeightedGraph"
    assert g.is_subschema_of(wg) and not wg.is_subschema_of(g)
    assert wg.attrs == (Attr("weight", "E", "Weight"),)
    assert wg.is_attr("weight") and wg.attrs_of("E") == wg.attrs and wg.attrs_of("V") == ()
    assert g.attrtypes == () and g.name == "SchGraph"  # the parent is untouched
    assert wg == catalog.SchWeightedGraph


def test_extend_with_equations_uses_parent_homs():
    sym = graph().extend(
        "SchSymmetricGraph",
        homs=[("inv", "E", "E")],
        equations=[("inv_src", ["inv", "src"], ["tgt"]), ("involution", ["inv", "inv"], [])],
    )
    by_name = {e.name: e for e in sym.equations}
    assert by_name["inv_src"] == Equation("inv_src", "E", "V", ("inv", "src"), ("tgt",))
    assert by_name["involution"] == Equation("involution", "E", "E", ("inv", "inv"), ())


def test_schemas_are_immutable_values():
    g = graph()
    assert g == graph() and hash(g) == hash(graph())
    with pytest.raises(AttributeError):
        g.obs = ("X",)


# -- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, culprit",
    [
        (dict(obs=["V", "V"]), "'V'"),
        (dict(obs=["V", "E"], homs=[("E", "E", "V")]), "'E'"),
        (dict(obs=["V", "E"], homs=[("f", "E", "V"), ("f", "V", "E")]), "'f'"),
        (dict(obs=["V"], attrtypes=["V"]), "'V'"),
        (dict(obs=["V"], homs=[("w", "V", "V")], attrtypes=["T"], attrs=[("w", "V", "T")]), "'w'"),
        (dict(obs=["V"], attrtypes=["T", "T"]), "'T'"),
    ],
)
def test_duplicate_names_are_named(kwargs, culprit):
    with pytest.raises(SchemaError, match="duplicate") as err:
        Schema.build("SchBad", **kwargs)
    assert culprit in str(err.value) and "SchBad" in str(err.value)


def test_extend_cannot_redeclare_a_parent_name():
    with pytest.raises(SchemaError, match="duplicate name 'src'"):
        graph().extend("SchBad", homs=[("src", "V", "V")])


@pytest.mark.parametrize(
    "homs, attrtypes, end, bad",
    [
        ([("f", "X", "V")], [], "domain", "'X'"),
        ([("f", "V", "Nowhere")], [], "codomain", "'Nowhere'"),
        ([("f", "V", "T")], ["T"], "codomain", "'T'"),  # an attribute type is not an object
    ],
)
def test_hom_endpoints_must_be_objects(homs, attrtypes, end, bad):
    with pytest.raises(SchemaError) as err:
        Schema.build("SchBad", obs=["V"], homs=homs, attrtypes=attrtypes)
    msg = str(err.value)
    assert "hom f" in msg and end in msg and bad in msg and "not an object" in msg


def test_attr_codomain_must_be_an_attribute_type():
    with pytest.raises(SchemaError) as err:
        Schema.build("SchBad", obs=["V", "E"], attrs=[("label", "V", "E")])
    msg = str(err.value)
    assert "attribute label" in msg and "'E'" in msg and "not an attribute type" in msg
    with pytest.raises(SchemaError, match="attribute label has domain 'T'"):
        Schema.build("SchBad", obs=["V"], attrtypes=["T"], attrs=[("label", "T", "T")])


@pytest.mark.parametrize(
    "eq, words",
    [
        (("mismatch", ["inv"], ["src"]), ["mismatch", "['src']", "ends at V"]),
        (("not_loop", ["src"], []), ["not_loop", "[]", "ends at E"]),
        (("ill_typed", ["src", "inv"], ["tgt", "inv"]), ["ill_typed", "'inv'"]),
    ],
)
def test_equation_sides_must_share_endpoints(eq, words):
    with pytest.raises(SchemaError) as err:
        graph().extend("SchBad", homs=[("inv", "E", "E")], equations=[eq])
    for w in words:
        assert w in str(err.value)


def test_equation_with_unknown_hom_is_named():
    with pytest.raises(SchemaError, match="'nope'"):
        graph().extend("SchBad", equations=[("e", ["src"], ["nope"])])


def test_equation_given_directly_is_checked():
    with pytest.raises(SchemaError, match="ends at V, not at E"):
        Schema("SchBad", ["V", "E"], [("src", "E", "V")], equations=[Equation("e", "E", "E", ["src"], [])])


def test_non_string_endpoints_raise_schema_errors():
    with pytest.raises(SchemaError, match="hom f"):
        Schema("SchBad", ["V"], [("f", ["V"], "V")])
    with pytest.raises(SchemaError, match="attribute a"):
        Schema("SchBad", ["V"], [], ["T"], [("a", "V", {"T": 1})])


# -- multigraph view and paths --------------------------------------------------------------
def test_graph_is_a_multigraph_with_parallel_homs():
    wg = catalog.SchWeightedGraph
    g = wg.graph
    assert isinstance(g, nx.MultiDiGraph)
    assert set(g.nodes) == {"V", "E", "Weight"}
    assert g.nodes["E"]["kind"] == "Ob" and g.nodes["Weight"]["kind"] == "AttrType"
    assert g.number_of_edges("E", "V") == 2  # src and tgt are parallel
    assert set(g["E"]["V"]) == {"src", "tgt"}
    assert g.edges["E", "Weight", "weight"]["kind"] == "Attr"
    assert g.number_of_edges() == len(wg.homs) + len(wg.attrs)


def test_paths_in_the_symmetric_graph():
    s = catalog.SchSymmetricGraph
    assert set(s.paths("E", "V")) == {("src",), ("tgt",), ("inv", "src"), ("inv", "tgt")}
    assert sorted(s.paths("E", "E")) == [(), ("inv",)]  # the identity once, and the self-loop
    assert s.paths("V", "V") == [()]
    assert s.paths("V", "E") == []


def test_paths_in_the_seed_schema():
    s = catalog.SchSim2RealTransfer
    assert set(s.paths("SimEnv", "Observation")) == {
        ("observe_sim",),
        ("train", "deploy", "observe_real"),
        ("train", "transfer", "deploy", "observe_real"),
    }
    assert set(s.paths("Policy", "TransferGap")) == {("kl_gap",), ("transfer", "kl_gap")}
    assert set(s.paths("SimEnv", "Observation", max_length=3)) == {
        ("observe_sim",),
        ("train", "deploy", "observe_real"),
    }
    assert s.paths("Observation", "SimEnv") == []


def test_paths_need_known_endpoints():
    with pytest.raises(PathError, match="'Nowhere'"):
        catalog.SchGraph.paths("E", "Nowhere")


def _naive_paths(s: Schema, src: str, tgt: str, max_length: int) -> set:
    """Every sequence of distinct homs, optionally ending in an attribute, that typechecks."""
    out = set()
    names = list(s.hom_names)
    for k in range(max_length + 1):
        for seq in itertools.permutations(names, k):
            try:
                end = s.path_codom(src, seq)
            except PathError:
                continue
            if end == tgt:
                out.add(seq)
            if len(seq) < max_length:
                out.update(seq + (a.name,) for a in s.attrs_of(end) if a.codom == tgt)
    return out


@SETTINGS
@given(schemas(max_obs=3, max_homs=4, max_attrtypes=2, max_attrs=2))
def test_paths_agree_with_brute_force(s):
    nodes = list(s.obs) + list(s.attrtypes)
    for src in s.obs:
        for tgt in nodes:
            got = s.paths(src, tgt, max_length=3)
            assert len(got) == len(set(got))
            assert set(got) == _naive_paths(s, src, tgt, 3)


# -- JSON -------------------------------------------------------------------------------------
def test_to_json_layout():
    data = schema_to_json(catalog.SchSymmetricGraph)
    assert data["version"]["ACSetSchema"] == "0.0.1" and "ACSets" in data["version"]
    assert data["Ob"] == [{"name": "V"}, {"name": "E"}]
    assert {"name": "inv", "dom": "E", "codom": "E"} in data["Hom"]
    assert data["AttrType"] == [] and data["Attr"] == []
    eqs = {e["name"]: e for e in data["equations"]}
    assert eqs["inv_src"] == {"name": "inv_src", "dom": "E", "codom": "V", "paths": [["inv", "src"], ["tgt"]]}
    # ACSets.jl >= 0.2.21 requires the key, so it is written even when empty
    assert schema_to_json(catalog.SchGraph)["equations"] == []


@pytest.mark.parametrize("s", list(catalog.BUILTIN_SCHEMAS.values()), ids=list(catalog.BUILTIN_SCHEMAS))
def test_json_round_trip_builtin(s, tmp_path):
    assert schema_from_json(schema_to_json(s), name=s.name) == s
    assert schema_from_json(json.dumps(schema_to_json(s)), name=s.name) == s
    path = tmp_path / "s.json"
    write_schema_json(s, path)
    assert read_schema_json(path, name=s.name) == s
    assert read_schema_json(path).name == "s"  # the file's stem names it by default


@SETTINGS
@given(schemas())
def test_json_round_trip_property(s):
    text = json.dumps(schema_to_json(s))
    back = schema_from_json(text, name=s.name)
    assert back == s
    assert schema_to_json(back) == json.loads(text)


@pytest.mark.parametrize("s", list(catalog.BUILTIN_SCHEMAS.values()), ids=list(catalog.BUILTIN_SCHEMAS))
def test_written_schema_validates_against_acsets_jl_json_schema(s):
    jsonschema = pytest.importorskip("jsonschema")
    meta = json.loads((FIXTURES / "acsets_jl__acset.schema.json").read_text())
    jsonschema.validate(schema_to_json(s), meta)


def test_catlab_era_file_fails_acsets_jl_json_schema_but_we_read_it():
    jsonschema = pytest.importorskip("jsonschema")
    meta = json.loads((FIXTURES / "acsets_jl__acset.schema.json").read_text())
    data = json.loads((FIXTURES / "py_acsets__catlab_PetriNet.json").read_text())
    with pytest.raises(jsonschema.ValidationError, match="ACSets"):
        jsonschema.validate(data, meta)
    assert shape(schema_from_json(data)) == shape(catalog.SchPetriNet)


@pytest.mark.parametrize(
    "fixture, builtin",
    [
        ("py_acsets__catlab_PetriNet.json", catalog.SchPetriNet),
        ("py_acsets__catlab_LabelledPetriNet.json", catalog.SchLabelledPetriNet),
    ],
)
def test_reads_py_acsets_files(fixture, builtin):
    raw = json.loads((FIXTURES / fixture).read_text())
    assert "equations" not in raw and "Catlab" in raw["version"]  # the older variant indeed
    s = read_schema_json(FIXTURES / fixture)
    assert s.name == Path(fixture).stem
    assert shape(s) == shape(builtin)
    assert s.obs == tuple(o["name"] for o in raw["Ob"])  # order kept as written
    # written back in the current layout, it reads to the same schema
    again = schema_from_json(schema_to_json(s), name=s.name)
    assert again == s and schema_to_json(again)["equations"] == []


def test_reads_file_without_equations_key():
    data = schema_to_json(catalog.SchReflexiveGraph)
    del data["equations"]
    data["version"] = {"ACSetSchema": "0.0.1", "Catlab": "0.14.0"}
    s = schema_from_json(data, name="SchReflexiveGraph")
    assert s.equations == () and shape(s)[:4] == shape(catalog.SchReflexiveGraph)[:4]


@pytest.mark.parametrize(
    "data, words",
    [
        ("{not json", ["malformed"]),
        ([1, 2], ["must be an object"]),
        ({"Hom": []}, ["'Ob'"]),
        ({"Ob": {"name": "V"}, "Hom": []}, ["Ob must be a list"]),
        ({"Ob": [{"nom": "V"}], "Hom": []}, ["Ob[0]", "'name'"]),
        ({"Ob": [{"name": "V"}], "Hom": [{"name": "f", "dom": "V"}]}, ["Hom[0]", "'codom'"]),
        ({"Ob": [{"name": "V"}], "Hom": [], "equations": [{"paths": [[], []]}]}, ["equations[0]", "dom"]),
        ({"Ob": [{"name": "V"}], "Hom": [], "equations": [{"dom": "V", "codom": "V", "paths": [[]]}]}, ["equations[0]"]),
        ({"Ob": [{"name": "V"}], "Hom": [{"name": "f", "dom": "V", "codom": "W"}]}, ["hom f", "'W'"]),
    ],
)
def test_malformed_schema_json(data, words):
    with pytest.raises(SchemaError) as err:
        schema_from_json(data)
    for w in words:
        assert w in str(err.value)


def test_read_json_names_the_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"Ob": [{"name": "V"}, {"name": "V"}], "Hom": []}')
    with pytest.raises(SchemaError, match="bad.json.*duplicate name 'V'"):
        read_schema_json(bad)
    with pytest.raises(SchemaError, match="missing.json"):
        read_schema_json(tmp_path / "missing.json")


# -- shipped files agree with the declarations --------------------------------------------------
@pytest.mark.parametrize("fname", sorted(catalog.SCHEMA_FILES))
def test_builtin_declaration_agrees_with_file(fname):
    declared = catalog.SCHEMA_FILES[fname]
    path = ROOT / "schemas" / fname
    assert read_schema_json(path, name=declared.name) == declared
    on_disk = json.loads(path.read_text())
    assert {k: v for k, v in on_disk.items() if k != "version"} == {
        k: v for k, v in schema_to_json(declared).items() if k != "version"
    }


def test_every_builtin_has_a_file():
    assert set(map(id, catalog.BUILTIN_SCHEMAS.values())) <= set(map(id, catalog.SCHEMA_FILES.values()))
    for fname in catalog.SCHEMA_FILES:
        assert (ROOT / "schemas" / fname).is_file()


# *.schema.json files are JSON Schema documents of our reports, not ACSet schemas
ACSET_SCHEMA_FILES = sorted(p for p in (ROOT / "schemas").glob("*.json") if not p.name.endswith(".schema.json"))


@pytest.mark.parametrize("path", ACSET_SCHEMA_FILES, ids=lambda p: p.name)
def test_every_shipped_file_reads(path):
    s = read_schema_json(path)
    assert s.obs and schema_from_json(schema_to_json(s), name=s.name) == s
