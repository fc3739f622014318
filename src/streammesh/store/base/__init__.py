"""The metadata-store port."""

from streammesh.schemas.registry.port import BaseSchemaStore
from streammesh.store.base.processing import BaseProcessingStore
from streammesh.store.base.store import BaseCatalogStore, BaseMetadataStore

__all__ = ["BaseCatalogStore", "BaseMetadataStore", "BaseProcessingStore", "BaseSchemaStore"]
