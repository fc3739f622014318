"""Field rules from a contract (required, not-null, enum, range, pattern, length), checked on produce beside
the schema and reported as the same :class:`~streammesh.schemas.base.Issue` values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from streammesh.contracts.model import FieldRule
from streammesh.schemas.base import Issue

__all__ = ["check_rules"]

_MISSING = object()


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _lookup(value: Any, path: str) -> Any:
    node = value
    for step in path.split("."):
        if not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


def _check(path: str, v: Any, rule: FieldRule) -> str | None:
    if v is _MISSING:
        return "is required" if rule.required else None
    if v is None:
        return "must not be null" if rule.not_null else None
    if rule.enum is not None and v not in rule.enum:
        return f"{v!r} is not one of {', '.join(map(repr, rule.enum))}"
    if rule.min is not None or rule.max is not None:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return f"{v!r} is not a number, but the rule sets a range"
        if rule.min is not None and v < rule.min:
            return f"{v} is below the minimum {rule.min:g}"
        if rule.max is not None and v > rule.max:
            return f"{v} is above the maximum {rule.max:g}"
    if rule.pattern is not None and (not isinstance(v, str) or not _regex(rule.pattern).search(v)):
        return f"{v!r} does not match the pattern {rule.pattern!r}"
    if isinstance(v, (str, list)):
        if rule.min_length is not None and len(v) < rule.min_length:
            return f"is shorter than {rule.min_length}"
        if rule.max_length is not None and len(v) > rule.max_length:
            return f"is longer than {rule.max_length}"
    return None


def check_rules(value: Any, rules: Mapping[str, FieldRule]) -> list[Issue]:
    """Every broken rule of ``value``, with its field path."""
    issues = []
    for path, rule in rules.items():
        problem = _check(path, _lookup(value, path), rule)
        if problem:
            issues.append(Issue(path, problem))
    return issues
