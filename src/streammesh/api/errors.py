"""The one place domain errors become HTTP responses.

Registry routes answer like Confluent's Schema Registry (``{"error_code", "message"}``) so its
clients understand them; every other API route answers ``application/problem+json``; HTML pages
get an error page.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from streammesh.exceptions import ConflictError, NotFoundError, StreammeshError
from streammesh.schemas.registry import RegistryError

__all__ = ["install_error_handlers", "REGISTRY_PREFIXES", "REGISTRY_MEDIA_TYPE"]

logger = logging.getLogger("streammesh.api")

REGISTRY_PREFIXES = ("/subjects", "/schemas", "/config", "/compatibility", "/mode")
REGISTRY_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"


def _status(exc: StreammeshError) -> int:
    if isinstance(exc, RegistryError):
        return exc.http_status
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, ConflictError):
        return 409
    return 422


def _is_registry(request: Request) -> bool:
    return request.url.path.startswith(REGISTRY_PREFIXES)


def _respond(request: Request, status: int, message: str, hint: str | None, code: int) -> Any:
    if _is_registry(request):
        return JSONResponse({"error_code": code, "message": message}, status_code=status,
                            media_type=REGISTRY_MEDIA_TYPE)
    if request.url.path.startswith("/api/"):
        body = {"type": "about:blank", "title": message.split(";")[0], "status": status, "detail": message}
        if hint:
            body["hint"] = hint
        return JSONResponse(body, status_code=status, media_type="application/problem+json")
    from streammesh.web.pages import error_page

    return HTMLResponse(error_page(status, message, hint), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StreammeshError)
    async def _domain(request: Request, exc: StreammeshError) -> Any:
        status = _status(exc)
        code = exc.error_code if isinstance(exc, RegistryError) else status * 100 + 1
        return _respond(request, status, exc.message, exc.hint, code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        # a bug, not the caller's fault: log the traceback for us, answer in the route's own error shape
        logger.exception("unexpected error serving %s %s", request.method, request.url.path)
        return _respond(request, 500, f"internal error: {type(exc).__name__}: {exc}", None, 50001)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Any:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'body') or 'body'}: {err['msg']}" for err in exc.errors())
        return _respond(request, 422, f"invalid request: {problems}", None, 42201 if _is_registry(request) else 42200)
