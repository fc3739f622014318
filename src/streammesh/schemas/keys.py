"""Record keys and event times taken from a value by a contract's ``key`` and ``timestamp_field``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from streammesh.exceptions import ValidationError

__all__ = ["event_time_ms", "key_extractor", "key_of"]


def key_of(value: Any, key_fields: list[str]) -> Any:
    """The record key taken from the contract's key fields: one field gives its value, several a list."""
    if not key_fields or not isinstance(value, dict):
        return None
    parts = []
    for path in key_fields:
        node: Any = value
        for step in path.split("."):
            node = node.get(step) if isinstance(node, dict) else None
        parts.append(node)
    return parts[0] if len(parts) == 1 else parts


def key_extractor(key_fields: list[str]) -> Callable[[Any], Any]:
    """A function giving :func:`key_of` for these key fields; a single top-level field (the usual
    case) is one dict lookup, which matters on the produce hot path."""
    if len(key_fields) == 1 and "." not in key_fields[0]:
        field = key_fields[0]
        return lambda value: value.get(field) if isinstance(value, dict) else None
    return lambda value: key_of(value, key_fields)


def event_time_ms(value: Any, field: str | None) -> int | None:
    """The event time declared by ``timestamp_field``: ISO-8601 text, a datetime or epoch (ms, or s if small)."""
    if not field or not isinstance(value, dict) or value.get(field) is None:
        return None
    raw = value[field]
    if isinstance(raw, datetime):
        return int(raw.timestamp() * 1000)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return int(raw if raw > 100_000_000_000 else raw * 1000)
    try:
        return int(datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise ValidationError(
            f"timestamp field {field!r} holds {raw!r}, not an ISO-8601 time or epoch number",
            hint="write e.g. 2026-11-22T10:15:00Z",
        ) from None
