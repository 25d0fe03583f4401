"""Several ``@present`` statements on one line, split by ``;`` (issue 14, "Also seen").

Blocks as Catlab writes them: SchDDS in ACSets.jl's and Catlab's tests
(``X::Ob; Φ::Hom(X,X)``) and the Petri net schema of AlgebraicPetri
(``is::Hom(I,S); it::Hom(I,T); os::Hom(O,S); ot::Hom(O,T)``).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acset_s2r.catalog import SchPetriNet
from acset_s2r.errors import PresentSyntaxError
from acset_s2r.present import parse_present


def test_dds_on_one_line():
    S = parse_present("@present SchDDS(FreeSchema) begin X::Ob; Φ::Hom(X,X) end")
    assert S.obs == ("X",) and S.hom_names == ("Φ",) and S.dom("Φ") == "X"


def test_petri_statements_share_lines():
    S = parse_present("""
@present SchPetri(FreeSchema) begin
  (T, S, I, O)::Ob
  is::Hom(I,S); it::Hom(I,T); os::Hom(O,S); ot::Hom(O,T)
end""")
    assert set(S.obs) == set(SchPetriNet.obs)
    assert {(h.name, h.dom, h.codom) for h in S.homs} == {(h.name, h.dom, h.codom) for h in SchPetriNet.homs}


def test_errors_still_name_the_line():
    with pytest.raises(PresentSyntaxError, match="line 2.*unbalanced"):
        parse_present("@present S(FreeSchema) begin\n  X::Ob; f::Hom(X, X\nend")
    with pytest.raises(PresentSyntaxError, match="line 2.*declared twice"):
        parse_present("@present S(FreeSchema) begin\n  X::Ob; X::Ob\nend")
    with pytest.raises(PresentSyntaxError, match="product or compound"):
        parse_present("@present S(FreeSchema) begin X::Ob; f::Hom(X × X, X) end")
    with pytest.raises(PresentSyntaxError, match="no closing"):
        parse_present("@present S(FreeSchema) begin X::Ob; Y::Ob")


@given(st.lists(st.sampled_from(["A", "B", "C", "D"]), min_size=1, max_size=4, unique=True),
       st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=4), st.data())
@settings(max_examples=50, deadline=None)
def test_any_split_into_lines_reads_the_same(obs, arrows, data):
    stmts = [f"{o}::Ob" for o in obs] + [f"h{k}::Hom({obs[a % len(obs)]}, {obs[b % len(obs)]})"
                                         for k, (a, b) in enumerate(arrows)]
    one_per_line = "@present S(FreeSchema) begin\n" + "\n".join(stmts) + "\nend"
    breaks = data.draw(st.lists(st.booleans(), min_size=len(stmts), max_size=len(stmts)))
    mixed = "@present S(FreeSchema) begin " + "".join(s + ("\n" if br else "; ") for s, br in zip(stmts, breaks)) + " end"
    assert parse_present(mixed) == parse_present(one_per_line)
