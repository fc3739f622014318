"""Governance errors: a contract breaking the mesh's policies, or a policy file that cannot be read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from streammesh.contracts.exceptions import ContractProblem, format_problems
from streammesh.exceptions import ValidationError

if TYPE_CHECKING:
    from streammesh.governance.policies import Violation

__all__ = ["PolicyConfigError", "PolicyViolationError"]


class PolicyViolationError(ValidationError):
    """A contract breaks one or more federated policies, so it cannot be published or updated.

    ``violations`` lists every broken policy with the field path and the fix; change the contract as each
    line says and publish again. (The governance team can switch a policy off in the mesh's policy file.)
    """

    def __init__(self, product: str, violations: Sequence[Violation]) -> None:
        self.product = product
        self.violations = list(violations)
        n = len(self.violations)
        lines = [f"{product} breaks {n} polic{'ies' if n != 1 else 'y'}:"]
        lines += [f"  {v}" for v in self.violations]
        super().__init__(
            "\n".join(lines), hint="each line names the policy, the field and the fix; see docs/policies.md"
        )


class PolicyConfigError(ValidationError):
    """The mesh's policy file is invalid; ``problems`` give the line and setting of each mistake.

    Fix the listed settings (``docs/policies.md`` documents every one) and retry.
    """

    def __init__(self, problems: Sequence[ContractProblem], *, source: str) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(
            format_problems(f"policy file {source} is invalid", self.problems),
            hint="see docs/policies.md for every setting and policy id",
        )
