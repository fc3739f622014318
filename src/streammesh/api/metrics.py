"""``/api/v1/products/{name}/metrics`` and ``/samples/live``: what a product page shows while people watch it.

Metrics are the product's health as :mod:`streammesh.quality.health` computes it for every interface:
events per second over the last minute, the age of the newest event against the SLA's freshness, and the
invalid-record rate (dead letters / all events produced). Live samples are the product's new events with
classified fields masked (:mod:`streammesh.governance.masking`), as server-sent events.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import asdict
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
from streammesh.governance.masking import Masking
from streammesh.model.catalog import Product
from streammesh.quality.health import RATE_WINDOW_S, ProductHealth
from streammesh.schemas.serde import dump_json

__all__ = ["RATE_WINDOW_S", "MetricsOut", "router"]

router = APIRouter(prefix="/api/v1/products", tags=["events"], responses=PROBLEM_RESPONSES)


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
    invalid_rate: float = Field(
        description="dead letters / all events produced (valid + dead-lettered), 0 to 1 (0 when there are none)"
    )

    @classmethod
    def of(cls, health: ProductHealth) -> MetricsOut:
        """The health service's answer, field for field (the service decides, the route translates)."""
        return cls(**asdict(health))


@router.get("/{name}/metrics", response_model=MetricsOut)
def metrics(name: ProductName, m: MeshDep) -> MetricsOut:
    """Events per second over the last minute, age of the newest event against the SLA's freshness, and the
    invalid-record rate (dead letters / all events produced, valid or not)."""
    return MetricsOut.of(m.health.of(name))


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

    def open_consumer() -> tuple[Any, Product, Masking]:
        m = request.app.state.mesh()
        product = m.catalog.get(name)
        with warnings.catch_warnings():  # the page shows the deprecation itself
            warnings.simplefilter("ignore", ProductDeprecatedWarning)
            consumer = m.events.consumer(name, from_beginning=False, follow=True)
        return consumer, product, m.masking

    consumer, product, masking = await anyio.to_thread.run_sync(open_consumer)

    async def stream() -> AsyncIterator[str]:
        deadline, sent = time.monotonic() + seconds, 0
        yield ": streaming\n\n"
        while time.monotonic() < deadline and sent < limit:
            batch = await anyio.to_thread.run_sync(lambda: consumer.poll(max_records=100, timeout=0.5))
            for e in batch[: limit - sent]:
                data = dump_json(masking.event(product, e)).decode()
                yield f"event: event\nid: {e.partition}:{e.offset}\ndata: {data}\n\n"
                sent += 1
            if await request.is_disconnected():
                return
        yield "event: end\ndata: {}\n\n"

    return event_stream(stream(), consumer)
