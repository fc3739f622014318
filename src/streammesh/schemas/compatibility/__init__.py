"""Schema compatibility checking with the meaning it has in Confluent Schema Registry.

``check_compatibility(new, previous, level)`` answers whether a candidate schema may be registered after
``previous`` (oldest first) under a compatibility level, and explains every incompatibility with a field
path, the old and new types, a stable rule id and a fix. The per-format pair checks
(``can_read(reader, writer)``) live in :mod:`.avro`, :mod:`.json_schema` and :mod:`.protobuf`.

Example:
    >>> from streammesh.contracts.model import SchemaSpec
    >>> from streammesh.schemas import load_schema
    >>> v1 = load_schema(SchemaSpec(format="avro", definition={...}))
    >>> result = check_compatibility(v2, [v1], "BACKWARD")
    >>> print(result)
"""

from __future__ import annotations

from streammesh.schemas.compatibility.modes import (
    COMPATIBILITY_LEVELS,
    DEFAULT_LEVEL,
    PAIR_CHECKERS,
    CompatibilityLevel,
    PairChecker,
    can_read,
    check_compatibility,
    check_pair,
    normalize_level,
)
from streammesh.schemas.compatibility.result import CompatibilityResult, Direction, Incompatibility

__all__ = [
    "COMPATIBILITY_LEVELS",
    "DEFAULT_LEVEL",
    "PAIR_CHECKERS",
    "CompatibilityLevel",
    "CompatibilityResult",
    "Direction",
    "Incompatibility",
    "PairChecker",
    "can_read",
    "check_compatibility",
    "check_pair",
    "normalize_level",
]
