"""A product's events as the catalog serves them: producers and consumers, the newest events, counts and
dead letters. The SDK, the CLI, REST and the web pages all read events through this one service."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from streammesh.catalog.consumer import Consumer, Event
from streammesh.catalog.producer import Producer
from streammesh.catalog.service import Catalog
from streammesh.catalog.streams import dead_letter_stream
from streammesh.exceptions import ValidationError
from streammesh.log.base import BaseLogConsumer, Record
from streammesh.schemas import load_schema
from streammesh.schemas.decoding import value_decoder
from streammesh.schemas.registry import subject_for
from streammesh.schemas.serde import decode_key

__all__ = ["ProductEvents", "batches_to_end"]


def batches_to_end(
    consumer: BaseLogConsumer, stream: str, end: dict[int, int], *, wait: float = 5.0
) -> Iterator[list[Record]]:
    """Batches until every partition of ``stream`` is read up to ``end`` (or nothing arrives for ``wait``
    seconds). A remote log's first fetch takes a moment, so an empty poll does not mean the end."""
    deadline = time.monotonic() + wait
    while any(consumer.position().get((stream, p), 0) < e for p, e in end.items() if e > 0):
        batch = consumer.poll(max_records=1000, timeout=0.2)
        if batch:
            deadline = time.monotonic() + wait
            yield batch
        elif time.monotonic() > deadline:
            return


class ProductEvents:
    """Reads and writes products' events over the catalog's log and registry."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def producer(self, name: str, *, linger: int = 1000) -> Producer:
        """A producer for product ``name`` (published or deprecated, not retired)."""
        return Producer(self.catalog.log, self.catalog.get(name), self.catalog.registry, linger=linger)

    def consumer(
        self,
        name: str,
        *,
        group: str | None = None,
        from_beginning: bool = False,
        fields: Sequence[str] | None = None,
        follow: bool = False,
        auto_commit: bool = True,
        session_timeout_ms: int = 10_000,
    ) -> Consumer:
        """A consumer of product ``name``; see :class:`Consumer`. A group is remembered in the
        catalog with the fields it reads, so owners know who depends on what."""
        product = self.catalog.get(name)
        if product.status == "draft":
            raise ValidationError(f"{name} is a draft and has no events yet", hint="its owner must publish it first")
        consumer = Consumer(
            self.catalog.log,
            product,
            self.catalog.registry,
            group=group,
            from_beginning=from_beginning,
            fields=fields,
            follow=follow,
            auto_commit=auto_commit,
            session_timeout_ms=session_timeout_ms,
        )
        if group:
            self.catalog.store.register_consumer(group, name, consumer.fields)
        return consumer

    def schema_summary(self, name: str) -> str:
        """One line on the product's registered schema: subject, versions, latest id, compatibility."""
        subject = subject_for(self.catalog.get(name).stream)
        versions = self.catalog.store.subject_versions(subject)
        if not versions:
            return f"{subject}: not registered yet (it is when the product is published)"
        return (
            f"{subject}: version{'s' if len(versions) > 1 else ''} {', '.join(str(v.version) for v in versions)}"
            f" (latest id {versions[-1].schema.id}), compatibility {self.catalog.registry.compatibility(subject)}"
        )

    def stats(self, name: str) -> dict[str, Any]:
        """Event count per partition and overall, and the time of the newest event."""
        product = self.catalog.get(name)
        if product.status == "draft":
            return {"events": 0, "partitions": {}, "last_event_ms": None}
        begin, end = self.catalog.log.begin_offsets(product.stream), self.catalog.log.end_offsets(product.stream)
        per_partition = {p: end[p] - begin.get(p, 0) for p in end}
        latest = self.latest(name, 1)
        return {
            "events": sum(per_partition.values()),
            "partitions": per_partition,
            "last_event_ms": latest[0].timestamp if latest else None,
        }

    def latest(self, name: str, n: int = 10) -> list[Event]:
        """The newest ``n`` events across partitions, newest first (for samples and freshness)."""
        product = self.catalog.get(name)
        if product.status == "draft" or n <= 0:
            return []
        end = self.catalog.log.end_offsets(product.stream)
        begin = self.catalog.log.begin_offsets(product.stream)
        events: list[Event] = []
        decode = value_decoder(self.catalog.registry, load_schema(product.contract.schema_))
        with self.catalog.log.consumer([product.stream], auto_offset_reset="latest") as inner:
            for p, last in end.items():
                if last > begin.get(p, 0):
                    inner.seek(product.stream, p, max(begin.get(p, 0), last - n))
            for batch in batches_to_end(inner, product.stream, end):
                events.extend(
                    Event(decode_key(r.key), decode(r.value), r.partition, r.offset, r.timestamp, dict(r.headers))
                    for r in batch
                )
        events.sort(key=lambda e: (e.timestamp, e.partition, e.offset), reverse=True)
        return events[:n]

    def dead_letters(self, name: str, *, limit: int | None = None) -> list[dict[str, Any]]:
        """Events refused by ``name``'s contract and kept in its dead-letter stream, oldest first,
        with the reason, the position in the producer's input and the schema id they were checked against."""
        stream = dead_letter_stream(self.catalog.get(name).stream)
        if stream not in self.catalog.log.topics():
            return []
        out: list[dict[str, Any]] = []
        end = self.catalog.log.end_offsets(stream)
        with self.catalog.log.consumer([stream], auto_offset_reset="earliest") as inner:
            for batch in batches_to_end(inner, stream, end):
                if limit is not None and len(out) >= limit:
                    break
                for r in batch:
                    headers = {k: v.decode("utf-8", "replace") for k, v in r.headers}
                    try:
                        value: Any = orjson.loads(r.value) if r.value is not None else None
                    except orjson.JSONDecodeError:
                        value = (r.value or b"").decode("utf-8", "replace")
                    out.append(
                        {
                            "offset": r.offset,
                            "key": decode_key(r.key),
                            "value": value,
                            "reason": headers.get("dlq.reason"),
                            "source_offset": headers.get("dlq.source.offset"),
                            "schema_id": headers.get("dlq.schema.id"),
                            "timestamp": r.timestamp,
                        }
                    )
        return out[:limit] if limit is not None else out
