"""Metadata stores: the port in ``base``, a shared SQL implementation, and one adapter per database."""

from streammesh.store.base import BaseMetadataStore

__all__ = ["BaseMetadataStore"]
