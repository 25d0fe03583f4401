"""acset_s2r: categorical databases (ACSets) for sim-to-real experiments.

The public API is flat: ``from acset_s2r import Schema, ACSet, read_json, ...``.
Layers, each using only those before it: schema -> acset (columns, indexes)
-> serialization -> algebra (paths, homs, limits, migration, queries)
-> sim2real and gf3 applications -> cli.
"""

from acset_s2r.acset import ACSet, AttrSpec
from acset_s2r.catalog import (
    SchGraph,
    SchLabelledPetriNet,
    SchPetriNet,
    SchReflexiveGraph,
    SchSim2RealTransfer,
    SchSymmetricGraph,
    SchWeightedGraph,
)
from acset_s2r.errors import (
    AcsetS2RError,
    AttrTypeError,
    InstanceError,
    PathError,
    PresentSyntaxError,
    SchemaError,
    SerializationError,
)
from acset_s2r.schema import Attr, Equation, Hom, Schema
from acset_s2r.serialization import (
    AttrVar,
    acset_from_json,
    acset_to_json,
    read_json,
    write_json,
)

__version__ = "0.1.0"
