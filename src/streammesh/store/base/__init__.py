"""The metadata-store port."""

from streammesh.store.base.store import BaseCatalogStore

__all__ = ["BaseCatalogStore"]
