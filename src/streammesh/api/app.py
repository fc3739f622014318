"""The HTTP server of a mesh: catalog pages, the JSON API and the schema-registry routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from streammesh.api.deps import MeshProvider
from streammesh.api.errors import install_error_handlers
from streammesh.api.products import products_router
from streammesh.api.schema_registry import registry_router
from streammesh.web.routes import pages_router

__all__ = ["create_app"]


def create_app(workspace: Path) -> FastAPI:
    """A FastAPI app over the mesh in ``workspace`` (OpenAPI at ``/docs``)."""
    mesh = MeshProvider(workspace)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        mesh.close()

    app = FastAPI(title="streammesh", version="0.1.0", docs_url="/docs", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(products_router(mesh))
    app.include_router(registry_router(mesh))
    app.include_router(pages_router(mesh))
    return app
