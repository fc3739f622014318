"""``/api/v1/products/{name}/events``: produce (JSON array or NDJSON), replay (NDJSON) and follow live (SSE).

Produce validates every event against the contract and reports each refusal with the event's index;
what is valid is appended and acknowledged (durable) before the response, so nothing accepted is lost.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from streammesh.api.bodies import JSON_TYPES, media_type, read_body
from streammesh.api.deps import MeshDep, PagingDep, page_of
from streammesh.api.errors import PROBLEM_RESPONSES, problem
from streammesh.api.exceptions import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from streammesh.api.models import Page, ProblemItem
from streammesh.api.products import ProductName
from streammesh.catalog.consumer import Consumer, ProductDeprecatedWarning
from streammesh.context import MeshContext
from streammesh.exceptions import StreammeshError, ValidationError
from streammesh.schemas import RecordInvalidError
from streammesh.schemas.serde import dump_json

__all__ = ["MAX_EVENTS", "NDJSON_TYPES", "PositionOut", "ProduceOut", "router"]

router = APIRouter(prefix="/api/v1/products", tags=["events"], responses=PROBLEM_RESPONSES)

#: events per produce request; larger batches are split by the client (each request is one acknowledgement).
MAX_EVENTS = 100_000
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")

_PRODUCE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "events: a JSON array of event values, or one JSON value per line (NDJSON); keys come from the "
            "contract's key fields"
        ),
        "content": {
            "application/json": {"schema": {"type": "array", "items": {}}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


@dataclass(slots=True)
class _Item:
    index: int
    value: Any = None
    error: str | None = None
    line: int | None = None


class PositionOut(BaseModel):
    index: int = Field(description="the event's position in the request")
    partition: int
    offset: int


class ProduceOut(BaseModel):
    """What was appended (with where each event landed) and what was refused, per event."""

    product: str
    accepted: int
    rejected: int
    dead_lettered: int = Field(description="invalid events kept in the dead-letter stream (on_invalid: dead-letter)")
    positions: list[PositionOut]
    errors: list[ProblemItem]


async def _events(request: Request) -> list[_Item]:
    kind = media_type(request)
    raw = await read_body(request)
    if kind in NDJSON_TYPES:
        items: list[_Item] = []
        for number, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append(_Item(len(items), orjson.loads(line), line=number))
            except orjson.JSONDecodeError as e:
                items.append(_Item(len(items), error=f"line {number} is not valid JSON: {e}", line=number))
    elif kind in JSON_TYPES:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise BadRequestError(
                f"the body is not valid JSON: {e}",
                hint="send a JSON array of events, or NDJSON with Content-Type: application/x-ndjson",
            ) from None
        if not isinstance(data, list):
            raise BadRequestError(
                "a JSON body must be an array of events, e.g. [{...}, {...}]", hint="wrap a single event in [ ]"
            )
        items = [_Item(i, v) for i, v in enumerate(data)]
    else:
        raise UnsupportedMediaTypeError(
            f"cannot read events sent as {kind or 'no content type'!r}",
            hint="send application/json (an array) or application/x-ndjson",
        )
    if not items:
        raise BadRequestError("the body holds no events", hint="send at least one event")
    if len(items) > MAX_EVENTS:
        raise PayloadTooLargeError(
            f"{len(items):,} events in one request; at most {MAX_EVENTS:,}", hint="split them into several requests"
        )
    return items


@router.post(
    "/{name}/events",
    response_model=ProduceOut,
    openapi_extra=_PRODUCE_BODY,
    responses={
        207: {"model": ProduceOut, "description": "some events were refused (listed); the others were appended"}
    },
)
def produce(
    name: ProductName,
    m: MeshDep,
    items: Annotated[list[_Item], Depends(_events)],
    atomic: Annotated[bool, Query(description="append nothing unless every event is valid")] = False,
) -> Any:
    """Append events, validated against the contract. Refused events are listed with their index and the
    reason; the others are appended and durable when the response arrives (207 when some were refused)."""
    producer = m.events.producer(name, linger=len(items) + 1)
    errors: list[ProblemItem] = []
    checked: list[tuple[_Item, bool]] = []  # (item, goes to the dead-letter stream)
    for item in items:
        if item.error is not None:
            errors.append(ProblemItem(location=f"[{item.index}]", message=item.error, line=item.line, index=item.index))
            continue
        issues = producer.check(item.value)
        if issues and producer.dead_letter is None:
            errors += [
                ProblemItem(
                    location=f"[{item.index}].{i.path}".replace(".$", ""),
                    message=i.message,
                    line=item.line,
                    index=item.index,
                )
                for i in issues
            ]
        else:
            checked.append((item, bool(issues)))
    if errors and (atomic or not checked):
        return problem(
            422,
            "invalid-event",
            f"{len({e.index for e in errors})} of {len(items)} events do not fit "
            f"{name}'s contract; nothing was appended",
            errors=errors,
            hint=f"see the schema with GET /api/v1/products/{name}",
        )
    accepted: list[_Item] = []
    dead = 0
    for item, invalid in checked:
        try:
            producer.send(None, item.value)
        except (RecordInvalidError, ValidationError) as e:  # e.g. an unreadable event-time field
            errors.append(ProblemItem(location=f"[{item.index}]", message=e.message, line=item.line, index=item.index))
            continue
        if invalid:
            dead += 1
        else:
            accepted.append(item)
    positions = producer.flush()
    body = ProduceOut(
        product=name,
        accepted=len(accepted),
        rejected=len({e.index for e in errors}),
        dead_lettered=dead,
        errors=errors,
        positions=[
            PositionOut(index=i.index, partition=p.partition, offset=p.offset)
            for i, p in zip(accepted, positions, strict=True)
        ],
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=207 if errors else 200)


def _fields(fields: str | None) -> list[str] | None:
    return [f.strip() for f in fields.split(",") if f.strip()] or None if fields else None


def _open(
    m: MeshContext, name: str, *, group: str | None, from_beginning: bool, fields: str | None, follow: bool
) -> tuple[Consumer, list[str]]:
    """A consumer, and the deprecation notices the SDK warned about (sent as a ``Warning`` header)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProductDeprecatedWarning)
        consumer = m.events.consumer(
            name, group=group, from_beginning=from_beginning, fields=_fields(fields), follow=follow
        )
    return consumer, [str(w.message) for w in caught if issubclass(w.category, ProductDeprecatedWarning)]


def _position(
    m: MeshContext, consumer: Consumer, name: str, partition: int | None, offset: int | None, since: datetime | None
) -> None:
    """Move a group-less consumer to ``offset`` (of ``partition``, or of every partition) or to ``since``."""
    stream = m.catalog.get(name).stream
    partitions = m.catalog.get(name).contract.partitions
    if partition is not None and partition >= partitions:
        raise ValidationError(f"{name} has partitions 0 to {partitions - 1}; there is no partition {partition}")
    inner = consumer._inner
    if since is not None:
        consumer.seek_to_timestamp(since)
    if offset is not None:
        if partition is not None:
            inner.seek_to_end()
        for p in [partition] if partition is not None else range(partitions):
            inner.seek(stream, p, offset)


Group = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9._@:-]+$",
        description="consumer group: resumes where it stopped; recorded as a "
        "consumer of the product with the fields it reads",
    ),
]
Fields = Annotated[
    str | None, Query(max_length=2000, description="comma-separated fields to keep, e.g. order_id,total")
]


@router.get(
    "/{name}/events",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "one event per line"}},
)
def consume(
    name: ProductName,
    m: MeshDep,
    from_beginning: Annotated[
        bool, Query(description="replay from the first event (else: only events after the group's position)")
    ] = True,
    partition: Annotated[int | None, Query(ge=0, le=1023)] = None,
    offset: Annotated[
        int | None, Query(ge=0, le=2**62, description="start at this offset (of 'partition', or of each)")
    ] = None,
    since: Annotated[datetime | None, Query(description="start at the first event at or after this time")] = None,
    fields: Fields = None,
    group: Group = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many events")] = 100,
) -> Response:
    """Events as NDJSON (``key``, ``value``, ``partition``, ``offset``, ``timestamp`` per line), oldest first
    per partition; resume with ``partition`` and ``offset`` (the last one read plus one)."""
    if group is not None and (offset is not None or since is not None):
        raise ValidationError(
            "'group' resumes from the group's committed position, so it excludes 'offset' and 'since'",
            hint="leave out 'group' to read from a position",
        )
    if partition is not None and offset is None:
        raise ValidationError("'partition' needs an 'offset' to start from", hint="e.g. ?partition=0&offset=0")
    consumer, notices = _open(
        m, name, group=group, from_beginning=from_beginning or offset is not None, fields=fields, follow=False
    )
    lines: list[bytes] = []
    with consumer:
        _position(m, consumer, name, partition, offset, since)
        for event in consumer:
            if partition is not None and event.partition != partition:
                continue
            lines.append(dump_json(event.to_dict()))
            if len(lines) >= limit:
                break
    headers = {"Warning": f'299 streammesh "{notices[0]}"'} if notices else {}
    return Response(b"\n".join(lines) + (b"\n" if lines else b""), media_type="application/x-ndjson", headers=headers)


def event_stream(events: AsyncIterator[str], consumer: Any) -> StreamingResponse:
    """A server-sent events response over ``events``: an error after the status line is sent is reported in
    the stream (``event: error``), and ``consumer`` is closed however the stream ends."""

    async def guarded() -> AsyncIterator[str]:
        try:
            async for chunk in events:
                yield chunk
        except StreammeshError as e:
            yield f"event: error\ndata: {orjson.dumps({'detail': e.message, 'hint': e.hint}).decode()}\n\n"
        finally:
            await anyio.to_thread.run_sync(consumer.close)

    return StreamingResponse(
        guarded(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.get(
    "/{name}/events/live",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def follow(
    request: Request,
    name: ProductName,
    from_beginning: Annotated[bool, Query(description="replay first, then follow")] = False,
    fields: Fields = None,
    group: Group = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000, description="end after this many events")] = None,
    seconds: Annotated[float | None, Query(gt=0, le=86_400, description="end after this long")] = None,
) -> StreamingResponse:
    """New events as they arrive, as server-sent events (``event: event``, ``id: partition:offset``, JSON
    ``data``), with a keep-alive comment every 15 s; ends with ``event: end`` after ``limit`` or ``seconds``."""

    def open_consumer() -> tuple[Consumer, list[str]]:
        return _open(
            request.app.state.mesh(), name, group=group, from_beginning=from_beginning, fields=fields, follow=True
        )

    consumer, notices = await anyio.to_thread.run_sync(open_consumer)

    async def stream() -> AsyncIterator[str]:
        deadline = time.monotonic() + seconds if seconds else None
        sent, quiet_since = 0, time.monotonic()
        for notice in notices:
            yield f"event: warning\ndata: {orjson.dumps({'message': notice}).decode()}\n\n"
        while True:
            batch = await anyio.to_thread.run_sync(lambda: consumer.poll(max_records=500, timeout=0.5))
            for e in batch:
                yield f"event: event\nid: {e.partition}:{e.offset}\ndata: {dump_json(e.to_dict()).decode()}\n\n"
                sent += 1
                if limit is not None and sent >= limit:
                    yield "event: end\ndata: {}\n\n"
                    return
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                yield "event: end\ndata: {}\n\n"
                return
            if batch:
                quiet_since = now
            elif now - quiet_since >= 15:
                quiet_since = now
                yield ": keep-alive\n\n"
            if await request.is_disconnected():
                return

    return event_stream(stream(), consumer)


@router.get("/{name}/samples", response_model=list[dict[str, Any]])
def samples(
    name: ProductName,
    m: MeshDep,
    n: Annotated[int, Query(ge=1, le=100, description="how many of the newest events")] = 10,
) -> list[dict[str, Any]]:
    """The newest events, newest first, with fields classified pii/confidential/restricted masked."""
    product = m.catalog.get(name)
    return [orjson.loads(dump_json(m.masking.event(product, e))) for e in m.events.latest(name, n)]


@router.get("/{name}/dead-letters", response_model=Page[dict[str, Any]])
def dead_letters(name: ProductName, m: MeshDep, paging: PagingDep) -> Page[dict[str, Any]]:
    """Events the contract refused and kept (``on_invalid: dead-letter``), oldest first, each with the reason."""
    items = m.events.dead_letters(name, limit=paging.offset + paging.limit + 1)
    page = page_of(items, paging)
    return page.model_copy(update={"items": [orjson.loads(dump_json(i)) for i in page.items]})
