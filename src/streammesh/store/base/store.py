"""The metadata-store port: what the catalog, the schema registry and the apps persist, whichever database holds it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

from streammesh.model.catalog import Activity, ConsumerInfo, Domain, Product, ProductVersion, SearchResult, Team
from streammesh.schemas.registry.port import BaseSchemaStore
from streammesh.store.base.processing import BaseProcessingStore

__all__ = ["BaseCatalogStore", "BaseMetadataStore"]


class BaseCatalogStore(ABC):
    """The catalog's part of the store: teams, products, versions, consumers and activity; searches."""

    @abstractmethod
    def add_team(self, team: Team) -> Team:
        """Register a team. Raises ConflictError when the name is taken."""

    @abstractmethod
    def get_team(self, name: str) -> Team | None: ...

    @abstractmethod
    def list_teams(self) -> list[Team]: ...

    @abstractmethod
    def list_domains(self) -> list[Domain]: ...

    @abstractmethod
    def get_product(self, name: str) -> Product | None: ...

    @abstractmethod
    def list_products(
        self, *, domain: str | None = None, status: str | None = None, owner: str | None = None
    ) -> list[Product]: ...

    @abstractmethod
    def save_product(self, product: Product, *, expected_revision: int | None) -> Product:
        """Insert (``expected_revision=None``) or update a product whose stored revision equals
        ``expected_revision``; returns it with the new revision.

        Raises:
            ConflictError: it exists already (insert) or was changed by someone else (update).
        """

    @abstractmethod
    def add_version(self, version: ProductVersion) -> None: ...

    @abstractmethod
    def list_versions(self, name: str) -> list[ProductVersion]:
        """Versions of a product, oldest first."""

    @abstractmethod
    def search(
        self, query: str, *, filters: Mapping[str, Sequence[str]] | None = None, limit: int = 20, offset: int = 0
    ) -> SearchResult:
        """Rank products by ``query`` over name, title, description, tags, domain, owner and field
        names; filter by facet values (:data:`streammesh.model.catalog.FACETS`) and count facets."""

    @abstractmethod
    def record_activity(
        self,
        kind: str,
        subject: str,
        *,
        actor: str | None = None,
        summary: str = "",
        details: dict[str, Any] | None = None,
    ) -> Activity: ...

    @abstractmethod
    def list_activity(
        self, *, limit: int = 50, subject: str | None = None, after_id: int | None = None
    ) -> list[Activity]:
        """Newest first."""

    @abstractmethod
    def register_consumer(self, group: str, product: str, fields: Sequence[str]) -> None:
        """Remember that ``group`` reads ``product`` using ``fields`` (empty: all fields)."""

    @abstractmethod
    def list_consumers(self, product: str | None = None) -> list[ConsumerInfo]: ...


class BaseMetadataStore(BaseCatalogStore, BaseSchemaStore, BaseProcessingStore):
    """The whole metadata-store port: the catalog's, the schema registry's and the apps' parts.

    A backend implements every method of the three parts; the mesh opens it with :meth:`from_config`.
    Implementations must be safe to use from several processes at once.
    """

    #: the store is a server that processes on other machines reach (PostgreSQL), not a file in the workspace
    shared: ClassVar[bool] = False

    @classmethod
    @abstractmethod
    def from_config(cls, url: str, workspace: Path) -> Self:
        """Open the store named by the mesh's ``metadata`` setting (``mesh.yaml`` or ``STREAMMESH_METADATA``).

        Args:
            url: the setting as written: ``sqlite``, ``postgresql://user@host:5432/db``...
            workspace: the mesh's folder, for stores that keep their files there.

        Raises:
            StreammeshError: the store cannot be opened; the message names the setting and the fix.
        """

    @abstractmethod
    def close(self) -> None:
        """Release connections and files."""
