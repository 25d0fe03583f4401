"""acset_s2r: categorical databases (ACSets) for sim-to-real experiments."""

from acset_s2r.errors import (
    AcsetS2RError,
    AttrTypeError,
    InstanceError,
    PathError,
    PresentSyntaxError,
    SchemaError,
    SerializationError,
)

__version__ = "0.1.0"
