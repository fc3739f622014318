"""``streammesh demo`` and ``streammesh serve``: the sample organisation and the catalog browser."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Annotated

import typer

from streammesh.cli.app import app, err, open_mesh, out, state
from streammesh.exceptions import ValidationError

__all__ = ["demo", "serve"]


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise ValidationError(f"port {port} on {host} is already in use", hint="pick another with --port") from None


def _interrupt_on_sigterm() -> None:
    """Make SIGTERM (``kill``, ``timeout``, a service manager) stop like Ctrl-C: as KeyboardInterrupt, so the
    ``finally`` blocks run and the demo's app workers are stopped rather than orphaned. Without this the
    server re-raises SIGTERM after its shutdown and the default action ends the process on the spot."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _serve(workspace: Path, host: str, port: int, duration: float | None = None) -> None:
    """Serve the web app until Ctrl-C or SIGTERM, or for ``duration`` seconds."""
    import threading

    import uvicorn

    from streammesh.api.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(workspace), host=host, port=port, log_level="warning"))
    if duration is not None:
        timer = threading.Timer(duration, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    server.run()


@app.command(epilog="Example: streammesh demo --port 8000")
def demo(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port of the catalog page on 127.0.0.1.")] = 8000,
    workspace: Annotated[Path, typer.Option("--demo-workspace", help="Folder for the demo mesh (recreated).")] = Path(
        "streammesh-demo"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the generators (same seed, same backlog).")] = 7,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: until Ctrl-C).")
    ] = None,
    serve: Annotated[bool, typer.Option(help="Serve the catalog page (--no-serve: generators only).")] = True,
    apps: Annotated[
        bool, typer.Option(help="Deploy and run the sample derived products (--no-apps: sources only).")
    ] = True,
) -> None:
    """Create the sample retail organisation, keep its event generators and derived products running, and
    serve its catalog."""
    from streammesh.demo.runner import (
        GeneratorLoop,
        create_demo,
        deploy_samples,
        stop_apps,
        wait_until,
    )

    host = "127.0.0.1"
    if serve:
        _check_port(host, port)
    _interrupt_on_sigterm()
    out.print(f"Creating the sample organisation in [bold]{workspace}[/] ...")
    generator = create_demo(workspace, seed=seed, progress=lambda msg: out.print(f"  {msg}"))
    running: list[str] = []
    try:
        if apps:
            running = deploy_samples(workspace, progress=lambda msg: out.print(f"  {msg}"))
    except BaseException:
        stop_apps(workspace)
        raise
    loop = GeneratorLoop(workspace, generator)
    loop.start()
    out.print(f"Generators running. Try: [cyan]streammesh -w {workspace} products search orders[/]")
    if running:
        out.print(f"Derived products running. Try: [cyan]streammesh -w {workspace} apps list[/]")
    try:
        if serve:
            out.print(f"Catalog: [bold underline]http://{host}:{port}/[/]  (Ctrl-C to stop)")
            _serve(workspace, host, port, duration)
        else:
            wait_until(None if duration is None else time.monotonic() + duration)
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
        if apps:
            stopped = stop_apps(workspace)
            if stopped:
                out.print(f"Stopped {stopped} app worker{'s' if stopped != 1 else ''}.")
    if loop.error is not None:
        err.print(f"[yellow]warning:[/] the generators stopped: {loop.error}")
    out.print(f"Stopped; the generators wrote {loop.written:,} live events. The mesh stays in {workspace}.")


@app.command(epilog="Example: streammesh serve --port 8000")
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the catalog browser and its JSON API for this mesh."""
    open_mesh(ctx)  # fail early and clearly when there is no mesh
    _check_port(host, port)
    out.print(f"Catalog: [bold underline]http://{host}:{port}/[/]  (Ctrl-C to stop)")
    out.print(f"Schema registry for Kafka clients: schema.registry.url=http://{host}:{port}   API docs: /docs")
    _interrupt_on_sigterm()
    try:
        _serve(state(ctx).workspace, host, port)
    except KeyboardInterrupt:
        pass
