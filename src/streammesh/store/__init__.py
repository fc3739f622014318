"""Metadata stores: the port in ``base``, a shared SQL implementation, and one adapter per database."""

from streammesh.store.base import BaseCatalogStore

__all__ = ["BaseCatalogStore"]
