"""``/api/v1/products/{name}/metrics`` and ``/samples/live``: what a product page shows while people watch it.

Metrics are read from the log, not kept by the server: events per second over the last minute (from the
records' timestamps), the age of the newest event against the SLA's freshness, and the invalid-record
rate (events kept in the dead-letter stream per event appended). Live samples are the product's new events
with classified fields masked, as server-sent events, for people who have not been granted access.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from streammesh.api.deps import MeshDep
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.events import event_stream
from streammesh.api.products import ProductName
from streammesh.catalog.consumer import ProductDeprecatedWarning
from streammesh.catalog.streams import dead_letter_stream, stream_events
from streammesh.schemas.serde import dump_json
from streammesh.web.masking import mask_value

__all__ = ["RATE_WINDOW_S", "MetricsOut", "router"]

router = APIRouter(prefix="/api/v1/products", tags=["events"], responses=PROBLEM_RESPONSES)

#: events per second are averaged over this many seconds of record timestamps
RATE_WINDOW_S = 60


class MetricsOut(BaseModel):
    """A product's live health: throughput, freshness against its SLA and invalid records."""

    product: str
    events: int = Field(description="events retained in the stream")
    events_per_second: float = Field(description=f"events timestamped in the last {RATE_WINDOW_S} s, per second")
    last_event_ms: int | None = Field(description="timestamp of the newest event (ms since the epoch)")
    age_seconds: float | None = Field(description="how old the newest event is")
    freshness_seconds: float | None = Field(description="the SLA's freshness promise, if any")
    fresh: bool | None = Field(
        description="the newest event is within the SLA's freshness (None: no promise or no event)"
    )
    dead_letters: int = Field(description="invalid events kept in the dead-letter stream")
    invalid_rate: float = Field(description="dead letters per event appended (0 when there are no events)")


@router.get("/{name}/metrics", response_model=MetricsOut)
def metrics(name: ProductName, m: MeshDep) -> MetricsOut:
    """Events per second over the last minute, age of the newest event against the SLA's freshness, and the
    invalid-record rate (dead letters / events)."""
    product = m.catalog.get(name)
    freshness = product.contract.sla.freshness
    fresh_s = freshness.total_seconds() if freshness else None
    if product.status == "draft":
        return MetricsOut(
            product=name,
            events=0,
            events_per_second=0.0,
            last_event_ms=None,
            age_seconds=None,
            freshness_seconds=fresh_s,
            fresh=None,
            dead_letters=0,
            invalid_rate=0.0,
        )
    stats = m.events.stats(name)
    now_ms = int(time.time() * 1000)
    end = m.log.end_offsets(product.stream)
    since = m.log.offsets_for_timestamp(product.stream, now_ms - RATE_WINDOW_S * 1000)
    recent = sum(end[p] - min(since.get(p, end[p]), end[p]) for p in end)
    dead_stream = dead_letter_stream(product.stream)
    dead = stream_events(m.log, dead_stream) if dead_stream in m.log.topics() else 0
    last = stats.get("last_event_ms")
    age = max(0.0, (now_ms - last) / 1000) if last is not None else None
    events = int(stats.get("events", 0))
    return MetricsOut(
        product=name,
        events=events,
        events_per_second=round(recent / RATE_WINDOW_S, 3),
        last_event_ms=last,
        age_seconds=None if age is None else round(age, 3),
        freshness_seconds=fresh_s,
        fresh=None if age is None or fresh_s is None else age <= fresh_s,
        dead_letters=dead,
        invalid_rate=round(dead / events, 6) if events else 0.0,
    )


@router.get(
    "/{name}/samples/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def live_samples(
    request: Request,
    name: ProductName,
    limit: Annotated[int, Query(ge=1, le=10_000, description="end after this many events")] = 200,
    seconds: Annotated[float, Query(gt=0, le=3600, description="end after this long")] = 300,
) -> StreamingResponse:
    """New events as server-sent events (``event: event``, JSON data like ``/samples``), with the fields
    classified pii/confidential/restricted masked; ``event: end`` after ``limit`` events or ``seconds``."""

    def open_consumer() -> tuple[Any, dict[str, str]]:
        m = request.app.state.mesh()
        product = m.catalog.get(name)
        with warnings.catch_warnings():  # the page shows the deprecation itself
            warnings.simplefilter("ignore", ProductDeprecatedWarning)
            consumer = m.events.consumer(name, from_beginning=False, follow=True)
        return consumer, dict(product.contract.classifications)

    consumer, classes = await anyio.to_thread.run_sync(open_consumer)

    async def stream() -> AsyncIterator[str]:
        deadline, sent = time.monotonic() + seconds, 0
        yield ": streaming\n\n"
        while time.monotonic() < deadline and sent < limit:
            batch = await anyio.to_thread.run_sync(lambda: consumer.poll(max_records=100, timeout=0.5))
            for e in batch[: limit - sent]:
                data = dump_json({**e.to_dict(), "value": mask_value(e.value, classes)}).decode()
                yield f"event: event\nid: {e.partition}:{e.offset}\ndata: {data}\n\n"
                sent += 1
            if await request.is_disconnected():
                return
        yield "event: end\ndata: {}\n\n"

    return event_stream(stream(), consumer)
