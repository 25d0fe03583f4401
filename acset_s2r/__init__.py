"""acset_s2r: categorical databases (ACSets) for sim-to-real experiments.

The public API is flat: ``from acset_s2r import Schema, ACSet, homomorphisms, ...``;
every exception is in :mod:`acset_s2r.errors`. Engine layers, each importing only those
before it: errors, fileio -> schema -> catalog -> present (``@present`` parsing)
-> acset (columns, indexes) -> serialization (schema and instance JSON)
-> algebra (paths, homs, limits, migration, query, constraints) -> draw, strategies;
then the sim2real and gf3 applications -> cli.

The sim2real names (``run_experiment``, ``ExperimentConfig``, ...) are loaded on first
use, so that ``import acset_s2r`` does not import MuJoCo.
"""

from __future__ import annotations

import importlib
from typing import Any

from acset_s2r import errors
from acset_s2r import homs as _homs
from acset_s2r import paths as _paths
from acset_s2r.acset import ACSet, AttrSpec, induced_subgraph
from acset_s2r.catalog import (
    SchGraph,
    SchLabelledPetriNet,
    SchPetriNet,
    SchReflexiveGraph,
    SchSim2RealTransfer,
    SchSymmetricGraph,
    SchWeightedGraph,
)
from acset_s2r.constraints import Constraint, violations
from acset_s2r.draw import draw, to_dot, to_mermaid
from acset_s2r.errors import (
    AcsetS2RError,
    AttrTypeError,
    ConstraintError,
    EstimatorError,
    InstanceError,
    MigrationError,
    PathError,
    PresentSyntaxError,
    QueryError,
    RewriteError,
    SchemaError,
    SerializationError,
    SimulationError,
    SkillParseError,
    TransformationError,
)
from acset_s2r.gf3 import Trit, audit_skills, is_balanced, load_skills
from acset_s2r.homs import (
    ACSetTransformation,
    CSetTransformation,
    count_homomorphisms,
    homomorphism,
    homomorphisms,
    identity,
    is_epic,
    is_iso,
    is_isomorphic,
    is_cartesian,
    is_monic,
    naturality_failures,
    type_components,
)
from acset_s2r.limits import (
    coequalizer,
    coproduct,
    equalizer,
    initial,
    product,
    pullback,
    pushout,
    terminal,
)
from acset_s2r.literals import acset, acset_transformation, acset_transformations, parse_acset
from acset_s2r.subobjects import Subobject, image, implies, negate, non, preimage, subtract
from acset_s2r.canonical import (
    automorphism_generators,
    automorphisms,
    canonical_form,
    canonical_hash,
    canonical_labelling,
)
from acset_s2r.diagrams import Diagram, colimit, limit
from acset_s2r.elements import SchElements, draw_elements, elements, elements_graph, inverse_elements
from acset_s2r.open_acsets import OpenACSet, braid, compose_open, open_identity, otimes
from acset_s2r.rewrite import (
    Rewrite,
    Rule,
    can_apply,
    matches,
    rewrite,
    rewrite_match,
    rewrite_match_maps,
    rewrite_parallel,
)
from acset_s2r.migration import SchemaFunctor, delta, migrate_into, pi, restrict, sigma
from acset_s2r.parquet import read_parquet, write_parquet
from acset_s2r.paths import Converse, Path, check_equations, evaluate, relation
from acset_s2r.present import parse_present
from acset_s2r.conjunctive import Const, query
from acset_s2r.querydsl import From, Where
from acset_s2r.schema import Attr, Equation, Hom, Schema
from acset_s2r.serialization import (
    AttrVar,
    acset_from_json,
    acset_to_json,
    read_json,
    read_schema_json,
    schema_from_json,
    schema_to_json,
    write_json,
    write_schema_json,
)
from acset_s2r.sql_engine import sql

__version__ = "0.1.0"


def compose(*args: Any, **kwargs: Any) -> Any:
    """Compose ACSet transformations, or schema paths: one name, as in Catlab.

    ``compose(f, g)`` of :class:`ACSetTransformation` s is ``f`` then ``g``
    (:func:`acset_s2r.homs.compose`); anything else is a path composite
    (:func:`acset_s2r.paths.compose`, e.g. ``compose(Converse("train"), "observe_sim")``).

    Examples
    --------
    >>> from acset_s2r import ACSet, Converse, SchGraph, compose, identity
    >>> G = ACSet(SchGraph); _ = G.add_parts("V", 1)
    >>> compose(identity(G), identity(G))["V"]
    array([0])
    >>> print(compose(Converse("src"), "tgt", schema=SchGraph))
    src⁻¹ ⋅ tgt : V -> V
    """
    if args and all(isinstance(a, ACSetTransformation) for a in args):
        return _homs.compose(*args, **kwargs)
    return _paths.compose(*args, **kwargs)


_SIM2REAL = {
    "ExperimentConfig": "acset_s2r.sim2real.config",
    "PolicySpec": "acset_s2r.sim2real.config",
    "default_config": "acset_s2r.sim2real.config",
    "run_experiment": "acset_s2r.sim2real.experiment",
    "SchSim2RealTrajectory": "acset_s2r.sim2real.schema",
    "diagnose_transfer_failure": "acset_s2r.sim2real.diagnosis",
    "verify_transfer_success": "acset_s2r.sim2real.verification",
}


def __getattr__(name: str) -> Any:
    # sim2real loads on first use, so that importing the package does not import MuJoCo
    if name == "sim2real":
        return importlib.import_module("acset_s2r.sim2real")
    module = _SIM2REAL.get(name)
    if module is None:
        raise AttributeError(f"module 'acset_s2r' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "ACSet", "ACSetTransformation", "AcsetS2RError", "Attr", "AttrSpec", "AttrTypeError", "AttrVar",
    "Const", "Constraint", "ConstraintError", "Converse", "Equation", "EstimatorError", "Hom",
    "InstanceError", "MigrationError", "Path", "PathError", "PresentSyntaxError", "QueryError",
    "SchGraph", "SchLabelledPetriNet", "SchPetriNet", "SchReflexiveGraph", "SchSim2RealTransfer",
    "SchSymmetricGraph", "SchWeightedGraph", "Schema", "SchemaError", "SchemaFunctor",
    "SerializationError", "SimulationError", "SkillParseError", "TransformationError", "Trit",
    "acset_from_json", "acset_to_json", "audit_skills", "check_equations", "coequalizer", "compose",
    "coproduct", "count_homomorphisms", "delta", "draw", "equalizer", "errors", "evaluate",
    "homomorphism", "homomorphisms", "identity", "initial", "is_balanced", "is_epic", "is_iso",
    "is_isomorphic", "is_monic", "load_skills", "parse_present", "pi", "product", "pullback",
    "pushout", "query", "read_json", "read_parquet", "read_schema_json", "relation", "restrict", "schema_from_json",
    "schema_to_json", "sigma", "sql", "terminal", "to_dot", "to_mermaid", "violations", "write_json",
    "write_parquet", "write_schema_json",
    "acset", "acset_transformation", "acset_transformations", "parse_acset",
    "Subobject", "image", "implies", "negate", "non", "preimage", "subtract",
    "Rewrite", "RewriteError", "Rule", "can_apply", "matches", "rewrite", "rewrite_match",
    "rewrite_match_maps", "rewrite_parallel",
    "Diagram", "colimit", "limit",
    "OpenACSet", "braid", "compose_open", "open_identity", "otimes",
    "automorphism_generators", "automorphisms", "canonical_form", "canonical_hash", "canonical_labelling",
    "SchElements", "draw_elements", "elements", "elements_graph", "inverse_elements",
    "type_components", "From", "Where", "CSetTransformation", "is_cartesian", "naturality_failures",
    "induced_subgraph", "migrate_into",
    *_SIM2REAL,
]
