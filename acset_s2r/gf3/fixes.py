"""GF(3) arithmetic behind the audit's fix suggestions.

A group ``Σ wᵢ·tᵢ`` that is not 0 is balanced again by changing one member: member j
alone must take ``tⱼ' = balancing_trit(others) · wⱼ⁻¹``, which exists when ``wⱼ`` is not
a multiple of 3 (every nonzero element of GF(3) is its own inverse). Or one member with
trit ``balancing_trit(group)`` can be added.
"""

from __future__ import annotations

from collections.abc import Sequence

from acset_s2r.gf3.trit import Trit, balancing_trit

__all__ = ["member_balancing_trits"]


def member_balancing_trits(trits: Sequence[Trit | int], weights: Sequence[int] | None = None) -> list[Trit | None]:
    """For each member, the trit that balances the group when that member alone takes it.

    None for a member whose weight is a multiple of 3: no trit of its changes the sum.

    Examples
    --------
    >>> member_balancing_trits([1, 1, 0])
    [Trit(-1), Trit(-1), Trit(+1)]
    >>> member_balancing_trits([1, 1], weights=[3, 2])
    [None, Trit(0)]
    """
    weights = [1] * len(trits) if weights is None else list(weights)
    if len(weights) != len(trits):
        raise ValueError(f"{len(trits)} trits but {len(weights)} weights")
    terms = [Trit(t) * w for t, w in zip(trits, weights)]
    out: list[Trit | None] = []
    for j, w in enumerate(weights):
        if Trit(w).value == 0:
            out.append(None)
            continue
        others = terms[:j] + terms[j + 1:]
        out.append(balancing_trit(others) * Trit(w).inverse())
    return out
