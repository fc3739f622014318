"""The metadata-store port on every store: the same calls must give the same answers on SQLite and
PostgreSQL, including under concurrent writers and across migrations."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from datetime import UTC, timedelta

import pytest
from sqlalchemy import inspect, text, update

from streammesh.contracts.model import Contract
from streammesh.exceptions import ConflictError, NotFoundError, StreammeshError
from streammesh.model.catalog import App, LineageEdge, Product, ProductVersion, Team
from streammesh.store import tables as t
from streammesh.store.migrations import MIGRATIONS
from tests.factories import contract_dict
from tests.stores import every_store

pytestmark = every_store


def _product(name: str = "sales.orders", **overrides) -> Product:
    return Product(contract=Contract.model_validate(contract_dict(name, **overrides)), status="published", stream=name)


def _register(store, subject: str, text: str):
    return store.add_subject_version(subject, "avro", text, hashlib.sha256(text.encode()).hexdigest(), [])


def _run_together(*jobs) -> None:
    """Start the jobs at the same moment on their own threads (each with its own store and connections)."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job) -> None:
        try:
            start.wait()
            job()
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_teams_domains_and_conflicts(store_factory):
    store = store_factory()
    store.add_team(Team("@sales-team", domain="sales", on_call="sales@acme.example"))
    store.add_team(Team("@web-team", domain="web"))
    with pytest.raises(ConflictError, match="@sales-team"):
        store.add_team(Team("@sales-team"))
    store.save_product(_product(), expected_revision=None)
    assert [(d.name, d.teams, d.products) for d in store.list_domains()] == [("sales", 1, 1), ("web", 1, 0)]
    assert store.get_team("@sales-team").on_call == "sales@acme.example"
    assert store.get_team("@nobody") is None


def test_long_values_are_kept_and_names_sort_by_code_point(store_factory):
    store = store_factory()
    for name in ("@b-team", "@B-team", "@é-team", "@a-team"):
        store.add_team(Team(name, display_name="x" * 500))
    assert [team.name for team in store.list_teams()] == sorted(["@b-team", "@B-team", "@é-team", "@a-team"])
    long_tag = "t" * 150
    saved = store.save_product(_product(tags=[long_tag], title="T" * 400), expected_revision=None)
    again = store.get_product("sales.orders")
    assert again.contract.tags == [long_tag] and again.contract.title == "T" * 400
    assert saved.revision == again.revision == 1


def test_times_come_back_in_utc(store_factory):
    store = store_factory()
    team = store.add_team(Team("@sales-team", domain="sales"))
    stored = store.get_team("@sales-team").created_at
    assert stored.utcoffset() == timedelta(0) and abs(stored - team.created_at) < timedelta(seconds=1)
    assert store.record_activity("team.added", "@sales-team").at.tzinfo == UTC
    assert store.list_activity()[0].at.utcoffset() == timedelta(0)


def test_products_revisions_and_versions(store_factory):
    store = store_factory()
    product = store.save_product(_product(tags=["legacytag"]), expected_revision=None)
    with pytest.raises(ConflictError, match="already exists"):
        store.save_product(_product(), expected_revision=None)
    product.contract.tags = ["orders", "checkout"]
    store.save_product(product, expected_revision=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        store.save_product(product, expected_revision=1)
    assert store.get_product("sales.orders").contract.tags == ["orders", "checkout"]
    assert store.search("checkout").hits[0].product.name == "sales.orders"
    assert store.search("legacytag").total == 0  # the old tag left the index
    store.add_version(ProductVersion("sales.orders", "1.0.0", product.contract))
    with pytest.raises(ConflictError, match="bump 'version'"):
        store.add_version(ProductVersion("sales.orders", "1.0.0", product.contract))
    assert [v.version for v in store.list_versions("sales.orders")] == ["1.0.0"]
    assert [p.contract.name for p in store.list_products(domain="sales", status="published")] == ["sales.orders"]


def test_activity_is_newest_first_and_pages_by_id(store_factory):
    store = store_factory()
    ids = [store.record_activity("product.published", f"p{i}", details={"i": i}).id for i in range(5)]
    assert ids == sorted(ids)
    assert [a.subject for a in store.list_activity(limit=2)] == ["p4", "p3"]
    assert [a.details["i"] for a in store.list_activity(after_id=ids[2])] == [4, 3]
    assert [a.subject for a in store.list_activity(subject="p1")] == ["p1"]


def test_consumers_keep_first_seen_and_update_fields(store_factory):
    store = store_factory()
    store.register_consumer("billing", "sales.orders", ["order_id"])
    first = store.list_consumers()[0]
    store.register_consumer("billing", "sales.orders", ["order_id", "total"])
    store.register_consumer("audit", "sales.orders", [])
    billing = {c.group: c for c in store.list_consumers("sales.orders")}["billing"]
    assert billing.fields == ["order_id", "total"] and billing.first_seen == first.first_seen
    assert billing.last_seen >= first.last_seen
    assert [c.group for c in store.list_consumers("sales.orders")] == ["audit", "billing"]


def test_apps_and_lineage(store_factory):
    store = store_factory()
    store.save_app(App("high-value", "CREATE STREAM ...", "@sales-team", ["sales.high_value"], metrics={"n": 1}))
    store.save_app(App("high-value", "CREATE STREAM v2", "@sales-team", ["sales.high_value"]))
    store.update_app("high-value", status="running", pid=4242, metrics={"events": 10})
    app = store.get_app("high-value")
    assert (app.sql, app.status, app.pid, app.metrics) == ("CREATE STREAM v2", "running", 4242, {"events": 10})
    assert app.started_at is not None and app.started_at.tzinfo == UTC
    store.update_app("high-value", pid=0, error="boom")
    assert store.get_app("high-value").pid is None and store.get_app("high-value").error == "boom"
    with pytest.raises(NotFoundError, match="no app named 'nope'"):
        store.update_app("nope", status="stopped")
    assert (app.worker, app.instances, app.desired) == ("main", 1, "stopped")  # placement defaults
    store.update_app("high-value", worker="etl", instances=3, desired="running")
    app = store.get_app("high-value")
    assert (app.worker, app.instances, app.desired, app.status) == ("etl", 3, "running", "running")
    store.delete_app("high-value")
    assert store.list_apps() == []

    store.save_lineage(
        "sales.big",
        [
            LineageEdge("sales.big", "sales.orders"),
            LineageEdge("sales.big", "sales.orders", "total", "total", "identity"),
        ],
    )
    store.save_lineage(
        "sales.big", [LineageEdge("sales.big", "sales.orders"), LineageEdge("sales.big", "customers.profiles")]
    )
    assert len(store.lineage_edges("sales.big")) == 2
    assert store.upstream("sales.big") == ["customers.profiles", "sales.orders"]
    assert store.downstream("sales.orders") == ["sales.big"]


def test_schema_registry_ids_versions_and_compatibility(store_factory):
    store = store_factory()
    v1, new = _register(store, "orders-value", '{"type": "string"}')
    assert new and v1.version == 1
    assert _register(store, "orders-value", '{"type": "string"}') == (v1, False)
    other, new = _register(store, "refunds-value", '{"type": "string"}')
    assert new and other.schema.id == v1.schema.id  # one global id per schema text
    v2, _ = _register(store, "orders-value", '{"type": "int"}')
    assert v2.version == 2 and v2.schema.id != v1.schema.id
    assert store.subjects() == ["orders-value", "refunds-value"]
    assert store.versions_of_schema(v1.schema.id) == [("orders-value", 1), ("refunds-value", 1)]
    store.delete_versions("orders-value", [1], permanent=False)
    assert [v.version for v in store.subject_versions("orders-value")] == [2]
    assert [v.deleted for v in store.subject_versions("orders-value", include_deleted=True)] == [True, False]
    store.delete_versions("orders-value", [1], permanent=True)
    assert len(store.subject_versions("orders-value", include_deleted=True)) == 1
    store.set_compatibility(None, "FULL")
    store.set_compatibility("orders-value", "NONE")
    store.set_compatibility("orders-value", "BACKWARD")
    assert (store.get_compatibility(None), store.get_compatibility("orders-value")) == ("FULL", "BACKWARD")
    store.set_compatibility("orders-value", None)
    assert store.get_compatibility("orders-value") is None


def test_concurrent_writers_neither_fail_nor_lose_anything(store_factory):
    first = store_factory()
    stores = [first, *(store_factory(like=first) for _ in range(3))]

    def writer(n: int):
        def job() -> None:
            store = stores[n]
            for i in range(8):
                _register(store, "orders-value", f'{{"type": "string", "doc": "{n}-{i}"}}')
                store.record_activity("schema.registered", f"w{n}")
                store.register_consumer("billing", "sales.orders", [f"f{n}"])
                store.set_compatibility("orders-value", "FULL" if n % 2 else "NONE")
                store.save_lineage("sales.big", [LineageEdge("sales.big", f"in{n}")])

        return job

    _run_together(*(writer(n) for n in range(4)))
    assert [v.version for v in first.subject_versions("orders-value")] == list(range(1, 33))
    assert len({a.id for a in first.list_activity(limit=100)}) == 32
    assert len(first.list_consumers()) == 1 and len(first.lineage_edges("sales.big")) == 1


_WORKER = """
import hashlib, sys
from streammesh.sdk.mesh import Mesh
with Mesh(sys.argv[1]) as mesh:
    for i in range(10):
        text = '{"type": "string", "doc": "%s-%d"}' % (sys.argv[2], i)
        mesh.store.add_subject_version("orders-value", "avro", text, hashlib.sha256(text.encode()).hexdigest(), [])
        mesh.store.record_activity("schema.registered", sys.argv[2])
"""


def test_processes_sharing_a_mesh_write_concurrently(mesh_factory):
    mesh = mesh_factory()  # each worker finds the catalog through mesh.yaml, as apps and servers do
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(mesh.workspace), f"w{n}"], stderr=subprocess.PIPE, text=True
        )
        for n in range(3)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    assert [v.version for v in mesh.store.subject_versions("orders-value")] == list(range(1, 31))
    assert len({a.id for a in mesh.store.list_activity(limit=100) if a.kind == "schema.registered"}) == 30


def test_catalogs_opened_at_once_migrate_once_and_reopen_as_is(store_factory):
    first = store_factory()
    opened = []
    _run_together(*(lambda: opened.append(store_factory(like=first)) for _ in range(3)))
    with first.engine.connect() as conn:
        assert conn.execute(t.schema_version.select()).all() == [(len(MIGRATIONS),)]
    first.add_team(Team("@sales-team"))
    assert all(s.get_team("@sales-team") for s in opened)


def test_a_newer_layout_is_refused_with_the_fix(store_factory):
    store = store_factory()
    with store.engine.begin() as conn:
        conn.execute(update(t.schema_version).values(version=99))
    with pytest.raises(StreammeshError, match="layout version 99") as info:
        store_factory(like=store)
    assert "pip install -U streammesh" in str(info.value)


def test_search_prefixes_accents_and_every_term(store_factory):
    store = store_factory()
    store.save_product(
        _product(title="Café orders", description="Orders of the café chain. " * 2000), expected_revision=None
    )
    store.save_product(_product("web.page_views", title="Page views", tags=["clickstream"]), expected_revision=None)
    for query in ("cafe", "CAFÉ", "caf", "sales ord", "sales.orders"):
        assert [h.product.name for h in store.search(query).hits] == ["sales.orders"], query
    assert store.search("customer_email").total == 2  # a field of both schemas
    assert store.search("sales clickstream").total == 0  # every term must match
    assert [h.product.name for h in store.search("click").hits] == ["web.page_views"]
    assert store.search("!!!").total == 0  # punctuation only: no words to match
    result = store.search("orders", limit=1)
    assert result.total == 2 and result.hits[0].score == 1.0


def test_search_facets_follow_writes_of_other_store_instances(store_factory):
    """Facet values are cached between searches; a write through another store (another process) shows."""
    reader = store_factory()
    writer = store_factory(like=reader)
    writer.save_product(_product(tags=["orders"]), expected_revision=None)
    assert reader.search("").facets["tag"] == {"orders": 1}
    assert reader.search("", filters={"tag": ["orders"]}).total == 1  # served from the cache

    product = writer.get_product("sales.orders")
    product.contract.tags = ["revenue"]
    product.contract.classifications = {}
    writer.save_product(product, expected_revision=product.revision)  # a revision, not a new row
    result = reader.search("")
    assert result.facets["tag"] == {"revenue": 1} and result.facets["classification"] == {}
    assert reader.search("", filters={"tag": ["orders"]}).total == 0

    writer.save_product(_product("web.clicks", tags=["clickstream"]), expected_revision=None)
    result = reader.search("", filters={"domain": ["sales"]})
    assert [h.product.name for h in result.hits] == ["sales.orders"]
    assert result.facets["domain"] == {"sales": 1, "web": 1}
    assert result.facets["tag"] == {"revenue": 1}
    assert reader.search("click").facets["tag"] == {"clickstream": 1}


def test_the_revision_index_is_added_to_older_catalogs(store_factory):
    store = store_factory()
    with store.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_products_revision"))
        conn.execute(update(t.schema_version).values(version=3))
    reopened = store_factory(like=store)
    with reopened.engine.connect() as conn:
        assert "ix_products_revision" in {i["name"] for i in inspect(conn).get_indexes("products")}
        assert conn.execute(t.schema_version.select()).all() == [(len(MIGRATIONS),)]


def test_apps_of_older_catalogs_are_placed_on_the_default_worker(store_factory):
    """Layout 6 adds the apps' placement; apps deployed before ran a process each and move to worker main."""
    store = store_factory()
    store.save_app(App("hv", "CREATE STREAM ...", "@sales-team", ["sales.hv"], status="running", pid=12))
    store.save_app(App("old", "CREATE STREAM ...", "@sales-team", ["sales.old"], status="stopped"))
    with store.engine.begin() as conn:
        for column in t.APP_PLACEMENT_COLUMNS:
            conn.execute(text(f"ALTER TABLE apps DROP COLUMN {column}"))
        conn.execute(update(t.schema_version).values(version=5))
    reopened = store_factory(like=store)
    placed = {a.name: (a.worker, a.instances, a.desired, a.status) for a in reopened.list_apps()}
    assert placed == {"hv": ("main", 1, "running", "running"), "old": ("main", 1, "stopped", "stopped")}
    with reopened.engine.connect() as conn:
        assert conn.execute(t.schema_version.select()).all() == [(len(MIGRATIONS),)]


def test_search_facets_when_most_of_the_catalog_matches(store_factory):
    """Counted as the catalog's counts minus the products that do not match: the same counts."""
    store = store_factory()
    store.save_product(_product(tags=["orders", "revenue"]), expected_revision=None)
    store.save_product(
        _product("sales.returns", title="Returns", tags=["orders"], classifications={}), expected_revision=None
    )
    store.save_product(
        _product("web.clicks", title="Clicks", tags=["clickstream"], description="Clicks " * 20, classifications={}),
        expected_revision=None,
    )
    result = store.search("sales")
    assert result.total == 2 and {h.product.name for h in result.hits} == {"sales.orders", "sales.returns"}
    assert result.facets["domain"] == {"sales": 2}
    assert result.facets["tag"] == {"orders": 2, "revenue": 1}
    assert result.facets["classification"] == {"pii": 1}
    assert store.search("").facets["tag"] == {"orders": 2, "clickstream": 1, "revenue": 1}
