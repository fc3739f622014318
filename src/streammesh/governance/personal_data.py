"""Spotting fields whose names look like personal data, by name tokens.

A field path is split into lowercase word tokens (``customer.firstName`` -> ``customer first name``,
``billingAddress`` -> ``billing address``); plural tokens count as singular. A *pattern* such as
``first_name`` matches when its tokens appear one after the other in the path's tokens, so ``email``
matches ``customer_email`` and ``email_address``, but not ``emailed``. An *exclusion* (same syntax)
clears a field: ``product_name`` keeps ``product.name`` and ``product_name`` from being flagged by the
``name`` pattern, while ``name`` and ``customer_name`` stay flagged. For exclusions only, the path is read
as qualified by the product's entity (the last segment of its name), so a top-level ``name`` field in
``catalog.products`` counts as ``product name`` but in ``customers.profiles`` stays personal. True/false
fields (``email_verified``) are never flagged: a flag does not identify anybody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "DEFAULT_PERSONAL_DATA_EXCLUSIONS",
    "DEFAULT_PERSONAL_DATA_PATTERNS",
    "pattern_tokens",
    "personal_data_match",
    "tokens",
]

DEFAULT_PERSONAL_DATA_PATTERNS: list[str] = [
    # names
    "name",
    "first_name",
    "last_name",
    "full_name",
    "given_name",
    "family_name",
    "middle_name",
    "surname",
    "username",
    # contact
    "email",
    "e_mail",
    "phone",
    "telephone",
    "mobile_number",
    "fax",
    # address
    "address",
    "street",
    "house_number",
    "postcode",
    "post_code",
    "postal_code",
    "zip",
    "zipcode",
    "zip_code",
    # birth
    "birth",
    "birthdate",
    "birthday",
    "dob",
    # network identity
    "ip",
    "ip_address",
    "ipv4",
    "ipv6",
    # identity documents and numbers
    "ssn",
    "social_security",
    "national_id",
    "national_insurance",
    "passport",
    "driving_licence",
    "drivers_license",
    # money
    "iban",
    "card_number",
    "credit_card",
    "cvv",
]

DEFAULT_PERSONAL_DATA_EXCLUSIONS: list[str] = [
    "product_name",
    "category_name",
    "brand_name",
    "company_name",
    "business_name",
    "merchant_name",
    "store_name",
    "shop_name",
    "warehouse_name",
    "supplier_name",
    "vendor_name",
    "carrier_name",
    "department_name",
    "team_name",
    "country_name",
    "region_name",
    "campaign_name",
    "plan_name",
    "item_name",
    "sku_name",
    "event_name",
    "file_name",
    "table_name",
    "topic_name",
    "stream_name",
    "service_name",
    "host_name",
    "app_name",
    "warehouse_address",
    "store_address",
    "company_address",
]

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_BOOLEAN_TYPES = {"boolean", "bool"}


def _singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def tokens(path: str) -> tuple[str, ...]:
    """Lowercase, singular word tokens of a field path: ``items[].productNames`` -> ``item product name``."""
    return tuple(_singular(w.lower()) for w in _WORD.findall(path))


def pattern_tokens(pattern: str) -> tuple[str, ...]:
    """Tokens of a pattern; ``first_name``, ``first name``, ``firstName`` and ``first-name`` are the same."""
    return tokens(pattern)


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return n > 0 and any(tuple(haystack[i : i + n]) == tuple(needle) for i in range(len(haystack) - n + 1))


def personal_data_match(
    path: str, field_type: str, *, patterns: Iterable[str], exclusions: Iterable[str] = (), entity: str = ""
) -> str | None:
    """The pattern that makes ``path`` look personal, or ``None``.

    Args:
        path: the field path (``customer.email``, ``items[].name``).
        field_type: the schema's type name for the field; true/false fields are never personal.
        patterns: personal-data patterns (see module docstring).
        exclusions: patterns that clear a field even when a personal-data pattern matches.
        entity: what one event describes (``products`` for ``catalog.products``); it qualifies the path for
            exclusions only, so a top-level ``name`` in ``catalog.products`` reads as ``product name``.
    """
    parts = {p.strip() for p in field_type.replace("|", " ").split()} - {"null"}
    if parts and parts <= _BOOLEAN_TYPES:
        return None
    toks = tokens(path)
    qualified = tokens(entity) + toks
    if any(_contains(qualified, pattern_tokens(e)) for e in exclusions):
        return None
    # prefer the longest (most specific) matching pattern in messages: 'first_name' over 'name'
    matches = [p for p in patterns if _contains(toks, pattern_tokens(p))]
    return max(matches, key=lambda p: len(pattern_tokens(p))) if matches else None
