"""The demo products join up the way a real retailer's would: every reference resolves, money adds up,
and events follow their causes in time."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from streammesh.demo.generators import DemoEvent

Events = dict[str, list[DemoEvent]]


def _cents(x: float) -> int:
    return round(x * 100)


def _latest(events: list[DemoEvent], key: str) -> dict[str, dict[str, Any]]:
    return {e.value[key]: e.value for e in events}


def _first_seen(events: list[DemoEvent], key: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for e in events:
        seen.setdefault(e.value[key], e.timestamp_ms)
    return seen


def test_customers_carry_personal_data(by_product: Events) -> None:
    profiles = list(_latest(by_product["customers.profiles"], "customer_id").values())
    assert len(profiles) >= 300
    assert all("@" in p["email"] and p["first_name"] and p["last_name"] and p["address"]["postcode"] for p in profiles)
    assert sum(p["phone"] is not None for p in profiles) / len(profiles) > 0.7
    assert sum(p["birth_date"] is not None for p in profiles) / len(profiles) > 0.5
    assert len({p["country"] for p in profiles}) >= 6 and len({p["region"] for p in profiles}) == 5


def test_orders_reference_existing_customers_and_products(by_product: Events) -> None:
    customers = _first_seen(by_product["customers.profiles"], "customer_id")
    skus = _first_seen(by_product["catalog.products"], "sku")
    for e in by_product["sales.orders"]:
        assert customers[e.value["customer_id"]] <= e.timestamp_ms
        assert all(skus[i["sku"]] <= e.timestamp_ms for i in e.value["items"])


def test_order_totals_add_up(by_product: Events) -> None:
    for e in by_product["sales.orders"]:
        o = e.value
        assert all(_cents(i["line_total"]) == i["quantity"] * _cents(i["unit_price"]) for i in o["items"])
        assert _cents(o["subtotal"]) == sum(_cents(i["line_total"]) for i in o["items"])
        assert _cents(o["total"]) == _cents(o["subtotal"]) - _cents(o["discount"]) + _cents(o["shipping_fee"])
        assert o["item_count"] == sum(i["quantity"] for i in o["items"])
        assert 0 < o["vat_included"] < o["total"]
        assert (o["status"] == "cancelled") == (o["cancel_reason"] is not None)


def test_order_lines_repeat_the_placed_orders(by_product: Events) -> None:
    placed = {e.value["order_id"]: e.value for e in by_product["sales.orders"] if e.value["status"] == "placed"}
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in by_product["sales.order_lines"]:
        lines[e.value["order_id"]].append(e.value)
    assert set(lines) == set(placed)
    for order_id, order in placed.items():
        got = [(v["sku"], v["quantity"], v["unit_price"], v["placed_at"]) for v in lines[order_id]]
        assert got == [(i["sku"], i["quantity"], i["unit_price"], order["placed_at"]) for i in order["items"]]


def test_order_values_are_log_normal_and_products_zipf_like(by_product: Events) -> None:
    totals = sorted(e.value["total"] for e in by_product["sales.orders"] if e.value["status"] == "placed")
    median, p95 = totals[len(totals) // 2], totals[int(len(totals) * 0.95)]
    assert 20 < median < 150 and p95 > 2.5 * median  # long right tail
    sold = Counter(e.value["sku"] for e in by_product["sales.order_lines"])
    top = sum(n for _, n in sold.most_common(10))
    assert top / sum(sold.values()) > 0.25  # a few products sell far more than the rest


def test_payments_reference_orders_and_match_their_totals(by_product: Events) -> None:
    orders = _latest(by_product["sales.orders"], "order_id")
    placed_at = _first_seen(by_product["sales.orders"], "order_id")
    captured: Counter[str] = Counter()
    statuses = Counter()
    for e in by_product["payments.payments"]:
        p = e.value
        statuses[p["status"]] += 1
        assert placed_at[p["order_id"]] <= e.timestamp_ms
        assert _cents(p["amount"]) == _cents(orders[p["order_id"]]["total"])
        assert p["customer_id"] == orders[p["order_id"]]["customer_id"]
        assert bool(p["failure_reason"]) == (p["status"] == "DECLINED")
        assert bool(p["card_last4"]) == (p["method"] == "CARD") and len(p["card_last4"]) in (0, 4)
        captured[p["order_id"]] += p["status"] == "CAPTURED"
    assert max(captured.values()) == 1
    declined = statuses["DECLINED"] / sum(statuses.values())
    assert 0.01 < declined < 0.15 and statuses["PENDING"] and statuses["REFUNDED"]


def test_shipments_follow_paid_orders(by_product: Events) -> None:
    captured_at = {
        e.value["order_id"]: e.timestamp_ms for e in by_product["payments.payments"] if e.value["status"] == "CAPTURED"
    }
    orders = _latest(by_product["sales.orders"], "order_id")
    shipped = Counter()
    for e in by_product["fulfilment.shipments"]:
        s = e.value
        shipped[s["order_id"]] += 1
        assert captured_at[s["order_id"]] <= e.timestamp_ms
        assert orders[s["order_id"]]["status"] == "placed"
        order_items = [(i["sku"], i["quantity"]) for i in orders[s["order_id"]]["items"]]
        assert [(i["sku"], i["quantity"]) for i in s["items"]] == order_items
    assert max(shipped.values()) == 1
    assert len(shipped) > 0.6 * len(captured_at)


def test_parcel_tracking_follows_each_shipment_in_time_order(by_product: Events) -> None:
    created = {e.value["shipment_id"]: e.timestamp_ms for e in by_product["fulfilment.shipments"]}
    scans: dict[str, list[DemoEvent]] = defaultdict(list)
    for e in by_product["fulfilment.parcel_tracking"]:
        scans[e.value["shipment_id"]].append(e)
    assert set(scans) == set(created)
    finals = Counter()
    for shipment_id, events in scans.items():
        assert [e.value["sequence"] for e in events] == list(range(1, len(events) + 1))
        assert [e.timestamp_ms for e in events] == sorted(e.timestamp_ms for e in events)
        assert events[0].value["status"] == "LABEL_CREATED" and events[0].timestamp_ms == created[shipment_id]
        statuses = [e.value["status"] for e in events]
        assert "DELIVERED" not in statuses[:-1] and "RETURNED_TO_SENDER" not in statuses[:-1]
        finals[statuses[-1]] += 1
    assert finals["DELIVERED"] > 0 and finals["RETURNED_TO_SENDER"] > 0


def test_dispatches_tie_to_shipments_with_a_little_shrinkage(by_product: Events) -> None:
    shipments = _latest(by_product["fulfilment.shipments"], "shipment_id")
    orders = _latest(by_product["sales.orders"], "order_id")
    cancelled_at = {
        e.value["order_id"]: e.timestamp_ms for e in by_product["sales.orders"] if e.value["status"] == "cancelled"
    }
    shrinkage = ghosts = 0
    dispatches = by_product["warehouse.goods_dispatched"]
    for e in dispatches:
        d = e.value
        if d["shipment_id"] is not None:
            s = shipments[d["shipment_id"]]
            assert (d["order_id"], d["warehouse_id"]) == (s["order_id"], s["warehouse_id"])
            assert {"sku": d["sku"], "quantity": d["quantity"]} in s["items"]
        else:
            shrinkage += 1
            if d["reason"] == "customer_order":  # goods left for an order already cancelled
                ghosts += 1
                assert orders[d["order_id"]]["status"] == "cancelled"
                assert cancelled_at[d["order_id"]] <= e.timestamp_ms
            else:
                assert d["order_id"] is None
    assert 0 < shrinkage / len(dispatches) < 0.1 and ghosts > 0


def test_receipts_reference_suppliers_or_returned_shipments(by_product: Events) -> None:
    returned = {
        e.value["shipment_id"]
        for e in by_product["fulfilment.parcel_tracking"]
        if e.value["status"] == "RETURNED_TO_SENDER"
    }
    skus = set(_latest(by_product["catalog.products"], "sku"))
    reasons = Counter()
    for e in by_product["warehouse.goods_received"]:
        r = e.value
        reasons[r["reason"]] += 1
        assert r["sku"] in skus and r["quantity"] > 0
        if r["reason"] == "CUSTOMER_RETURN":
            assert r["shipment_id"] in returned and r["supplier_id"] is None
        else:
            assert r["supplier_id"] and r["purchase_order_id"] and r["shipment_id"] is None
    assert reasons["CUSTOMER_RETURN"] > 0


def test_receivables_balance_per_invoice(by_product: Events) -> None:
    orders = _latest(by_product["sales.orders"], "order_id")
    captured = {
        e.value["order_id"]: e.value["payment_id"]
        for e in by_product["payments.payments"]
        if e.value["status"] == "CAPTURED"
    }
    entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in by_product["finance.accounts_receivable"]:
        entries[e.value["invoice_id"]].append(e.value)
    for invoice_id, posted in entries.items():
        assert posted[0]["entry_type"] == "invoice"
        assert _cents(posted[0]["amount"]) == _cents(orders[posted[0]["order_id"]]["total"])
        running = 0
        for v in posted:
            running += _cents(v["amount"])
            assert running == _cents(v["outstanding"]), invoice_id
        if posted[-1]["status"] == "paid":
            assert running == 0 and posted[-1]["payment_id"] == captured[posted[0]["order_id"]]
    assert len({v[0]["order_id"] for v in entries.values()}) == len(entries)


def test_page_views_reference_customers_products_and_lead_to_orders(by_product: Events) -> None:
    customers = set(_latest(by_product["customers.profiles"], "customer_id"))
    skus = set(_latest(by_product["catalog.products"], "sku"))
    sessions: dict[str, set[str | None]] = defaultdict(set)
    anonymous = 0
    views = by_product["web.page_views"]
    for e in views:
        v = e.value
        sessions[v["session_id"]].add(v["customer_id"])
        anonymous += v["customer_id"] is None
        assert v["customer_id"] is None or v["customer_id"] in customers
        assert (v["sku"] is not None) == (v["page_type"] == "product") and (v["sku"] is None or v["sku"] in skus)
    assert 0.3 < anonymous / len(views) < 0.8
    assert all(len(ids) == 1 for ids in sessions.values())  # a session is one visitor
    web_orders = [e.value for e in by_product["sales.orders"] if e.value["channel"] == "web"]
    assert web_orders and all(sessions[o["session_id"]] == {o["customer_id"]} for o in web_orders)
