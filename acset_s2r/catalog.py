"""The classic schemas, declared in code. ``schemas/*.json`` holds the same as files."""

from __future__ import annotations

from acset_s2r.schema import Schema

SchGraph = Schema.build("SchGraph", obs=["V", "E"], homs=[("src", "E", "V"), ("tgt", "E", "V")])

SchWeightedGraph = SchGraph.extend(
    "SchWeightedGraph", attrtypes=["Weight"], attrs=[("weight", "E", "Weight")]
)

SchSymmetricGraph = SchGraph.extend(
    "SchSymmetricGraph",
    homs=[("inv", "E", "E")],
    equations=[
        ("inv_src", ["inv", "src"], ["tgt"]),
        ("inv_tgt", ["inv", "tgt"], ["src"]),
        ("involution", ["inv", "inv"], []),
    ],
)

SchReflexiveGraph = SchGraph.extend(
    "SchReflexiveGraph",
    homs=[("refl", "V", "E")],
    equations=[("refl_src", ["refl", "src"], []), ("refl_tgt", ["refl", "tgt"], [])],
)

SchPetriNet = Schema.build(
    "SchPetriNet",
    obs=["T", "S", "I", "O"],
    homs=[("it", "I", "T"), ("is", "I", "S"), ("ot", "O", "T"), ("os", "O", "S")],
)

SchLabelledPetriNet = SchPetriNet.extend(
    "SchLabelledPetriNet",
    attrtypes=["Name"],
    attrs=[("tname", "T", "Name"), ("sname", "S", "Name")],
)

# The seed's schema, verbatim (sim2real-predictive-coding SKILL.md).
SEED_PRESENT = """\
@present SchSim2RealTransfer(FreeSchema) begin
  # Objects
  SimEnv::Ob
  RealEnv::Ob
  Policy::Ob
  Observation::Ob

  # Morphisms
  train::Hom(SimEnv, Policy)
  deploy::Hom(Policy, RealEnv)
  observe_sim::Hom(SimEnv, Observation)
  observe_real::Hom(RealEnv, Observation)

  # The transfer morphism (when it exists)
  transfer::Hom(Policy, Policy)  # Identity when successful

  # Attributes measuring success
  TransferGap::AttrType
  kl_gap::Attr(Policy, TransferGap)

  # Key constraint: transfer succeeds when
  # kl_gap(π) = KL(observe_real ∘ deploy || observe_sim ∘ train) < ε
end
"""

SchSim2RealTransfer = Schema.build(
    "SchSim2RealTransfer",
    obs=["SimEnv", "RealEnv", "Policy", "Observation"],
    homs=[
        ("train", "SimEnv", "Policy"),
        ("deploy", "Policy", "RealEnv"),
        ("observe_sim", "SimEnv", "Observation"),
        ("observe_real", "RealEnv", "Observation"),
        ("transfer", "Policy", "Policy"),
    ],
    attrtypes=["TransferGap"],
    attrs=[("kl_gap", "Policy", "TransferGap")],
)

BUILTIN_SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        SchGraph,
        SchWeightedGraph,
        SchSymmetricGraph,
        SchReflexiveGraph,
        SchPetriNet,
        SchLabelledPetriNet,
        SchSim2RealTransfer,
    )
}

# File name under schemas/ for each shipped schema.
SCHEMA_FILES = {
    "graph.json": SchGraph,
    "weighted_graph.json": SchWeightedGraph,
    "symmetric_graph.json": SchSymmetricGraph,
    "reflexive_graph.json": SchReflexiveGraph,
    "petri_net.json": SchPetriNet,
    "labelled_petri_net.json": SchLabelledPetriNet,
    "sim2real_transfer.json": SchSim2RealTransfer,
}
