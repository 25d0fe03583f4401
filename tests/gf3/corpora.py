"""Small generated corpora: a spec of skills and claims, rendered under any choice of names.

Each skill declares a trit; each claim sits in one skill's file and names some skills with a
written trit. Every claim is marked ``= 0 ✓`` but its written trits sum to +1 or -1, so the
audit reports each claim exactly once as ``claim-unbalanced`` (at the claim's line).
"""

from __future__ import annotations

from pathlib import Path

import attrs
from hypothesis import strategies as st


@attrs.frozen
class Spec:
    trits: tuple[int, ...]  # declared trit of skill i
    claims: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]  # (file skill, ((skill, trit), ...))

    def claims_naming(self, k: int) -> set[int]:
        return {c for c, (_, ms) in enumerate(self.claims) if any(s == k for s, _ in ms)}

    def claims_in(self, k: int) -> set[int]:
        return {c for c, (home, _) in enumerate(self.claims) if home == k}


@st.composite
def specs(draw, min_skills=2, max_skills=5):
    n = draw(st.integers(min_skills, max_skills))
    trits = tuple(draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=n, max_size=n)))
    claims = []
    for _ in range(draw(st.integers(1, 6))):
        home = draw(st.integers(0, n - 1))
        named = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
        written = draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=len(named), max_size=len(named)))
        if sum(written) % 3 == 0:
            written[0] = (written[0] + 2) % 3 - 1  # now unbalanced: the claim is always a finding
        claims.append((home, tuple(zip(named, written))))
    return Spec(trits, tuple(claims))


names = st.lists(st.from_regex(r"[a-z]{3,6}-[a-z]{2,5}", fullmatch=True), min_size=5, max_size=5, unique=True)
WRITTEN_AS = st.sampled_from(["as-is", "title", "spaced"])


def written(name: str, style: str) -> str:
    """A skill name as prose writes it."""
    if style == "title":
        return "-".join(p.capitalize() for p in name.split("-"))
    if style == "spaced":
        return name.replace("-", " ").title()
    return name


def render(spec: Spec, names: list[str], styles: list[str] | None = None) -> dict[str, str]:
    """``{skill name: SKILL.md text}``; claim c is line ``claim_line(c)`` of its file."""
    styles = styles or ["as-is"] * len(spec.claims)
    texts = {names[i]: [f"# {names[i]}", "", f"**Trit**: {t:+d}", ""] for i, t in enumerate(spec.trits)}
    for c, (home, members) in enumerate(spec.claims):
        terms = " ⊗ ".join(f"{written(names[s], styles[c])} ({t:+d})" for s, t in members)
        texts[names[home]] += [terms + " = 0 ✓", ""]
    return {k: "\n".join(v) + "\n" for k, v in texts.items()}


def claim_lines(spec: Spec, names: list[str]) -> dict[int, tuple[str, int]]:
    """Claim index -> (file, line) as ``render`` lays them out."""
    out, count = {}, {}
    for c, (home, _) in enumerate(spec.claims):
        count[home] = count.get(home, 0) + 1
        out[c] = (f"{names[home]}/SKILL.md", 3 + 2 * count[home])
    return out


def write(root: Path, texts: dict[str, str]) -> Path:
    for name, text in texts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "SKILL.md").write_text(text, encoding="utf-8")
    return root

