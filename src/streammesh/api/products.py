"""JSON routes over the catalog (the full REST API grows here)."""


from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from streammesh.catalog.models import FACETS
from streammesh.sdk.mesh import Mesh

__all__ = ["products_router", "facet_filters"]


def facet_filters(request: Request) -> dict[str, list[str]]:
    """Facet filters from repeated query parameters (``?domain=sales&domain=web&tier=tier-1``)."""
    return {f: request.query_params.getlist(f) for f in FACETS if request.query_params.getlist(f)}


def products_router(mesh: Any) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["products"])
    MeshDep = Annotated[Mesh, Depends(mesh)]

    @router.get("/products")
    def search(request: Request, m: MeshDep, q: str = "", limit: Annotated[int, Query(ge=1, le=500)] = 20,
               offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
        """Ranked search with facet counts; filter with repeated facet parameters."""
        result = m.catalog.search(q, filters=facet_filters(request), limit=limit, offset=offset)
        return {"total": result.total, "facets": result.facets,
                "hits": [{"name": h.product.name, "score": h.score, "status": h.product.status,
                          "domain": h.product.domain, "owner": h.product.owner} for h in result.hits]}

    @router.get("/products/{name}")
    def product(name: str, m: MeshDep) -> dict[str, Any]:
        p = m.product(name)
        return {"status": p.status, "revision": p.revision, "stream": p.stream, "contract": p.contract.to_dict(),
                "stats": m.stats(name)}

    @router.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return router
