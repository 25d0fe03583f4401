"""parse_present: Catlab @present blocks, the seed's block, and rejected constructs."""

import textwrap
from pathlib import Path

import pytest

from acset_s2r import catalog
from acset_s2r.errors import PresentSyntaxError, SchemaError
from acset_s2r.present import parse_present, present_blocks
from acset_s2r.schema import Equation, Schema
from acset_s2r.serialization import schema_from_json, schema_to_json

SEED = Path("/work/shared/seed/sim2real-predictive-coding.txt")


def block(body: str, header: str = "@present SchTest(FreeSchema) begin") -> str:
    return header + "\n" + textwrap.dedent(body).strip("\n") + "\nend\n"


def eq_shape(s: Schema) -> set:
    return {(e.dom, e.codom, e.lhs, e.rhs) for e in s.equations}


def test_every_declaration_form_with_comments_and_blank_lines():
    text = block(
        """
        # a full-line comment

          (V, E)::Ob      # two objects at once
        Label::Ob
        (src, tgt)::Hom(E, V)
        lab::Hom(V, Label)   # trailing comment

        Weight::AttrType
        Name :: AttrType
        weight::Attr(E, Weight)
        name::Attr(Label, Name)
        """
    )
    expected = Schema.build(
        "SchTest",
        obs=["V", "E", "Label"],
        homs=[("src", "E", "V"), ("tgt", "E", "V"), ("lab", "V", "Label")],
        attrtypes=["Weight", "Name"],
        attrs=[("weight", "E", "Weight"), ("name", "Label", "Name")],
    )
    assert parse_present(text) == expected


def test_graph_block_matches_the_builtin():
    text = """
    @present SchGraph(FreeSchema) begin
      V::Ob
      E::Ob
      src::Hom(E, V)
      tgt::Hom(E, V)
    end
    """
    assert parse_present(text) == catalog.SchGraph


def test_parent_resolved_against_builtins():
    text = """
    @present SchWeightedGraph <: SchGraph begin
      Weight::AttrType
      weight::Attr(E, Weight)
    end
    """
    s = parse_present(text)
    assert s == catalog.SchWeightedGraph
    assert catalog.SchGraph.is_subschema_of(s)


def test_parent_resolved_against_known_schemas_first():
    mine = Schema.build("SchGraph", obs=["Node"])  # shadows the built-in SchGraph
    text = block("Edge::Ob\nsrc::Hom(Edge, Node)", header="@present SchMine <: SchGraph begin")
    s = parse_present(text, known={"SchGraph": mine})
    assert s.obs == ("Node", "Edge") and s.homs_out("Edge")[0].codom == "Node"


def test_child_of_a_parsed_schema():
    parent = parse_present(block("X::Ob", header="@present SchP(FreeSchema) begin"))
    child = parse_present(
        block("f::Hom(X, X)", header="@present SchC <: SchP begin"), known={"SchP": parent}
    )
    assert child.obs == ("X",) and child.hom_names == ("f",)


def test_equations_in_three_notations():
    text = """
    @present SchSymmetricGraph <: SchGraph begin
      inv::Hom(E, E)
      compose(inv, src) == tgt
      inv ⋅ tgt == src
      src ∘ inv ∘ inv == src      # ∘ composes right to left
      compose(inv, inv) == id(E)
    end
    """
    s = parse_present(text)
    assert eq_shape(s) == {
        ("E", "V", ("inv", "src"), ("tgt",)),
        ("E", "V", ("inv", "tgt"), ("src",)),
        ("E", "V", ("inv", "inv", "src"), ("src",)),
        ("E", "E", ("inv", "inv"), ()),
    }
    assert eq_shape(catalog.SchSymmetricGraph) <= eq_shape(s)
    assert all(isinstance(e, Equation) for e in s.equations)


def test_seed_block_is_exactly_the_seed_schema():
    s = parse_present(catalog.SEED_PRESENT)
    assert s == catalog.SchSim2RealTransfer
    assert s.codom("transfer") == "Policy" and s.codom("kl_gap") == "TransferGap"


@pytest.mark.skipif(not SEED.exists(), reason="the seed text is outside the repository")
def test_seed_present_constant_is_the_seed_verbatim():
    # The seed page is flattened onto one line, so compare word by word.
    words = " ".join(catalog.SEED_PRESENT.split())
    assert words.startswith("@present SchSim2RealTransfer(FreeSchema) begin") and words.endswith(" end")
    assert words in " ".join(SEED.read_text().split())


def test_present_round_trips_through_json():
    s = parse_present(catalog.SEED_PRESENT)
    assert schema_from_json(schema_to_json(s), name=s.name) == s


def test_blocks_found_with_their_lines_and_parsed_with_file_lines():
    doc = "# Notes\n\n```julia\n" + block("X::Ob\nf::Hom(X, Y)") + "```\n\n" + catalog.SEED_PRESENT
    found = present_blocks(doc)
    # "# Notes", "", "```julia", then 4 lines of block, "```", "", then the seed
    assert [line for line, _ in found] == [4, 10]
    with pytest.raises(PresentSyntaxError) as err:
        parse_present(found[0][1], first_line=found[0][0])
    assert err.value.line == 6  # f::Hom(X, Y) is the file's sixth line
    assert parse_present(found[1][1]) == catalog.SchSim2RealTransfer


# -- rejected constructs ----------------------------------------------------------------------
REJECTED = [
    pytest.param(
        "(State, Action)::Ob\nstep::Hom(State × Action, State)", 3, ["product"], id="product-domain"
    ),
    pytest.param("(A, B)::Ob\nm::Hom(A ⊗ B, A)", 3, ["product"], id="tensor-domain"),
    pytest.param("f::Hom(X, Y)\n(X, Y)::Ob", 2, ["X", "before it is declared"], id="hom-before-obs"),
    pytest.param("X::Ob\nf::Hom(X, Y)\nY::Ob", 3, ["Y", "before it is declared"], id="codom-before-ob"),
    pytest.param("X::Ob\na::Attr(X, T)\nT::AttrType", 3, ["T", "before it is declared"], id="attr-before-type"),
    pytest.param("X::Ob\nT::AttrType\nf::Hom(X, T)", 4, ["T", "use Attr"], id="hom-into-attrtype"),
    pytest.param("(X, Y)::Ob\na::Attr(X, Y)", 3, ["Y", "use Hom"], id="attr-into-ob"),
    pytest.param("T::AttrType\nX::Ob\na::Attr(T, T)", 4, ["domain T is an AttrType"], id="attr-from-type"),
    pytest.param("X::Ob\nT::Type", 3, ["::Type", "not part of a C-set schema"], id="type-decl"),
    pytest.param("X::Ob\n\nX::Ob", 4, ["X", "twice"], id="duplicate"),
    pytest.param("X::Ob\nf::Hom(X)", 3, ["domain and a codomain"], id="one-endpoint"),
    pytest.param("X::Ob\nf::Hom", 3, ["needs a domain"], id="no-endpoints"),
    pytest.param("X::Ob\nthis is not julia", 3, ["not a declaration"], id="garbage"),
    pytest.param("X::Ob(Y)", 2, ["takes no arguments"], id="ob-with-args"),
    pytest.param("(X, Y)::Ob\nf::Hom(X, Y)\nf ⋅ f == f", 4, ["ill-typed", "f"], id="ill-typed-eq"),
    pytest.param("(X, Y)::Ob\nf::Hom(X, Y)\nf == id(X)", 4, ["end at Y and at X"], id="eq-ends-differ"),
    pytest.param("X::Ob\nf::Hom(X, X)\nf == g", 4, ["'g'", "not a declared hom"], id="eq-unknown-hom"),
]


@pytest.mark.parametrize("body, line, words", REJECTED)
def test_rejected_with_line_and_reason(body, line, words):
    with pytest.raises(PresentSyntaxError) as err:
        parse_present(block(body))
    assert err.value.line == line
    msg = str(err.value)
    assert msg.startswith(f"line {line}: ")
    for w in words:
        assert w in msg
    # the offending source line is quoted
    assert err.value.text.strip() == block(body).splitlines()[line - 1].strip()


def test_unknown_parent_gives_the_header_line():
    text = "\n\n@present SchChild <: SchNowhere begin\n  X::Ob\nend\n"
    with pytest.raises(PresentSyntaxError) as err:
        parse_present(text)
    assert err.value.line == 3
    assert "unknown parent schema SchNowhere" in str(err.value) and "SchGraph" in str(err.value)


def test_other_theories_are_rejected():
    with pytest.raises(PresentSyntaxError, match="line 1: .*SymmetricMonoidal.* not a C-set schema"):
        parse_present("@present M(FreeSymmetricMonoidalCategory) begin\n  X::Ob\nend")


def test_unclosed_and_missing_blocks():
    with pytest.raises(PresentSyntaxError, match="line 1: .*no closing 'end'"):
        parse_present("@present S(FreeSchema) begin\n  X::Ob\n")
    with pytest.raises(PresentSyntaxError, match="no @present block"):
        parse_present("X::Ob\nend")
    with pytest.raises(PresentSyntaxError, match="line 1: expected"):
        parse_present("@present begin\nend")


def test_present_errors_are_schema_errors():
    assert issubclass(PresentSyntaxError, SchemaError)
