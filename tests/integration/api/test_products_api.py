"""/api/v1/products: search, publish (YAML and JSON), check, ETag/If-Match, lifecycle and evolution."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import yaml

from streammesh.api.models import SearchOut
from tests.factories import ORDERS_SCHEMA, contract_dict
from tests.integration.api.conftest import assert_problem


def _yaml(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


def test_publish_yaml_then_get_with_etag(client, mesh):
    r = client.post("/api/v1/products", content=_yaml(contract_dict()), headers={"Content-Type": "application/yaml"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["action"] == "created" and body["product"]["status"] == "published"
    assert r.headers["ETag"] == f'"{body["product"]["revision"]}"'
    got = client.get("/api/v1/products/sales.orders")
    assert got.status_code == 200 and got.json()["contract"]["owner"] == "@sales-team"
    assert got.json()["stats"]["events"] == 0 and got.headers["ETag"] == r.headers["ETag"]
    assert (
        client.get("/api/v1/products/sales.orders", headers={"If-None-Match": got.headers["ETag"]}).status_code == 304
    )
    assert mesh.product("sales.orders").status == "published"


def test_publish_json_draft_then_live(client):
    r = client.post("/api/v1/products", params={"draft": "true"}, json=contract_dict(description="short"))
    assert r.status_code == 201 and r.json()["action"] == "draft"
    assert [w["policy"] for w in r.json()["warnings"]] == ["description-length"]
    live = client.post("/api/v1/products", json=contract_dict())
    assert live.status_code == 200 and live.json()["product"]["status"] == "published"


def test_policy_violations_are_located_and_nothing_is_published(client, mesh):
    r = client.post("/api/v1/products", json=contract_dict(owner="@nobody", description="short"))
    body = assert_problem(r, 422, detail="breaks 2 policies", slug="policy-violation")
    assert {(e["location"], e["policy"]) for e in body["errors"]} == {
        ("owner", "owner-registered"),
        ("description", "description-length"),
    }
    assert all(e["fix"] for e in body["errors"])
    assert mesh.store.get_product("sales.orders") is None


def test_check_does_not_publish(client, mesh):
    ok = client.post("/api/v1/products/check", json=contract_dict()).json()
    assert ok == {"name": "sales.orders", "ok": True, "violations": []}
    bad = client.post(
        "/api/v1/products/check",
        content=_yaml(contract_dict(classifications={})),
        headers={"Content-Type": "application/yaml"},
    ).json()
    assert not bad["ok"] and bad["violations"][0]["path"] == "classifications.customer_email"
    assert mesh.store.get_product("sales.orders") is None


def test_malformed_contracts_are_4xx_with_locations(client):
    broken = client.post("/api/v1/products", content="name: [unclosed", headers={"Content-Type": "application/yaml"})
    body = assert_problem(broken, 422, slug="invalid-contract")
    assert body["errors"][0]["line"] == 1
    wrong = client.post("/api/v1/products", json=contract_dict(partitions="many"))
    body = assert_problem(wrong, 422, slug="invalid-contract")
    assert body["errors"][0]["location"] == "partitions"
    assert_problem(
        client.post("/api/v1/products", content=b"{not json", headers={"Content-Type": "application/json"}),
        400,
        detail="not valid JSON",
        slug="bad-request",
    )
    assert_problem(
        client.post("/api/v1/products", content=b"", headers={"Content-Type": "application/yaml"}), 400, detail="empty"
    )
    assert_problem(
        client.post("/api/v1/products", content=b"x", headers={"Content-Type": "image/png"}),
        415,
        detail="image/png",
        slug="unsupported-media-type",
    )
    assert_problem(
        client.post("/api/v1/products", content=b"\xff\xfe", headers={"Content-Type": "application/yaml"}),
        400,
        detail="UTF-8",
    )


def test_search_facets_filters_and_pagination(client, mesh):
    for i in range(3):
        mesh.publish(contract_dict(f"sales.orders_{i}"))
    mesh.publish(contract_dict("web.page_views", title="Page views", classifications={"customer_email": "pii"}))
    page = client.get("/api/v1/products", params={"limit": 2}).json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["facets"]["domain"] == {"sales": 3, "web": 1}
    following = client.get(page["next"]).json()
    assert len(following["items"]) == 2 and following["next"] is None
    assert {i["name"] for i in page["items"] + following["items"]} == {
        "sales.orders_0",
        "sales.orders_1",
        "sales.orders_2",
        "web.page_views",
    }
    web = client.get("/api/v1/products", params={"domain": "web"}).json()
    assert [i["name"] for i in web["items"]] == ["web.page_views"] and web["items"][0]["tier"] == "tier-2"
    hits = client.get("/api/v1/products", params={"q": "page views"}).json()
    assert hits["items"][0]["name"] == "web.page_views" and hits["items"][0]["score"] > 0


def test_search_body_is_the_search_out_model_as_fastapi_writes_it(client, mesh):
    """The route writes its JSON itself (no second validation): it must be exactly what validating the
    body as ``SearchOut`` and serialising it again gives, and the OpenAPI document still names the model."""
    mesh.publish(contract_dict())
    mesh.publish(contract_dict("web.page_views", title="Page views", classifications={"customer_email": "pii"}))
    for params in ({}, {"q": "orders"}, {"q": "ord", "limit": 1}, {"domain": "web"}, {"q": "nothing-matches"}):
        response = client.get("/api/v1/products", params=params)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        assert SearchOut.model_validate_json(response.content).model_dump_json().encode() == response.content
    schema = client.get("/openapi.json").json()["paths"]["/api/v1/products"]["get"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SearchOut"}


def test_bad_query_parameters_are_422_problems(client):
    for params in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"offset": 10**12}, {"limit": "ten"}):
        body = assert_problem(client.get("/api/v1/products", params=params), 422, slug="invalid-request")
        assert body["errors"][0]["location"] in ("query.limit", "query.offset")


def test_unknown_product_and_route(client, orders):
    body = assert_problem(
        client.get("/api/v1/products/sales.order"), 404, detail="no data product named", slug="not-found"
    )
    assert "sales.orders" in body["hint"]
    for path in ("/versions", "/consumers", "/contract", "/lineage", "/samples", "/events"):
        assert_problem(client.get(f"/api/v1/products/sales.nothing{path}"), 404)
    assert_problem(client.get("/api/v1/nothing"), 404, detail="no route")
    assert_problem(client.delete("/api/v1/products/sales.orders"), 405)


def test_legacy_routes_redirect_to_v1(client, orders):
    r = client.get("/api/products/sales.orders", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/api/v1/products/sales.orders"
    assert client.get("/api/products", params={"q": "orders"}).json()["items"][0]["name"] == "sales.orders"


def test_update_honours_if_match(client, orders):
    etag = client.get("/api/v1/products/sales.orders").headers["ETag"]
    v2 = contract_dict(version="1.1.0", description=contract_dict()["description"] + " Now with more words.")
    stale = client.put("/api/v1/products/sales.orders", json=v2, headers={"If-Match": '"999"'})
    assert_problem(stale, 412, detail="revision", slug="precondition-failed")
    assert orders.product("sales.orders").contract.version == "1.0.0"  # untouched
    ok = client.put("/api/v1/products/sales.orders", json=v2, headers={"If-Match": etag})
    assert ok.status_code == 200 and ok.json()["action"] == "updated"
    assert ok.headers["ETag"] != etag
    assert_problem(client.put("/api/v1/products/sales.orders", json=v2, headers={"If-Match": etag}), 412)
    assert_problem(
        client.put("/api/v1/products/sales.orders", json=v2, headers={"If-Match": "yesterday"}),
        422,
        detail="not an ETag",
    )
    assert_problem(client.put("/api/v1/products/sales.other", json=v2), 422, detail="URL names 'sales.other'")
    assert_problem(
        client.put("/api/v1/products/sales.orders", json=contract_dict(version="1.1.0", title="Other")),
        409,
        detail="already published with different content",
    )
    versions = client.get("/api/v1/products/sales.orders/versions").json()
    assert [v["version"] for v in versions["items"]] == ["1.0.0", "1.1.0"] and versions["total"] == 2


def test_contract_as_yaml_and_json(client, orders):
    r = client.get("/api/v1/products/sales.orders/contract")
    assert r.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(r.text)["name"] == "sales.orders"
    j = client.get("/api/v1/products/sales.orders/contract", params={"format": "json"})
    assert j.json()["key"] == ["order_id"]
    assert_problem(client.get("/api/v1/products/sales.orders/contract", params={"format": "xml"}), 422)


def test_deprecate_and_retire_with_if_match(client, orders):
    etag = client.get("/api/v1/products/sales.orders").headers["ETag"]
    sunset = (date.today() + timedelta(days=30)).isoformat()
    assert_problem(
        client.post("/api/v1/products/sales.orders/deprecate", json={"sunset": sunset}, headers={"If-Match": '"0"'}),
        412,
    )
    assert_problem(
        client.post("/api/v1/products/sales.orders/deprecate", json={"sunset": "2001-01-01"}), 422, detail="in the past"
    )
    assert_problem(
        client.post("/api/v1/products/sales.orders/deprecate", json={"sunset": "soon"}), 422, detail="sunset"
    )
    r = client.post(
        "/api/v1/products/sales.orders/deprecate",
        json={"sunset": sunset, "reason": "moving"},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200 and r.json()["status"] == "deprecated"
    assert r.json()["contract"]["deprecation"]["sunset"] == sunset
    early = client.post("/api/v1/products/sales.orders/retire", headers={"If-Match": r.headers["ETag"]})
    assert_problem(early, 409, detail="sunset date", slug="conflict")
    done = client.post("/api/v1/products/sales.orders/retire", json={"force": True})
    assert done.status_code == 200 and done.json()["status"] == "retired"
    assert_problem(client.post("/api/v1/products/sales.orders/retire", json={"force": True}), 409, detail="retired")
    kinds = [a["kind"] for a in client.get("/api/v1/activity").json()["items"]]
    assert kinds[:2] == ["product.retired", "product.deprecated"]


def test_compatibility_verdict_and_evolve(client, orders):
    with orders.consumer("sales.orders", group="billing", fields=["order_id", "total"]) as c:
        c.poll(timeout=0.2)
    schema = copy.deepcopy(ORDERS_SCHEMA)
    schema["properties"]["total"] = {"type": "string"}
    breaking = contract_dict(version="1.1.0", schema={"format": "json-schema", "definition": schema})
    verdict = client.post("/api/v1/products/sales.orders/compatibility", json=breaking).json()
    assert verdict["compatible"] is False and "total" in verdict["affected_fields"]
    assert verdict["impacted_consumers"] == [{"group": "billing", "fields": ["total"]}]
    refused = client.post("/api/v1/products/sales.orders/evolve", json=breaking)
    body = assert_problem(refused, 409, detail="not BACKWARD compatible", slug="incompatible-schema")
    assert body["change"]["impacted_consumers"][0]["group"] == "billing" and body["errors"]
    major = client.post(
        "/api/v1/products/sales.orders/evolve",
        json=contract_dict(version="2.0.0", schema={"format": "json-schema", "definition": schema}),
        params={"sunset": (date.today() + timedelta(days=60)).isoformat()},
    )
    assert major.status_code == 200, major.text
    out = major.json()
    assert out["action"] == "new-major" and out["product"]["name"] == "sales.orders.v2"
    assert out["previous"]["status"] == "deprecated"
    consumers = client.get("/api/v1/products/sales.orders/consumers").json()
    assert consumers["items"][0]["group"] == "billing" and consumers["items"][0]["fields"] == ["order_id", "total"]


def test_draft_has_no_compatibility(client, mesh):
    mesh.publish(contract_dict(), draft=True)
    assert_problem(
        client.post("/api/v1/products/sales.orders/compatibility", json=contract_dict()), 409, detail="draft"
    )


def test_a_serving_app_keeps_the_collector_off_the_requests(client):
    """Once the app serves (its lifespan started), start-up objects are frozen and young collections are rarer,
    so no request meets a full collection rescanning them (see ``_tune_gc_for_serving``)."""
    import gc

    assert client.get("/api/healthz").status_code == 200
    assert gc.get_freeze_count() > 10_000 and gc.get_threshold()[0] >= 10_000
