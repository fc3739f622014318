"""The schema registry's persistence in SQL (a mixin of :class:`streammesh.store.sql.SqlCatalogStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, RowMapping, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from streammesh.model.registry import SchemaReference, StoredSchema, SubjectVersion
from streammesh.schemas.registry.port import BaseSchemaStore
from streammesh.store import tables as t
from streammesh.store.dialects import serialize, upsert

__all__ = ["SqlSchemaStore"]


def _schema(row: RowMapping) -> StoredSchema:
    refs = tuple(SchemaReference(r["name"], r["subject"], r["version"]) for r in row["references"] or [])
    return StoredSchema(row["id"], row["format"], row["text"], refs)


class SqlSchemaStore(BaseSchemaStore):
    """Schema ids, subject versions and compatibility levels in the catalog database."""

    engine: Engine

    def add_subject_version(
        self, subject: str, fmt: str, text: str, fingerprint: str, references: Sequence[SchemaReference]
    ) -> tuple[SubjectVersion, bool]:
        for _attempt in range(5):  # another process may insert the same schema at the same moment
            try:
                return self._add_subject_version(subject, fmt, text, fingerprint, references)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not register a schema under {subject!r}: too much concurrent registration")

    def _add_subject_version(
        self, subject: str, fmt: str, text: str, fingerprint: str, references: Sequence[SchemaReference]
    ) -> tuple[SubjectVersion, bool]:
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            # the next version number is read, then written: registrations take turns
            serialize(conn, "schema-registry")
            row = conn.execute(select(t.schemas).where(t.schemas.c.fingerprint == fingerprint)).mappings().first()
            if row is None:
                key = conn.execute(
                    insert(t.schemas).values(
                        format=fmt,
                        text=text,
                        fingerprint=fingerprint,
                        references=[r.to_dict() for r in references],
                        created_at=now,
                    )
                ).inserted_primary_key
                assert key is not None  # a one-row INSERT reports the key it made
                new_id = key[0]
                stored = StoredSchema(new_id, fmt, text, tuple(references))
            else:
                stored = _schema(row)
                existing = conn.execute(
                    select(t.subject_versions.c.version).where(
                        t.subject_versions.c.subject == subject,
                        t.subject_versions.c.schema_id == stored.id,
                        t.subject_versions.c.deleted == 0,
                    )
                ).scalar()
                if existing is not None:
                    return SubjectVersion(subject, existing, stored), False
            last = (
                conn.execute(
                    select(func.max(t.subject_versions.c.version)).where(t.subject_versions.c.subject == subject)
                ).scalar()
                or 0
            )
            conn.execute(
                insert(t.subject_versions).values(
                    subject=subject, version=last + 1, schema_id=stored.id, deleted=0, created_at=now
                )
            )
            return SubjectVersion(subject, last + 1, stored), True

    def schema_by_id(self, schema_id: int) -> StoredSchema | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.schemas).where(t.schemas.c.id == schema_id)).mappings().first()
        return _schema(row) if row else None

    def subjects(self, *, include_deleted: bool = False) -> list[str]:
        q = select(t.subject_versions.c.subject).distinct().order_by(t.subject_versions.c.subject)
        if not include_deleted:
            q = q.where(t.subject_versions.c.deleted == 0)
        with self.engine.connect() as conn:
            return list(conn.execute(q).scalars())

    def subject_versions(self, subject: str, *, include_deleted: bool = False) -> list[SubjectVersion]:
        q = (
            select(t.subject_versions.c.version, t.subject_versions.c.deleted, t.schemas)
            .join(t.schemas, t.schemas.c.id == t.subject_versions.c.schema_id)
            .where(t.subject_versions.c.subject == subject)
            .order_by(t.subject_versions.c.version)
        )
        if not include_deleted:
            q = q.where(t.subject_versions.c.deleted == 0)
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [SubjectVersion(subject, r["version"], _schema(r), bool(r["deleted"])) for r in rows]

    def versions_of_schema(self, schema_id: int) -> list[tuple[str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.subject_versions.c.subject, t.subject_versions.c.version)
                .where(t.subject_versions.c.schema_id == schema_id, t.subject_versions.c.deleted == 0)
                .order_by(t.subject_versions.c.subject, t.subject_versions.c.version)
            ).all()
        return [(s, v) for s, v in rows]

    def delete_versions(self, subject: str, versions: Sequence[int], *, permanent: bool) -> list[int]:
        where = and_(t.subject_versions.c.subject == subject, t.subject_versions.c.version.in_(list(versions)))
        with self.engine.begin() as conn:
            if permanent:
                conn.execute(delete(t.subject_versions).where(where, t.subject_versions.c.deleted == 1))
            else:
                conn.execute(update(t.subject_versions).where(where).values(deleted=1))
        return list(versions)

    def get_compatibility(self, subject: str | None) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(t.compatibility_config.c.level).where(t.compatibility_config.c.subject == (subject or ""))
            ).scalar()

    def set_compatibility(self, subject: str | None, level: str | None) -> None:
        key = subject or ""
        with self.engine.begin() as conn:
            if level is None:
                conn.execute(delete(t.compatibility_config).where(t.compatibility_config.c.subject == key))
            else:
                upsert(conn, t.compatibility_config, {"subject": key, "level": level}, key=("subject",))
