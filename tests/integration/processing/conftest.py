"""Fixtures for the streaming-SQL runtime on real meshes (embedded log on disk, SQLite catalog).

``demo_mesh`` holds the sample organisation's contracts and an hour of its generated events, loaded
once per session with events shuffled within short runs (out of order, within any grace period of a
few minutes); tests deploy their own derived products into it under unique names.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import streammesh
from streammesh.demo.generators import DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.sdk.mesh import Mesh
from tests.integration.processing.helpers import produce, shuffled_locally

#: the demo products the tests read (the generator feeds more; they are not loaded, to keep it quick)
DEMO_INPUTS = ("customers.profiles", "catalog.products", "sales.orders", "sales.order_lines")

_names = itertools.count()


@pytest.fixture(scope="session")
def demo_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mesh]:
    mesh = streammesh.connect(tmp_path_factory.mktemp("demo") / "mesh")
    for t in TEAMS:
        mesh.add_team(t.name, domain=t.domain)
    for c in load_demo_contracts():
        mesh.publish(c)
    gen = DemoGenerator(seed=11, start=datetime(2024, 5, 1, 12, tzinfo=UTC), backlog=timedelta(minutes=45),
                        rate=6, seasonality=False)
    by_product: dict[str, list[tuple[str, dict]]] = {}
    for e in gen.initial_events():
        if e.product in DEMO_INPUTS:
            by_product.setdefault(e.product, []).append((e.key, e.value))
    for product, items in by_product.items():
        # tables keep their order (an update must follow its insert); streams arrive out of order
        if product not in ("customers.profiles", "catalog.products"):
            items = shuffled_locally(items, window=12)
        produce(mesh, product, items)
    yield mesh
    mesh.close()


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A fresh derived-product name: ``unique("analytics.big_orders")`` → ``analytics.big_orders_7``."""
    return lambda name: f"{name}_{next(_names)}"


@pytest.fixture
def shop(mesh_factory: Callable[..., Mesh]) -> Mesh:
    """A fresh mesh with the ``shop`` and ``analytics`` teams (products are published by each test)."""
    return mesh_factory("shop", "analytics")


@pytest.fixture
def state(tmp_path: Path) -> Callable[[str], Path]:
    """State folders for processors: ``state("a")``."""
    return lambda name="app": tmp_path / "state" / name
