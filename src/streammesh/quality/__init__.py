"""Data quality: field rules today; metrics and freshness later."""

from streammesh.quality.rules import check_rules

__all__ = ["check_rules"]
