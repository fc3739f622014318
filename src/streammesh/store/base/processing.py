"""The apps-and-lineage part of the metadata-store port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from streammesh.catalog.models import App, LineageEdge

__all__ = ["BaseProcessingStore"]


class BaseProcessingStore(ABC):
    """Persists deployed apps (with their live metrics) and the lineage of derived products."""

    @abstractmethod
    def save_app(self, app: App) -> None:
        """Insert or replace the app called ``app.name``."""

    @abstractmethod
    def get_app(self, name: str) -> App | None: ...

    @abstractmethod
    def list_apps(self) -> list[App]: ...

    @abstractmethod
    def update_app(self, name: str, *, status: str | None = None, pid: int | None = None,
                   metrics: dict[str, Any] | None = None, error: str | None = None) -> None:
        """Change some of an app's run state (``error=""`` clears the last error).

        Raises:
            NotFoundError: no app of that name.
        """

    @abstractmethod
    def delete_app(self, name: str) -> None: ...

    @abstractmethod
    def save_lineage(self, product: str, edges: Sequence[LineageEdge]) -> None:
        """Replace the lineage of ``product`` (its product-level and field-level edges)."""

    @abstractmethod
    def lineage_edges(self, product: str | None = None) -> list[LineageEdge]:
        """Edges into ``product`` (all edges when None)."""

    @abstractmethod
    def upstream(self, product: str) -> list[str]:
        """Products ``product`` reads directly."""

    @abstractmethod
    def downstream(self, product: str) -> list[str]:
        """Products that read ``product`` directly."""
