"""Realistic strings where a field's name (or description) says what it holds."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from streammesh.schemas import Schema
from streammesh.schemas.generation import generate_values
from streammesh.schemas.generation.context import LOCALES, ascii_slug
from streammesh.schemas.generation.semantic import CURRENCIES
from tests.unit.schemas.generate.helpers import DAY_MS, NOW, NOW_MS

EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}")
ISO_COUNTRIES = {c for c, *_ in LOCALES.values()}
NAMES = [
    "email",
    "first_name",
    "last_name",
    "full_name",
    "phone",
    "street",
    "city",
    "postcode",
    "country",
    "ip_address",
    "user_agent",
    "url",
    "path",
    "currency",
    "company",
    "iban",
    "sku",
    "product_name",
    "description",
    "comment",
    "customer_id",
    "order_id",
    "created_at",
    "birth_date",
    "due_date",
    "tracking_number",
    "session_id",
    "card_last4",
    "language",
    "promo_code",
]


@pytest.fixture(scope="module")
def people(json_schema: Callable[[dict[str, Any]], Schema]) -> list[dict[str, Any]]:
    schema = json_schema(
        {
            "type": "object",
            "required": [*NAMES, "amount", "quantity", "latitude"],
            "properties": {
                **{n: {"type": "string"} for n in NAMES},
                "amount": {"type": "number"},
                "quantity": {"type": "integer"},
                "latitude": {"type": "number"},
            },
        }
    )
    return list(generate_values(schema, 200, seed=51, now=NOW))


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def test_contact_details(people: list[dict[str, Any]]) -> None:
    for p in people:
        assert EMAIL.fullmatch(p["email"]), p["email"]
        assert p["first_name"] and p["last_name"] and p["full_name"] == f"{p['first_name']} {p['last_name']}"
        assert len(re.sub(r"\D", "", p["phone"])) >= 6
    # one record describes one person: the e-mail is made from the name
    matching = sum(ascii_slug(p["last_name"]) in p["email"] for p in people)
    assert matching > 0.9 * len(people)


def test_addresses_countries_and_languages(people: list[dict[str, Any]]) -> None:
    for p in people:
        assert p["country"] in ISO_COUNTRIES and re.fullmatch(r"[A-Z]{2}", p["country"])
        assert "\n" not in p["street"] and re.search(r"\d", p["street"] + p["postcode"])
        assert p["city"] and p["postcode"]
        assert re.fullmatch(r"[a-z]{2}", p["language"])
    assert len({p["country"] for p in people}) >= 6


def test_internet_fields(people: list[dict[str, Any]]) -> None:
    for p in people:
        assert not ipaddress.IPv4Address(p["ip_address"]).is_private
        assert p["user_agent"].startswith("Mozilla/5.0 (")
        assert p["url"].startswith("https://") and p["path"].startswith("/")
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", p["session_id"])


def test_commerce_fields(people: list[dict[str, Any]]) -> None:
    for p in people:
        assert p["currency"] in CURRENCIES and re.fullmatch(r"[A-Z]{3}", p["currency"])
        assert re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", p["iban"])
        assert re.fullmatch(r"[A-Z]{3}-\d{5}", p["sku"])
        assert re.fullmatch(r"C\d{6}", p["customer_id"]) and re.fullmatch(r"O\d{8}", p["order_id"])
        assert re.fullmatch(r"\d{4}", p["card_last4"])
        assert len(p["product_name"].split()) >= 2 and p["company"]
        assert len(p["description"].split()) >= 4 and p["description"].endswith(".")
        assert re.fullmatch(r"[A-Z]+\d+", p["promo_code"])
        assert 1 <= p["amount"] <= 499 and round(p["amount"], 2) == p["amount"]
        assert 1 <= p["quantity"] <= 5
        assert 36 <= p["latitude"] <= 58


def test_times_are_iso_utc_and_plausible(people: list[dict[str, Any]]) -> None:
    for p in people:
        created = _parse(p["created_at"])
        assert p["created_at"].endswith("Z") and created.tzinfo is not None
        assert NOW - timedelta(days=31) <= created <= NOW
        born = date.fromisoformat(p["birth_date"])
        assert 17 <= (NOW.date() - born).days / 365.25 <= 86
        due = date.fromisoformat(p["due_date"])
        assert NOW.date() <= due <= NOW.date() + timedelta(days=22)


@pytest.mark.parametrize(
    "name",
    ["example:orders", "fulfilment.parcel_tracking", "web.page_views", "customers.profiles", "fulfilment.shipments"],
)
def test_country_codes_in_contracts_are_iso_alpha_2(schema_of: Callable[[str], Schema], name: str) -> None:
    for v in generate_values(schema_of(name), 200, seed=6):
        country = v.get("country") or (v.get("shipping_address") or v.get("ship_to") or {}).get("country")
        assert re.fullmatch(r"[A-Z]{2}", country), country


def test_demo_contract_strings_look_real(schema_of: Callable[[str], Schema]) -> None:
    for v in generate_values(schema_of("example:orders"), 200, seed=7, now=NOW):
        assert EMAIL.fullmatch(v["customer_email"])
        assert re.fullmatch(r"O\d{8}", v["order_id"]) and re.fullmatch(r"C\d{6}", v["customer_id"])
        assert re.fullmatch(r"[A-Z]{3}", v["currency"])
        assert NOW_MS - 31 * DAY_MS <= v["placed_at"] <= NOW_MS
        assert all(re.fullmatch(r"[A-Z]{3}-\d{5}", i["sku"]) and " " in i["product_name"] for i in v["items"])
    for v in generate_values(schema_of("catalog.products"), 100, seed=7, now=NOW):
        # Avro strings documented as ISO-8601 get timestamps, found through the doc
        assert _parse(v["listed_at"]).tzinfo == UTC or _parse(v["listed_at"]).utcoffset() == timedelta(0)
        assert _parse(v["updated_at"]) <= NOW
    for v in generate_values(schema_of("payments.payments"), 100, seed=7, now=NOW):
        if v.get("currency"):
            assert re.fullmatch(r"[A-Z]{3}", v["currency"])
        if v.get("card_brand"):
            assert v["card_brand"] in {"VISA", "MASTERCARD", "AMEX"}
        if v.get("occurred_at"):
            assert _parse(v["occurred_at"]) <= NOW


def test_enum_country_follows_the_record_persona(schema_of: Callable[[str], Schema]) -> None:
    values = list(generate_values(schema_of("customers.profiles"), 300, seed=8))
    same = sum(v["country"] == v["address"]["country"] for v in values)
    assert same > 0.6 * len(values)
