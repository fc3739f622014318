"""Request and response bodies of the REST API, so the OpenAPI document says exactly what is sent.

Each ``*Out`` model has a ``of(...)`` constructor from the catalog's dataclasses: the mapping from
domain objects to wire shapes lives here, once, and routes stay a few lines long.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from streammesh.catalog.clusters import mask_cluster
from streammesh.catalog.evolution import SchemaChange
from streammesh.governance import Violation
from streammesh.model.catalog import Activity, App, ConsumerInfo, Domain, LineageEdge, Product, ProductVersion, Team

__all__ = [
    "ActivityOut",
    "AppOut",
    "CheckOut",
    "CompatibilityOut",
    "ConsumerOut",
    "DeprecateIn",
    "DomainOut",
    "EvolveOut",
    "ImpactOut",
    "IssueOut",
    "LineageEdgeOut",
    "Page",
    "Problem",
    "ProblemItem",
    "ProductOut",
    "ProductSummary",
    "PublishOut",
    "RetireIn",
    "SearchOut",
    "TeamIn",
    "TeamOut",
    "VersionOut",
    "ViolationOut",
]

T = TypeVar("T")


class ProblemItem(BaseModel):
    """One located problem of a request: where (``location``, and ``line``/``column`` for text) and what."""

    location: str = Field(description="dotted path of the offending input, e.g. 'query.limit', 'sla.tier', 'sql'")
    message: str
    line: int | None = None
    column: int | None = None
    length: int | None = Field(default=None, description="characters to underline from column (SQL)")
    policy: str | None = Field(default=None, description="the broken policy's id (policy violations)")
    fix: str | None = Field(default=None, description="what to change (policy violations)")
    index: int | None = Field(default=None, description="position of the event in the request (produce)")


class Problem(BaseModel):
    """An ``application/problem+json`` error body (RFC 9457), with the located ``errors`` of bad input."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="problem type URI (see docs/api.md)")
    title: str
    status: int
    detail: str
    hint: str | None = Field(default=None, description="a next step for the person reading it")
    errors: list[ProblemItem] = Field(default_factory=list)


class Page(BaseModel, Generic[T]):
    """One page of a list: ``next`` is the URL of the following page, absent on the last one."""

    items: list[T]
    total: int
    limit: int
    offset: int
    next: str | None = None


# ------------------------------------------------------------------------------------------------------- teams


class TeamIn(BaseModel):
    """A team to register (``name`` like ``@sales-team``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200, examples=["@sales-team"])
    display_name: str = Field(default="", max_length=200)
    domain: str | None = Field(default=None, max_length=200)
    on_call: str | None = Field(default=None, max_length=500)
    channel: str | None = Field(default=None, max_length=500)


class TeamOut(BaseModel):
    name: str
    display_name: str
    domain: str | None
    on_call: str | None
    channel: str | None
    created_at: datetime | None

    @classmethod
    def of(cls, t: Team) -> TeamOut:
        return cls(
            name=t.name,
            display_name=t.display_name,
            domain=t.domain,
            on_call=t.on_call,
            channel=t.channel,
            created_at=t.created_at,
        )


class DomainOut(BaseModel):
    name: str
    teams: int
    products: int

    @classmethod
    def of(cls, d: Domain) -> DomainOut:
        return cls(name=d.name, teams=d.teams, products=d.products)


# ---------------------------------------------------------------------------------------------------- products


class ProductSummary(BaseModel):
    """A product in a list or a search hit (``score`` is the search rank, higher is better)."""

    name: str
    title: str | None
    version: str
    status: str
    domain: str
    owner: str
    tier: str | None
    quality: str | None
    tags: list[str]
    derived: bool
    revision: int
    score: float | None = None

    @classmethod
    def of(cls, p: Product, score: float | None = None) -> ProductSummary:
        # built without validation: every value comes from a validated contract and the store's typed columns
        # (validating 50 hits, then the page again, was a third of a search's time through REST)
        c = p.contract
        return cls.model_construct(
            name=p.name,
            title=c.title,
            version=c.version,
            status=p.status,
            domain=p.domain,
            owner=p.owner,
            tier=c.sla.tier,
            quality=c.quality,
            tags=list(c.tags),
            derived=c.derived_from is not None,
            revision=p.revision,
            score=None if score is None else round(score, 6),
        )


class ProductOut(BaseModel):
    """A product: catalog state plus its contract (as JSON) and event counts."""

    name: str
    status: str
    revision: int = Field(description="increases on every change; sent as the ETag, expected back in If-Match")
    stream: str
    cluster: str = Field(
        description="where the stream lives: the log it was published on (embedded, or kafka://HOST:PORT, secrets masked); streammesh migrate updates it"
    )
    created_at: datetime | None
    updated_at: datetime | None
    published_at: datetime | None
    contract: dict[str, Any]
    stats: dict[str, Any] | None = None

    @classmethod
    def of(cls, p: Product, stats: dict[str, Any] | None = None) -> ProductOut:
        return cls(
            name=p.name,
            status=p.status,
            revision=p.revision,
            stream=p.stream,
            cluster=mask_cluster(p.cluster),
            created_at=p.created_at,
            updated_at=p.updated_at,
            published_at=p.published_at,
            contract=p.contract.to_dict(),
            stats=stats,
        )


class VersionOut(BaseModel):
    name: str
    version: str
    created_at: datetime | None
    contract: dict[str, Any]

    @classmethod
    def of(cls, v: ProductVersion) -> VersionOut:
        return cls(name=v.name, version=v.version, created_at=v.created_at, contract=v.contract.to_dict())


class ViolationOut(BaseModel):
    policy: str
    path: str
    message: str
    fix: str

    @classmethod
    def of(cls, v: Violation) -> ViolationOut:
        return cls(policy=v.policy, path=v.path, message=v.message, fix=v.fix)


class CheckOut(BaseModel):
    """The policy verdict on a contract that was not published."""

    name: str
    ok: bool
    violations: list[ViolationOut]


class PublishOut(BaseModel):
    """What a publish did (``created``, ``updated``, ``unchanged`` or ``draft``) and the product now."""

    action: Literal["created", "updated", "unchanged", "draft"]
    product: ProductOut
    warnings: list[ViolationOut] = Field(description="policy violations a draft still has to fix")


class IssueOut(BaseModel):
    path: str
    message: str


class ImpactOut(BaseModel):
    group: str
    fields: list[str]


class CompatibilityOut(BaseModel):
    """The compatibility verdict on a proposed schema, and who reads what it breaks."""

    product: str
    level: str
    compatible: bool
    issues: list[IssueOut]
    affected_fields: list[str]
    impacted_consumers: list[ImpactOut]
    derived_products: list[str]

    @classmethod
    def of(cls, c: SchemaChange) -> CompatibilityOut:
        return cls(
            product=c.product,
            level=c.level,
            compatible=c.compatible,
            issues=[IssueOut(path=i.path, message=i.message) for i in c.issues],
            affected_fields=c.affected_fields,
            impacted_consumers=[ImpactOut(group=i.group, fields=list(i.fields)) for i in c.impacted],
            derived_products=list(c.derived),
        )


class EvolveOut(BaseModel):
    """``updated`` in place, ``unchanged``, or ``new-major``: released as ``product`` beside ``previous``."""

    action: Literal["updated", "unchanged", "new-major"]
    product: ProductOut
    change: CompatibilityOut
    previous: ProductOut | None = None


class DeprecateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sunset: date = Field(description="until when the product stays available (YYYY-MM-DD, in the future)")
    replacement: str | None = Field(default=None, max_length=300, description="the product consumers move to")
    reason: str | None = Field(default=None, max_length=2000)


class RetireIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: bool = Field(default=False, description="retire before the sunset date promised to consumers")


class ConsumerOut(BaseModel):
    group: str
    product: str
    fields: list[str] = Field(description="fields it reads; empty means all")
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def of(cls, c: ConsumerInfo) -> ConsumerOut:
        return cls(
            group=c.group, product=c.product, fields=list(c.fields), first_seen=c.first_seen, last_seen=c.last_seen
        )


class ActivityOut(BaseModel):
    id: int
    at: datetime
    kind: str
    subject: str
    actor: str | None
    summary: str
    details: dict[str, Any]

    @classmethod
    def of(cls, a: Activity) -> ActivityOut:
        return cls(
            id=a.id, at=a.at, kind=a.kind, subject=a.subject, actor=a.actor, summary=a.summary, details=dict(a.details)
        )


class AppOut(BaseModel):
    name: str
    sql: str
    owner: str
    products: list[str]
    status: str
    pid: int | None
    started_at: datetime | None
    updated_at: datetime | None
    metrics: dict[str, Any]
    error: str | None
    worker: str = Field(description="the worker process hosting it (instance k > 0 on Kafka: <worker>-k)")
    instances: int = 1
    desired: str = Field(description="what was asked for: running or stopped")

    @classmethod
    def of(cls, a: App) -> AppOut:
        return cls(
            name=a.name,
            sql=a.sql,
            owner=a.owner,
            products=list(a.products),
            status=a.status,
            pid=a.pid or None,
            started_at=a.started_at,
            updated_at=a.updated_at,
            metrics=dict(a.metrics),
            error=a.error,
            worker=a.worker,
            instances=a.instances,
            desired=a.desired,
        )


class LineageEdgeOut(BaseModel):
    """``input_product.input_field`` feeds ``product.output_field`` as ``kind`` (product-level: no fields)."""

    product: str
    input_product: str
    output_field: str | None
    input_field: str | None
    kind: str

    @classmethod
    def of(cls, e: LineageEdge) -> LineageEdgeOut:
        return cls(
            product=e.product,
            input_product=e.input_product,
            output_field=e.output_field,
            input_field=e.input_field,
            kind=e.kind,
        )


class SearchOut(Page[ProductSummary]):
    """A page of search hits, best first, with facet counts over all matches (facet -> value -> count)."""

    facets: dict[str, dict[str, int]]
