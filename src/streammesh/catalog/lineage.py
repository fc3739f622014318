"""Lineage views: where a product's data comes from and where it goes, to the field.

The metadata store keeps the edges (recorded when a derived product is published); this module walks them
for every interface: REST (a breadth-first graph with depths), the CLI (trees with cycles marked) and the
web pages (direct neighbours, the mesh map).

Example:
    >>> view = catalog.lineage                                  # doctest: +SKIP
    >>> [n.name for n in view.product("sales.high_value_orders").upstream]   # doctest: +SKIP
    ['sales.orders']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from streammesh.model.catalog import ConsumerInfo, LineageEdge, Product

if TYPE_CHECKING:
    from streammesh.catalog.service import Catalog

__all__ = ["DEFAULT_DEPTH", "Direction", "LineageBranch", "LineageNode", "LineageView", "MeshGraph", "ProductLineage"]

Direction = Literal["both", "upstream", "downstream"]

#: steps followed each way unless asked otherwise; deeper webs are cut
DEFAULT_DEPTH = 8


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A product in a lineage graph; ``depth`` is its distance from the product asked about.

    ``product`` is None when an edge names a product that is not in the catalog (any more).
    """

    name: str
    product: Product | None
    depth: int = 0

    @property
    def kind(self) -> Literal["source", "derived", "unknown"]:
        if self.product is None:
            return "unknown"
        return "derived" if self.product.contract.derived_from else "source"

    @property
    def app(self) -> str | None:
        """The app deriving it, if any."""
        derived = self.product.contract.derived_from if self.product is not None else None
        return derived.app if derived else None


@dataclass(slots=True)
class ProductLineage:
    """A product's lineage: nodes nearest first each way, product-level edges between them, field edges."""

    product: str
    upstream: list[LineageNode]
    downstream: list[LineageNode]
    edges: list[LineageEdge]
    field_edges: list[LineageEdge]


@dataclass(slots=True)
class MeshGraph:
    """The whole mesh for its map: every product, every product-level edge, every consumer group."""

    nodes: list[LineageNode]
    edges: list[LineageEdge]
    consumers: list[ConsumerInfo]


@dataclass(slots=True)
class LineageBranch:
    """One branch of a lineage tree: a product and the products it reads from (or feeds).

    ``cycle``: the product is already on the path to the root (not followed again); ``cut``: the tree is
    deeper than asked, this branch stands for what is beyond (not followed).
    """

    name: str
    product: Product | None
    children: list[LineageBranch] = field(default_factory=list)
    cycle: bool = False
    cut: bool = False


class LineageView:
    """Reads the catalog's lineage edges as graphs, trees and neighbours.

    Args:
        catalog: the catalog whose store holds the edges (unknown products raise its NotFoundError).
    """

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def upstream(self, name: str) -> list[str]:
        """The products ``name`` reads directly, by name."""
        return self.catalog.store.upstream(name)

    def downstream(self, name: str) -> list[str]:
        """The products derived directly from ``name``, by name."""
        return self.catalog.store.downstream(name)

    def _node(self, name: str, depth: int) -> LineageNode:
        return LineageNode(name, self.catalog.store.get_product(name), depth)

    def _walk(self, start: str, step: Callable[[str], list[str]], depth: int) -> list[LineageNode]:
        """Breadth-first from ``start`` up to ``depth`` steps; each product once, nearest first."""
        seen, frontier, out = {start}, [start], []
        for level in range(1, depth + 1):
            following = []
            for name in frontier:
                for other in step(name):
                    if other not in seen:
                        seen.add(other)
                        following.append(other)
                        out.append(self._node(other, level))
            frontier = following
        return out

    def field_edges(self, name: str, direction: Direction = "both") -> list[LineageEdge]:
        """Field-level edges into ``name`` (upstream) and out of it (downstream), in recording order."""
        up, down = direction != "downstream", direction != "upstream"
        return [
            e
            for e in self.catalog.store.lineage_edges()
            if e.input_field is not None and ((e.product == name and up) or (e.input_product == name and down))
        ]

    def product(self, name: str, *, direction: Direction = "both", depth: int = DEFAULT_DEPTH) -> ProductLineage:
        """Products upstream and downstream of ``name`` up to ``depth`` steps each way (cycles cut), the
        product-level edges between them and the field-level edges into and out of ``name``.

        Raises:
            NotFoundError: no product ``name`` (with suggestions).
        """
        self.catalog.get(name)
        store = self.catalog.store
        up = self._walk(name, store.upstream, depth) if direction != "downstream" else []
        down = self._walk(name, store.downstream, depth) if direction != "upstream" else []
        names = {name} | {n.name for n in up} | {n.name for n in down}
        all_edges = store.lineage_edges()
        edges = [e for e in all_edges if e.input_field is None and e.product in names and e.input_product in names]
        return ProductLineage(name, up, down, edges, self.field_edges(name, direction))

    def mesh(self) -> MeshGraph:
        """Every product, every product-level edge and every consumer group (for the mesh map)."""
        store = self.catalog.store
        return MeshGraph(
            nodes=[LineageNode(p.name, p) for p in store.list_products()],
            edges=[e for e in store.lineage_edges() if e.input_field is None],
            consumers=store.list_consumers(),
        )

    def tree(
        self, name: str, direction: Literal["upstream", "downstream"], *, depth: int = DEFAULT_DEPTH
    ) -> LineageBranch:
        """``name`` and, recursively, the products it reads (upstream) or feeds (downstream).

        A product met again on its own path is marked ``cycle``; beyond ``depth`` steps branches are ``cut``.

        Raises:
            NotFoundError: no product ``name`` (with suggestions).
        """
        root = LineageBranch(name, self.catalog.get(name))
        step = self.catalog.store.upstream if direction == "upstream" else self.catalog.store.downstream
        self._grow(root, step, (name,), depth)
        return root

    def _grow(self, branch: LineageBranch, step: Callable[[str], list[str]], path: tuple[str, ...], depth: int) -> None:
        for other in step(branch.name):
            if other in path:
                branch.children.append(LineageBranch(other, None, cycle=True))
            elif len(path) >= depth:
                branch.children.append(LineageBranch(other, None, cut=True))
            else:
                child = LineageBranch(other, self.catalog.store.get_product(other))
                branch.children.append(child)
                self._grow(child, step, (*path, other), depth)
