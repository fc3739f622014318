"""``/api/v1/lineage`` and ``/api/v1/products/{name}/lineage``: where data comes from and goes, to the field.

A product's lineage walks the product graph breadth-first up to ``depth`` steps each way (cycles are cut);
the mesh graph lists every product, every product-level edge and every consumer group for the mesh map.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from streammesh.api.deps import MeshDep
from streammesh.api.errors import PROBLEM_RESPONSES
from streammesh.api.models import ConsumerOut, LineageEdgeOut
from streammesh.api.products import ProductName
from streammesh.context import MeshContext
from streammesh.model.catalog import Product

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


class ProductLineageOut(BaseModel):
    product: str
    upstream: list[NodeOut] = Field(description="products it reads, nearest first")
    downstream: list[NodeOut] = Field(description="products derived from it, nearest first")
    edges: list[LineageEdgeOut] = Field(description="product-level edges between the nodes listed")
    field_edges: list[LineageEdgeOut] = Field(description="field-level edges into and out of the product")


class MeshGraphOut(BaseModel):
    nodes: list[NodeOut]
    edges: list[LineageEdgeOut]
    consumers: list[ConsumerOut]


def _node(name: str, product: Product | None, depth: int = 0) -> NodeOut:
    if product is None:
        return NodeOut(name=name, domain=None, owner=None, status=None, kind="unknown", depth=depth)
    derived = product.contract.derived_from
    return NodeOut(
        name=name,
        domain=product.domain,
        owner=product.owner,
        status=product.status,
        kind="derived" if derived else "source",
        app=derived.app if derived else None,
        depth=depth,
    )


def _walk(m: MeshContext, start: str, step: Callable[[str], list[str]], depth: int) -> list[NodeOut]:
    seen, frontier, out = {start}, [start], []
    for level in range(1, depth + 1):
        following = []
        for name in frontier:
            for other in step(name):
                if other not in seen:
                    seen.add(other)
                    following.append(other)
                    out.append(_node(other, m.store.get_product(other), level))
        frontier = following
    return out


@router.get("/products/{name}/lineage", response_model=ProductLineageOut)
def product_lineage(
    name: ProductName,
    m: MeshDep,
    direction: Annotated[Literal["both", "upstream", "downstream"], Query()] = "both",
    depth: Annotated[int, Query(ge=1, le=20, description="steps to follow each way")] = 8,
) -> ProductLineageOut:
    """Products upstream and downstream of ``name``, and which input field feeds which output field, and how."""
    m.catalog.get(name)
    store = m.store
    up = _walk(m, name, store.upstream, depth) if direction != "downstream" else []
    down = _walk(m, name, store.downstream, depth) if direction != "upstream" else []
    names = {name} | {n.name for n in up} | {n.name for n in down}
    all_edges = store.lineage_edges()
    edges = [e for e in all_edges if e.input_field is None and e.product in names and e.input_product in names]
    field_edges = [
        e
        for e in all_edges
        if e.input_field is not None
        and ((e.product == name and direction != "downstream") or (e.input_product == name and direction != "upstream"))
    ]
    return ProductLineageOut(
        product=name,
        upstream=up,
        downstream=down,
        edges=[LineageEdgeOut.of(e) for e in edges],
        field_edges=[LineageEdgeOut.of(e) for e in field_edges],
    )


@router.get("/lineage", response_model=MeshGraphOut)
def mesh_graph(m: MeshDep) -> MeshGraphOut:
    """The whole mesh: every product, every product-level edge and every consumer group (for the mesh map)."""
    products = m.store.list_products()
    return MeshGraphOut(
        nodes=[_node(p.name, p) for p in products],
        edges=[LineageEdgeOut.of(e) for e in m.store.lineage_edges() if e.input_field is None],
        consumers=[ConsumerOut.of(c) for c in m.store.list_consumers()],
    )
