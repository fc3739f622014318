"""Masking classified values in the events shown to readers without a grant."""

from __future__ import annotations

from streammesh.catalog.consumer import Event
from streammesh.contracts import contract_from_dict
from streammesh.governance.masking import MASKED_CLASSES, Masking, mask_value
from streammesh.model.catalog import Product
from tests.factories import contract_dict, order


def test_mask_value_nested_and_lists() -> None:
    value = {"email": "a@b.com", "address": {"city": "Lyon"}, "items": [{"card": "4242"}], "total": 3}
    masked = mask_value(value, {"email": "pii", "address": "pii", "items[].card": "confidential"})
    assert masked["email"] != "a@b.com" and masked["email"].startswith("a")
    assert masked["address"] != {"city": "Lyon"}
    assert masked["items"][0]["card"] != "4242" and masked["total"] == 3
    assert mask_value({"a": {"b": "secret"}}, {"a.b": "restricted"})["a"]["b"] == "s••••t"
    assert mask_value({"x": "ab", "y": None}, {"x": "pii", "y": "pii"}) == {"x": "••", "y": None}
    assert mask_value({"public": "p"}, {"public": "public"}) == {"public": "p"}
    assert mask_value("not a record", {"x": "pii"}) == "not a record"


def test_masking_an_event_of_a_product() -> None:
    product = Product(contract_from_dict(contract_dict()), status="published", stream="sales.orders")
    value = order(1, customer_email="ada@example.com")
    event = Event("O000001", value, 2, 7, 1_700_000_000_000, {})
    shown = Masking().event(product, event)
    assert shown["value"]["customer_email"] == "a" + "•" * 10 + "m" and shown["value"]["order_id"] == "O000001"
    assert {k: v for k, v in shown.items() if k != "value"} == {
        k: v for k, v in event.to_dict().items() if k != "value"
    }
    assert value["customer_email"] == "ada@example.com"  # the event itself is left alone
    assert Masking(masked=frozenset()).value(product, value) == value
    assert "pii" in MASKED_CLASSES
