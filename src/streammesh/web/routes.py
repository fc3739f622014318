"""The catalog browser's HTML pages."""


from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from streammesh.api.products import facet_filters
from streammesh.schemas import SchemaError, load_schema
from streammesh.sdk.mesh import Mesh
from streammesh.web.masking import mask_value
from streammesh.web.pages import page, product_page, search_page

__all__ = ["pages_router"]


def pages_router(mesh: Any) -> APIRouter:
    router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
    MeshDep = Annotated[Mesh, Depends(mesh)]

    @router.get("/")
    def explore(request: Request, m: MeshDep, q: str = "") -> str:
        filters = facet_filters(request)
        return search_page(m.catalog.search(q, filters=filters, limit=100), q, filters)

    @router.get("/products/{name}")
    def product(name: str, m: MeshDep) -> str:
        p = m.product(name)
        try:
            fields = load_schema(p.contract.schema_).fields
        except SchemaError:
            fields = []
        samples = [mask_value(e.value, p.contract.classifications) for e in m.latest(name, 5)]
        registry = m.schema_summary(name) if p.status != "draft" else ""
        return product_page(p, fields, m.stats(name), samples, m.store.list_versions(name),
                            m.store.list_consumers(name), registry)

    @router.get("/activity")
    def activity(m: MeshDep) -> str:
        items = "".join(f"<tr><td>{a.at:%Y-%m-%d %H:%M:%S}</td><td>{escape(a.kind)}</td><td>{escape(a.subject)}</td>"
                        f"<td>{escape(a.summary)}</td></tr>" for a in m.store.list_activity(limit=200))
        return page("Activity", "<h1>Activity</h1><table><thead><tr><th>when (UTC)</th><th>what</th><th>subject</th>"
                                f"<th>summary</th></tr></thead><tbody>{items}</tbody></table>")

    @router.get("/teams")
    def teams(m: MeshDep) -> str:
        rows = "".join("<tr>" + "".join(f"<td>{escape(x or '')}</td>" for x in
                                        (t.name, t.display_name, t.domain, t.on_call, t.channel)) + "</tr>"
                       for t in m.teams())
        return page("Teams", "<h1>Teams</h1><table><thead><tr><th>team</th><th>name</th><th>domain</th>"
                             f"<th>on call</th><th>channel</th></tr></thead><tbody>{rows}</tbody></table>")

    return router
