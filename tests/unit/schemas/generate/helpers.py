"""Helpers for value-generation tests: the contracts to cover, a fixed clock and a rule checker that
restates each contract field rule independently of the generator (paths with ``[]`` fan out)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streammesh.contracts.loader import load_contract
from streammesh.contracts.model import Contract
from streammesh.demo.organisation import load_demo_contracts

__all__ = ["DAY_MS", "NOW", "NOW_MS", "REPO", "all_contracts", "rule_problems", "values_at"]

REPO = Path(__file__).resolve().parents[4]
#: a fixed "now" for tests that check time ranges; days from a real clock would make them drift
NOW = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
DAY_MS = 86_400_000
_MISSING = object()


def all_contracts() -> list[tuple[str, Contract]]:
    """Every demo contract and every example contract in the repository, with a test id."""
    out = [(c.name, c) for c in load_demo_contracts()]
    for p in sorted((REPO / "examples").glob("*.contract.yaml")):
        out.append((f"example:{p.name.removesuffix('.contract.yaml')}", load_contract(p)))
    return out


def values_at(value: Any, path: str) -> list[Any]:
    """Every value at a rule path (``items[].sku`` fans out over the list); absent ones are left out."""
    nodes = [value]
    for step in path.split("."):
        is_list = step.endswith("[]")
        key = step.removesuffix("[]")
        nxt = []
        for n in nodes:
            v = n.get(key, _MISSING) if isinstance(n, dict) else _MISSING
            if v is _MISSING:
                continue
            if is_list:
                nxt.extend(v or [])
            else:
                nxt.append(v)
        nodes = nxt
    return nodes


def rule_problems(value: Any, rules: dict[str, dict[str, Any]]) -> list[str]:
    """Plain re-statement of each rule, independent of the generator's own code."""
    problems = []
    for path, rule in rules.items():
        found = values_at(value, path)
        if rule.get("required") and "[]" not in path and not found:
            problems.append(f"{path}: missing")
        for v in found:
            if v is None:
                if rule.get("not_null"):
                    problems.append(f"{path}: null")
                continue
            if "enum" in rule and v not in rule["enum"]:
                problems.append(f"{path}: {v!r} not in enum")
            if "min" in rule and v < rule["min"]:
                problems.append(f"{path}: {v!r} < min")
            if "max" in rule and v > rule["max"]:
                problems.append(f"{path}: {v!r} > max")
            if "pattern" in rule and not re.search(rule["pattern"], v):
                problems.append(f"{path}: {v!r} does not match")
            if "min_length" in rule and len(v) < rule["min_length"]:
                problems.append(f"{path}: too short")
            if "max_length" in rule and len(v) > rule["max_length"]:
                problems.append(f"{path}: too long")
    return problems
