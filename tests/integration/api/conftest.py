"""API fixtures: the app over a real on-disk mesh, driven in-process through its ASGI interface."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streammesh.api.app import create_app
from streammesh.sdk.mesh import Mesh
from tests.factories import contract_dict, order


@pytest.fixture
def client(mesh: Mesh) -> Iterator[TestClient]:
    """A client of the REST API over ``mesh`` (teams @sales-team, @web-team, @customers-team)."""
    with TestClient(create_app(mesh.workspace)) as c:
        yield c


@pytest.fixture
def orders(mesh: Mesh) -> Mesh:
    """``sales.orders`` published with 20 orders."""
    mesh.publish(contract_dict())
    with mesh.producer("sales.orders") as p:
        p.send_many(order(i) for i in range(20))
    return mesh


def assert_problem(response: Any, status: int, *, detail: str = "", slug: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem document of ``status`` whose detail mentions ``detail``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert detail in body["detail"], body["detail"]
    if slug is not None:
        assert body["type"] == f"urn:streammesh:problem:{slug}", body["type"]
    return body
