"""attrs validators that raise the package's own errors, naming the class and field.

One place for the checks that value classes repeat (``attrs.validators.ge`` and ``in_``
raise ValueError; a user of this package catches :class:`~acset_s2r.errors.AcsetS2RError`).
Each factory takes the error class to raise, so a sim2real config raises
SimulationError and an estimator setting EstimatorError.
"""

from __future__ import annotations

import math
from typing import Any

from acset_s2r.errors import AcsetS2RError


def _where(instance: Any, attribute: Any) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def _number(value: Any) -> bool:
    # numpy scalars count; bools and strings do not
    return not isinstance(value, (bool, str, bytes)) and hasattr(value, "__float__")


def at_least(minimum: float, error: type[AcsetS2RError] = AcsetS2RError, integer: bool = False):
    """A validator: the value is a finite number >= ``minimum`` (a whole number if ``integer``)."""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if integer and (isinstance(value, bool) or not _number(value) or not float(value).is_integer()):
            raise error(f"{_where(instance, attribute)} must be a whole number, got {value!r}")
        if not _number(value) or not math.isfinite(float(value)) or not float(value) >= minimum:
            raise error(f"{_where(instance, attribute)} must be a finite number >= {minimum:g}, got {value!r}")

    return check


def within(low: float, high: float, error: type[AcsetS2RError] = AcsetS2RError, integer: bool = False, why: str = ""):
    """A validator: a finite number in [low, high] (a whole number if ``integer``); ``why`` the bound."""
    floor = at_least(low, error, integer)
    because = f" ({why})" if why else ""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        floor(instance, attribute, value)
        if not (int(value) if integer else float(value)) <= high:  # a float would round 2**63 - 1 up
            limit = int(high) if integer else f"{high:g}"
            raise error(f"{_where(instance, attribute)} must be at most {limit}{because}, got {value!r}")

    return check


def positive(error: type[AcsetS2RError] = AcsetS2RError):
    """A validator: the value is a finite number > 0."""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not _number(value) or not math.isfinite(float(value)) or not float(value) > 0:
            raise error(f"{_where(instance, attribute)} must be a finite number > 0, got {value!r}")

    return check


def between(low: float, high: float, error: type[AcsetS2RError] = AcsetS2RError):
    """A validator: the value is a number in [low, high]."""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if not _number(value) or not low <= float(value) <= high:
            raise error(f"{_where(instance, attribute)} must be in [{low:g}, {high:g}], got {value!r}")

    return check


def instance_of(kind: type | tuple[type, ...], error: type[AcsetS2RError] = AcsetS2RError, optional: bool = False):
    """A validator: the value is an instance of ``kind`` (or None when ``optional``)."""

    def check(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise error(f"{_where(instance, attribute)} must be a {names}, got {type(value).__name__}")

    return check
