"""Writing events to a data product: validated against the contract, encoded in the Confluent wire
format with the product's registered schema, batched, durable on flush."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any, Self

import orjson

from streammesh.catalog.lifecycle import WRITABLE
from streammesh.catalog.streams import dead_letter_stream
from streammesh.exceptions import ConflictError
from streammesh.log.base import BaseLog, Headers, OutgoingRecord, RecordPosition, TopicSpec
from streammesh.model.catalog import Product
from streammesh.schemas import Issue, RecordInvalidError, load_schema
from streammesh.schemas.codecs import Serializer
from streammesh.schemas.keys import event_time_ms, key_extractor
from streammesh.schemas.registry import SchemaRegistry
from streammesh.schemas.rules import check_rules
from streammesh.schemas.serde import encode_key

__all__ = ["Producer"]

_CHUNK = 5000


def _headers(headers: Headers | dict[str, Any] | None) -> Headers:
    if isinstance(headers, dict):
        return tuple((k, v if isinstance(v, bytes) else str(v).encode()) for k, v in headers.items())
    return headers or ()


class Producer:
    """Sends events to one product. Values are checked against its schema and field rules first.

    ``send`` buffers; ``flush`` (also called every ``linger`` events and on close) appends the
    buffer to the log and returns once it is durable: that is the acknowledgement. An invalid
    event is refused with its field path and reason, or, when the contract says
    ``on_invalid: dead-letter``, appended to the product's dead-letter stream (``<stream>.dlq``)
    with headers saying why; ``dead_lettered`` counts those. Valid events are never dropped.

    Example:
        >>> with mesh.producer("sales.orders") as p:        # doctest: +SKIP
        ...     p.send("O-1", {"order_id": "O-1", "total": 12.5})
    """

    def __init__(self, log: BaseLog, product: Product, registry: SchemaRegistry, *, linger: int = 1000) -> None:
        if product.status not in WRITABLE:
            verb = "is retired and accepts no writes" if product.status == "retired" else "is not published yet"
            hint = (
                "write to its replacement"
                if product.status == "retired"
                else "publish it first: streammesh products publish <contract file>"
            )
            raise ConflictError(f"{product.name} {verb}", hint=hint)
        contract = product.contract
        self.product = product
        self._log = log
        self._schema = load_schema(contract.schema_)
        registered = registry.register_contract_schema(product)
        self.schema_id = registered.schema.id
        self._serializer = Serializer(self.schema_id, self._schema)
        self._rules = contract.rules
        self._key_of = key_extractor(contract.key)
        self._ts_field = contract.timestamp_field
        self._linger = max(1, linger)
        self._buffer: list[OutgoingRecord] = []
        self._dead: list[OutgoingRecord] = []
        self.dead_letter = dead_letter_stream(product.stream) if contract.on_invalid == "dead-letter" else None
        if self.dead_letter:
            log.create_topic(TopicSpec(self.dead_letter, partitions=1))
        self.sent = 0
        self.dead_lettered = 0

    def check(self, value: Any) -> list[Issue]:
        """Why ``value`` would be refused (empty when it fits the schema and the field rules)."""
        issues = self._schema.validate(value)
        return issues + check_rules(value, self._rules) if self._rules else issues

    def _record(
        self,
        key: Any,
        value: Any,
        headers: Headers | dict[str, Any] | None,
        timestamp: int | None,
        index: int | None = None,
    ) -> OutgoingRecord | None:
        issues = self.check(value)
        if issues:
            if self.dead_letter is None:
                raise RecordInvalidError(self.product.name, issues, index=index)
            self._dead.append(self._dead_record(key, value, issues, index))
            return None
        if key is None:
            key = self._key_of(value)
        return OutgoingRecord(
            value=self._serializer.serialize(value),
            key=encode_key(key),
            headers=_headers(headers),
            timestamp=timestamp if timestamp is not None else event_time_ms(value, self._ts_field),
        )

    def _dead_record(self, key: Any, value: Any, issues: list[Issue], index: int | None) -> OutgoingRecord:
        try:
            raw = orjson.dumps(value)
        except TypeError:
            raw = repr(value).encode()
        reason = "; ".join(str(i) for i in issues)
        return OutgoingRecord(
            value=raw,
            key=encode_key(key if key is not None else self._key_of(value)),
            headers=(
                ("dlq.reason", reason.encode()),
                ("dlq.product", self.product.name.encode()),
                ("dlq.source.offset", str(index if index is not None else self.sent).encode()),
                ("dlq.schema.id", str(self.schema_id).encode()),
                ("dlq.time", str(int(time.time() * 1000)).encode()),
            ),
        )

    def send(
        self, key: Any, value: Any, *, headers: Headers | dict[str, Any] | None = None, timestamp: int | None = None
    ) -> None:
        """Queue one event. ``key=None`` takes the key from the contract's key fields.

        Raises:
            RecordInvalidError: the value breaks the schema or a rule and the contract rejects
                invalid events (nothing is queued).
        """
        record = self._record(key, value, headers, timestamp)
        if record is not None:
            self._buffer.append(record)
        if len(self._buffer) + len(self._dead) >= self._linger:
            self.flush()

    def send_many(self, items: Iterable[Any], *, progress: Callable[[int], None] | None = None) -> int:
        """Validate and append many events; each item is a value or a ``(key, value)`` pair.

        Items are validated and appended in chunks of 5,000: a chunk is written only when all of it
        is valid (or its invalid events are dead-lettered), so an error leaves earlier chunks
        appended and nothing of the failing chunk.

        Returns:
            how many valid events were appended.

        Raises:
            RecordInvalidError: item ``index`` is invalid; ``appended`` says how many went before it.
        """
        self.flush()
        chunk: list[OutgoingRecord] = []
        done = 0
        for i, item in enumerate(items):
            key, value = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
            try:
                record = self._record(key, value, None, None, index=i)
            except RecordInvalidError as e:
                e.appended = done  # type: ignore[attr-defined]
                e.message += f" ({done} events before it were appended)"
                raise
            if record is not None:
                chunk.append(record)
            if len(chunk) >= _CHUNK:
                done += self._append(chunk)
                chunk = []
                if progress:
                    progress(done)
        if chunk:
            done += self._append(chunk)
        self._flush_dead()
        if progress:
            progress(done)
        return done

    def _append(self, records: list[OutgoingRecord]) -> int:
        self._log.append(self.product.stream, records)
        self.sent += len(records)
        return len(records)

    def _flush_dead(self) -> None:
        if self._dead and self.dead_letter:
            dead, self._dead = self._dead, []
            self._log.append(self.dead_letter, dead)
            self.dead_lettered += len(dead)

    def flush(self) -> Sequence[RecordPosition]:
        """Append everything queued and return where each valid event landed, once durable."""
        self._flush_dead()
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
