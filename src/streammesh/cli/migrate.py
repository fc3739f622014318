"""``streammesh migrate``: move a mesh to a Kafka cluster and a PostgreSQL catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import JustifyMethod
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from streammesh.cli.app import app, err, open_mesh, out

__all__ = ["migrate"]


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


@app.command(
    epilog="Example: streammesh migrate --to kafka://broker:9092 "
    "--metadata postgresql://mesh@db:5432/mesh --into ../mesh-on-kafka"
)
def migrate(
    ctx: typer.Context,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="Target log: kafka://HOST:PORT[,HOST:PORT][?librdkafka.setting=value"
            "&...] (secrets in STREAMMESH_KAFKA_* variables).",
        ),
    ],
    metadata: Annotated[
        str,
        typer.Option(
            help="Target catalog: postgresql://USER@HOST:5432/DATABASE "
            "(an empty database, or this mesh's from an earlier run)."
        ),
    ],
    into: Annotated[
        Path | None,
        typer.Option(
            help="Folder for the migrated mesh's mesh.yaml (and policy file); "
            "default: rewrite this workspace's mesh.yaml, keeping the old one "
            "as mesh.before-migration.yaml."
        ),
    ] = None,
) -> None:
    """Copy this mesh to Kafka + PostgreSQL without loss, then point a mesh.yaml at them.

    Moves teams, products (every version and lifecycle state), schemas with the same global ids,
    apps, lineage, activity, consumer registrations, every topic with its partitions, retention and
    compaction, every event with its key, timestamp and headers at the same partition and offset
    (checked), and consumer groups' committed offsets. Stop producers, consumers and apps first.

    Re-running is idempotent: this mesh's catalog and fully copied topics on the target are skipped,
    empty topics are copied; anything else there is refused before writing.
    """
    mesh = open_mesh(ctx)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(topic: str, done: int, total: int) -> None:
            if topic not in tasks:
                tasks[topic] = bar.add_task(topic, total=total or 1)
            bar.update(tasks[topic], completed=done if total else 1)

        report = mesh.migrate(log=to, metadata=metadata, into=into, progress=progress)

    table = Table(title=f"Moved to {report.log} + {report.metadata}", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("topic", "left"),
        ("product", "left"),
        ("partitions", "right"),
        ("events", "right"),
        ("bytes", "right"),
        ("", "left"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for m in sorted(report.topics, key=lambda m: (m.product is None, m.topic)):
        table.add_row(
            m.topic,
            m.product or "[dim]-[/]",
            str(m.partitions),
            f"{m.events:,}",
            _size(m.bytes),
            "" if m.state == "copied" else f"[dim]{m.state}[/]",
        )
    out.print(table)
    rows = report.catalog
    out.print(
        f"catalog ({report.catalog_state}): {rows.get('teams', 0)} teams, {rows.get('products', 0)} products, "
        f"{rows.get('product_versions', 0)} versions, {rows.get('schemas', 0)} schemas in "
        f"{rows.get('subject_versions', 0)} subject versions, {rows.get('apps', 0)} apps, "
        f"{rows.get('lineage_edges', 0)} lineage edges, {rows.get('consumers', 0)} consumer registrations, "
        f"{rows.get('activity', 0)} activity entries"
    )
    groups = ", ".join(f"{g} ({n} partition{'s' if n != 1 else ''})" for g, n in sorted(report.groups.items()))
    out.print(f"consumer groups' committed offsets: {groups or 'none'}")
    copied = [m for m in report.topics if m.state == "copied"]
    there = sum(m.events for m in report.topics if m.state == "already there")
    out.print(
        f"[bold]copied {sum(m.events for m in copied):,} events ({_size(report.bytes)}) of {len(copied)} "
        f"topics in {report.seconds:.1f} s[/]" + (f"; {there:,} events were already there" if there else "")
    )
    out.print(f"The mesh now opens from [bold]{report.config_path}[/] (log: {report.log}).")
