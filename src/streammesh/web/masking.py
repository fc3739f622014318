"""Hiding classified values in samples shown to people who have not been granted access."""

from __future__ import annotations

from typing import Any

__all__ = ["MASKED_CLASSES", "mask_value"]

MASKED_CLASSES = frozenset({"pii", "confidential", "restricted"})


def _mask(v: Any) -> Any:
    if v is None:
        return None
    text = str(v)
    return "•" * min(len(text), 8) if len(text) <= 2 else text[0] + "•" * min(len(text) - 2, 10) + text[-1]


def mask_value(value: Any, classifications: dict[str, str], prefix: str = "") -> Any:
    """A copy of ``value`` with every field classified pii/confidential/restricted masked."""
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        path = prefix + k
        if classifications.get(path) in MASKED_CLASSES:
            out[k] = _mask(v)
        elif isinstance(v, dict):
            out[k] = mask_value(v, classifications, path + ".")
        elif isinstance(v, list):
            out[k] = [mask_value(x, classifications, path + "[].") for x in v]
        else:
            out[k] = v
    return out
