"""Attribute variables as parts: hom search binding them, colimits merging them.

Cases from Catlab's test/categorical_algebra/pointwise/varacsetcats/HomSearch.jl and
Colimits.jl, with 0-based variables; a brute-force enumerator checks search on random
instances.
"""

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r import ACSet, AttrVar
from acset_s2r.catalog import SchGraph, SchWeightedGraph
from acset_s2r.errors import InstanceError, TransformationError
from acset_s2r.homs import ACSetTransformation, count_homomorphisms, homomorphism, homomorphisms, identity
from acset_s2r.limits import coequalizer, coproduct, pushout
from acset_s2r.literals import acset
from acset_s2r.schema import Schema

SchLSet = Schema.build("SchLSet", obs=["X"], attrtypes=["D"], attrs=[("f", "X", "D")])
SchA2 = Schema.build("SchA2", obs=["X"], attrtypes=["D"], attrs=[("f", "X", "D"), ("g", "X", "D")])
SchVELabeled = SchGraph.extend("SchVELabeledGraph", attrtypes=["Label"],
                               attrs=[("vlabel", "V", "Label"), ("elabel", "E", "Label")])
V = AttrVar


def lset(n, nvars, f):
    return acset(SchLSet, types={"D": object}, X=n, D=nvars, f=f)


# -- Catlab varacsetcats/HomSearch.jl: AttrVar constraints (monic and no_bind) --------------
def test_catlab_simple_monic_cases():
    A = lset(2, 2, [V(0), V(1)])
    B = lset(1, 1, [V(0)])
    assert count_homomorphisms(A, B, monic=["D"]) == 0
    assert count_homomorphisms(B, A, monic=["D"]) == 2
    assert count_homomorphisms(A, A, monic=["D"]) == 2


def test_catlab_free_floating_variables():
    G = lset(3, 2, ["a", V(0), V(1)])
    H = lset(4, 3, ["a", "b", V(0), V(1)])
    assert count_homomorphisms(G, H) == 16  # X1 and X2 go anywhere
    G2 = G.copy()
    G2.add_parts("D", 1)  # a variable no attribute uses
    with pytest.raises(TransformationError, match=r"variables \[2\] of D.*infinitely many"):
        homomorphisms(G2, H)
    assert count_homomorphisms(G2, H, initial={"D": ["b", "b", "b"]}) == 1
    assert count_homomorphisms(G2, H, initial={"D": {2: "b"}}) == 16
    assert count_homomorphisms(G2, H, initial={"D": {2: V(0)}}) == 16
    assert count_homomorphisms(G, H, monic=["D"]) == 2
    assert count_homomorphisms(G2, H, monic=["D"]) == 2  # the free one takes the last variable
    assert count_homomorphisms(G2, H, no_bind=["D"]) == 4 * 4 * 3


def test_catlab_weighted_graph_cases():
    WG = dict(types={"Weight": object})
    A = acset(SchWeightedGraph, **WG, V=1, E=2, Weight=1, src=0, tgt=0, weight=[True, V(0)])
    B = acset(SchWeightedGraph, **WG, V=1, E=3, Weight=2, src=0, tgt=0, weight=[True, False, V(1)])
    assert count_homomorphisms(A, B) == 3  # E0 forced to E0, E1 anywhere
    A = acset(SchWeightedGraph, **WG, V=1, E=3, Weight=1, src=0, tgt=0, weight=[False, V(0), V(0)])
    B = acset(SchWeightedGraph, **WG, V=1, E=4, Weight=2, src=0, tgt=0, weight=[False, True, True, V(1)])
    assert count_homomorphisms(A, B) == 6  # E1, E2 agree: False, V(1), or 4 ways onto (True, True)


def test_catlab_attributes_that_constrain_each_other():
    T = dict(types={"D": object})
    X = acset(SchA2, **T, X=2, D=2, f=["A", V(0)], g=[V(1), "B"])
    Y = acset(SchA2, **T, X=2, D=1, f=["C", "A"], g=["C", "B"])
    assert count_homomorphisms(X, Y) == 1
    X = acset(SchA2, **T, X=3, D=3, f=["A", V(0), V(1)], g=[V(1), "B", V(2)])
    Y = acset(SchA2, **T, X=3, D=1, f=["C", "A", "Z"], g=["C", "B", "Z"])
    assert count_homomorphisms(X, Y) == 0
    assert count_homomorphisms(Y, Y, initial={"D": ["Q"]}) == 1
    Z = acset(SchA2, **T, X=1, D=1, f=[V(0)], g=[V(0)])
    assert homomorphism(Z, Z, initial={"D": ["Q"]}) is None


def test_transformation_components_on_attribute_types():
    A = lset(2, 2, [V(0), V(1)])
    B = lset(2, 0, ["p", "q"])
    f = ACSetTransformation({"X": [1, 0]}, A, B)  # the D component is read off the attribute
    assert f["D"].tolist() == ["q", "p"]
    assert identity(A).then(f) == f
    with pytest.raises(TransformationError, match=r"attribute f.*sent to 'p'"):
        ACSetTransformation({"X": [1, 0], "D": ["p", "q"]}, A, B)
    free = lset(0, 1, [])
    with pytest.raises(TransformationError, match="component D must be given"):
        ACSetTransformation({}, free, B)


def test_numeric_columns_and_dangling_variables_are_refused():
    X = ACSet(SchWeightedGraph, Weight=float)
    X.add_parts("Weight", 1)
    X.add_parts("V", 1)
    with pytest.raises(InstanceError, match="cannot hold attribute variables; bind Weight"):
        X.add_parts("E", 1, src=0, tgt=0, weight=[V(0)])
    Y = ACSet(SchWeightedGraph, Weight=object)
    Y.add_parts("V", 1)
    with pytest.raises(InstanceError, match="dangling variable"):
        Y.add_parts("E", 1, src=0, tgt=0, weight=[V(0)])
    assert X.size() == {"V": 1, "E": 0} and Y.size() == {"V": 1, "E": 0}


def test_rem_parts_on_an_attribute_type_and_rem_free_vars():
    X = lset(3, 3, [V(2), V(0), "c"])
    moved = X.rem_parts("D", [0])  # pop-and-swap: variable 2 becomes 0
    assert moved.tolist() == [-1, 1, 0]
    assert X.subpart("f").tolist() == [V(0), None, "c"]
    assert X.rem_free_vars()["D"].tolist() == [0, -1]
    assert X.nparts("D") == 1


# -- Catlab varacsetcats/Colimits.jl ------------------------------------------------------------
def test_catlab_coproduct_offsets_variables():
    T = dict(types={"Label": object})
    g = acset(SchVELabeled, **T, V=2, E=2, Label=2, src=0, tgt=1, vlabel=[V(0), "b"], elabel=["e", V(1)])
    expected = acset(SchVELabeled, **T, V=4, E=4, Label=4, src=[0, 0, 2, 2], tgt=[1, 1, 3, 3],
                     vlabel=[V(0), "b", V(2), "b"], elabel=["e", V(1), "e", V(3)])
    C = coproduct(g, g)
    assert C.apex == expected
    assert C.legs[1]["Label"].tolist() == [V(2), V(3)]


def test_catlab_lone_attr_coequalizer_merges_variables_and_values():
    SchLoneAttr = Schema.build("SchLoneAttr", obs=[], attrtypes=["X"])
    X = acset(SchLoneAttr, types={"X": object}, X=4)
    Y = acset(SchLoneAttr, types={"X": object}, X=4)
    f = ACSetTransformation({"X": [V(0), False, V(2), V(3)]}, X, Y)
    g = ACSetTransformation({"X": [V(2), False, True, V(3)]}, X, Y)
    Q = coequalizer(f, g)
    # variables 0 and 2 become True; 1 and 3 stay variables, renumbered
    assert Q.legs[0]["X"].tolist() == [True, V(0), True, V(1)]
    assert Q.apex.nparts("X") == 2
    A = acset(SchLoneAttr, types={"X": object}, X=3)
    h = ACSetTransformation({"X": [True, V(0), True, V(2)]}, Y, A)
    assert Q.universal(h)["X"].tolist() == [V(0), V(2)]


def test_pushout_of_a_shared_vertex_binds_a_variable():
    T = dict(types={"Label": object})
    pt = acset(SchVELabeled, **T, V=1, Label=1, vlabel=[V(0)])
    left = acset(SchVELabeled, **T, V=1, vlabel=["a"])
    right = acset(SchVELabeled, **T, V=2, E=1, Label=1, src=0, tgt=1, vlabel=[V(0), "z"], elabel=[V(0)])
    P = pushout(ACSetTransformation({"V": [0]}, pt, left), ACSetTransformation({"V": [0]}, pt, right))
    assert P.apex.subpart("vlabel").tolist() == ["a", "z"] and P.apex.subpart("elabel").tolist() == ["a"]
    assert P.apex.nparts("Label") == 0
    clash = acset(SchVELabeled, **T, V=1, vlabel=["b"])
    with pytest.raises(TransformationError, match="'a'.*'b'|'b'.*'a'"):
        pushout(ACSetTransformation({"V": [0]}, pt, left), ACSetTransformation({"V": [0]}, pt, clash))


# -- against brute force ------------------------------------------------------------------------
VALUES = ["a", "b"]


@st.composite
def lsets(draw, max_n=3, max_vars=2):
    nvars = draw(st.integers(0, max_vars))
    n = draw(st.integers(0, max_n))
    pool = VALUES + [V(k) for k in range(nvars)]
    f = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    g = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    return acset(SchA2, types={"D": object}, X=n, D=nvars, f=f, g=g)


def brute_force(X, Y, monic=False):
    """Every (part map, variable map) pair that is natural, variables ranging over Y's variables
    when free, over Y's values on X's image otherwise (checked by plain substitution)."""
    targets = VALUES + [V(k) for k in range(Y.nparts("D"))]
    found = 0
    for xs in itertools.product(range(Y.nparts("X")), repeat=X.nparts("X")):
        for vs in itertools.product(targets, repeat=X.nparts("D")):
            if monic and (len(set(vs)) < len(vs) or any(v.__class__ is not AttrVar for v in vs)):
                continue
            ok = all(
                (vs[u.k] if isinstance(u, AttrVar) else u) == Y.subpart(xs[x], name)
                for name in ("f", "g") for x, u in enumerate(X.subpart(name).tolist())
            )
            found += ok
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lsets(), lsets(), st.booleans())
def test_search_agrees_with_brute_force(X, Y, monic):
    free = X.free_vars("D")
    if len(free) and not monic:
        with pytest.raises(TransformationError, match="infinitely many"):
            count_homomorphisms(X, Y)
        return
    assert count_homomorphisms(X, Y, monic=["D"] if monic else False) == brute_force(X, Y, monic)
    for f in homomorphisms(X, Y, monic=["D"] if monic else False):
        assert f.is_natural()


# -- stateful: variables added, used and deleted, against a list model ------------------------
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule  # noqa: E402


class VarMachine(RuleBasedStateMachine):
    """Rows hold a value, None, or ("var", k); deletion is literal pop-and-swap of variables."""

    def __init__(self):
        super().__init__()
        self.X = ACSet(SchLSet, D=object)
        self.rows, self.nvars = [], 0

    @rule(n=st.integers(0, 2))
    def add_vars(self, n):
        assert self.X.add_parts("D", n).tolist() == list(range(self.nvars, self.nvars + n))
        self.nvars += n

    @rule(data=st.data())
    def add_row(self, data):
        choice = data.draw(st.one_of(st.none(), st.sampled_from(["a", "b"]),
                                     *([st.integers(0, self.nvars - 1)] if self.nvars else [])))
        value = V(choice) if isinstance(choice, int) else choice
        self.X.add_parts("X", 1, f=[value])
        self.rows.append(("var", choice) if isinstance(choice, int) else choice)

    @rule(k=st.integers(0, 5))
    def add_dangling(self, k):
        with pytest.raises(InstanceError):
            self.X.add_parts("X", 1, f=[V(self.nvars + k)])

    @precondition(lambda self: self.nvars)
    @rule(data=st.data())
    def rem_var(self, data):
        k = data.draw(st.integers(0, self.nvars - 1))
        self.X.rem_parts("D", [k])
        last = self.nvars - 1
        self.rows = [None if r == ("var", k) else ("var", k) if r == ("var", last) else r for r in self.rows]
        self.nvars -= 1

    @rule()
    def rem_free(self):
        used = sorted({r[1] for r in self.rows if isinstance(r, tuple)})
        self.X.rem_free_vars()
        # survivors keep their order only up to pop-and-swap; compare the pattern, not the numbers
        self.nvars = len(used)
        self.rows = [("var", -1 - r[1]) if isinstance(r, tuple) else r for r in self.rows]
        got = self.X.subpart("f").tolist()
        renum = {}
        for r, g in zip(self.rows, got):
            if isinstance(r, tuple):
                renum.setdefault(r[1], g.k)
                assert renum[r[1]] == g.k
        assert sorted(renum.values()) == list(range(self.nvars))
        self.rows = [("var", renum[r[1]]) if isinstance(r, tuple) else r for r in self.rows]

    @invariant()
    def agrees(self):
        assert self.X.nparts("D") == self.nvars
        got = [("var", v.k) if isinstance(v, AttrVar) else v for v in self.X.subpart("f").tolist()]
        assert got == self.rows


TestVarMachine = VarMachine.TestCase
TestVarMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
