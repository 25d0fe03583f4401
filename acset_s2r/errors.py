"""The library's exception hierarchy.

Every error a user can provoke with bad input is one of these, so callers can
catch ``AcsetS2RError`` and nothing deeper. Messages name what is wrong and where.
"""

from __future__ import annotations


class AcsetS2RError(Exception):
    """Base class of every error raised on purpose by acset_s2r."""


class SchemaError(AcsetS2RError, ValueError):
    """An ill-formed schema: duplicate names, dangling endpoints, bad equations."""


class PresentSyntaxError(SchemaError):
    """A Catlab ``@present`` block that is not a C-set schema."""

    def __init__(self, message: str, line: int | None = None, text: str | None = None):
        self.line = line
        self.text = text
        where = f"line {line}: " if line is not None else ""
        shown = f"\n    {text.strip()}" if text else ""
        super().__init__(f"{where}{message}{shown}")


class PathError(SchemaError, TypeError):
    """An ill-typed composite of homs, attributes or converses."""


class InstanceError(AcsetS2RError, ValueError):
    """Bad data for an ACSet: dangling foreign keys, unknown parts or names."""


class AttrTypeError(InstanceError, TypeError):
    """A value that does not fit its attribute type."""


class SerializationError(AcsetS2RError, ValueError):
    """A malformed or inconsistent JSON file; the message names table, row and column."""


class TransformationError(AcsetS2RError, ValueError):
    """A map of ACSets that is not natural or does not preserve attributes."""


class MigrationError(AcsetS2RError, ValueError):
    """A schema functor that is not a functor, or a migration that cannot be computed."""


class QueryError(AcsetS2RError, ValueError):
    """A malformed conjunctive query: unknown names, or a variable used at two types."""


class ConstraintError(AcsetS2RError, ValueError):
    """A symbolic constraint that does not compile against a schema."""


class SimulationError(AcsetS2RError, RuntimeError):
    """A MuJoCo simulation that diverged (NaN, warnings) or was configured badly."""


class EstimatorError(AcsetS2RError, ValueError):
    """Samples that an estimator cannot work with (too few, wrong shape, non-finite)."""


class SkillParseError(AcsetS2RError, ValueError):
    """A SKILL.md file or line that cannot be parsed."""


class TritError(SkillParseError, TypeError):
    """A value that is not a trit: not an int (a float, a string), or a bool."""


class RewriteError(TransformationError):
    """A rewrite rule that is ill-formed, or a match it cannot be applied at (the part is named)."""
