"""Who is calling: a user or a service account, in teams, with roles.

The context carries the caller (:attr:`streammesh.context.MeshContext.caller`); access checks and the audit
log read it. Until identity is configured a mesh has no principals and every call is its workspace owner's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Principal", "PrincipalKind"]

PrincipalKind = Literal["user", "service"]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller.

    Attributes:
        name: unique, e.g. ``ada@example.com`` or ``svc-orders-enricher``.
        kind: ``user`` or ``service`` (a service account).
        teams: the teams it belongs to, e.g. ``("@sales-team",)``.
        roles: mesh-wide roles, e.g. ``("governance",)``.
    """

    name: str
    kind: PrincipalKind = "user"
    teams: tuple[str, ...] = field(default=())
    roles: tuple[str, ...] = field(default=())
