"""Writing events to a data product: validated against the contract, batched, durable on flush."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from streammesh.catalog.lifecycle import WRITABLE
from streammesh.catalog.models import Product
from streammesh.exceptions import ConflictError, ValidationError
from streammesh.log.base import BaseLog, Headers, OutgoingRecord, RecordPosition
from streammesh.schemas import Issue, RecordInvalidError, load_schema
from streammesh.schemas.serde import JsonSerde, encode_key

__all__ = ["Producer", "event_time_ms", "key_of"]

_CHUNK = 5000


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


def event_time_ms(value: Any, field: str | None) -> int | None:
    """The event time declared by ``timestamp_field``: ISO-8601 text or epoch (ms, or s if small)."""
    if not field or not isinstance(value, dict) or value.get(field) is None:
        return None
    raw = value[field]
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return int(raw if raw > 100_000_000_000 else raw * 1000)
    try:
        return int(datetime.fromisoformat(str(raw).replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError:
        raise ValidationError(f"timestamp field {field!r} holds {raw!r}, not an ISO-8601 time or epoch number",
                              hint="write e.g. 2026-11-22T10:15:00Z") from None


class Producer:
    """Sends events to one product. Values are checked against its schema before they are accepted.

    ``send`` buffers; ``flush`` (also called every ``linger`` events and on close) appends the
    buffer to the log and returns once it is durable: that is the acknowledgement.

    Example:
        >>> with mesh.producer("sales.orders") as p:        # doctest: +SKIP
        ...     p.send("O-1", {"order_id": "O-1", "total": 12.5})
    """

    def __init__(self, log: BaseLog, product: Product, *, linger: int = 1000) -> None:
        if product.status not in WRITABLE:
            verb = "is retired and accepts no writes" if product.status == "retired" else "is not published yet"
            hint = ("write to its replacement" if product.status == "retired"
                    else "publish it first: streammesh products publish <contract file>")
            raise ConflictError(f"{product.name} {verb}", hint=hint)
        self.product = product
        self._log = log
        self._schema = load_schema(product.contract.schema_)
        self._key_fields = product.contract.key
        self._ts_field = product.contract.timestamp_field
        self._linger = max(1, linger)
        self._buffer: list[OutgoingRecord] = []
        self.sent = 0

    def check(self, value: Any) -> list[Issue]:
        """Why ``value`` would be refused (empty when it fits the schema)."""
        return self._schema.validate(value)

    def _record(self, key: Any, value: Any, headers: Headers | dict[str, Any] | None, timestamp: int | None,
                index: int | None = None) -> OutgoingRecord:
        issues = self._schema.validate(value)
        if issues:
            raise RecordInvalidError(self.product.name, issues, index=index)
        if key is None:
            key = key_of(value, self._key_fields)
        if isinstance(headers, dict):
            headers = tuple((k, v if isinstance(v, bytes) else str(v).encode()) for k, v in headers.items())
        return OutgoingRecord(value=JsonSerde.encode(value), key=encode_key(key), headers=headers or (),
                              timestamp=timestamp if timestamp is not None else event_time_ms(value, self._ts_field))

    def send(self, key: Any, value: Any, *, headers: Headers | dict[str, Any] | None = None,
             timestamp: int | None = None) -> None:
        """Queue one event. ``key=None`` takes the key from the contract's key fields.

        Raises:
            RecordInvalidError: the value does not fit the schema (nothing is queued).
        """
        self._buffer.append(self._record(key, value, headers, timestamp))
        if len(self._buffer) >= self._linger:
            self.flush()

    def send_many(self, items: Iterable[Any], *, progress: Callable[[int], None] | None = None) -> int:
        """Validate and append many events; each item is a value or a ``(key, value)`` pair.

        Items are validated and appended in chunks of 5,000: a chunk is written only when all of it
        is valid, so an error leaves earlier chunks appended and nothing of the failing chunk.

        Returns:
            how many events were appended.

        Raises:
            RecordInvalidError: item ``index`` does not fit; ``appended`` says how many went before it.
        """
        self.flush()
        chunk: list[OutgoingRecord] = []
        done = 0
        for i, item in enumerate(items):
            key, value = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
            try:
                chunk.append(self._record(key, value, None, None, index=i))
            except RecordInvalidError as e:
                e.appended = done  # type: ignore[attr-defined]
                e.message += f" ({done} events before it were appended)"
                raise
            if len(chunk) >= _CHUNK:
                done += self._append(chunk)
                chunk = []
                if progress:
                    progress(done)
        if chunk:
            done += self._append(chunk)
            if progress:
                progress(done)
        return done

    def _append(self, records: list[OutgoingRecord]) -> int:
        self._log.append(self.product.stream, records)
        self.sent += len(records)
        return len(records)

    def flush(self) -> Sequence[RecordPosition]:
        """Append everything queued and return where each event landed, once durable."""
        if not self._buffer:
            return []
        records, self._buffer = self._buffer, []
        positions = self._log.append(self.product.stream, records)
        self.sent += len(records)
        return positions

    def close(self) -> None:
        self.flush()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
