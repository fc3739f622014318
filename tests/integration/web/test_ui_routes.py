"""The routes behind the web UI's live parts (metrics, masked live samples) and its pages, over a real mesh."""

from __future__ import annotations

import threading
import time

import orjson
from fastapi.testclient import TestClient

from streammesh.api.app import create_app
from tests.factories import contract_dict, order


def _client(mesh):
    return TestClient(create_app(mesh.workspace))


def test_metrics_rate_freshness_and_invalid_rate(mesh):
    mesh.publish(
        contract_dict(
            sla={"tier": "tier-2", "freshness": "5m", "availability": 99.5, "acknowledged": True},
            on_invalid="dead-letter",
        )
    )
    client = _client(mesh)
    empty = client.get("/api/v1/products/sales.orders/metrics").json()
    assert empty["events"] == 0 and empty["age_seconds"] is None and empty["fresh"] is None
    r = client.post("/api/v1/products/sales.orders/events", json=[order(i) for i in range(9)] + [{"order_id": 1}])
    assert r.status_code in (200, 207), r.text
    m = client.get("/api/v1/products/sales.orders/metrics").json()
    assert m["events"] == 9 and m["dead_letters"] == 1 and abs(m["invalid_rate"] - 1 / 10) < 1e-6  # of all 10
    assert m["freshness_seconds"] == 300 and m["age_seconds"] is not None
    with mesh.producer("sales.orders") as p:  # six events stamped now: 6 in the last minute
        for i in range(6):
            p.send(None, order(100 + i), timestamp=int(time.time() * 1000))
    m = client.get("/api/v1/products/sales.orders/metrics").json()
    assert m["events"] == 15 and m["events_per_second"] == 0.1 and m["age_seconds"] < 60 and m["fresh"] is True
    assert client.get("/api/v1/products/sales.nothing/metrics").status_code == 404


def test_live_samples_are_masked_server_sent_events(mesh):
    mesh.publish(contract_dict())
    client = _client(mesh)

    def produce_later():
        time.sleep(0.8)
        with mesh.producer("sales.orders") as p:
            p.send(None, order(3, customer_email="jane.doe@example.com"))

    writer = threading.Thread(target=produce_later)
    writer.start()
    with client.stream("GET", "/api/v1/products/sales.orders/samples/live", params={"limit": 1, "seconds": 10}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    writer.join()
    data = [line[6:] for line in text.splitlines() if line.startswith("data: ") and line != "data: {}"]
    event = orjson.loads(data[0])
    assert event["value"]["order_id"] == "O000003"
    assert event["value"]["customer_email"] != "jane.doe@example.com"  # pii masked
    assert "event: end" in text


def test_every_page_renders_and_assets_are_served(mesh):
    mesh.publish(contract_dict())
    client = _client(mesh)
    for path in (
        "/",
        "/products/sales.orders",
        "/create",
        "/publish",
        "/publish/sales.orders",
        "/mesh",
        "/activity",
        "/teams",
    ):
        r = client.get(path)
        assert r.status_code == 200 and "<main id=main" in r.text, path
    for asset in (
        "style.css",
        "ui.js",
        "graph.js",
        "product.js",
        "create.js",
        "publish.js",
        "manage.js",
        "mesh.js",
        "activity.js",
        "explore.js",
    ):
        assert client.get(f"/static/{asset}").status_code == 200, asset
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert (
        client.get("/publish/go", params={"name": "sales.orders"}, follow_redirects=False).headers["location"]
        == "/publish/sales.orders"
    )


def test_product_page_masks_secrets_in_a_recorded_cluster(mesh):
    product = mesh.publish(contract_dict()).product
    stored = mesh.store.get_product(product.name)
    stored.cluster = "kafka://b1:9092?sasl.username=mesh&sasl.password=s3cret"  # recorded before masking existed
    mesh.store.save_product(stored, expected_revision=stored.revision)
    html = _client(mesh).get(f"/products/{product.name}").text
    assert "s3cret" not in html and "sasl.password=***" in html
