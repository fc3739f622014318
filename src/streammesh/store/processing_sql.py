"""Apps and lineage in SQL (a mixin of :class:`streammesh.store.sql.SqlCatalogStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, RowMapping, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from streammesh.exceptions import NotFoundError
from streammesh.model.catalog import App, LineageEdge
from streammesh.store import tables as t
from streammesh.store.base.processing import BaseProcessingStore
from streammesh.store.dialects import serialize, upsert
from streammesh.store.timestamps import aware as _aware

__all__ = ["SqlProcessingStore"]


def _app(row: RowMapping) -> App:
    return App(
        name=row["name"],
        sql=row["sql"],
        owner=row["owner"],
        products=list(row["products"]),
        status=row["status"],
        pid=row["pid"],
        started_at=_aware(row["started_at"]),
        updated_at=_aware(row["updated_at"]),
        metrics=dict(row["metrics"] or {}),
        error=row["error"],
        worker=row["worker"] or "main",
        instances=row["instances"] or 1,
        desired=row["desired"] or "stopped",
    )


class SqlProcessingStore(BaseProcessingStore):
    """Apps and lineage edges in the catalog database."""

    engine: Engine

    def save_app(self, app: App) -> None:
        app.updated_at = datetime.now(UTC)
        values = {
            "name": app.name,
            "sql": app.sql,
            "owner": app.owner,
            "products": list(app.products),
            "status": app.status,
            "pid": app.pid,
            "started_at": app.started_at,
            "updated_at": app.updated_at,
            "metrics": app.metrics,
            "error": app.error,
            "worker": app.worker,
            "instances": app.instances,
            "desired": app.desired,
        }
        with self.engine.begin() as conn:
            upsert(conn, t.apps, values, key=("name",))

    def get_app(self, name: str) -> App | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.apps).where(t.apps.c.name == name)).mappings().first()
        return _app(row) if row else None

    def list_apps(self) -> list[App]:
        with self.engine.connect() as conn:
            return [_app(r) for r in conn.execute(select(t.apps).order_by(t.apps.c.name)).mappings()]

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
        values: dict[str, Any] = {"updated_at": datetime.now(UTC)}
        for column, value in (("worker", worker), ("instances", instances), ("desired", desired)):
            if value is not None:
                values[column] = value
        if status is not None:
            values["status"] = status
            if status == "running":
                values["started_at"] = values["updated_at"]
        if pid is not None:
            values["pid"] = pid or None  # 0 clears it
        if metrics is not None:
            values["metrics"] = metrics
        if error is not None:
            values["error"] = error or None
        with self.engine.begin() as conn:
            if not conn.execute(update(t.apps).where(t.apps.c.name == name).values(**values)).rowcount:
                raise NotFoundError(f"no app named {name!r}", hint="list apps with 'streammesh apps list'")

    def delete_app(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(t.apps).where(t.apps.c.name == name))

    def save_lineage(self, product: str, edges: Sequence[LineageEdge]) -> None:
        with self.engine.begin() as conn:
            serialize(conn, f"lineage/{product}")  # two replacements at once must not leave both edge sets
            conn.execute(delete(t.lineage_edges).where(t.lineage_edges.c.product == product))
            if edges:
                conn.execute(
                    insert(t.lineage_edges),
                    [
                        {
                            "product": product,
                            "input_product": e.input_product,
                            "output_field": e.output_field,
                            "input_field": e.input_field,
                            "kind": e.kind,
                        }
                        for e in edges
                    ],
                )

    def lineage_edges(self, product: str | None = None) -> list[LineageEdge]:
        q = select(t.lineage_edges).order_by(t.lineage_edges.c.id)
        if product is not None:
            q = q.where(t.lineage_edges.c.product == product)
        with self.engine.connect() as conn:
            return [
                LineageEdge(r["product"], r["input_product"], r["output_field"], r["input_field"], r["kind"])
                for r in conn.execute(q).mappings()
            ]

    def upstream(self, product: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(
                set(
                    conn.execute(
                        select(t.lineage_edges.c.input_product).where(t.lineage_edges.c.product == product)
                    ).scalars()
                )
            )

    def downstream(self, product: str) -> list[str]:
        with self.engine.connect() as conn:
            return sorted(
                set(
                    conn.execute(
                        select(t.lineage_edges.c.product).where(t.lineage_edges.c.input_product == product)
                    ).scalars()
                )
            )

    # -- partition tasks' state ------------------------------------------------------------------
    @staticmethod
    def _task(table: Any, app: str, product: str, task: str | None = None) -> Any:
        cond = (table.c.app == app) & (table.c.product == product)
        return cond if task is None else cond & (table.c.task == task)

    def add_task_batch(
        self, app: str, product: str, task: str, batch: int, fingerprint: str, intent: dict[str, Any]
    ) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(t.task_batches).values(
                        app=app, product=product, task=task, batch=batch, fingerprint=fingerprint, intent=intent
                    )
                )
        except IntegrityError:
            return False
        return True

    def task_batches(self, app: str, product: str, task: str, *, after: int) -> list[tuple[int, str, dict[str, Any]]]:
        q = (
            select(t.task_batches.c.batch, t.task_batches.c.fingerprint, t.task_batches.c.intent)
            .where(self._task(t.task_batches, app, product, task) & (t.task_batches.c.batch > after))
            .order_by(t.task_batches.c.batch)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2]) for r in conn.execute(q)]

    def save_task_snapshot(self, app: str, product: str, task: str, fingerprint: str, batch: int, data: bytes) -> bool:
        with self.engine.begin() as conn:
            serialize(conn, f"task/{app}/{product}/{task}")
            current = conn.execute(
                select(t.task_snapshots.c.batch).where(self._task(t.task_snapshots, app, product, task))
            ).scalar()
            if current is not None and current >= batch:  # an earlier owner's late snapshot must not win
                return False
            upsert(
                conn,
                t.task_snapshots,
                {
                    "app": app,
                    "product": product,
                    "task": task,
                    "fingerprint": fingerprint,
                    "batch": batch,
                    "data": data,
                    "saved_at": datetime.now(UTC),
                },
                key=("app", "product", "task"),
            )
            conn.execute(
                delete(t.task_batches).where(
                    self._task(t.task_batches, app, product, task) & (t.task_batches.c.batch <= batch)
                )
            )
        return True

    def task_snapshot(self, app: str, product: str, task: str) -> tuple[str, int, bytes] | None:
        q = select(t.task_snapshots.c.fingerprint, t.task_snapshots.c.batch, t.task_snapshots.c.data).where(
            self._task(t.task_snapshots, app, product, task)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return (row[0], row[1], bytes(row[2])) if row else None

    def delete_task_state(self, app: str, product: str | None = None) -> int:
        removed = 0
        with self.engine.begin() as conn:
            for table in (t.task_batches, t.task_snapshots):
                cond = table.c.app == app if product is None else self._task(table, app, product)
                removed += conn.execute(delete(table).where(cond)).rowcount
        return removed
