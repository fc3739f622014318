"""``streammesh init``: create a mesh."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streammesh.cli.app import app, out, state
from streammesh.config import CONFIG_FILE, MeshConfig, backend_name

__all__ = ["init"]


@app.command(epilog="Example: streammesh init my-mesh")
def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Folder to create the mesh in (default: --workspace).")] = None,
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

    workspace = path or state(ctx).workspace
    existed = (workspace / CONFIG_FILE).exists()
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
    out.print(
        "Next: [cyan]streammesh teams add @my-team --domain my-domain[/], then "
        "[cyan]streammesh products publish my.contract.yaml[/]"
    )
