"""Data quality over the catalog: products' live health (freshness against the SLA, event rates, invalid rate).

The field rules a contract declares are checked on produce by :mod:`streammesh.schemas.rules`, beside the schema.
"""

from streammesh.quality.health import RATE_WINDOW_S, ProductHealth, ProductHealthService, invalid_rate

__all__ = ["RATE_WINDOW_S", "ProductHealth", "ProductHealthService", "invalid_rate"]
