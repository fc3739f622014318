"""Product health computed by the service from a log and a catalog (fakes): the invalid rate above all."""

from __future__ import annotations

from typing import Any

import pytest

from streammesh.contracts import contract_from_dict
from streammesh.model.catalog import Product
from streammesh.quality.health import ProductHealthService, invalid_rate
from tests.factories import contract_dict

NOW_MS = 1_800_000_000_000


@pytest.mark.parametrize(
    ("dead", "events", "rate"),
    [
        (0, 0, 0.0),
        (0, 10, 0.0),
        (1, 9, 0.1),
        (9, 1, 0.9),  # was 9 / 1 = 9.0 when divided by the valid events only
        (30, 10, 0.75),  # was 3.0
        (5, 0, 1.0),  # every event refused (was 0.0)
        (1, 2, 0.333333),
    ],
)
def test_invalid_rate_is_a_share_of_all_events(dead: int, events: int, rate: float) -> None:
    assert invalid_rate(dead, events) == rate
    assert 0.0 <= invalid_rate(dead, events) <= 1.0


class _Log:
    """Offsets of a 2-partition stream and its dead-letter stream."""

    def __init__(self, end: dict[int, int], since: dict[int, int], dead: int | None) -> None:
        self.end, self.since, self.dead = end, since, dead
        self.asked_since: int | None = None

    def topics(self) -> list[str]:
        return ["sales.orders"] + (["sales.orders.dlq"] if self.dead is not None else [])

    def begin_offsets(self, topic: str) -> dict[int, int]:
        return {0: 0} if topic.endswith(".dlq") else dict.fromkeys(self.end, 0)

    def end_offsets(self, topic: str) -> dict[int, int]:
        return {0: self.dead or 0} if topic.endswith(".dlq") else dict(self.end)

    def offsets_for_timestamp(self, topic: str, timestamp_ms: int) -> dict[int, int]:
        self.asked_since = timestamp_ms
        return dict(self.since)


class _Catalog:
    def __init__(self, product: Product) -> None:
        self.product = product

    def get(self, name: str) -> Product:
        assert name == self.product.name
        return self.product


class _Events:
    def __init__(self, events: int, last_ms: int | None) -> None:
        self.events, self.last_ms = events, last_ms

    def stats(self, name: str) -> dict[str, Any]:
        return {"events": self.events, "partitions": {}, "last_event_ms": self.last_ms}


def _service(log: _Log, events: _Events, *, status: str = "published", **contract: Any) -> ProductHealthService:
    product = Product(contract_from_dict(contract_dict(**contract)), status=status, stream="sales.orders")
    ports: Any = (log, _Catalog(product), events)  # duck-typed stand-ins for the log, catalog and events
    return ProductHealthService(*ports, clock=lambda: NOW_MS / 1000)


def test_health_of_a_product_with_more_dead_letters_than_events() -> None:
    log = _Log(end={0: 2, 1: 1}, since={0: 1, 1: 1}, dead=7)
    h = _service(log, _Events(3, NOW_MS - 90_000)).of("sales.orders")
    assert h.events == 3 and h.dead_letters == 7
    assert h.invalid_rate == 0.7  # 7 of the 10 produced; dead / valid said 2.33
    assert log.asked_since == NOW_MS - 60_000 and h.events_per_second == round(1 / 60, 3)
    assert h.age_seconds == 90.0 and h.freshness_seconds == 300.0 and h.fresh is True


def test_health_late_without_dead_letter_stream_and_of_a_draft() -> None:
    h = _service(_Log(end={0: 4}, since={}, dead=None), _Events(4, NOW_MS - 600_000)).of("sales.orders")
    assert h.dead_letters == 0 and h.invalid_rate == 0.0 and h.fresh is False and h.events_per_second == 0.0
    no_sla = _service(_Log(end={0: 4}, since={0: 4}, dead=None), _Events(4, NOW_MS), sla={"tier": "tier-3"})
    assert no_sla.of("sales.orders").fresh is None
    draft = _service(_Log(end={}, since={}, dead=None), _Events(0, None), status="draft").of("sales.orders")
    assert (draft.events, draft.last_event_ms, draft.fresh, draft.invalid_rate) == (0, None, None, 0.0)
