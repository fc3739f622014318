"""Catalog entities: teams, data products, their versions, consumers and the activity feed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from streammesh.contracts.model import Contract, LifecycleStatus

__all__ = [
    "FACETS",
    "Activity",
    "App",
    "ConsumerInfo",
    "Domain",
    "LineageEdge",
    "Product",
    "ProductVersion",
    "SearchHit",
    "SearchResult",
    "Team",
]

#: facet name -> what it counts; the order is the order shown to users.
FACETS = ("domain", "tag", "tier", "quality", "status", "classification")


@dataclass(slots=True)
class Team:
    """A team that owns products and answers for them."""

    name: str  # e.g. @sales-team
    display_name: str = ""
    domain: str | None = None
    on_call: str | None = None
    channel: str | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class Domain:
    """A business area, with how many teams and products it has."""

    name: str
    teams: int = 0
    products: int = 0


@dataclass(slots=True)
class Product:
    """A data product as the catalog holds it: the current contract plus catalog-managed state.

    ``revision`` increases on every change and guards concurrent edits (optimistic concurrency).
    """

    contract: Contract
    status: LifecycleStatus = "draft"
    revision: int = 0
    stream: str = ""
    cluster: str = "embedded"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    published_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.contract.name

    @property
    def domain(self) -> str:
        return self.contract.domain

    @property
    def owner(self) -> str:
        return self.contract.owner


@dataclass(slots=True)
class ProductVersion:
    """One published version of a product's contract."""

    name: str
    version: str
    contract: Contract
    created_at: datetime | None = None


@dataclass(slots=True)
class SearchHit:
    """A product that matched a search, with its rank score (higher is better)."""

    product: Product
    score: float


@dataclass(slots=True)
class SearchResult:
    """One page of hits, the total number of matches and facet counts over the matches."""

    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(slots=True)
class Activity:
    """An entry of the persisted activity feed and audit log."""

    id: int
    at: datetime
    kind: str  # e.g. team.added, product.published, product.deprecated
    subject: str
    actor: str | None = None
    summary: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ConsumerInfo:
    """A consumer group seen reading a product, and which fields it asked for (``[]`` = all)."""

    group: str
    product: str
    fields: list[str]
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(slots=True)
class App:
    """A deployed streaming-SQL application: its statements, the products it feeds and how it runs."""

    name: str
    sql: str
    owner: str
    products: list[str] = field(default_factory=list)
    status: str = "stopped"  # starting | running | stopping | stopped | failed (what the worker reports)
    pid: int | None = None  # the pid of the worker process hosting it (its first instance on Kafka)
    started_at: datetime | None = None
    updated_at: datetime | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: placement: the worker process that hosts it (instance k > 0 of a Kafka app runs on ``<worker>-k``)
    worker: str = "main"
    #: how many instances share its input partitions (Kafka; the embedded log runs one)
    instances: int = 1
    #: what ``apps deploy | stop`` asked for (running | stopped); the worker converges ``status`` to it
    desired: str = "stopped"


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """``input_product.input_field`` feeds ``product.output_field`` as ``kind`` (identity,
    transformation, aggregation, filter, join-key). Product-level edges have no fields."""

    product: str
    input_product: str
    output_field: str | None = None
    input_field: str | None = None
    kind: str = "product"
