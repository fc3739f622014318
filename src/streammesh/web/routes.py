"""The web UI's routes: server-rendered pages and their static assets (package data, no build step).

No ``from __future__ import annotations`` here: FastAPI must see the router-local ``MeshDep`` type.
"""

from collections import Counter
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streammesh.catalog.search import facet_filters
from streammesh.context import MeshContext
from streammesh.exceptions import NotFoundError
from streammesh.schemas import SchemaError, load_schema
from streammesh.web.pages import product_page, search_page
from streammesh.web.workbench import activity_page, create_page, manage_page, mesh_page, publish_page, teams_page

__all__ = ["STATIC_TYPES", "pages_router"]

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def _static(name: str) -> tuple[bytes, str] | None:
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        return None
    resource = files("streammesh.web").joinpath("static", name)
    if not resource.is_file():
        return None
    return resource.read_bytes(), STATIC_TYPES[suffix]


def pages_router(mesh: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
    MeshDep = Annotated[MeshContext, Depends(mesh)]

    @router.get("/static/{name}", response_class=Response)
    def static(name: str) -> Response:
        found = _static(name)
        if found is None:
            raise NotFoundError(f"no static file {name!r}", hint="the web UI's assets are under /static/")
        body, media_type = found
        return Response(body, media_type=media_type, headers={"Cache-Control": "no-cache"})

    @router.get("/")
    def explore(request: Request, m: MeshDep, q: Annotated[str, Query(max_length=500)] = "") -> str:
        filters = facet_filters(request.query_params.multi_items())
        return search_page(m.catalog.search(q, filters=filters, limit=100), q, filters)

    @router.get("/products/{name}")
    def product(request: Request, name: str, m: MeshDep) -> str:
        p = m.catalog.get(name)
        try:
            fields = load_schema(p.contract.schema_).fields
        except SchemaError:
            fields = []
        samples = [m.masking.event(p, e) for e in m.events.latest(name, 5)]
        registry = m.events.schema_summary(name) if p.status != "draft" else ""
        lineage = {"upstream": m.catalog.lineage.upstream(name), "downstream": m.catalog.lineage.downstream(name)}
        return product_page(
            p,
            fields,
            m.events.stats(name),
            samples,
            m.catalog.versions(name),
            m.catalog.consumers(name),
            registry,
            team=m.store.get_team(p.owner),
            base_url=str(request.base_url).rstrip("/"),
            lineage=lineage,
        )

    @router.get("/create")
    def create(m: MeshDep) -> str:
        from streammesh.processing.sql.samples import SAMPLES

        return create_page(list(SAMPLES), m.store.list_teams())

    @router.get("/publish")
    def publish(m: MeshDep) -> str:
        products = [p for p in m.store.list_products() if p.status != "retired"]
        return publish_page(m.store.list_teams(), products)

    @router.get("/publish/go", response_class=RedirectResponse)
    def publish_go(name: Annotated[str, Query(min_length=1, max_length=300)]) -> RedirectResponse:
        return RedirectResponse(f"/publish/{name}", status_code=303)

    @router.get("/publish/{name}")
    def manage(name: str, m: MeshDep) -> str:
        p = m.catalog.get(name)
        return manage_page(p, m.catalog.consumers(name), m.catalog.lineage.downstream(name))

    @router.get("/mesh")
    def mesh_map() -> str:
        return mesh_page()

    @router.get("/activity")
    def activity(m: MeshDep) -> str:
        return activity_page(m.store.list_activity(limit=100))

    @router.get("/teams")
    def teams(m: MeshDep) -> str:
        return teams_page(m.store.list_teams(), Counter(p.owner for p in m.store.list_products()))

    return router
