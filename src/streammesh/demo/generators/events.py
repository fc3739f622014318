"""What the demo generators emit, and the small conversions every flow shares (times, money, ids)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "DEMO_PRODUCTS",
    "GOODS_DISPATCHED",
    "GOODS_RECEIVED",
    "ORDERS",
    "ORDER_LINES",
    "PAGE_VIEWS",
    "PAYMENTS",
    "PRODUCTS",
    "PROFILES",
    "RECEIVABLES",
    "SHIPMENTS",
    "TRACKING",
    "DemoEvent",
    "iso",
    "iso_date",
    "money",
    "to_ms",
]

PROFILES = "customers.profiles"
PRODUCTS = "catalog.products"
ORDERS = "sales.orders"
ORDER_LINES = "sales.order_lines"
PAYMENTS = "payments.payments"
SHIPMENTS = "fulfilment.shipments"
TRACKING = "fulfilment.parcel_tracking"
PAGE_VIEWS = "web.page_views"
GOODS_RECEIVED = "warehouse.goods_received"
GOODS_DISPATCHED = "warehouse.goods_dispatched"
RECEIVABLES = "finance.accounts_receivable"

#: every product the generators feed, in the order a runner should create them (reference data first)
DEMO_PRODUCTS: tuple[str, ...] = (
    PROFILES,
    PRODUCTS,
    GOODS_RECEIVED,
    PAGE_VIEWS,
    ORDERS,
    ORDER_LINES,
    PAYMENTS,
    RECEIVABLES,
    SHIPMENTS,
    TRACKING,
    GOODS_DISPATCHED,
)


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """One event for one product: ``value`` is JSON-serialisable and valid against the product's schema,
    ``key`` is the value of the contract's key field and ``timestamp_ms`` the event time."""

    product: str
    key: str
    value: dict[str, Any]
    timestamp_ms: int


def to_ms(dt: datetime) -> int:
    """Epoch milliseconds of ``dt``; a naive datetime is taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp() * 1000)


def iso(ms: int) -> str:
    """ISO-8601 UTC timestamp with milliseconds, e.g. ``2024-05-01T12:34:56.789Z``."""
    return f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def iso_date(ms: int) -> str:
    """The UTC calendar date of ``ms`` as ``YYYY-MM-DD``."""
    return f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%d}"


def money(cents: int) -> float:
    """Cents as a two-decimal amount; flows compute in integer cents so totals add up exactly."""
    return round(cents / 100, 2)
