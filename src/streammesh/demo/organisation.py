"""The sample organisation behind ``streammesh demo``: Larkspur, a European online retailer.

Its teams own the demo's products, so the catalog, governance checks and mesh map have real owners,
on-call contacts and chat channels to show. The contracts live as YAML beside this module, exactly as a
domain team would keep them in its own repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from streammesh.contracts.loader import parse_contract
from streammesh.contracts.model import Contract

__all__ = ["COMPANY", "TEAMS", "Team", "demo_contract_files", "load_demo_contracts", "team"]

COMPANY = "Larkspur Retail"
_MAIL = "larkspur.example"


@dataclass(frozen=True, slots=True)
class Team:
    """A team of the sample organisation: it owns the products of one domain and answers for them."""

    name: str  # the owner handle used in contracts, e.g. @customers-team
    display_name: str
    domain: str
    on_call: str
    channel: str


def _team(domain: str, display_name: str, handle: str | None = None) -> Team:
    handle = handle or f"{domain}-team"
    return Team(f"@{handle}", display_name, domain, f"{domain}-oncall@{_MAIL}", f"#{domain}-data")


TEAMS: list[Team] = [
    _team("customers", "Customer Identity"),
    _team("catalog", "Product Catalog"),
    _team("sales", "Sales & Checkout"),
    _team("payments", "Payments"),
    _team("fulfilment", "Fulfilment & Delivery"),
    _team("web", "Web Experience"),
    _team("warehouse", "Warehouse Operations"),
    _team("finance", "Finance"),
    # no source-aligned products: the platform runs the mesh, analytics owns the derived products
    _team("platform", "Data Platform", "data-platform"),
    _team("analytics", "Analytics Engineering"),
]

_BY_NAME = {t.name: t for t in TEAMS}


def team(name: str) -> Team:
    """The team with owner handle ``name`` (e.g. ``@sales-team``).

    Raises:
        KeyError: no such team; the message lists the valid handles.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no demo team {name!r}; valid: {', '.join(_BY_NAME)}") from None


def demo_contract_files() -> list[Traversable]:
    """The packaged contract YAML files, sorted by product name."""
    folder = files("streammesh.demo").joinpath("contracts")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)


def load_demo_contracts() -> list[Contract]:
    """Parse every packaged demo contract, sorted by product name.

    Raises:
        ContractError: a packaged contract is broken; the message names its file, line and field.
    """
    return [
        parse_contract(f.read_text(encoding="utf-8"), source=f"streammesh/demo/contracts/{f.name}")
        for f in demo_contract_files()
    ]
