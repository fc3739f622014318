"""Times in the catalog database: always stored as UTC, always handed back zone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

__all__ = ["aware", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware(value: datetime) -> datetime: ...
@overload
def aware(value: None) -> None: ...
def aware(value: datetime | None) -> datetime | None:
    """Everything stored is UTC: SQLite hands it back without a zone, PostgreSQL in the session's
    time zone; either way callers get UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
