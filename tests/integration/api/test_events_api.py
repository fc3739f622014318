"""/api/v1/products/{name}/events: produce with per-event refusals, replay as NDJSON, follow as SSE."""

from __future__ import annotations

import threading
import time

import orjson

from tests.factories import contract_dict, order
from tests.integration.api.conftest import assert_problem


def _ndjson(response) -> list[dict]:
    return [orjson.loads(line) for line in response.content.splitlines() if line.strip()]


def test_produce_json_array_acknowledges_positions(client, mesh):
    mesh.publish(contract_dict())
    r = client.post("/api/v1/products/sales.orders/events", json=[order(i) for i in range(5)])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 5 and body["rejected"] == 0 and body["errors"] == []
    assert [p["index"] for p in body["positions"]] == [0, 1, 2, 3, 4]
    assert mesh.stats("sales.orders")["events"] == 5


def test_produce_ndjson_partial_failure_keeps_the_valid_events(client, mesh):
    mesh.publish(contract_dict())
    lines = [orjson.dumps(order(1)), b"{broken", orjson.dumps(order(2, total=-5)), b"", orjson.dumps(order(3))]
    r = client.post(
        "/api/v1/products/sales.orders/events",
        content=b"\n".join(lines),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 207, r.text
    body = r.json()
    assert body["accepted"] == 2 and body["rejected"] == 2
    by_index = {e["index"]: e for e in body["errors"]}
    assert by_index[1]["line"] == 2 and "not valid JSON" in by_index[1]["message"]
    assert by_index[2]["location"] == "[2].total" and by_index[2]["line"] == 3
    assert [p["index"] for p in body["positions"]] == [0, 3]
    values = [e["value"]["order_id"] for e in _ndjson(client.get("/api/v1/products/sales.orders/events"))]
    assert sorted(values) == ["O000001", "O000003"]


def test_produce_atomic_or_all_invalid_appends_nothing(client, mesh):
    mesh.publish(contract_dict())
    r = client.post(
        "/api/v1/products/sales.orders/events", params={"atomic": "true"}, json=[order(1), order(2, status="lost")]
    )
    body = assert_problem(r, 422, detail="nothing was appended", slug="invalid-event")
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["location"] == "[1].status"
    assert_problem(client.post("/api/v1/products/sales.orders/events", json=[{"nope": 1}]), 422)
    assert mesh.stats("sales.orders")["events"] == 0


def test_produce_bad_bodies(client, mesh):
    mesh.publish(contract_dict())
    url = "/api/v1/products/sales.orders/events"
    assert_problem(
        client.post(url, content=b"[1,", headers={"Content-Type": "application/json"}), 400, detail="not valid JSON"
    )
    assert_problem(client.post(url, json={"order_id": "O1"}), 400, detail="array")
    assert_problem(client.post(url, json=[]), 400, detail="no events")
    assert_problem(client.post(url, content=b"a,b", headers={"Content-Type": "text/csv"}), 415)
    assert_problem(client.post("/api/v1/products/sales.nothing/events", json=[order(1)]), 404)


def test_produce_to_draft_or_retired_is_a_conflict(client, mesh):
    mesh.publish(contract_dict(), draft=True)
    assert_problem(
        client.post("/api/v1/products/sales.orders/events", json=[order(1)]), 409, detail="not published yet"
    )


def test_dead_letter_contract_keeps_invalid_events(client, mesh):
    mesh.publish(contract_dict(on_invalid="dead-letter"))
    r = client.post("/api/v1/products/sales.orders/events", json=[order(1), order(2, total=-1)])
    assert r.status_code == 200 and r.json()["accepted"] == 1 and r.json()["dead_lettered"] == 1
    dead = client.get("/api/v1/products/sales.orders/dead-letters").json()
    assert dead["items"][0]["value"]["order_id"] == "O000002" and "total" in dead["items"][0]["reason"]


def test_consume_fields_limit_offset_and_group(client, orders):
    url = "/api/v1/products/sales.orders/events"
    r = client.get(url, params={"fields": "order_id,total", "limit": 5})
    assert r.headers["content-type"].startswith("application/x-ndjson")
    events = _ndjson(r)
    assert len(events) == 5 and set(events[0]["value"]) == {"order_id", "total"}
    first = _ndjson(client.get(url, params={"limit": 1000}))
    assert len(first) == 20
    p0 = sorted(e["offset"] for e in first if e["partition"] == 0)
    tail = _ndjson(client.get(url, params={"partition": 0, "offset": p0[1]}))
    assert [e["offset"] for e in tail] == p0[1:] and {e["partition"] for e in tail} == {0}
    g1 = _ndjson(client.get(url, params={"group": "reporting", "limit": 15, "fields": "order_id"}))
    g2 = _ndjson(client.get(url, params={"group": "reporting", "limit": 15, "fields": "order_id"}))
    assert len(g1) == 15 and len(g2) == 5
    assert {(e["partition"], e["offset"]) for e in g1}.isdisjoint({(e["partition"], e["offset"]) for e in g2})
    consumers = client.get("/api/v1/products/sales.orders/consumers").json()["items"]
    assert consumers == [{**consumers[0], "group": "reporting", "fields": ["order_id"]}]


def test_consume_bad_parameters(client, orders):
    url = "/api/v1/products/sales.orders/events"
    assert_problem(client.get(url, params={"fields": "order_id,nope"}), 422, detail="no field(s) nope")
    assert_problem(client.get(url, params={"partition": 7, "offset": 0}), 422, detail="no partition 7")
    assert_problem(client.get(url, params={"partition": 0}), 422, detail="needs an 'offset'")
    assert_problem(client.get(url, params={"group": "g", "offset": 3}), 422, detail="excludes")
    assert_problem(client.get(url, params={"limit": 0}), 422, slug="invalid-request")
    assert_problem(client.get(url, params={"since": "yesterday"}), 422, slug="invalid-request")


def test_follow_live_as_server_sent_events(client, orders):
    def produce_later() -> None:
        time.sleep(0.8)
        with orders.producer("sales.orders") as p:
            p.send_many([order(100), order(101)])

    thread = threading.Thread(target=produce_later)
    thread.start()
    received: list[dict] = []
    with client.stream(
        "GET", "/api/v1/products/sales.orders/events/live", params={"limit": 2, "seconds": 20, "fields": "order_id"}
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event == "event":
                received.append(orjson.loads(line[6:]))
    thread.join()
    assert [e["value"]["order_id"] for e in received] == ["O000100", "O000101"]  # only new events


def test_follow_ends_after_seconds_and_replays_from_beginning(client, orders):
    with client.stream(
        "GET", "/api/v1/products/sales.orders/events/live", params={"from_beginning": "true", "seconds": 1}
    ) as r:
        text = "".join(r.iter_text())
    assert text.count("event: event") == 20 and text.rstrip().endswith("data: {}")
    assert_problem(client.get("/api/v1/products/sales.orders/events/live", params={"seconds": 0}), 422)


def test_samples_are_masked(client, mesh):
    mesh.publish(contract_dict())
    client.post("/api/v1/products/sales.orders/events", json=[order(1, customer_email="jane.doe@example.com")])
    sample = client.get("/api/v1/products/sales.orders/samples", params={"n": 3}).json()
    assert sample[0]["value"]["order_id"] == "O000001"
    assert sample[0]["value"]["customer_email"] != "jane.doe@example.com"
