"""Data quality: field rules checked on produce, and products' live health (``streammesh.quality.health``).

``health`` is not imported here: it reads through the catalog, which itself imports the rules.
"""

from streammesh.quality.rules import check_rules

__all__ = ["check_rules"]
