"""The root Typer app, the shared options, and the one place errors become messages."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from streammesh.config import CONFIG_FILE, DEFAULT_WORKSPACE, find_workspace
from streammesh.exceptions import NotFoundError, StreammeshError

__all__ = ["State", "app", "err", "open_mesh", "out", "state"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class MeshGroup(TyperGroup):
    """Turns every deliberate error into one red line (plus hint) and exit code 1, and anything
    unexpected into a short message that points at ``--debug``, never a traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except SystemExit:
            raise
        except StreammeshError as e:
            _report(e.message, e.hint)
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]")
            raise SystemExit(130) from None
        except BrokenPipeError:
            # the reader of our output went away (e.g. '| head'): stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
        except Exception as e:
            # usage errors and exits of click (or the click typer bundles) carry an exit code: theirs to show
            if hasattr(e, "exit_code"):
                raise
            if ctx.obj is not None and getattr(ctx.obj, "debug", False):
                raise
            _report(f"unexpected error: {type(e).__name__}: {e}", "rerun with --debug for the full traceback")
            raise SystemExit(2) from None


def _report(message: str, hint: str | None) -> None:
    first, *rest = message.splitlines() or [""]
    err.print(f"[bold red]error:[/] {first}", markup=True, soft_wrap=True, highlight=False)
    for line in rest:
        err.print(f"  {line}", markup=False, soft_wrap=True)
    if hint:
        err.print(f"[dim]hint: {escape(hint)}[/]", soft_wrap=True)  # hints quote brackets: pip install 'x[kafka]'


@dataclass
class State:
    """What the root options decided, shared by every command of one invocation.

    Attributes:
        workspace: the mesh folder, found by :func:`streammesh.config.find_workspace`.
        named: the folder named by ``--workspace`` or ``$STREAMMESH_WORKSPACE``, if any; ``init`` creates
            there, or in ``./.streammesh``, never in a mesh discovered in a parent folder.
    """

    workspace: Path
    named: Path | None = None
    debug: bool = False
    _mesh: Any = None


app = typer.Typer(
    cls=MeshGroup,
    name="streammesh",
    help="A self-service data mesh on event streams: publish, discover, consume and govern data products.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    add_completion=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Folder of the mesh. Default: $STREAMMESH_WORKSPACE, else the nearest of this folder and its "
            "parents holding mesh.yaml or .streammesh/ (as git finds a repository).",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks for unexpected errors.")] = False,
) -> None:
    env = os.environ.get("STREAMMESH_WORKSPACE")
    named = workspace if workspace is not None else (Path(env) if env else None)
    ctx.obj = State(workspace=find_workspace(workspace), named=named, debug=debug)
    _apply_columns()
    ctx.call_on_close(lambda: ctx.obj._mesh.close() if ctx.obj._mesh is not None else None)


def _apply_columns() -> None:
    """Rich reads ``COLUMNS`` once, when the consoles are created at import; honour the value in
    force for this command (a caller may run several commands in one process)."""
    columns = os.environ.get("COLUMNS", "")
    for console in (out, err):
        console.width = int(columns) if columns.isdigit() else console.width


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def open_mesh(ctx: typer.Context, *, create: bool = False) -> Any:
    """The mesh of the ``--workspace`` folder, opened once per command."""
    from streammesh.sdk.mesh import connect

    st = state(ctx)
    if st._mesh is None:
        if not create and st.named is None and not (st.workspace / CONFIG_FILE).is_file():
            raise NotFoundError(
                f"no mesh here: neither {Path.cwd()} nor a parent folder holds {CONFIG_FILE} or {DEFAULT_WORKSPACE}/",
                hint="create one with 'streammesh init' (in ./.streammesh) or 'streammesh init .', "
                "or name one with --workspace or STREAMMESH_WORKSPACE",
            )
        st._mesh = connect(st.workspace, create=create)
    return st._mesh
