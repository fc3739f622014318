"""The minimal catalog browser over a real mesh (served in-process through its ASGI app)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from streammesh.api.app import create_app
from tests.factories import contract_dict, order
from tests.stores import every_store


def _client(mesh):
    return TestClient(create_app(mesh.workspace))


@every_store
def test_search_page_lists_products_with_facets(mesh):
    mesh.publish(contract_dict())
    mesh.publish(contract_dict("web.page_views", title="Page views"))
    client = _client(mesh)
    html = client.get("/", params={"q": "orders"}).text
    assert "href='/products/sales.orders'" in html and "2 product(s)" in html
    filtered = client.get("/", params={"q": "", "domain": "web"}).text
    assert "1 product(s)" in filtered and "/products/web.page_views" in filtered
    assert "/products/sales.orders'" not in filtered


@every_store
def test_product_page_masks_pii_in_samples(mesh):
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send(None, order(7, customer_email="jane.doe@example.com"))
    html = _client(mesh).get("/products/sales.orders").text
    assert "customer_email" in html and "pii" in html
    assert "sales.orders-value: version 1" in html and "compatibility BACKWARD" in html
    assert "O000007" in html
    assert "jane.doe@example.com" not in html  # masked in the sample


@every_store
def test_unknown_product_is_a_404_page_and_api_problem(mesh):
    client = _client(mesh)
    response = client.get("/products/sales.nothing")
    assert response.status_code == 404 and "no data product named" in response.text
    api = client.get("/api/products/sales.nothing")
    assert api.status_code == 404 and api.json()["detail"].startswith("no data product named")


@every_store
def test_api_search_and_product(mesh):
    mesh.publish(contract_dict())
    client = _client(mesh)
    body = client.get("/api/products", params={"q": "orders", "tier": "tier-2"}).json()
    assert body["total"] == 1 and body["items"][0]["name"] == "sales.orders"  # redirected to /api/v1
    assert client.get("/api/products", params={"limit": 0}).status_code == 422
    detail = client.get("/api/products/sales.orders").json()
    assert detail["contract"]["owner"] == "@sales-team" and detail["status"] == "published"
