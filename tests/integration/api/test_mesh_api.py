"""Teams, domains, policies, activity, schemas and lineage routes."""

from __future__ import annotations

import copy

from tests.factories import ORDERS_SCHEMA, contract_dict
from tests.integration.api.conftest import assert_problem

BIG = "CREATE STREAM sales.big_orders AS SELECT order_id, total FROM sales.orders WHERE total > 100;"


def test_teams_and_domains(client, mesh):
    r = client.post("/api/v1/teams", json={"name": "@fin-team", "domain": "finance", "on_call": "fin@acme.example"})
    assert r.status_code == 201 and r.json()["display_name"] == "fin-team"
    assert client.get("/api/v1/teams/@fin-team").json()["on_call"] == "fin@acme.example"
    teams = client.get("/api/v1/teams", params={"limit": 2}).json()
    assert teams["total"] == 4 and len(teams["items"]) == 2 and teams["next"]
    domains = {d["name"]: d for d in client.get("/api/v1/domains").json()["items"]}
    assert domains["finance"]["teams"] == 1
    assert_problem(client.post("/api/v1/teams", json={"name": "@fin-team"}), 409)
    body = assert_problem(client.post("/api/v1/teams", json={"name": "Finance Team"}), 422, detail="@team-name")
    assert "@finance-team" in body["hint"]
    assert_problem(client.post("/api/v1/teams", json={"domain": "x"}), 422, slug="invalid-request")
    assert_problem(client.post("/api/v1/teams", json={"name": 5, "extra": True}), 422)
    assert_problem(client.get("/api/v1/teams/@nobody"), 404, detail="no team named")


def test_policies_and_activity(client, mesh):
    mesh.publish(contract_dict())
    policies = client.get("/api/v1/policies").json()
    ids = [p["id"] for p in policies["policies"]]
    assert "owner-registered" in ids and all(p["enabled"] for p in policies["policies"])
    assert policies["settings"]["description_min_words"] == 6
    feed = client.get("/api/v1/activity", params={"limit": 2}).json()
    assert feed["items"][0]["kind"] == "product.published" and feed["items"][0]["subject"] == "sales.orders"
    assert feed["next"] is not None
    older = client.get(feed["next"]).json()["items"]
    assert older and older[0]["id"] < feed["items"][-1]["id"]
    newest = feed["items"][0]["id"]
    assert client.get("/api/v1/activity", params={"after_id": newest}).json()["items"] == []
    only = client.get("/api/v1/activity", params={"subject": "@sales-team"}).json()["items"]
    assert [a["kind"] for a in only] == ["team.added"]


def test_schema_subjects_versions_and_compatibility(client, mesh):
    mesh.publish(contract_dict())
    subjects = client.get("/api/v1/schemas/subjects").json()["items"]
    assert subjects[0]["subject"] == "sales.orders-value" and subjects[0]["compatibility"] == "BACKWARD"
    versions = client.get("/api/v1/schemas/subjects/sales.orders-value/versions").json()
    assert (
        versions[0]["version"] == 1 and versions[0]["format"] == "json-schema" and "order_id" in versions[0]["schema"]
    )
    assert client.get("/api/v1/schemas/subjects/sales.orders-value/versions/latest").json()["id"] == versions[0]["id"]
    widened = copy.deepcopy(ORDERS_SCHEMA)
    widened["properties"]["note"] = {"type": "string"}
    ok = client.post(
        "/api/v1/schemas/subjects/sales.orders-value/compatibility", json={"schema": widened, "format": "json-schema"}
    ).json()
    assert ok["compatible"] is True and ok["level"] == "BACKWARD"
    narrowed = copy.deepcopy(ORDERS_SCHEMA)
    narrowed["required"].append("currency")
    bad = client.post(
        "/api/v1/schemas/subjects/sales.orders-value/compatibility",
        json={"schema": narrowed, "format": "json-schema", "version": 1},
    ).json()
    assert bad["compatible"] is False and bad["issues"]
    assert_problem(client.get("/api/v1/schemas/subjects/nope-value/versions"), 404, detail="nope-value")
    assert_problem(client.get("/api/v1/schemas/subjects/sales.orders-value/versions/9"), 404)
    assert_problem(client.get("/api/v1/schemas/subjects/sales.orders-value/versions/abc"), 422)
    assert_problem(
        client.post(
            "/api/v1/schemas/subjects/sales.orders-value/compatibility", json={"schema": "{not json", "format": "avro"}
        ),
        422,
    )
    assert_problem(client.post("/api/v1/schemas/subjects/nope/compatibility", json={"schema": "{}"}), 404)


def test_lineage_of_a_derived_product(client, mesh):
    mesh.publish(contract_dict())
    r = client.post("/api/v1/apps", json={"name": "big", "sql": BIG, "start": False})
    assert r.status_code == 201, r.text
    up = client.get("/api/v1/products/sales.big_orders/lineage", params={"direction": "upstream"}).json()
    assert [n["name"] for n in up["upstream"]] == ["sales.orders"] and up["downstream"] == []
    assert up["upstream"][0]["kind"] == "source" and up["upstream"][0]["depth"] == 1
    assert {(e["output_field"], e["input_field"], e["kind"]) for e in up["field_edges"]} >= {
        ("order_id", "order_id", "identity"),
        ("total", "total", "identity"),
    }
    down = client.get("/api/v1/products/sales.orders/lineage").json()
    assert down["downstream"][0] == {
        **down["downstream"][0],
        "name": "sales.big_orders",
        "kind": "derived",
        "app": "big",
    }
    assert {(e["product"], e["input_product"]) for e in down["edges"]} == {("sales.big_orders", "sales.orders")}
    graph = client.get("/api/v1/lineage").json()
    assert {n["name"] for n in graph["nodes"]} == {"sales.orders", "sales.big_orders"}
    assert len(graph["edges"]) == 1
    assert_problem(client.get("/api/v1/products/sales.orders/lineage", params={"direction": "sideways"}), 422)
    assert_problem(client.get("/api/v1/products/sales.orders/lineage", params={"depth": 0}), 422)


def test_schema_check_with_huge_integers_is_not_a_server_error(client, mesh):
    mesh.publish(contract_dict())
    huge = copy.deepcopy(ORDERS_SCHEMA)
    huge["properties"]["total"]["maximum"] = 2**70  # found by schemathesis: orjson cannot encode it
    r = client.post(
        "/api/v1/schemas/subjects/sales.orders-value/compatibility", json={"schema": huge, "format": "json-schema"}
    )
    assert r.status_code < 500, r.text
