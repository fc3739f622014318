"""The catalog: products, teams, lifecycle and search over a metadata store."""

from streammesh.catalog.service import Catalog, PublishOutcome
from streammesh.model.catalog import (
    Activity,
    App,
    ConsumerInfo,
    Domain,
    LineageEdge,
    Product,
    ProductVersion,
    SearchHit,
    SearchResult,
    Team,
)

__all__ = [
    "Activity",
    "App",
    "Catalog",
    "ConsumerInfo",
    "Domain",
    "LineageEdge",
    "Product",
    "ProductVersion",
    "PublishOutcome",
    "SearchHit",
    "SearchResult",
    "Team",
]
