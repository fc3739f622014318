"""Warehouse stock, shipments and parcel tracking: what happens to an order after it is paid.

Time is compressed so a demo shows whole journeys: labels minutes after payment, carrier pick-up within
the half hour, delivery in about an hour and a half. Shrinkage happens in two believable ways: stock
counts find units missing, and now and then goods leave for an order already cancelled (never invoiced).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streammesh.demo.generators.events import (
    GOODS_DISPATCHED,
    GOODS_RECEIVED,
    SHIPMENTS,
    TRACKING,
    iso,
    iso_date,
    money,
)
from streammesh.demo.generators.population import Order, Product
from streammesh.demo.generators.reference import CARRIER_CODES, CATEGORIES, HUBS, MARKETS, WAREHOUSES, Warehouse
from streammesh.demo.generators.simulation import Sim

__all__ = ["Parcel", "ghost_dispatch", "ship", "stock_count", "stock_up"]

_DAY_MS = 86_400_000
_BRANDS = [b for c in CATEGORIES for b in c.brands]
_FAILURES = (
    "recipient not at home",
    "address not found",
    "no safe place to leave the parcel",
    "access to the building not possible",
)

Returned = Callable[[Sim, Order], None]


@dataclass(slots=True)
class Parcel:
    """A shipment on its way: the state each tracking step needs for the next one."""

    shipment_id: str
    order: Order
    warehouse: Warehouse
    carrier: str
    tracking_number: str
    on_returned: Returned
    sequence: int = 0
    attempts: int = 0


# -- stock ----------------------------------------------------------------------------------------------------


def _stock(sim: Sim) -> dict[tuple[str, str], int]:
    return sim.state.setdefault("stock", {})


def stock_up(sim: Sim, *, orders_per_hour: float, since_ms: int) -> None:
    """Set stock targets from the expected demand and book the opening stock as supplier deliveries
    between ``since_ms`` and now (reference data, emitted before any order)."""
    targets: dict[tuple[str, str], int] = sim.state.setdefault("targets", {})
    share = {w: sum(m.weight for m in MARKETS if m.warehouse == w) for w in WAREHOUSES}
    deliveries = []
    for cat in CATEGORIES:
        items = [p for p in sim.pop.products if p.category is cat]
        total = sum(p.popularity for p in items) or 1.0
        for p in items:
            for w, wshare in share.items():
                per_hour = orders_per_hour * 2.2 * cat.weight * p.popularity / total * wshare
                targets[(w, p.sku)] = 12 + math.ceil(per_hour * 4)
                deliveries.append((sim.rng.randint(since_ms, sim.now - 3_600_000), w, p))
    end = sim.now
    for t, w, p in sorted(deliveries, key=lambda d: (d[0], d[1], d[2].sku)):
        sim.now = t
        _receive(sim, w, p, targets[(w, p.sku)])
    sim.now = end


def _case_pack(n: int) -> int:
    return max(6, -(-n // 6) * 6)


def _receive(sim: Sim, warehouse: str, p: Product, quantity: int) -> None:
    """A supplier delivery against a purchase order."""
    sim.state.setdefault("reordering", {}).pop((warehouse, p.sku), None)
    _stock(sim)[(warehouse, p.sku)] = _stock(sim).get((warehouse, p.sku), 0) + quantity
    sim.emit(
        GOODS_RECEIVED,
        p.sku,
        {
            "receipt_id": sim.next_id("GR"),
            "warehouse_id": warehouse,
            "sku": p.sku,
            "quantity": quantity,
            "reason": "PURCHASE_ORDER",
            "supplier_id": f"SUP-{_BRANDS.index(p.brand) + 1:04d}",
            "purchase_order_id": sim.next_id("PO", 7),
            "shipment_id": None,
            "unit_cost": money(round(p.price_eur_cents / 1.2 * sim.rng.uniform(0.40, 0.52))),
            "received_at": iso(sim.now),
        },
    )


def _dispatch(
    sim: Sim, warehouse: str, p: Product, quantity: int, reason: str, order_id: str | None, shipment_id: str | None
) -> None:
    key = (warehouse, p.sku)
    stock = _stock(sim)
    stock[key] = stock.get(key, 0) - quantity
    sim.emit(
        GOODS_DISPATCHED,
        p.sku,
        {
            "dispatch_id": sim.next_id("GD"),
            "warehouse_id": warehouse,
            "sku": p.sku,
            "quantity": quantity,
            "reason": reason,
            "order_id": order_id,
            "shipment_id": shipment_id,
            "dispatched_at": iso(sim.now),
        },
    )
    target = sim.state.get("targets", {}).get(key, 12)
    reordering: dict[tuple[str, str], bool] = sim.state.setdefault("reordering", {})
    if stock[key] < target * 0.4 and key not in reordering:
        reordering[key] = True
        sim.after(sim.delay(45 * 60, 0.4, low=15 * 60), _receive, warehouse, p, _case_pack(target - stock[key]))


def ghost_dispatch(sim: Sim, order: Order) -> None:
    """Goods picked and gone for an order the warehouse did not know was cancelled: no shipment, no invoice."""
    for line in order.lines:
        _dispatch(
            sim, order.customer.market.warehouse, line.product, line.quantity, "customer_order", order.order_id, None
        )


def stock_count(sim: Sim) -> None:
    """A cycle count of one SKU: usually right, sometimes units are missing or found damaged."""
    warehouse = sim.rng.choice(sorted(WAREHOUSES))
    p = sim.pop.pick_product()
    roll = sim.rng.random()
    if roll < 0.3:
        _dispatch(sim, warehouse, p, sim.rng.choice((1, 1, 1, 2, 3)), "stock_count_adjustment", None, None)
    elif roll < 0.4:
        _dispatch(sim, warehouse, p, 1, "damaged", None, None)


# -- shipments and tracking -----------------------------------------------------------------------------------


def ship(sim: Sim, order: Order, on_returned: Returned) -> None:
    """Create the shipment and its label for a paid order, then let the parcel travel."""
    rng, c = sim.rng, order.customer
    wh = WAREHOUSES[c.market.warehouse]
    carrier = rng.choice(c.market.carriers)
    code = CARRIER_CODES[carrier]
    tracking = f"{code}{rng.randrange(10**9, 10**10)}" + ("GB" if carrier == "Royal Mail" else "")
    parcel = Parcel(sim.next_id("SHP"), order, wh, carrier, tracking, on_returned)
    days = (1 if order.shipping_method == "express" else 2) + (wh.country != c.market.country)
    sim.emit(
        SHIPMENTS,
        parcel.shipment_id,
        {
            "shipment_id": parcel.shipment_id,
            "order_id": order.order_id,
            "customer_id": c.customer_id,
            "warehouse_id": wh.warehouse_id,
            "carrier": carrier,
            "service_level": order.shipping_method,
            "tracking_number": tracking,
            "items": [{"sku": line.product.sku, "quantity": line.quantity} for line in order.lines],
            "weight_grams": 150 + sum(line.product.grams * line.quantity for line in order.lines),
            "ship_to": {
                "recipient_name": c.full_name,
                "line1": c.line1,
                "city": c.city,
                "postcode": c.postcode,
                "country": c.market.country,
            },
            "created_at": iso(sim.now),
            "promised_delivery_date": iso_date(sim.now + days * _DAY_MS),
        },
    )
    _scan(sim, parcel, "LABEL_CREATED", wh.city, wh.country)
    fast = order.shipping_method == "express"
    sim.after(sim.delay(10 * 60 if fast else 15 * 60, 0.5, low=120), _pick_up, parcel)


def _scan(
    sim: Sim,
    parcel: Parcel,
    status: str,
    location: str,
    country: str,
    *,
    signed_by: str | None = None,
    failure: str | None = None,
) -> None:
    parcel.sequence += 1
    sim.emit(
        TRACKING,
        parcel.shipment_id,
        {
            "event_id": sim.uuid(),
            "shipment_id": parcel.shipment_id,
            "tracking_number": parcel.tracking_number,
            "carrier": parcel.carrier,
            "status": status,
            "sequence": parcel.sequence,
            "location": location,
            "country": country,
            "signed_by": signed_by,
            "failure_reason": failure,
            "occurred_at": iso(sim.now),
        },
    )


def _pick_up(sim: Sim, parcel: Parcel) -> None:
    wh = parcel.warehouse
    _scan(sim, parcel, "PICKED_UP", wh.city, wh.country)
    for line in parcel.order.lines:
        _dispatch(
            sim,
            wh.warehouse_id,
            line.product,
            line.quantity,
            "customer_order",
            parcel.order.order_id,
            parcel.shipment_id,
        )
    dest = parcel.order.customer.market.country
    hubs: list[tuple[str, str]] = []
    if wh.country != dest:
        hubs.append((sim.rng.choice(HUBS[wh.country]), wh.country))
    hubs += [(h, dest) for h in sim.rng.sample(HUBS[dest], k=sim.rng.choice((1, 1, 2)))]
    sim.after(sim.delay(15 * 60, 0.4, low=180), _hub, parcel, hubs)


def _hub(sim: Sim, parcel: Parcel, hubs: list[tuple[str, str]]) -> None:
    (hub, country), rest = hubs[0], hubs[1:]
    _scan(sim, parcel, "IN_TRANSIT", hub, country)
    sim.after(sim.delay(15 * 60, 0.4, low=180), *((_hub, parcel, rest) if rest else (_out_for_delivery, parcel)))


def _out_for_delivery(sim: Sim, parcel: Parcel) -> None:
    parcel.attempts += 1
    c = parcel.order.customer
    _scan(sim, parcel, "OUT_FOR_DELIVERY", c.city, c.market.country)
    sim.after(sim.delay(20 * 60, 0.6, low=60), _deliver, parcel)


def _deliver(sim: Sim, parcel: Parcel) -> None:
    c = parcel.order.customer
    if sim.rng.random() < (0.07 if parcel.attempts == 1 else 0.4):
        _scan(sim, parcel, "DELIVERY_FAILED", c.city, c.market.country, failure=sim.rng.choice(_FAILURES))
        next_step = _return_to_sender if parcel.attempts >= 2 else _out_for_delivery
        sim.after(sim.delay(20 * 60, 0.4, low=300), next_step, parcel)
        return
    signer = c.full_name if sim.rng.random() < 0.6 else None
    _scan(sim, parcel, "DELIVERED", c.city, c.market.country, signed_by=signer)


def _return_to_sender(sim: Sim, parcel: Parcel) -> None:
    dest = parcel.order.customer.market.country
    _scan(
        sim, parcel, "RETURNED_TO_SENDER", sim.rng.choice(HUBS[dest]), dest, failure="undeliverable after two attempts"
    )
    sim.after(sim.delay(30 * 60, 0.4, low=600), _receive_return, parcel)


def _receive_return(sim: Sim, parcel: Parcel) -> None:
    """The returned parcel is counted back into stock; then the customer is refunded."""
    wh = parcel.warehouse.warehouse_id
    for line in parcel.order.lines:
        p = line.product
        _stock(sim)[(wh, p.sku)] = _stock(sim).get((wh, p.sku), 0) + line.quantity
        value: dict[str, Any] = {
            "receipt_id": sim.next_id("GR"),
            "warehouse_id": wh,
            "sku": p.sku,
            "quantity": line.quantity,
            "reason": "CUSTOMER_RETURN",
            "supplier_id": None,
            "purchase_order_id": None,
            "shipment_id": parcel.shipment_id,
            "unit_cost": money(round(p.price_eur_cents / 1.2 * 0.46)),
            "received_at": iso(sim.now),
        }
        sim.emit(GOODS_RECEIVED, p.sku, value)
    sim.after(sim.delay(10 * 60, 0.4, low=60), parcel.on_returned, parcel.order)
