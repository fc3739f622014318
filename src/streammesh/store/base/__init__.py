"""The metadata-store port."""

from streammesh.store.base.processing import BaseProcessingStore
from streammesh.store.base.schemas import BaseSchemaStore
from streammesh.store.base.store import BaseCatalogStore

__all__ = ["BaseCatalogStore", "BaseProcessingStore", "BaseSchemaStore"]
