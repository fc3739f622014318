"""Topic names and the per-topic ``topic.json`` that records a topic's layout.

A topic is a directory ``<root>/topics/<name>/`` holding ``topic.json`` and one directory per
partition. Creation builds everything in a scratch directory and renames it into place, so other
processes see either no topic or a complete one; names follow Kafka's rules so that moving the
mesh to a Kafka cluster never needs renaming.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from streammesh.exceptions import ValidationError
from streammesh.log.base.exceptions import LogError, TopicNotFoundError
from streammesh.log.base.records import TopicSpec

__all__ = [
    "DEFAULT_INDEX_INTERVAL",
    "DEFAULT_SEGMENT_BYTES",
    "MAX_TOPIC_NAME",
    "InvalidTopicError",
    "config_int",
    "read_spec",
    "spec_to_json",
    "unknown_topic",
    "validate_topic_name",
    "write_spec",
]

MAX_TOPIC_NAME = 249
_LEGAL = re.compile(r"[A-Za-z0-9._-]+")
DEFAULT_SEGMENT_BYTES = 256 * 1024 * 1024
DEFAULT_INDEX_INTERVAL = 4096
SPEC_FILE = "topic.json"


class InvalidTopicError(LogError, ValidationError):
    """The topic name breaks Kafka's naming rules; the message names the rule and the fix."""


def validate_topic_name(name: str) -> str:
    """Return ``name`` if it is a legal Kafka topic name.

    Raises:
        InvalidTopicError: empty, ``.``/``..``, longer than 249 characters, or a character outside
            ``[A-Za-z0-9._-]``.
    """
    if not isinstance(name, str) or not name:
        raise InvalidTopicError(f"topic name must be a non-empty string, got {name!r}")
    if name in (".", ".."):
        raise InvalidTopicError(f"topic name cannot be {name!r}")
    if len(name) > MAX_TOPIC_NAME:
        raise InvalidTopicError(
            f"topic name is {len(name)} characters long; the limit is {MAX_TOPIC_NAME}: {name[:40]}..."
        )
    if not _LEGAL.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL.fullmatch(c)})
        raise InvalidTopicError(
            f"topic name {name!r} contains {''.join(bad)!r}; allowed are letters, digits, '.', '_' and '-'",
            hint="e.g. use 'sales.orders' instead of 'sales/orders'",
        )
    return name


def spec_to_json(spec: TopicSpec) -> dict:
    """The JSON-able form of ``spec``."""
    return {
        "name": spec.name,
        "partitions": spec.partitions,
        "retention_ms": spec.retention_ms,
        "compacted": spec.compacted,
        "config": dict(spec.config),
        "format": 1,
    }


def write_spec(directory: Path, spec: TopicSpec) -> None:
    """Write ``topic.json`` into a (not yet published) topic directory."""
    (directory / SPEC_FILE).write_text(json.dumps(spec_to_json(spec), indent=2, sort_keys=True))


def read_spec(directory: Path) -> TopicSpec:
    """Read ``topic.json``.

    Raises:
        FileNotFoundError: the topic does not exist.
    """
    data = json.loads((directory / SPEC_FILE).read_text())
    return TopicSpec(
        name=data["name"],
        partitions=int(data["partitions"]),
        retention_ms=data.get("retention_ms"),
        compacted=bool(data.get("compacted", False)),
        config=dict(data.get("config") or {}),
    )


def config_int(spec: TopicSpec, key: str, default: int) -> int:
    """An integer topic config value such as ``segment.bytes`` (Kafka's names).

    Raises:
        LogError: the value is not a positive integer.
    """
    raw = spec.config.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise LogError(f"topic {spec.name!r}: config {key} must be a positive integer, got {raw!r}")
    return value


def unknown_topic(name: str, topics_dir: Path) -> TopicNotFoundError:
    """A not-found error that lists the existing topics and says how topics come to exist."""
    try:
        existing = sorted(n for n in os.listdir(topics_dir) if (topics_dir / n / SPEC_FILE).exists())
    except FileNotFoundError:
        existing = []
    known = ", ".join(existing[:20]) + (", ..." if len(existing) > 20 else "") if existing else "none yet"
    return TopicNotFoundError(
        f"unknown topic {name!r}; existing topics: {known}",
        hint="publish the data product first (publishing creates its stream), or check the name",
    )
