"""Compatibility levels with the meaning they have in Confluent Schema Registry, built on pair checks.

Every level reduces to one question asked of a reader and a writer schema: can a consumer decoding with
the reader read data written with the writer? ``BACKWARD`` asks it with the new schema as reader and an
old one as writer; ``FORWARD`` the other way round; ``FULL`` both. Plain levels compare with the latest
previous schema only; ``*_TRANSITIVE`` levels with every previous schema, because a topic retains data
written with all of them (and streammesh retains forever by default).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeGuard

from streammesh.schemas.base import Schema
from streammesh.schemas.compatibility import avro, json_schema, protobuf
from streammesh.schemas.compatibility.result import (
    CompatibilityResult,
    Direction,
    Incompatibility,
    with_version,
)

__all__ = [
    "COMPATIBILITY_LEVELS",
    "DEFAULT_LEVEL",
    "PAIR_CHECKERS",
    "CompatibilityLevel",
    "PairChecker",
    "can_read",
    "check_compatibility",
    "check_pair",
    "normalize_level",
]

CompatibilityLevel = Literal[
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"
]
COMPATIBILITY_LEVELS: tuple[CompatibilityLevel, ...] = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
DEFAULT_LEVEL: CompatibilityLevel = "BACKWARD"

PairChecker = Callable[..., list[Incompatibility]]
PAIR_CHECKERS: dict[str, PairChecker] = {
    "avro": avro.can_read,
    "json-schema": json_schema.can_read,
    "protobuf": protobuf.can_read,
}
"""Schema format name (as in :data:`streammesh.plugins.schema_formats`) -> its ``can_read(reader, writer)``."""

_DIRECTIONS: dict[str, tuple[Direction, ...]] = {
    "BACKWARD": ("backward",),
    "FORWARD": ("forward",),
    "FULL": ("backward", "forward"),
}


def normalize_level(level: str) -> CompatibilityLevel:
    """``"backward_transitive"`` -> ``"BACKWARD_TRANSITIVE"``.

    Raises:
        ValueError: not a level; the message lists the valid ones.
    """
    name = str(level).strip().upper().replace("-", "_")
    if not _is_level(name):
        raise ValueError(f"unknown compatibility level {level!r}; valid: {', '.join(COMPATIBILITY_LEVELS)}")
    return name


def _is_level(name: str) -> TypeGuard[CompatibilityLevel]:
    return name in COMPATIBILITY_LEVELS


def can_read(reader: Schema, writer: Schema, *, direction: Direction = "backward") -> list[Incompatibility]:
    """Why a consumer using ``reader`` could not read data written with ``writer``, for any format.

    Raises:
        ValueError: the format has no compatibility rules registered in :data:`PAIR_CHECKERS`.
    """
    if reader.format != writer.format:
        old, new = (writer.format, reader.format) if direction == "backward" else (reader.format, writer.format)
        msg = (
            f"the schema format changed from {old} to {new}: consumers cannot read one format with the other; "
            "publish the new format as a new major version (a new stream)"
        )
        return [Incompatibility("$", old, new, "schema.format-changed", msg, direction)]
    checker = PAIR_CHECKERS.get(reader.format)
    if checker is None:
        raise ValueError(
            f"no compatibility rules for schema format {reader.format!r}; supported: {', '.join(PAIR_CHECKERS)}"
        )
    return checker(reader, writer, direction=direction)


def check_pair(new: Schema, old: Schema, direction: Direction) -> list[Incompatibility]:
    """One mode step: ``backward`` is ``can_read(new, old)``, ``forward`` is ``can_read(old, new)``."""
    if direction == "backward":
        return can_read(new, old, direction="backward")
    return can_read(old, new, direction="forward")


def check_compatibility(new: Schema, previous: Sequence[Schema], level: str = DEFAULT_LEVEL) -> CompatibilityResult:
    """Check a candidate schema against the registered ones, as the schema registry does before registering.

    Args:
        new: the candidate schema.
        previous: the schemas already registered for the subject, oldest first.
        level: one of :data:`COMPATIBILITY_LEVELS` (case-insensitive).

    Returns:
        The verdict with every incompatibility, each stamped with the index of the previous schema it
        failed against; an empty ``previous`` or ``NONE`` is always compatible.

    Raises:
        ValueError: unknown level (the message lists the valid ones).

    Example:
        >>> result = check_compatibility(v3, [v1, v2], "BACKWARD_TRANSITIVE")
        >>> result.compatible, [str(i) for i in result.issues]
    """
    name = normalize_level(level)
    if name == "NONE" or not previous:
        return CompatibilityResult(True, [])
    base, _, transitive = name.partition("_")
    indexes = range(len(previous)) if transitive else [len(previous) - 1]
    issues: list[Incompatibility] = []
    seen: set[tuple[str, str, int, str | None, str | None]] = set()
    for index in reversed(indexes):  # newest first: the most relevant failure leads
        for direction in _DIRECTIONS[base]:
            for issue in with_version(check_pair(new, previous[index], direction), index):
                key = (issue.path, issue.rule, index, issue.old, issue.new)
                if key not in seen:  # FULL sees one change (int -> string) from both sides: report it once
                    seen.add(key)
                    issues.append(issue)
    return CompatibilityResult(not issues, issues)
