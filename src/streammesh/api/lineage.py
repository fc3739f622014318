"""``/api/v1/lineage`` and ``/api/v1/products/{name}/lineage``: where data comes from and goes, to the field.

The catalog's lineage view (:mod:`streammesh.catalog.lineage`) walks the product graph breadth-first up to
``depth`` steps each way (cycles are cut) and lists the whole mesh for its map; these routes translate.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from streammesh.api.deps import MeshDep
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import ConsumerOut, LineageEdgeOut
from streammesh.api.products import ProductName
from streammesh.catalog.lineage import DEFAULT_DEPTH, LineageNode, MeshGraph, ProductLineage

__all__ = ["MeshGraphOut", "NodeOut", "ProductLineageOut", "router"]

router = APIRouter(prefix="/api/v1", tags=["lineage"], responses=PROBLEM_RESPONSES)


class NodeOut(BaseModel):
    """A product in a lineage graph; ``depth`` is its distance from the product asked about."""

    name: str
    domain: str | None
    owner: str | None
    status: str | None = Field(description="None when the product is not in the catalog (any more)")
    kind: Literal["source", "derived", "unknown"]
    app: str | None = None
    depth: int = 0

    @classmethod
    def of(cls, node: LineageNode) -> NodeOut:
        p = node.product
        return cls(
            name=node.name,
            domain=p.domain if p else None,
            owner=p.owner if p else None,
            status=p.status if p else None,
            kind=node.kind,
            app=node.app,
            depth=node.depth,
        )


class ProductLineageOut(BaseModel):
    product: str
    upstream: list[NodeOut] = Field(description="products it reads, nearest first")
    downstream: list[NodeOut] = Field(description="products derived from it, nearest first")
    edges: list[LineageEdgeOut] = Field(description="product-level edges between the nodes listed")
    field_edges: list[LineageEdgeOut] = Field(description="field-level edges into and out of the product")

    @classmethod
    def of(cls, lineage: ProductLineage) -> ProductLineageOut:
        return cls(
            product=lineage.product,
            upstream=[NodeOut.of(n) for n in lineage.upstream],
            downstream=[NodeOut.of(n) for n in lineage.downstream],
            edges=[LineageEdgeOut.of(e) for e in lineage.edges],
            field_edges=[LineageEdgeOut.of(e) for e in lineage.field_edges],
        )


class MeshGraphOut(BaseModel):
    nodes: list[NodeOut]
    edges: list[LineageEdgeOut]
    consumers: list[ConsumerOut]

    @classmethod
    def of(cls, graph: MeshGraph) -> MeshGraphOut:
        return cls(
            nodes=[NodeOut.of(n) for n in graph.nodes],
            edges=[LineageEdgeOut.of(e) for e in graph.edges],
            consumers=[ConsumerOut.of(c) for c in graph.consumers],
        )


@router.get("/products/{name}/lineage", response_model=ProductLineageOut)
def product_lineage(
    name: ProductName,
    m: MeshDep,
    direction: Annotated[Literal["both", "upstream", "downstream"], Query()] = "both",
    depth: Annotated[int, Query(ge=1, le=20, description="steps to follow each way")] = DEFAULT_DEPTH,
) -> ProductLineageOut:
    """Products upstream and downstream of ``name``, and which input field feeds which output field, and how."""
    return ProductLineageOut.of(m.catalog.lineage.product(name, direction=direction, depth=depth))


@router.get("/lineage", response_model=MeshGraphOut)
def mesh_graph(m: MeshDep) -> MeshGraphOut:
    """The whole mesh: every product, every product-level edge and every consumer group (for the mesh map)."""
    return MeshGraphOut.of(m.catalog.lineage.mesh())
