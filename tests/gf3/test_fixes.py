"""Fix suggestions: the member trit that balances a group (GF(3)), the declaration a mismatch
disagrees with; and the verdict's invariance under renaming a skill everywhere."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acset_s2r.gf3.audit import audit_skills
from acset_s2r.gf3.fixes import member_balancing_trits
from acset_s2r.gf3.trit import Trit, is_balanced

from .corpora import WRITTEN_AS, names, render, specs, write

trit_ints = st.sampled_from([-1, 0, 1])


@given(st.lists(st.tuples(trit_ints, st.integers(1, 8)), min_size=1, max_size=8))
def test_each_suggested_member_trit_balances_its_group(terms):
    trits, weights = [t for t, _ in terms], [w for _, w in terms]
    for j, new in enumerate(member_balancing_trits(trits, weights)):
        if weights[j] % 3 == 0:
            assert new is None
            continue
        changed = [Trit(new if i == j else t) * w for i, (t, w) in enumerate(terms)]
        assert is_balanced(changed)
        # and it is the only trit that does
        others = [Trit(t) for t in (-1, 0, 1) if Trit(t) != new]
        assert not any(is_balanced([Trit(o if i == j else t) * w for i, (t, w) in enumerate(terms)]) for o in others)


@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "Agent X"]), trit_ints, st.integers(1, 4)),
                min_size=2, max_size=5))
def test_audit_fixes_balance_the_claim(tmp_path_factory, terms):
    trits = [Trit(t) * w for _, t, w in terms]
    root = tmp_path_factory.mktemp("c")
    chain = " ⊗ ".join(f"{n} {w}({t:+d})" if w > 1 else f"{n} ({t:+d})" for n, t, w in terms)
    write(root, {"a": "**Trit**: +1\n", "b": "**Trit**: 0\n", "c": "**Trit**: -1\n", "home": f"{chain} = 0 ✓\n"})
    report = audit_skills(root)
    findings = report.of_kind("claim-unbalanced")
    assert len(findings) == (0 if is_balanced(trits) else 1)
    for f in findings:
        sets = [x for x in f.fixes if x.action == "set-member"]
        assert {x.member for x in sets} == {j for j, (_, _, w) in enumerate(terms) if w % 3}
        for x in sets:
            assert is_balanced([Trit(x.trit) * w if i == x.member else Trit(t) * w
                                for i, (_, t, w) in enumerate(terms)])
        (add,) = [x for x in f.fixes if x.action == "add-member"]
        assert is_balanced([*trits, add.trit])


def test_mismatch_fix_names_the_declaration_it_disagrees_with(tmp_path):
    write(tmp_path, {
        "spi": "---\ntrit: -1\n---\n\nTrit: +1\n",  # frontmatter outranks the plain line
        "home": "**Trit**: 0\n\nspi (+1) ⊗ home (0) ⊗ x-y (-1) = 0 ✓\n",
    })
    (f,) = audit_skills(tmp_path).of_kind("member-mismatch")
    taken, agreeing = f.fixes
    assert (taken.action, taken.trit, taken.file, taken.line) == ("match-declaration", Trit(-1), "spi/SKILL.md", 2)
    assert (agreeing.trit, agreeing.file, agreeing.line) == (Trit(1), "spi/SKILL.md", 5)
    assert "does not take" in agreeing.message


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs(), names, st.data())
def test_verdict_is_invariant_under_renaming_a_skill_everywhere(tmp_path_factory, spec, nm, data):
    styles = data.draw(st.lists(WRITTEN_AS, min_size=len(spec.claims), max_size=len(spec.claims)))
    k = data.draw(st.integers(0, len(spec.trits) - 1))
    new = data.draw(names.map(lambda xs: xs[0]).filter(lambda x: x not in nm))
    renamed = [new if i == k else n for i, n in enumerate(nm)]

    def verdict(ns):
        report = audit_skills(write(tmp_path_factory.mktemp("c"), render(spec, ns, styles)))
        where = {f"{n}/SKILL.md": i for i, n in enumerate(ns)}
        return report.exit_code(), sorted((f.kind, where[f.file], f.line) for f in report.findings)

    assert verdict(nm) == verdict(renamed)
