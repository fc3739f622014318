"""``/api/v1/streams``: the log's streams, and those no product publishes yet (what an owner may adopt).

Each stream comes with its partitions, event count, newest event time and a schema: the registered one
when its events carry a Confluent schema id, else one inferred from its newest JSON events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from streammesh.api.deps import MeshDep, PagingDep, page_of
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import Page
from streammesh.catalog.streams import StreamInfo

__all__ = ["StreamOut", "router"]

router = APIRouter(prefix="/api/v1/streams", tags=["streams"], responses=PROBLEM_RESPONSES)


class StreamFieldOut(BaseModel):
    path: str
    type: str
    required: bool


class StreamOut(BaseModel):
    """One stream of the log. ``product`` is null for a stream nobody has published as a product yet."""

    name: str
    domain: str = Field(description="the name's prefix before the first dot")
    partitions: int
    events: int
    last_event: datetime | None = Field(description="timestamp of the newest event")
    product: str | None = Field(description="the data product publishing this stream, if any")
    encoding: Literal["json", "wire-format", "undecodable", "empty"] = Field(
        description="json: plain JSON values (schema inferred); wire-format: Confluent framing with a registered "
        "schema id (that schema); undecodable: neither (see note); empty: no event yet"
    )
    schema_: dict[str, Any] | None = Field(alias="schema", description="{format, definition}, ready for a contract")
    schema_id: int | None = None
    fields: list[StreamFieldOut]
    suggested_key: list[str] = Field(description="a field whose value equals every sampled record's key")
    sampled: int = Field(description="events decoded to find the schema")
    keyed: bool = Field(description="whether sampled records carry keys")
    note: str | None = None

    model_config = ConfigDict(populate_by_name=True)

    @classmethod
    def of(cls, s: StreamInfo) -> StreamOut:
        return cls(
            name=s.name,
            domain=s.domain,
            partitions=s.partitions,
            events=s.events,
            last_event=s.last_event,
            product=s.product,
            encoding=s.encoding,
            schema_=s.schema,
            schema_id=s.schema_id,
            fields=[StreamFieldOut(**f) for f in s.fields],
            suggested_key=s.suggested_key,
            sampled=s.sampled,
            keyed=s.keyed,
            note=s.note,
        )


Sample = Annotated[
    int, Query(ge=0, le=1000, description="newest events decoded per stream to find its schema (0: counts only)")
]


@router.get("", response_model=Page[StreamOut], response_model_by_alias=True)
def list_streams(
    m: MeshDep,
    paging: PagingDep,
    unpublished: Annotated[bool, Query(description="only streams no product publishes yet")] = False,
    domain: Annotated[str | None, Query(max_length=100, description="only names starting '<domain>.'")] = None,
    sample: Sample = 100,
) -> Page[StreamOut]:
    """The log's streams by name (dead-letter, ``_``-prefixed and processing-state topics left out), each with
    partitions, event count, newest event time and its schema, registered or inferred from sampled events."""
    names = m.catalog.stream_names(unpublished=unpublished, domain=domain)
    page = names[paging.offset : paging.offset + paging.limit]  # only the page's streams are sampled
    return page_of([StreamOut.of(m.catalog.stream(n, sample=sample)) for n in page], paging, total=len(names))


@router.get("/{name}", response_model=StreamOut, response_model_by_alias=True)
def get_stream(
    name: Annotated[str, Path(min_length=1, max_length=249, description="topic name")], m: MeshDep, sample: Sample = 100
) -> StreamOut:
    """One stream and its (registered or inferred) schema."""
    return StreamOut.of(m.catalog.stream(name, sample=sample))
