"""``streammesh teams``: the teams that own products."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from streammesh.cli.app import app, open_mesh, out

__all__ = ["teams_app"]

teams_app = typer.Typer(help="Register and list the teams that own data products.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")


@teams_app.command(
    "add", epilog="Example: streammesh teams add @sales-team --domain sales --on-call sales-oncall@acme.example"
)
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Team handle, e.g. @sales-team.")],
    domain: Annotated[str | None, typer.Option(help="Business domain the team belongs to.")] = None,
    display_name: Annotated[str, typer.Option(help="Human name of the team.")] = "",
    on_call: Annotated[str | None, typer.Option(help="On-call contact (email, pager handle, rota URL).")] = None,
    channel: Annotated[str | None, typer.Option(help="Where consumers ask questions, e.g. #sales-data.")] = None,
) -> None:
    """Register a team so it can own data products."""
    team = open_mesh(ctx).add_team(name, display_name=display_name, domain=domain, on_call=on_call, channel=channel)
    out.print(f"Registered team [bold]{team.name}[/]" + (f" in domain {team.domain}" if team.domain else ""))


@teams_app.command("list")
def list_teams(ctx: typer.Context) -> None:
    """List registered teams."""
    teams = open_mesh(ctx).teams()
    if not teams:
        out.print("No teams yet. Add one with [cyan]streammesh teams add @my-team --domain my-domain[/]")
        return
    table = Table("team", "name", "domain", "on call", "channel", title=f"{len(teams)} teams")
    for t in teams:
        table.add_row(t.name, t.display_name, t.domain or "", t.on_call or "", t.channel or "")
    out.print(table)


@app.command("domains")
def list_domains(ctx: typer.Context) -> None:
    """List business domains with their teams and products."""
    domains = open_mesh(ctx).store.list_domains()
    if not domains:
        out.print("No domains yet: they appear when teams or products name one.")
        return
    table = Table("domain", "teams", "products", title=f"{len(domains)} domains")
    for d in domains:
        table.add_row(d.name, str(d.teams), str(d.products))
    out.print(table)
