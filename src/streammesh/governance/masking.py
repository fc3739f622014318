"""Hiding classified values from readers who have not been granted them.

Every read path that shows events to people (samples, live samples, the product page) asks :class:`Masking`
what the reader may see, so the rule lives in one place. Today no one holds a grant: every field classified
pii/confidential/restricted is masked. Access grants will be a constructor argument (the caller and its
grants); the methods keep taking the product, so the decision can be made per product and field.

Example:
    >>> Masking().value(product, {"email": "ada@example.com"})   # doctest: +SKIP
    {'email': 'a••••••••••m'}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streammesh.catalog.consumer import Event
    from streammesh.model.catalog import Product

__all__ = ["MASKED_CLASSES", "Masking", "mask_value"]

#: classifications whose values are hidden from readers without a grant
MASKED_CLASSES = frozenset({"pii", "confidential", "restricted"})


def _mask(v: Any) -> Any:
    if v is None:
        return None
    text = str(v)
    return "•" * min(len(text), 8) if len(text) <= 2 else text[0] + "•" * min(len(text) - 2, 10) + text[-1]


def mask_value(
    value: Any, classifications: Mapping[str, str], prefix: str = "", *, masked: frozenset[str] = MASKED_CLASSES
) -> Any:
    """A copy of ``value`` with every field whose classification is in ``masked`` masked.

    Args:
        value: an event's value (anything but a dict is returned as is).
        classifications: field path (``a.b``, ``items[].c``) → classification, as in a contract.
        prefix: the path of ``value`` inside the event (for nested records).
        masked: the classifications to hide.
    """
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        path = prefix + k
        if classifications.get(path) in masked:
            out[k] = _mask(v)
        elif isinstance(v, dict):
            out[k] = mask_value(v, classifications, path + ".", masked=masked)
        elif isinstance(v, list):
            out[k] = [mask_value(x, classifications, path + "[].", masked=masked) for x in v]
        else:
            out[k] = v
    return out


class Masking:
    """What a reader sees of a product's classified fields.

    Args:
        masked: the classifications hidden from readers (default: pii, confidential, restricted).
    """

    def __init__(self, masked: frozenset[str] = MASKED_CLASSES) -> None:
        self.masked = masked

    def value(self, product: Product, value: Any) -> Any:
        """``value`` (an event's value of ``product``) as the reader may see it."""
        return mask_value(value, product.contract.classifications, masked=self.masked)

    def event(self, product: Product, event: Event) -> dict[str, Any]:
        """``event`` as a dict (``Event.to_dict``) with its value as the reader may see it."""
        return {**event.to_dict(), "value": self.value(product, event.value)}
