"""``streammesh lineage``: where a product's data comes from and where it goes, down to the field."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table
from rich.tree import Tree

from streammesh.catalog.lineage import DEFAULT_DEPTH, LineageBranch
from streammesh.cli.app import app, open_mesh, out
from streammesh.exceptions import ValidationError
from streammesh.model.catalog import LineageEdge, Product

__all__ = ["lineage"]

#: deeper webs are cut (with a note): a tree that scrolls off the screen explains nothing.
MAX_DEPTH = DEFAULT_DEPTH


def _label(name: str, product: Product | None, *, root: bool = False) -> str:
    if product is None:
        return f"{name} [dim](not in the catalog)[/]"
    c = product.contract
    kind = (
        f"derived by app {c.derived_from.app}"
        if c.derived_from and c.derived_from.app
        else ("derived" if c.derived_from else "source-aligned")
    )
    status = "" if product.status == "published" else f", [magenta]{product.status}[/]"
    return f"{'[bold]' if root else ''}{name}{'[/]' if root else ''} [dim]({kind}, {c.owner}{status})[/]"


def _grow(tree: Tree, branch: LineageBranch) -> None:
    for child in branch.children:
        if child.cycle:
            tree.add(f"{child.name} [yellow](cycle)[/]")
        elif child.cut:
            tree.add("[dim]…[/]")
        else:
            _grow(tree.add(_label(child.name, child.product)), child)


def _fields_table(edges: list[LineageEdge], title: str) -> Table:
    table = Table(
        Column("output field", overflow="fold"),
        Column("input field", overflow="fold"),
        Column("kind", no_wrap=True),
        title=title,
        title_justify="left",
    )
    one_product = len({e.product for e in edges}) == 1
    for e in sorted(
        edges,
        key=lambda e: (e.product, e.output_field is None, e.output_field or "", e.input_product, e.input_field or ""),
    ):
        if one_product:
            output = e.output_field or "[dim](rows)[/]"
        else:
            output = f"{e.product}.{e.output_field}" if e.output_field else f"{e.product} [dim](rows)[/]"
        table.add_row(output, f"{e.input_product}.{e.input_field}", e.kind)
    return table


@app.command(epilog="Example: streammesh lineage sales.high_value_orders --upstream --fields")
def lineage(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Product name.")],
    upstream: Annotated[bool, typer.Option("--upstream", help="Only the products it reads from.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only the products derived from it.")] = False,
    fields: Annotated[
        bool,
        typer.Option(
            "--fields",
            help="Also list field-level edges with their kind "
            "(identity, transformation, aggregation, filter, "
            "join-key).",
        ),
    ] = False,
) -> None:
    """Show where a product's data comes from and where it goes, as trees of products.

    Upstream: the products it is derived from; downstream: those derived from it. With --fields, which
    input field feeds which output field, and how.
    """
    if upstream and downstream:
        raise ValidationError("--upstream and --downstream exclude each other", hint="leave both out to see both")
    view = open_mesh(ctx).context.catalog.lineage
    show_up, show_down = not downstream, not upstream
    if show_up:
        root = view.tree(name, "upstream", depth=MAX_DEPTH)  # a clear error, with suggestions, for an unknown name
        tree = Tree(f"{_label(name, root.product, root=True)} [cyan]reads[/]")
        _grow(tree, root)
        if not tree.children:
            tree.add("[dim]nothing: a source-aligned product, fed by its producers[/]")
        out.print(tree)
    if show_down:
        root = view.tree(name, "downstream", depth=MAX_DEPTH)
        tree = Tree(f"{_label(name, root.product, root=True)} [cyan]feeds[/]")
        _grow(tree, root)
        if not tree.children:
            tree.add("[dim]no derived product reads it yet[/]")
        out.print(tree)
    if fields:
        if show_up and (edges := view.field_edges(name, "upstream")):
            out.print(_fields_table(edges, f"field lineage of {name}"))
        if show_down and (edges := view.field_edges(name, "downstream")):
            out.print(_fields_table(edges, f"fields derived from {name}"))
