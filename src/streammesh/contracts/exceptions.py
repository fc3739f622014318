"""Errors raised while reading a contract: every problem located by file, line and field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streammesh.exceptions import ValidationError

__all__ = ["ContractError", "ContractProblem", "format_problems"]


@dataclass(frozen=True, slots=True)
class ContractProblem:
    """One problem in a YAML document (a contract or a policy file), located as precisely as known.

    Attributes:
        source: the file name as given (or ``<string>`` / ``<dict>`` for in-memory input).
        line: 1-based line of the offending field, ``None`` when the input had no lines (a dict).
        path: dotted field path (``sla.tier``, ``key[1]``); empty for whole-document problems.
        message: what is wrong and how to fix it.
        column: 1-based column, only known for YAML syntax errors.

    Example:
        >>> str(ContractProblem("orders.yaml", 14, "sla.tier", "'tier-4' is not one of tier-1, tier-2, tier-3"))
        "orders.yaml:14: sla.tier: 'tier-4' is not one of tier-1, tier-2, tier-3"
    """

    source: str
    line: int | None
    path: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def format_problems(title: str, problems: Sequence[ContractProblem]) -> str:
    """``title`` with the problem count, then one indented problem per line."""
    n = len(problems)
    lines = [f"{title} ({n} problem{'s' if n != 1 else ''}):"]
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines)


class ContractError(ValidationError):
    """A contract could not be read: its ``problems`` say where (file, line, field path) and what to change.

    Fix every listed line and load the contract again; ``examples/orders.contract.yaml`` shows a complete,
    valid contract and ``docs/contracts.md`` describes each field.
    """

    def __init__(self, problems: Sequence[ContractProblem], *, source: str = "<string>") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(
            format_problems(f"contract {source} is invalid", self.problems),
            hint="see docs/contracts.md or examples/orders.contract.yaml for a complete contract",
        )
