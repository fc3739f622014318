"""Reading request bodies that are not one fixed JSON model: contracts (YAML or JSON) and event batches.

The body's ``Content-Type`` decides the parser; every failure becomes a located 4xx problem, never a
500, and the size is bounded before anything is parsed.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request

from streammesh.api.exceptions import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError
from streammesh.contracts import Contract
from streammesh.contracts.loader import contract_from_dict, parse_contract

__all__ = [
    "CONTRACT_BODY",
    "JSON_TYPES",
    "MAX_BODY_BYTES",
    "YAML_TYPES",
    "media_type",
    "read_body",
    "read_contract",
]

#: the most one request may carry (a contract, or a batch of events): bigger batches are split by the client.
MAX_BODY_BYTES = 32 * 1024 * 1024

JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")

#: OpenAPI of a contract body, for routes that read it with :func:`read_contract`.
CONTRACT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "the contract, as YAML (docs/contracts.md) or the same fields as JSON; 'schema.file' is not read "
            "over HTTP: inline the schema under 'schema.definition'"
        ),
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/yaml": {"schema": {"type": "string"}},
        },
    }
}


def media_type(request: Request) -> str:
    """The body's media type without parameters (``application/json; charset=utf-8`` -> ``application/json``)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request) -> bytes:
    """The raw body, refused past :data:`MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"the body has {int(declared):,} bytes; at most {MAX_BODY_BYTES:,} are accepted",
            hint="split it into several requests",
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLargeError(
                f"the body is over {MAX_BODY_BYTES:,} bytes", hint="split it into several requests"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadRequestError(f"the body is not UTF-8 text (byte {e.start})", hint="send UTF-8 encoded text") from None


async def read_contract(request: Request) -> Contract:
    """The contract in the body: JSON (``application/json``) or YAML (the YAML types, or no type).

    Raises:
        ContractError: the contract has problems, each with its field path (and line, for YAML).
        BadRequestError: the body is empty or not JSON.
        UnsupportedMediaTypeError: another content type.
    """
    kind = media_type(request)
    raw = await read_body(request)
    if not raw.strip():
        raise BadRequestError(
            "the body is empty; send the contract as YAML or JSON",
            hint="e.g. curl --data-binary @orders.contract.yaml -H 'Content-Type: application/yaml'",
        )
    if kind in JSON_TYPES:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            raise BadRequestError(
                f"the body is not valid JSON: {e}",
                hint="send YAML with Content-Type: application/yaml instead, if that is what it is",
            ) from None
        return contract_from_dict(data, source="<request body>")
    if kind in YAML_TYPES or kind in ("", "text/plain"):
        return parse_contract(_text(raw), source="<request body>")
    raise UnsupportedMediaTypeError(
        f"cannot read a contract sent as {kind!r}", hint="send it as application/yaml or application/json"
    )
