"""The apps-and-lineage part of the metadata-store port."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from streammesh.model.catalog import App, LineageEdge

__all__ = ["BaseProcessingStore"]


class BaseProcessingStore(ABC):
    """Persists deployed apps (their placement on workers, live status and metrics) and the lineage of derived
    products."""

    @abstractmethod
    def save_app(self, app: App) -> None:
        """Insert or replace the app called ``app.name``."""

    @abstractmethod
    def get_app(self, name: str) -> App | None: ...

    @abstractmethod
    def list_apps(self) -> list[App]: ...

    @abstractmethod
    def update_app(
        self,
        name: str,
        *,
        status: str | None = None,
        pid: int | None = None,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
        worker: str | None = None,
        instances: int | None = None,
        desired: str | None = None,
    ) -> None:
        """Change some of an app's run state (``error=""`` clears the last error) or placement (the worker
        hosting it, its instance count, the state asked for: ``running`` or ``stopped``).

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

    # -- partition tasks' state (see streammesh.processing.runtime.task_state) ------------------------
    @abstractmethod
    def add_task_batch(
        self, app: str, product: str, task: str, batch: int, fingerprint: str, intent: dict[str, Any]
    ) -> bool:
        """Record batch ``batch`` of a task; False when that batch is already recorded (another owner)."""

    @abstractmethod
    def task_batches(self, app: str, product: str, task: str, *, after: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The task's recorded batches after ``after``, oldest first: (batch, fingerprint, intent)."""

    @abstractmethod
    def save_task_snapshot(self, app: str, product: str, task: str, fingerprint: str, batch: int, data: bytes) -> bool:
        """Replace the task's snapshot and forget the batches it covers (those up to ``batch``); False (and
        nothing changed) when the stored snapshot is as new already."""

    @abstractmethod
    def task_snapshot(self, app: str, product: str, task: str) -> tuple[str, int, bytes] | None:
        """The task's latest snapshot: (fingerprint, batch, data), or None."""

    @abstractmethod
    def delete_task_state(self, app: str, product: str | None = None) -> int:
        """Forget the batches and snapshots of an app's tasks (of one product); returns the rows removed."""
