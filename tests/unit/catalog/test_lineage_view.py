"""The catalog's lineage view over a store of edges (a fake): breadth-first graphs, trees, field edges."""

from __future__ import annotations

from typing import Any

import pytest

from streammesh.catalog.lineage import LineageView
from streammesh.contracts import contract_from_dict
from streammesh.exceptions import NotFoundError
from streammesh.model.catalog import LineageEdge, Product
from tests.factories import contract_dict

# a -> b -> c -> a (a cycle), b -> d; "gone" is named by an edge but not in the catalog
EDGES = [
    LineageEdge("sales.b", "sales.a"),
    LineageEdge("sales.c", "sales.b"),
    LineageEdge("sales.a", "sales.c"),
    LineageEdge("sales.d", "sales.b"),
    LineageEdge("sales.d", "sales.gone"),
    LineageEdge("sales.b", "sales.a", "total", "total", "identity"),
    LineageEdge("sales.d", "sales.b", "n", "total", "aggregation"),
]


class _Store:
    def __init__(self) -> None:
        names = {e.product for e in EDGES} | {e.input_product for e in EDGES}
        self.products = {n: Product(contract_from_dict(contract_dict(n)), "published") for n in names - {"sales.gone"}}

    def get_product(self, name: str) -> Product | None:
        return self.products.get(name)

    def list_products(self) -> list[Product]:
        return list(self.products.values())

    def list_consumers(self, product: str | None = None) -> list[Any]:
        return []

    def lineage_edges(self, product: str | None = None) -> list[LineageEdge]:
        return [e for e in EDGES if product is None or e.product == product]

    def upstream(self, product: str) -> list[str]:
        return sorted({e.input_product for e in EDGES if e.product == product})

    def downstream(self, product: str) -> list[str]:
        return sorted({e.product for e in EDGES if e.input_product == product})


class _Catalog:
    def __init__(self) -> None:
        self.store = _Store()

    def get(self, name: str) -> Product:
        product = self.store.get_product(name)
        if product is None:
            raise NotFoundError(f"no data product named {name!r}")
        return product


@pytest.fixture
def view() -> LineageView:
    catalog: Any = _Catalog()  # duck-typed stand-in for the Catalog
    return LineageView(catalog)


def test_product_lineage_is_breadth_first_each_product_once(view: LineageView) -> None:
    lineage = view.product("sales.b")
    assert [(n.name, n.depth) for n in lineage.upstream] == [("sales.a", 1), ("sales.c", 2)]
    assert [(n.name, n.depth) for n in lineage.downstream] == [("sales.c", 1), ("sales.d", 1), ("sales.a", 2)]
    assert {(e.product, e.input_product) for e in lineage.edges} == {
        ("sales.b", "sales.a"),
        ("sales.c", "sales.b"),
        ("sales.a", "sales.c"),
        ("sales.d", "sales.b"),
    }
    assert [e.output_field for e in lineage.field_edges] == ["total", "n"]
    up = view.product("sales.d", direction="upstream", depth=1)
    assert [(n.name, n.kind) for n in up.upstream] == [("sales.b", "source"), ("sales.gone", "unknown")]
    assert up.downstream == [] and view.field_edges("sales.d", "downstream") == []
    with pytest.raises(NotFoundError):
        view.product("sales.nope")


def test_tree_marks_cycles_and_cuts_deep_branches(view: LineageView) -> None:
    root = view.tree("sales.a", "downstream")
    (b,) = root.children
    assert b.name == "sales.b" and [c.name for c in b.children] == ["sales.c", "sales.d"]
    (back,) = b.children[0].children
    assert back.name == "sales.a" and back.cycle and back.children == []
    shallow = view.tree("sales.a", "downstream", depth=1)
    assert [(c.name, c.cut) for c in shallow.children] == [("sales.b", True)]
    assert view.tree("sales.d", "upstream").children[1].product is None  # sales.gone
    graph = view.mesh()
    assert len(graph.nodes) == 4 and len(graph.edges) == 5 and graph.consumers == []
