"""/api/v1/apps and /api/v1/sql: validate with located errors, deploy and run workers, preview and pull."""

from __future__ import annotations

import threading
import time

import pytest

from streammesh.processing.apps import pid_alive, stop, worker_pid
from tests.factories import contract_dict, order
from tests.integration.api.conftest import assert_problem

BIG = "CREATE STREAM sales.big_orders AS SELECT order_id, total FROM sales.orders WHERE total > 100;"


@pytest.fixture
def orders_mesh(orders):
    yield orders
    for a in orders.store.list_apps():  # never leave a worker behind, even when a test fails
        if a.desired == "running" or pid_alive(a.pid):
            stop(orders, a.name, timeout=15)


def test_validate_shows_derived_contracts_and_deploys_nothing(client, orders_mesh):
    r = client.post("/api/v1/apps/validate", json={"sql": BIG})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["owner"] == "@sales-team"
    planned = body["products"][0]
    assert planned["name"] == "sales.big_orders" and planned["inputs"] == ["sales.orders"]
    assert planned["contract"]["key"] == ["order_id"] or planned["contract"]["key"] == []
    assert {e["output_field"] for e in planned["field_lineage"]} >= {"order_id", "total"}
    assert orders_mesh.store.get_product("sales.big_orders") is None


def test_sql_errors_are_located(client, orders_mesh):
    sql = "CREATE STREAM sales.big_orders AS\nSELECT order_id, totl FROM sales.orders;"
    body = assert_problem(client.post("/api/v1/apps/validate", json={"sql": sql}), 422, slug="invalid-sql")
    error = body["errors"][0]
    assert error["location"] == "sql" and error["line"] == 2 and error["column"] == 18 and error["length"] == 4
    assert "totl" in body["detail"]
    assert_problem(client.post("/api/v1/apps/validate", json={"sql": ""}), 422, slug="invalid-request")
    assert_problem(client.post("/api/v1/apps", json={"name": "Big Orders!", "sql": BIG}), 422, detail="app name")


def test_deploy_status_stop_restart(client, orders_mesh):
    r = client.post("/api/v1/apps", json={"name": "big", "sql": BIG})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "running" and r.json()["products"] == ["sales.big_orders"]
    assert client.get("/api/v1/apps").json()["items"][0]["name"] == "big"
    shown = client.get("/api/v1/apps/big").json()
    assert shown["worker"] == "main" and shown["desired"] == "running"  # where it runs
    assert shown["pid"] == worker_pid(orders_mesh, "main") and shown["metrics"]["worker"] == "main"
    stopped = client.post("/api/v1/apps/big/stop").json()
    assert stopped["status"] == "stopped" and stopped["pid"] is None
    again = client.post("/api/v1/apps/big/restart").json()
    assert again["status"] == "running"
    assert_problem(
        client.post("/api/v1/apps", json={"name": "big", "sql": BIG.replace("100", "200")}),
        409,
        detail="different script",
    )
    assert assert_problem(client.get("/api/v1/apps/nope"), 404, detail="no app named")["hint"] == "deployed apps: big"
    assert_problem(client.post("/api/v1/apps/nope/stop"), 404)
    kinds = {a["kind"] for a in client.get("/api/v1/activity").json()["items"]}
    assert "product.published" in kinds


def test_deploy_on_a_worker_and_delete(client, orders_mesh):
    r = client.post("/api/v1/apps", json={"name": "big", "sql": BIG, "worker": "api-worker"})
    assert r.status_code == 201, r.text
    assert r.json()["worker"] == "api-worker" and r.json()["pid"] == worker_pid(orders_mesh, "api-worker")
    assert_problem(
        client.post("/api/v1/apps", json={"name": "b2", "sql": BIG, "owner": "@sales-team", "worker": "Bad!"}),
        422,
        detail="worker",
    )
    gone = client.delete("/api/v1/apps/big")
    assert gone.status_code == 200 and gone.json()["name"] == "big"
    assert client.get("/api/v1/apps").json()["items"] == []
    assert worker_pid(orders_mesh, "api-worker") is None  # nothing left to host
    assert orders_mesh.store.get_product("sales.big_orders") is not None


def test_pull_query(client, orders_mesh):
    orders_mesh.publish(contract_dict("sales.order_state", compacted=True))
    with orders_mesh.producer("sales.order_state") as p:
        p.send_many([order(3, total=1.0), order(4), order(3)])
    r = client.post(
        "/api/v1/sql", json={"sql": "SELECT order_id, total FROM sales.order_state WHERE order_id = 'O000003'"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["mode"] == "pull" and body["rows"] == [{"order_id": "O000003", "total": 14.5}]
    assert body["columns"] == ["order_id", "total"]


def test_push_preview_is_bounded(client, orders_mesh):
    def produce_later() -> None:
        time.sleep(1.0)
        with orders_mesh.producer("sales.orders") as p:
            p.send_many([order(500), order(501), order(502)])

    thread = threading.Thread(target=produce_later)
    thread.start()
    started = time.monotonic()
    r = client.post(
        "/api/v1/sql", json={"sql": "SELECT order_id FROM sales.orders WHERE total > 700", "seconds": 10, "limit": 2}
    )
    thread.join()
    assert r.status_code == 200, r.text
    assert r.json()["mode"] == "push" and r.json()["rows"] == [{"order_id": "O000500"}, {"order_id": "O000501"}]
    assert time.monotonic() - started < 10


def test_sql_refusals(client, orders_mesh):
    assert_problem(client.post("/api/v1/sql", json={"sql": BIG}), 422, detail="defines a derived product")
    assert_problem(client.post("/api/v1/sql", json={"sql": "SELECT nope FROM sales.orders"}), 422, slug="invalid-sql")
    assert_problem(client.post("/api/v1/sql", json={"sql": "SELECT 1", "seconds": 60}), 422, slug="invalid-request")
