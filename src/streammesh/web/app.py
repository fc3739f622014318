"""The catalog browser and its JSON routes, served by ``streammesh serve`` and ``streammesh demo``."""

from __future__ import annotations

import threading
from html import escape
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from streammesh.catalog.models import FACETS
from streammesh.exceptions import NotFoundError, StreammeshError, ValidationError
from streammesh.schemas import SchemaError, load_schema
from streammesh.sdk.mesh import Mesh
from streammesh.web.masking import mask_value
from streammesh.web.pages import not_found_page, page, product_page, search_page

__all__ = ["create_app"]


def create_app(workspace: Path) -> FastAPI:
    """A FastAPI app over the mesh in ``workspace``; each server thread opens its own ``Mesh``."""
    app = FastAPI(title="streammesh", version="0.1.0", docs_url="/docs")
    local = threading.local()

    def mesh() -> Mesh:
        if not hasattr(local, "mesh"):
            local.mesh = Mesh(workspace)
        return local.mesh

    @app.exception_handler(StreammeshError)
    async def _error(request: Request, exc: StreammeshError) -> Any:
        status = 404 if isinstance(exc, NotFoundError) else 400 if isinstance(exc, ValidationError) else 409
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.message, "hint": exc.hint}, status_code=status,
                                media_type="application/problem+json")
        return HTMLResponse(not_found_page(str(exc)) if status == 404 else page("Error", f"<p>{escape(str(exc))}</p>"),
                            status_code=status)

    def _filters(request: Request) -> dict[str, list[str]]:
        return {f: request.query_params.getlist(f) for f in FACETS if request.query_params.getlist(f)}

    @app.get("/", response_class=HTMLResponse)
    def explore(request: Request, q: str = "") -> str:
        filters = _filters(request)
        result = mesh().catalog.search(q, filters=filters, limit=100)
        return search_page(result, q, filters)

    @app.get("/products/{name}", response_class=HTMLResponse)
    def product(name: str) -> str:
        m = mesh()
        p = m.product(name)
        try:
            fields = load_schema(p.contract.schema_).fields
        except SchemaError:
            fields = []
        samples = [mask_value(e.value, p.contract.classifications) for e in m.latest(name, 5)]
        return product_page(p, fields, m.stats(name), samples, m.store.list_versions(name),
                            m.store.list_consumers(name))

    @app.get("/activity", response_class=HTMLResponse)
    def activity() -> str:
        items = "".join(f"<tr><td>{a.at:%Y-%m-%d %H:%M:%S}</td><td>{escape(a.kind)}</td><td>{escape(a.subject)}</td>"
                        f"<td>{escape(a.summary)}</td></tr>" for a in mesh().store.list_activity(limit=200))
        return page("Activity", "<h1>Activity</h1><table><thead><tr><th>when (UTC)</th><th>what</th><th>subject</th>"
                                f"<th>summary</th></tr></thead><tbody>{items}</tbody></table>")

    @app.get("/teams", response_class=HTMLResponse)
    def teams() -> str:
        rows = "".join("<tr>" + "".join(f"<td>{escape(x or '')}</td>" for x in
                                        (t.name, t.display_name, t.domain, t.on_call, t.channel)) + "</tr>"
                       for t in mesh().teams())
        return page("Teams", "<h1>Teams</h1><table><thead><tr><th>team</th><th>name</th><th>domain</th>"
                             f"<th>on call</th><th>channel</th></tr></thead><tbody>{rows}</tbody></table>")

    @app.get("/api/products")
    def api_search(request: Request, q: str = "", limit: Annotated[int, Query(ge=1, le=500)] = 20,
                   offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        result = mesh().catalog.search(q, filters=_filters(request), limit=limit, offset=offset)
        return {"total": result.total, "facets": result.facets,
                "hits": [{"name": h.product.name, "score": h.score, "status": h.product.status,
                          "domain": h.product.domain, "owner": h.product.owner} for h in result.hits]}

    @app.get("/api/products/{name}")
    def api_product(name: str) -> dict[str, Any]:
        p = mesh().product(name)
        return {"status": p.status, "revision": p.revision, "stream": p.stream, "contract": p.contract.to_dict(),
                "stats": mesh().stats(name)}

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
