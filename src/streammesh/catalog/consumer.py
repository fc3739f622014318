"""Reading a data product: replay from the beginning or follow live, alone or in a group,
taking only the fields you need."""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from streammesh.exceptions import StreammeshError, ValidationError
from streammesh.log.base import BaseLog, BaseLogConsumer, GroupError, Record
from streammesh.model.catalog import Product
from streammesh.schemas import load_schema
from streammesh.schemas.decoding import value_decoder
from streammesh.schemas.registry import SchemaRegistry
from streammesh.schemas.serde import decode_key

__all__ = ["Consumer", "Event", "ProductDeprecatedWarning"]


class ProductDeprecatedWarning(UserWarning):
    """The product being read is deprecated (or retired); move to its replacement before the sunset."""


@dataclass(slots=True)
class Event:
    """One decoded event of a product."""

    key: str | None
    value: Any
    partition: int
    offset: int
    timestamp: int  # ms since the epoch
    headers: dict[str, bytes]

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp / 1000, UTC)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "value": self.value,
            "partition": self.partition,
            "offset": self.offset,
            "timestamp": self.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }


def _projector(fields: Sequence[str]) -> Any:
    paths = [(f, f.split(".")) for f in fields]

    def project(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for name, steps in paths:
            node: Any = value
            for step in steps:
                node = node.get(step) if isinstance(node, dict) else None
            out[name] = node
        return out

    return project


def deprecation_notice(product: Product) -> str | None:
    """The warning a reader of a deprecated or retired product should see, if any."""
    if product.status not in {"deprecated", "retired"}:
        return None
    dep = product.contract.deprecation
    text = f"{product.name} is {product.status}"
    if dep and dep.sunset and product.status == "deprecated":
        text += f" (sunset {dep.sunset})"
    if dep and dep.replacement:
        text += f"; use {dep.replacement} instead"
    return text


class Consumer:
    """Iterates a product's events, decoded and optionally projected to ``fields``.

    With ``follow=False`` (the default) iteration ends once the consumer has caught up with the
    end of the stream; with ``follow=True`` it waits for new events until closed. With a ``group``,
    positions are committed (after each batch, and on close) so a restart resumes where it stopped.

    Example:
        >>> for event in mesh.consumer("sales.orders", from_beginning=True, fields=["order_id"]):  # doctest: +SKIP
        ...     print(event.key, event.value)
    """

    def __init__(
        self,
        log: BaseLog,
        product: Product,
        registry: SchemaRegistry,
        *,
        group: str | None = None,
        from_beginning: bool = False,
        fields: Sequence[str] | None = None,
        follow: bool = False,
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
    ) -> None:
        self.product = product
        self.fields = list(fields or [])
        reader = load_schema(product.contract.schema_)
        self._decode = value_decoder(registry, reader)
        if self.fields:
            known = reader.field_paths()
            unknown = [f for f in self.fields if f not in known]
            if unknown:
                raise ValidationError(
                    f"{product.name} has no field(s) {', '.join(unknown)}",
                    hint="available: " + ", ".join(sorted(p for p in known if "[]" not in p)),
                )
        notice = deprecation_notice(product)
        if notice:
            warnings.warn(notice, ProductDeprecatedWarning, stacklevel=3)
        self.follow = follow
        self.group = group
        self._auto_commit = auto_commit and group is not None
        self._project = _projector(self.fields) if self.fields else None
        # The SDK commits what it has *handed to the caller*, not what the log prefetched, so a
        # caller that stops half-way through a batch resumes right after its last event.
        self._inner: BaseLogConsumer = log.consumer(
            [product.stream],
            group=group,
            auto_offset_reset="earliest" if from_beginning else "latest",
            auto_commit=False,
            session_timeout_ms=session_timeout_ms,
        )
        self._pending: deque[Record] = deque()
        self._delivered: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._closed = False

    def _event(self, r: Record) -> Event:
        try:
            value = self._decode(r.value)
        except (ValueError, StreammeshError) as e:
            raise StreammeshError(
                f"{self.product.name} partition {r.partition} offset {r.offset} cannot be decoded: {e}"
            ) from None
        if self._project is not None:
            value = self._project(value)
        return Event(decode_key(r.key), value, r.partition, r.offset, r.timestamp, dict(r.headers))

    def _fetch(self, max_records: int, timeout: float) -> list[Record]:
        if self._auto_commit:
            try:
                self.commit()  # what the caller took before asking for more counts as processed
            except GroupError as e:
                # this member was too slow between polls and its partitions moved on; the new owner
                # resumes from the last commit, so some events are delivered again (at least once)
                warnings.warn(f"{self.product.name}: {e.message}; continuing", RuntimeWarning, stacklevel=3)
                self._delivered.clear()
                self._committed.clear()
        return self._inner.poll(max_records=max_records, timeout=timeout)

    def _hand_out(self, r: Record) -> Event:
        event = self._event(r)
        self._delivered[(r.topic, r.partition)] = r.offset + 1
        return event

    def poll(self, *, max_records: int = 500, timeout: float = 0.0) -> list[Event]:
        """Up to ``max_records`` events, waiting up to ``timeout`` seconds for the first."""
        if not self._pending:
            self._pending.extend(self._fetch(max_records, timeout))
        taken = [self._pending.popleft() for _ in range(min(max_records, len(self._pending)))]
        return [self._hand_out(r) for r in taken]

    def __iter__(self) -> Iterator[Event]:
        # records fetched but not yet handed out stay in ``_pending``, so a caller that breaks out of
        # a loop and iterates again continues exactly where it stopped
        while not self._closed:
            if not self._pending:
                self._pending.extend(self._fetch(1000, 0.5 if self.follow else 0.2))
                if not self._pending:
                    if not self.follow and sum(self._inner.lag().values()) == 0:
                        return
                    continue
            while self._pending:
                yield self._hand_out(self._pending.popleft())

    def lag(self) -> int:
        """Events between what this consumer has handed out and the end of the stream."""
        return sum(self._inner.lag().values()) + len(self._pending)

    def remaining(self) -> int:
        return self.lag()

    def commit(self) -> None:
        """Commit the position after the last event handed out, per partition (needs a group)."""
        if self.group is None:
            return
        pending = {tp: off for tp, off in self._delivered.items() if self._committed.get(tp) != off}
        if pending:
            self._inner.commit(pending)
            self._committed.update(pending)

    def seek_to_timestamp(self, when: datetime | int) -> None:
        ms = when if isinstance(when, int) else int(when.timestamp() * 1000)
        self._inner.seek_to_timestamp(ms)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                if self._auto_commit:
                    self.commit()
            finally:
                self._inner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
