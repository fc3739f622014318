"""``/api/v1/streams``: the log's streams and those not yet published, with their schema."""

from __future__ import annotations

from streammesh.sdk.mesh import Mesh
from tests.factories import contract_dict
from tests.integration.api.conftest import assert_problem
from tests.raw_streams import raw_streams


def test_unpublished_streams_with_inferred_and_registered_schemas(client, mesh: Mesh):
    raw_streams(mesh)
    r = client.get("/api/v1/streams", params={"unpublished": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    by_name = {s["name"]: s for s in body["items"]}
    assert body["total"] == 4 and sorted(by_name) == [
        "finance.payments",
        "sales.returns",
        "web.empty",
        "web.legacy_log",
    ]
    returns = by_name["sales.returns"]
    assert returns["product"] is None and returns["partitions"] == 2 and returns["events"] == 30
    assert returns["last_event"].startswith("2026-") and returns["encoding"] == "json"
    assert returns["schema"]["definition"]["properties"]["received_at"]["format"] == "date-time"
    assert returns["suggested_key"] == ["return_id"]
    assert {"path": "lines[].sku", "type": "string", "required": True} in returns["fields"]
    assert by_name["finance.payments"]["schema"]["format"] == "avro"
    assert by_name["web.legacy_log"]["encoding"] == "undecodable" and by_name["web.legacy_log"]["note"]

    everything = {s["name"]: s["product"] for s in client.get("/api/v1/streams").json()["items"]}
    assert everything["sales.orders"] == "sales.orders"
    page = client.get("/api/v1/streams", params={"unpublished": "true", "limit": 1, "offset": 1}).json()
    assert [s["name"] for s in page["items"]] == ["sales.returns"] and page["next"]
    counts = client.get("/api/v1/streams", params={"domain": "sales", "sample": 0}).json()["items"]
    assert [(s["name"], s["events"], s["schema"]) for s in counts] == [
        ("sales.orders", 0, None),
        ("sales.returns", 30, None),
    ]


def test_one_stream_then_published_through_the_api(client, mesh: Mesh):
    raw_streams(mesh)
    s = client.get("/api/v1/streams/sales.returns").json()
    contract = contract_dict(
        "sales.returns",
        title="Returns",
        key=s["suggested_key"],
        partitions=s["partitions"],
        schema=s["schema"],
        classifications={},
        timestamp_field="received_at",
    )
    r = client.post("/api/v1/products", json=contract)
    assert r.status_code == 201, r.text
    assert client.get("/api/v1/products/sales.returns/events", params={"limit": 100}).text.count("return_id") == 30
    assert client.get("/api/v1/streams/sales.returns").json()["product"] == "sales.returns"
    assert "sales.returns" not in [x["name"] for x in client.get("/api/v1/streams?unpublished=true").json()["items"]]


def test_bad_requests_are_problems(client, mesh: Mesh):
    raw_streams(mesh)
    assert_problem(client.get("/api/v1/streams/sales.nope"), 404, detail="no stream named 'sales.nope'")
    assert_problem(client.get("/api/v1/streams/sales.returns.dlq"), 404, detail="no stream named")
    assert_problem(client.get("/api/v1/streams", params={"sample": 5000}), 422)
    assert_problem(client.get("/api/v1/streams", params={"unpublished": "maybe"}), 422)
    r = client.post("/api/v1/products", json=contract_dict("sales.returns", partitions=5))
    assert_problem(r, 409, detail="already exists on the log with 2 partition")
