"""Orders, payments and receivables: the money side of the retailer.

Amounts are computed in integer cents so every total adds up exactly; a captured payment always equals
its order's total, and the ledger of each invoice always balances back to zero once it is settled.
"""

from __future__ import annotations

from typing import Any

from streammesh.demo.generators import logistics
from streammesh.demo.generators.events import ORDER_LINES, ORDERS, PAYMENTS, RECEIVABLES, iso, iso_date, money
from streammesh.demo.generators.population import Customer, Line, Order, Product
from streammesh.demo.generators.simulation import Sim

__all__ = ["order_value", "other_channel_order", "place_order", "refund_returned"]

_DAY_MS = 86_400_000
_PROMOS = (("WELCOME10", 10), ("SEASON15", 15), ("LOYALTY5", 5))
_METHODS = ("CARD", "PAYPAL", "KLARNA", "GIFT_CARD", "BANK_TRANSFER")
_METHOD_WEIGHTS = {"DE": (38, 20, 18, 4, 20), "AT": (40, 20, 18, 4, 18), "NL": (45, 20, 15, 4, 16)}
_DEFAULT_WEIGHTS = (58, 24, 8, 5, 5)
_FAILURE_RATE = {"CARD": 0.08, "PAYPAL": 0.03, "KLARNA": 0.07, "GIFT_CARD": 0.05, "BANK_TRANSFER": 0.0}
_FAILURE_REASONS = {
    "CARD": ("insufficient_funds", "card_expired", "do_not_honor", "suspected_fraud", "3ds_authentication_failed"),
    "PAYPAL": ("instrument_declined", "payer_action_required"),
    "KLARNA": ("credit_check_failed",),
    "GIFT_CARD": ("insufficient_balance",),
}


def order_value(order: Order, now_ms: int, cancel_reason: str | None = None) -> dict[str, Any]:
    """The ``sales.orders`` value of an order in its current status."""
    total = order.total_cents
    vat = order.customer.market.vat_percent
    return {
        "order_id": order.order_id,
        "customer_id": order.customer.customer_id,
        "status": order.status,
        "channel": order.channel,
        "session_id": order.session_id,
        "currency": order.currency,
        "items": [
            {
                "line": i,
                "sku": line.product.sku,
                "quantity": line.quantity,
                "unit_price": money(line.unit_cents),
                "line_total": money(line.total_cents),
            }
            for i, line in enumerate(order.lines, 1)
        ],
        "item_count": sum(line.quantity for line in order.lines),
        "subtotal": money(order.subtotal_cents),
        "discount": money(order.discount_cents),
        "promo_code": order.promo_code,
        "shipping_fee": money(order.shipping_cents),
        "shipping_method": order.shipping_method,
        "total": money(total),
        "vat_included": money(round(total * vat / (100 + vat))),
        "delivery_country": order.customer.market.country,
        "cancel_reason": cancel_reason,
        "placed_at": iso(order.placed_ms),
        "updated_at": iso(now_ms),
    }


def _basket(sim: Sim) -> list[Product]:
    """1-6 distinct products; a second item is often from the same category as the first."""
    rng, pop = sim.rng, sim.pop
    first = pop.pick_product()
    chosen = [first]
    for _ in range(200):
        if len(chosen) >= 6 or rng.random() < 0.55:
            break
        p = pop.pick_product(first.category if rng.random() < 0.5 else None)
        if p not in chosen:
            chosen.append(p)
    return chosen


def place_order(
    sim: Sim, customer: Customer, channel: str, session_id: str | None = None, products: list[Product] | None = None
) -> Order:
    """Place an order now (``sales.orders`` + ``sales.order_lines``) and start paying for it."""
    rng = sim.rng
    currency = customer.market.currency
    lines = [
        Line(p, rng.choices((1, 2, 3, 4, 6), (82, 12, 3.5, 1.5, 1))[0], p.price_cents(currency))
        for p in (products or _basket(sim))
    ]
    subtotal = sum(line.total_cents for line in lines)
    promo = rng.choice(_PROMOS) if rng.random() < 0.12 else None
    discount = round(subtotal * promo[1] / 100) if promo else 0
    express = rng.random() < 0.12
    gbp = currency == "GBP"
    free = subtotal - discount >= (4000 if gbp else 5000) or customer.loyalty_tier in ("gold", "platinum")
    shipping = (695 if gbp else 795) if express else (0 if free else (395 if gbp else 495))
    order = Order(
        order_id=sim.next_id("O"),
        customer=customer,
        channel=channel,
        session_id=session_id,
        currency=currency,
        lines=lines,
        discount_cents=discount,
        promo_code=promo[0] if promo else None,
        shipping_cents=shipping,
        shipping_method="express" if express else "standard",
        placed_ms=sim.now,
    )
    weights = _METHOD_WEIGHTS.get(customer.market.country, _DEFAULT_WEIGHTS)
    if channel == "phone":  # the call centre takes cards only
        weights = (100, 0, 0, 0, 0)
    order.method = rng.choices(_METHODS, weights)[0]
    sim.emit(ORDERS, order.order_id, order_value(order, sim.now))
    for i, line in enumerate(lines, 1):
        sim.emit(
            ORDER_LINES,
            order.order_id,
            {
                "order_id": order.order_id,
                "line": i,
                "customer_id": customer.customer_id,
                "sku": line.product.sku,
                "category": line.product.category.name,
                "quantity": line.quantity,
                "unit_price": money(line.unit_cents),
                "line_total": money(line.total_cents),
                "currency": currency,
                "channel": channel,
                "placed_at": iso(sim.now),
            },
        )
    if order.method == "BANK_TRANSFER":  # pay by invoice: the invoice comes first
        sim.after(sim.delay(3, 0.3), _invoice, order, 14)
    sim.after(sim.delay(8, 0.6, low=1, high=120), _attempt, order, 1)
    return order


def other_channel_order(sim: Sim) -> None:
    """An order from the mobile app, a marketplace or the phone line (no web session)."""
    channel = sim.rng.choices(("mobile_app", "marketplace", "phone"), (65, 22, 13))[0]
    place_order(sim, sim.pop.pick_customer(), channel)


# -- payments -------------------------------------------------------------------------------------------------


def _payment(sim: Sim, order: Order, payment_id: str, attempt: int, status: str, failure: str = "") -> None:
    card = order.customer.card if order.method == "CARD" else None
    sim.emit(
        PAYMENTS,
        payment_id,
        {
            "payment_id": payment_id,
            "order_id": order.order_id,
            "customer_id": order.customer.customer_id,
            "attempt": attempt,
            "method": order.method,
            "status": status,
            "amount": money(order.total_cents),
            "currency": order.currency,
            "card_brand": card[0] if card else "",
            "card_last4": card[1] if card else "",
            "failure_reason": failure,
            "psp_reference": order.psp_reference,
            "occurred_at": iso(sim.now),
        },
    )


def _attempt(sim: Sim, order: Order, attempt: int) -> None:
    rng, customer = sim.rng, order.customer
    if order.method == "CARD" and (customer.card is None or (attempt > 1 and rng.random() < 0.5)):
        customer.card = (rng.choices(("VISA", "MASTERCARD", "AMEX"), (55, 38, 7))[0], f"{rng.randrange(10000):04d}")
    payment_id = sim.next_id("PAY")
    order.psp_reference = f"PSP{rng.getrandbits(48):012X}"
    if order.method == "BANK_TRANSFER":
        _payment(sim, order, payment_id, attempt, "PENDING")
        sim.after(sim.delay(40 * 60, 0.5, low=5 * 60), _capture, order, payment_id, attempt)
        return
    if rng.random() >= _FAILURE_RATE[order.method]:
        _capture(sim, order, payment_id, attempt)
        return
    _payment(sim, order, payment_id, attempt, "DECLINED", rng.choice(_FAILURE_REASONS[order.method]))
    if attempt < 3 and rng.random() < 0.6:  # the customer tries again, often another way
        if rng.random() < 0.3:
            order.method = rng.choice(("CARD", "PAYPAL"))
        sim.after(sim.delay(60, 0.6, low=10, high=600), _attempt, order, attempt + 1)
        return
    sim.after(sim.delay(15 * 60, 0.3, low=10 * 60), _cancel, order, "payment_failed")


def _capture(sim: Sim, order: Order, payment_id: str, attempt: int) -> None:
    order.captured_payment_id, order.captured_attempt = payment_id, attempt
    _payment(sim, order, payment_id, attempt, "CAPTURED")
    if order.invoice_id is None:
        sim.after(sim.delay(2, 0.3), _invoice, order, 0)
    else:
        sim.after(sim.delay(2, 0.3), _settle, order)
    sim.after(sim.delay(6 * 60, 0.5, low=60), logistics.ship, order, refund_returned)


def _cancel(sim: Sim, order: Order, reason: str) -> None:
    order.status = "cancelled"
    sim.emit(ORDERS, order.order_id, order_value(order, sim.now, reason))
    if sim.rng.random() < 0.2:  # the cancellation reaches the warehouse too late: the goods leave anyway
        sim.after(sim.delay(5 * 60, 0.5, low=30), logistics.ghost_dispatch, order)


def refund_returned(sim: Sim, order: Order) -> None:
    """A parcel came back: refund the captured payment and credit the invoice."""
    assert order.captured_payment_id is not None and order.invoice_id is not None
    _payment(sim, order, order.captured_payment_id, order.captured_attempt, "REFUNDED")
    _entry(sim, order, "credit_note", -order.total_cents, -order.total_cents, "credited", None)
    sim.after(1.5, _entry, order, "refund", order.total_cents, 0, "credited", order.captured_payment_id)


# -- receivables ----------------------------------------------------------------------------------------------


def _entry(
    sim: Sim, order: Order, entry_type: str, amount: int, outstanding: int, status: str, payment_id: str | None
) -> None:
    assert order.invoice_id is not None
    sim.emit(
        RECEIVABLES,
        order.invoice_id,
        {
            "entry_id": sim.next_id("ARE"),
            "invoice_id": order.invoice_id,
            "order_id": order.order_id,
            "customer_id": order.customer.customer_id,
            "entry_type": entry_type,
            "amount": money(amount),
            "outstanding": money(outstanding),
            "currency": order.currency,
            "status": status,
            "payment_id": payment_id,
            "due_date": iso_date(order.due_ms),
            "posted_at": iso(sim.now),
        },
    )


def _invoice(sim: Sim, order: Order, due_days: int) -> None:
    order.invoice_id = sim.next_id("INV")
    order.due_ms = sim.now + due_days * _DAY_MS
    _entry(sim, order, "invoice", order.total_cents, order.total_cents, "open", None)
    if order.captured_payment_id is not None:  # paid up front: settle at once
        sim.after(1.0, _settle, order)


def _settle(sim: Sim, order: Order) -> None:
    _entry(sim, order, "payment", -order.total_cents, 0, "paid", order.captured_payment_id)
