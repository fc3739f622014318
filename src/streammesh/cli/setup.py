"""``streammesh init``: create a mesh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streammesh.cli.app import app, out, state
from streammesh.config import CONFIG_FILE, DEFAULT_WORKSPACE, MeshConfig, backend_name

__all__ = ["GITIGNORED", "init"]

#: what a workspace holds that is data, not code: mesh.yaml and policies.yaml belong in version control
GITIGNORED = ("log/", "catalog.db", "catalog.db-*", "apps/")


def _write_gitignore(workspace: Path) -> bool:
    """Keep the event log, the catalog and the apps' state out of git when the mesh sits in a repository,
    while its configuration and policies can be committed. Only in a folder ``init`` created (``init .`` in a
    project must not start ignoring the project's own ``log/`` or ``apps/``); never overwrites a file."""
    path = workspace / ".gitignore"
    if path.exists():
        return False
    lines = [
        "# written by 'streammesh init': the log, the catalog and app state are data; commit the rest",
        *GITIGNORED,
    ]
    path.write_text("\n".join(lines) + "\n")
    return True


@app.command(epilog="Example: streammesh init my-mesh")
def init(
    ctx: typer.Context,
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Folder to create the mesh in (default: --workspace, $STREAMMESH_WORKSPACE or ./.streammesh)."
        ),
    ] = None,
    log: Annotated[
        str,
        typer.Option(
            help="Log backend: 'embedded' (files in the workspace) or "
            "'kafka://HOST:PORT[,HOST:PORT][?librdkafka.setting=value&...]' (a Kafka "
            "cluster; put secrets in STREAMMESH_KAFKA_* variables, e.g. "
            "STREAMMESH_KAFKA_SASL_PASSWORD)."
        ),
    ] = "embedded",
    metadata: Annotated[
        str,
        typer.Option(
            help="Metadata store: 'sqlite' (a file in the workspace) or postgresql://USER@HOST:5432/DATABASE."
        ),
    ] = "sqlite",
    fsync: Annotated[bool, typer.Option(help="Wait for the disk on every append (survives power loss).")] = False,
) -> None:
    """Create a mesh: its configuration, a default policy file, the log and the catalog."""
    from streammesh.plugins import log_backends, metadata_stores
    from streammesh.sdk.mesh import init as init_mesh

    # never the mesh of a parent folder: 'init' in a subfolder makes a new mesh there
    workspace = path or state(ctx).named or Path(DEFAULT_WORKSPACE)
    existed = (workspace / CONFIG_FILE).exists()
    new_folder = not workspace.exists() or not any(workspace.iterdir())
    log_backend = log_backends.get(backend_name(log))
    if log != "embedded" and not existed:  # a cluster: make sure it answers before writing a config naming it
        with log_backend.from_config(log, workspace, fsync=fsync) as probe:
            probe.topics()
    store_backend = metadata_stores.get(backend_name(metadata))
    if not existed:  # reach the catalog before writing mesh.yaml, so a wrong URL leaves nothing behind
        store_backend.from_config(metadata, workspace).close()
    with init_mesh(workspace, config=MeshConfig(log=log, metadata=metadata, fsync=fsync)) as mesh:
        _ = mesh.store  # creates the catalog database now, so problems show here
    if existed:
        out.print(f"A mesh already exists in [bold]{workspace}[/]; left as it was.")
        return
    out.print(f"Created a mesh in [bold]{workspace}[/] (log: {log}, metadata: {metadata}).")
    if not new_folder or not _write_gitignore(workspace):
        out.print(f"[dim]To keep the data out of git, ignore these in {workspace}: {', '.join(GITIGNORED)}[/]")
    out.print(
        "Next: [cyan]streammesh teams add @my-team --domain my-domain[/], then "
        "[cyan]streammesh products publish my.contract.yaml[/]"
    )
