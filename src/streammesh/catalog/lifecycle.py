"""Lifecycle of a data product: ``draft -> published -> deprecated -> retired``.

The rules protect consumers: a product is only retired after a deprecation that told them when
(sunset) and what to use instead (replacement); a retired product accepts no more writes.
"""

from __future__ import annotations

from typing import Literal

from streammesh.exceptions import ConflictError

__all__ = ["READABLE", "TRANSITIONS", "WRITABLE", "Status", "check_transition"]

Status = Literal["draft", "published", "deprecated", "retired"]

#: allowed moves; re-publishing a deprecated product brings it back
TRANSITIONS: dict[str, set[str]] = {
    "draft": {"draft", "published"},
    "published": {"published", "deprecated"},
    "deprecated": {"deprecated", "published", "retired"},
    "retired": set(),
}

WRITABLE = {"published", "deprecated"}
READABLE = {"published", "deprecated", "retired"}

_HOW = {
    "published": "publish it with 'streammesh products publish FILE'",
    "deprecated": "deprecate it with 'streammesh products deprecate NAME --sunset YYYY-MM-DD'",
    "retired": "retire it with 'streammesh products retire NAME' once it is deprecated",
}


def check_transition(name: str, current: str, target: str) -> None:
    """Raise ConflictError, saying which step is missing, when ``current -> target`` is not allowed."""
    if target in TRANSITIONS[current]:
        return
    if current == "retired":
        raise ConflictError(
            f"{name} is retired: it can no longer change",
            hint="publish a new product (for example a new major version) instead",
        )
    if target == "retired" and current != "deprecated":
        raise ConflictError(
            f"{name} is {current}: only a deprecated product can be retired",
            hint="deprecate it first with a sunset date and a replacement so consumers can move",
        )
    if target == "deprecated" and current != "published":
        raise ConflictError(f"{name} is {current}: only a published product can be deprecated", hint=_HOW["published"])
    raise ConflictError(f"{name} cannot go from {current} to {target}", hint=_HOW.get(target))
