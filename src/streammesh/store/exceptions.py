"""Errors of the metadata stores."""

from __future__ import annotations

from streammesh.exceptions import StreammeshError

__all__ = ["StoreUnavailableError"]


class StoreUnavailableError(StreammeshError):
    """The catalog database cannot be reached or opened. Start the server, create the database, or point
    ``metadata`` in ``mesh.yaml`` (or ``STREAMMESH_METADATA``) at one that exists; the hint says which."""
