"""A product's live health: throughput, freshness against its SLA and the share of invalid events.

Health is read from the log, not kept by a server, so every interface (REST, the product page, the CLI)
reports the same numbers: events per second over the last minute (from the records' timestamps), the age
of the newest event against the SLA's freshness, and the invalid rate: dead letters per event produced,
valid or not (so it is a share, between 0 and 1).

Example:
    >>> ctx.health.of("sales.orders").invalid_rate   # doctest: +SKIP
    0.0
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from streammesh.catalog.events import ProductEvents
from streammesh.catalog.service import Catalog
from streammesh.catalog.streams import dead_letter_stream, stream_events
from streammesh.log.base import BaseLog

__all__ = ["RATE_WINDOW_S", "ProductHealth", "ProductHealthService", "invalid_rate"]

#: events per second are averaged over this many seconds of record timestamps
RATE_WINDOW_S = 60


def invalid_rate(dead_letters: int, events: int) -> float:
    """The share of produced events that were refused: dead letters / (valid events + dead letters).

    Dead-lettered events never reach the product's stream, so dividing by the stream's events alone
    overstated the rate (above 1 when more events were refused than kept).

    Args:
        dead_letters: events kept in the dead-letter stream.
        events: valid events retained in the product's stream.

    Returns:
        A number between 0 and 1, rounded to 6 digits (0 when nothing was produced).
    """
    total = events + dead_letters
    return round(dead_letters / total, 6) if total > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ProductHealth:
    """A product's health at one moment, as the product page, ``GET …/metrics`` and ``products show`` report it.

    Attributes:
        product: the product's name.
        events: valid events retained in the stream.
        events_per_second: events timestamped in the last :data:`RATE_WINDOW_S` seconds, per second.
        last_event_ms: timestamp of the newest event (ms since the epoch), None without events.
        age_seconds: how old the newest event is, None without events.
        freshness_seconds: the SLA's freshness promise, None without one.
        fresh: the newest event is within the SLA's freshness (None: no promise or no event).
        dead_letters: invalid events kept in the dead-letter stream.
        invalid_rate: dead letters / all events produced (valid + dead-lettered), between 0 and 1.
    """

    product: str
    events: int
    events_per_second: float
    last_event_ms: int | None
    age_seconds: float | None
    freshness_seconds: float | None
    fresh: bool | None
    dead_letters: int
    invalid_rate: float


class ProductHealthService:
    """Computes :class:`ProductHealth` from the log and the catalog (one place for every interface).

    Args:
        log: the mesh's log (offsets by time, the dead-letter stream's size).
        catalog: the product registry (the product, its stream and SLA).
        events: products' events (event count and newest event).
        clock: seconds since the epoch; tests pass a fixed one.
    """

    def __init__(
        self, log: BaseLog, catalog: Catalog, events: ProductEvents, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.log = log
        self.catalog = catalog
        self.events = events
        self.clock = clock

    def of(self, name: str) -> ProductHealth:
        """The health of product ``name`` now (a draft has no events: zeros and Nones).

        Raises:
            NotFoundError: no such product.
        """
        product = self.catalog.get(name)
        freshness = product.contract.sla.freshness
        fresh_s = freshness.total_seconds() if freshness else None
        if product.status == "draft":
            return ProductHealth(name, 0, 0.0, None, None, fresh_s, None, 0, 0.0)
        stats = self.events.stats(name)
        now_ms = int(self.clock() * 1000)
        end = self.log.end_offsets(product.stream)
        since = self.log.offsets_for_timestamp(product.stream, now_ms - RATE_WINDOW_S * 1000)
        recent = sum(end[p] - min(since.get(p, end[p]), end[p]) for p in end)
        dead_stream = dead_letter_stream(product.stream)
        dead = stream_events(self.log, dead_stream) if dead_stream in self.log.topics() else 0
        last = stats.get("last_event_ms")
        age = max(0.0, (now_ms - last) / 1000) if last is not None else None
        events = int(stats.get("events", 0))
        return ProductHealth(
            product=name,
            events=events,
            events_per_second=round(recent / RATE_WINDOW_S, 3),
            last_event_ms=last,
            age_seconds=None if age is None else round(age, 3),
            freshness_seconds=fresh_s,
            fresh=None if age is None or fresh_s is None else age <= fresh_s,
            dead_letters=dead,
            invalid_rate=invalid_rate(dead, events),
        )
