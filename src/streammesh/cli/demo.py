"""``streammesh demo`` and ``streammesh serve``: the sample organisation and the catalog browser."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streammesh.cli.app import app, err, open_mesh, out, state
from streammesh.exceptions import ValidationError

if TYPE_CHECKING:
    from streammesh.demo.generators import DemoGenerator
    from streammesh.demo.runner import GeneratorLoop

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


def _serve(
    workspace: Path,
    host: str,
    port: int,
    duration: float | None = None,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Serve the web app until Ctrl-C or SIGTERM, or for ``duration`` seconds; ``on_started`` runs (in a
    thread) once the socket listens."""
    import threading

    import uvicorn

    from streammesh.api.app import create_app

    server = uvicorn.Server(uvicorn.Config(create_app(workspace), host=host, port=port, log_level="warning"))
    if duration is not None:
        timer = threading.Timer(duration, lambda: setattr(server, "should_exit", True))
        timer.daemon = True
        timer.start()
    if on_started is not None:

        def wait_then_call() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.02)
            if server.started:
                on_started()

        threading.Thread(target=wait_then_call, name="streammesh-demo-started", daemon=True).start()
    server.run()


class _Background(threading.Thread):
    """What the demo starts once its catalog answers: the backlog, the sample apps, the live generators.

    Started after the server listens so that the first page comes in seconds, not after the ~100,000-event
    backlog and five app workers (each importing DuckDB and Arrow) are up; the page fills as they come.
    """

    def __init__(self, workspace: Path, generator: DemoGenerator, *, apps: bool, backlog: bool) -> None:
        super().__init__(name="streammesh-demo-start", daemon=True)
        self.workspace = workspace
        self.generator = generator
        self.apps = apps
        self.backlog = backlog
        self.loop: GeneratorLoop | None = None
        self.running: list[str] = []
        self.error: BaseException | None = None
        self.stopping = threading.Event()

    def run(self) -> None:
        from streammesh.demo.runner import GeneratorLoop, deploy_samples, write_events
        from streammesh.sdk.mesh import Mesh

        def progress(msg: str) -> None:
            out.print(f"  {msg}")

        try:
            if self.backlog:
                with Mesh(self.workspace) as mesh:
                    count = write_events(mesh, self.generator.initial_events())
                progress(f"wrote a backlog of {count:,} events")
            if self.apps and not self.stopping.is_set():
                self.running = deploy_samples(self.workspace, progress=progress)
            if self.stopping.is_set():
                return
            self.loop = GeneratorLoop(self.workspace, self.generator)
            self.loop.start()
            out.print(f"Generators running. Try: [cyan]streammesh -w {self.workspace} products search orders[/]")
            if self.running:
                out.print(f"Derived products running. Try: [cyan]streammesh -w {self.workspace} apps list[/]")
        except BaseException as e:
            self.error = e

    def stop(self) -> int:
        """Stop the generators, wait for a deploy in progress (so no worker starts after), return events written."""
        self.stopping.set()
        if self.is_alive() or self.ident is not None:
            self.join(timeout=60)
        if self.loop is None:
            return 0
        self.loop.stop()
        if self.loop.error is not None:
            err.print(f"[yellow]warning:[/] the generators stopped: {self.loop.error}")
        return self.loop.written


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
    from streammesh.demo.runner import create_demo, stop_apps, wait_until

    host = "127.0.0.1"
    if serve:
        _check_port(host, port)
    _interrupt_on_sigterm()
    out.print(f"Creating the sample organisation in [bold]{workspace}[/] ...")
    generator = create_demo(workspace, seed=seed, progress=lambda msg: out.print(f"  {msg}"), backlog=False)
    # the demo's folder is scratch wherever it is made: keep it out of any git repository around it
    (workspace / ".gitignore").write_text("# created by 'streammesh demo'\n*\n")
    background = _Background(workspace, generator, apps=apps, backlog=True)
    try:
        if serve:
            out.print(f"Catalog: [bold underline]http://{host}:{port}/[/]  (Ctrl-C to stop)")
            out.print("  the backlog, the derived products and the generators start in the background")
            _serve(workspace, host, port, duration, on_started=background.start)
        else:
            background.run()
            wait_until(None if duration is None else time.monotonic() + duration)
    except KeyboardInterrupt:
        pass
    finally:
        written = background.stop()
        if apps:
            stopped = stop_apps(workspace)
            if stopped:
                out.print(f"Stopped {stopped} app worker{'s' if stopped != 1 else ''}.")
    if background.error is not None:
        err.print(f"[yellow]warning:[/] the demo did not fully start: {background.error}")
    out.print(f"Stopped; the generators wrote {written:,} live events. The mesh stays in {workspace}.")


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
