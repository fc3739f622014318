"""Realistic values chosen from a field's name (and its description), so sample events read like real ones.

``customer_email`` gets an e-mail address, ``country`` an ISO 3166-1 alpha-2 code, ``placed_at`` a recent
ISO-8601 UTC timestamp, ``order_id`` an ``O00012345``-style id and ``unit_price`` an amount with two
decimals. These are only *candidates*: callers keep one only if it also satisfies the schema's format,
pattern, length and range constraints, and otherwise fall back to a constraint-driven value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from streammesh.schemas.generation.context import (
    Context,
    ascii_slug,
    iso_date,
    iso_timestamp,
)

__all__ = [
    "COUNTRY_NAMES",
    "email_address",
    "instant_ms",
    "normalise_name",
    "numeric_hint",
    "preferred_choice",
    "realistic_string",
    "singular",
    "time_kind",
    "web_url",
]

CURRENCIES = ("EUR",) * 6 + ("GBP",) * 3 + ("USD",) * 2 + ("CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "JPY")
CARRIERS = ("DHL", "DPD", "UPS", "GLS", "PostNL", "Royal Mail", "Hermes", "Colissimo", "Correos", "An Post")
CARD_BRANDS = ("VISA", "VISA", "MASTERCARD", "MASTERCARD", "AMEX")
CATEGORIES = {
    "Electronics": ("Headphones", "Bluetooth Speaker", "Smartwatch", "USB-C Charger", "E-Reader"),
    "Home & Kitchen": ("Coffee Grinder", "Kettle", "Chef's Knife", "Desk Lamp", "Throw Blanket"),
    "Fashion": ("Rain Jacket", "Leather Belt", "Wool Scarf", "Sneakers", "Sunglasses"),
    "Sports & Outdoors": ("Yoga Mat", "Running Shoes", "Water Bottle", "Hiking Backpack", "Bike Light"),
    "Beauty": ("Face Serum", "Shampoo", "Hand Cream", "Perfume", "Lip Balm"),
    "Toys & Games": ("Board Game", "Puzzle", "Building Set", "Plush Bear", "Card Game"),
    "Garden": ("Garden Hose", "Pruning Shears", "Planter", "Solar Lantern", "Seed Kit"),
}
ADJECTIVES = (
    "Wireless",
    "Organic",
    "Compact",
    "Classic",
    "Ergonomic",
    "Stainless",
    "Waterproof",
    "Smart",
    "Portable",
    "Premium",
    "Recycled",
    "Lightweight",
    "Deluxe",
    "Everyday",
)
_UNITS = ("Flat", "Apt", "Unit")
_PROMOS = ("WELCOME", "SPRING", "SUMMER", "LOYALTY", "SAVE", "FREESHIP")
COUNTRY_NAMES = {
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "ES": "Spain",
    "IT": "Italy",
    "IE": "Ireland",
    "AT": "Austria",
    "BE": "Belgium",
    "US": "United States",
}
_ID_PREFIXES = {
    "customer": ("C", 6),
    "order": ("O", 8),
    "payment": ("PAY", 8),
    "shipment": ("SHP", 8),
    "invoice": ("INV", 8),
    "product": ("P", 6),
    "user": ("U", 7),
    "account": ("ACC", 8),
    "transaction": ("TXN", 10),
    "txn": ("TXN", 10),
    "supplier": ("SUP", 5),
    "employee": ("E", 6),
    "purchase_order": ("PO", 8),
    "receipt": ("GR", 8),
    "dispatch": ("GD", 8),
    "store": ("ST", 4),
    "ticket": ("T", 7),
    "cart": ("CART", 8),
    "basket": ("CART", 8),
    "refund": ("RF", 8),
    "return": ("RT", 8),
    "merchant": ("M", 6),
    "vendor": ("V", 5),
    "contract": ("CTR", 6),
}
_UUID_IDS = re.compile(
    r"(^|_)(event|message|msg|request|trace|span|session|view|correlation|device|visitor|"
    r"anonymous|idempotency|causation|click|impression|uuid|guid)(_id|_key)?$"
)
_FUTURE = re.compile(r"(due|promised|expir|deadline|until|scheduled|estimated|eta|delivery_date|renew)")
_LONG_AGO = re.compile(r"(listed|registered|signed_up|joined|first_seen|since|launched|member_since)")
_UA = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36"),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{m} "
        "Safari/605.1.15"
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.{m} Mobile/15E148 Safari/604.1"
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Mobile "
        "Safari/537.36"
    ),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
)


def normalise_name(name: str) -> str:
    """``customerEmail`` / ``Customer-Email`` -> ``customer_email``."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def singular(name: str) -> str:
    """The name of one item of an array field: ``tags`` -> ``tag``, ``categories`` -> ``category``."""
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith(("sses", "ches", "shes", "xes")):
        return name[:-2]
    return name[:-1] if name.endswith("s") and not name.endswith("ss") else name


def time_kind(name: str, doc: str = "") -> str | None:
    """``"timestamp"``, ``"date"`` or None: does the field hold a point in time, by its name or doc?"""
    n = normalise_name(name)
    d = doc.lower()
    if "yyyy-mm-dd" in d and "hh" not in d:
        return "date"
    if re.search(r"(^|_)(date|day|dob|birthday|birthdate)$|^date_|birth_date|date_of_birth", n):
        return "date"
    if re.search(r"(_at|_time|_ts|timestamp|datetime|_on)$|^(time|ts|when|at)$", n):
        return "timestamp"
    if "iso-8601" in d and "duration" not in d:
        return "timestamp"
    return None


def instant_ms(ctx: Context, name: str) -> int:
    """A plausible instant for a time field: birthdays decades back, due dates ahead, the rest recent."""
    n = normalise_name(name)
    if "birth" in n or n in ("dob", "birthday"):
        return ctx.birth_ms()
    if _FUTURE.search(n):
        return ctx.recent_ms(days_back=0, days_ahead=21)
    if _LONG_AGO.search(n):
        return ctx.recent_ms(days_back=730)
    return ctx.recent_ms(days_back=30)


def _prefixed_id(ctx: Context, entity: str) -> str:
    if entity == "warehouse":
        return "WH-" + ctx.letters(3)
    prefix, width = _ID_PREFIXES.get(entity, ("", 8))
    if not prefix:
        words = [w for w in entity.split("_") if w]
        prefix = "".join(w[0] for w in words).upper() if len(words) > 1 else entity[:3].upper()
    # small numbers first: ids look like a sequence (C000123), not like noise
    return prefix + str(ctx.rng.randint(1, min(10**width - 1, 10 ** min(width, 6)))).zfill(width)


def _sku(ctx: Context) -> str:
    return f"{ctx.pick(CATEGORIES)[:3].upper()}-{ctx.rng.randint(1, 4000):05d}"


def _product_name(ctx: Context) -> str:
    return f"{ctx.pick(ADJECTIVES)} {ctx.pick(ctx.pick(CATEGORIES.values()))}"


def email_address(ctx: Context) -> str:
    """The persona's address, ``first.last42@example.org``: reserved domains (RFC 2606), so that test
    data can never reach a real inbox."""
    p = ctx.persona
    sep = ctx.pick((".", "_", ""))
    tail = str(ctx.rng.randint(1, 99)) if ctx.chance(0.4) else ""
    first, last = ascii_slug(p.first_name), ascii_slug(p.last_name)
    local = f"{first}{sep}{last}{tail}" if first and last else ctx.faker().user_name()
    return f"{local}@{ctx.pick(('example.com', 'example.org', 'example.net'))}"


def web_url(ctx: Context) -> str:
    """An https page URL."""
    return "https://" + ctx.faker().uri().split("://", 1)[-1]


def _tracking(ctx: Context) -> str:
    return ctx.pick(
        (
            lambda: "JJD" + ctx.digits(18),
            lambda: "1Z" + ctx.letters(16, "0123456789ABCDEFGHJKLMNPRSTVWXYZ"),
            lambda: ctx.digits(14),
            lambda: ctx.letters(2) + ctx.digits(9) + "GB",
        )
    )()


def _words(ctx: Context, lo: int, hi: int) -> str:
    return " ".join(ctx.faker("en_US").word() for _ in range(ctx.rng.randint(lo, hi)))


def _region(ctx: Context) -> str:
    fake = ctx.faker()
    for attr in ("administrative_unit", "state", "region"):
        if hasattr(fake, attr):
            return str(getattr(fake, attr)())
    return fake.city()


_Producer = Callable[[Context], str]
#: (name regex, producer), first match wins; names are normalised to snake_case first
_RULES: list[tuple[re.Pattern[str], _Producer]] = [
    (re.compile(p), f)
    for p, f in [
        (r"e_?mail", email_address),
        (r"(^|_)(ip|ip_address|ipv4|client_ip|remote_addr|remote_ip|source_ip)$", lambda c: c.faker().ipv4_public()),
        (r"(^|_)ipv6$", lambda c: c.faker().ipv6()),
        (r"(^|_)(mac|mac_address)$", lambda c: c.faker().mac_address()),
        (r"(^|_)(first_name|firstname|given_name|forename)$", lambda c: c.persona.first_name),
        (r"(^|_)(last_name|lastname|surname|family_name)$", lambda c: c.persona.last_name),
        (r"(^|_)(user_?name|login|handle|nickname)$", lambda c: c.faker().user_name()),
        (r"(^|_)(file_?name)$", lambda c: c.faker().file_name()),
        (r"(^|_)(card_?last_?4|last_?4|last_four|card_last_digits)$", lambda c: c.digits(4)),
        (r"(^|_)(card_brand|card_scheme|card_type|card_network)$", lambda c: c.pick(CARD_BRANDS)),
        (r"(^|_)(card_number|pan|credit_card)$", lambda c: c.faker().credit_card_number()),
        (r"(^|_)(product_name|product_title|item_name|article_name)$", _product_name),
        (
            (
                r"(^|_)(company|company_name|employer|organi[sz]ation|merchant|merchant_name|brand|brand_name|"
                r"supplier_name|vendor|vendor_name|manufacturer)$"
            ),
            lambda c: c.faker().company(),
        ),
        (r"(^|_)(country_name|nationality)$", lambda c: COUNTRY_NAMES[c.persona.country]),
        (r"(^|_)(city_name|street_name)$", lambda c: c.faker().city()),
        (
            (
                r"(^|_)(full_name|name|display_name|recipient|recipient_name|customer_name|contact_name|holder|"
                r"cardholder|card_holder|signed_by|sender_name|receiver_name|driver_name|courier_name|"
                r"account_holder|beneficiary)$"
            ),
            lambda c: c.persona.full_name,
        ),
        (r"(^|_)(phone|phone_number|mobile|telephone|tel|fax|msisdn)$", lambda c: c.faker().phone_number()),
        (
            r"(^|_)(street|street_address|line_?1|address_?line_?1|address_?1)$",
            lambda c: c.faker().street_address().replace("\n", ", "),
        ),
        (r"(^|_)(line_?2|address_?line_?2|address_?2)$", lambda c: f"{c.pick(_UNITS)} {c.rng.randint(1, 40)}"),
        (r"(^|_)address$", lambda c: c.faker().address().replace("\n", ", ")),
        (r"(^|_)(city|town|location|place|locality|municipality)$", lambda c: c.faker().city()),
        (r"(^|_)(post_?code|postal_?code|zip|zip_?code)$", lambda c: c.faker().postcode()),
        (r"(^|_)(country|country_code|market|country_iso)$", lambda c: c.persona.country),
        (r"(^|_)(region|state|province|county)$", _region),
        (r"(^|_)(language|lang|language_code|locale)$", lambda c: c.persona.language),
        (r"(^|_)(time_?zone|tz)$", lambda c: c.persona.timezone),
        (
            r"(^|_)(currency|currency_code|ccy)$",
            lambda c: preferred_choice(c, "currency", list(CURRENCIES)) or c.pick(CURRENCIES),
        ),
        (r"(^|_)iban$", lambda c: c.faker().iban()),
        (r"(^|_)(bic|swift|swift_code)$", lambda c: c.faker().swift()),
        (
            r"(^|_)(user_agent|useragent|ua)$",
            lambda c: c.pick(_UA).format(v=c.rng.randint(118, 126), m=c.rng.randint(0, 5)),
        ),
        (r"(^|_)(url|uri|link|href|website|homepage|referrer|referer|landing_page)$|_url$", web_url),
        (r"(^|_)(path|url_path|route|endpoint)$|_path$", lambda c: "/" + c.faker().uri_path()),
        (r"(^|_)(domain|hostname|host)$", lambda c: c.faker().domain_name()),
        (r"(^|_)(colou?r)$", lambda c: c.faker("en_GB").color_name()),
        (r"(^|_)(job|job_title|occupation)$", lambda c: c.faker("en_GB").job()),
        (r"(^|_)carrier$", lambda c: c.pick(CARRIERS)),
        (r"(^|_)(tracking_number|tracking_no|tracking_code|tracking_id)$", _tracking),
        (r"(^|_)sku$|^sku_", _sku),
        (r"(^|_)(category|category_name)$", lambda c: c.pick(CATEGORIES)),
        (r"(^|_)(subcategory|sub_category|product_type)$", lambda c: c.pick(c.pick(CATEGORIES.values()))),
        (
            r"(^|_)(promo_code|coupon|coupon_code|voucher|voucher_code|discount_code)$",
            lambda c: c.pick(_PROMOS) + str(c.rng.choice((5, 10, 15, 20))),
        ),
        (r"(^|_)(search_query|query|search_term|keywords?|term)$", lambda c: _words(c, 1, 3)),
        (
            (
                r"(^|_)(description|desc|comment|comments|notes?|remarks?|text|body|message|summary|review|feedback|"
                r"bio|details)$"
            ),
            lambda c: c.faker("en_US").sentence(nb_words=c.rng.randint(6, 14), variable_nb_words=False),
        ),
        (
            r"(^|_)(reason|failure_reason|cancel_reason|error|error_message)$",
            lambda c: (
                c.faker("en_US").sentence(nb_words=c.rng.randint(3, 6), variable_nb_words=False).rstrip(".").lower()
            ),
        ),
        (r"(^|_)(title|headline|subject)$", lambda c: c.faker("en_US").sentence(nb_words=4).rstrip(".")),
        (
            r"(^|_)(reference|ref|psp_reference|external_ref|external_reference|confirmation_code)$|_ref$|_reference$",
            lambda c: c.letters(16, "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
        ),
        (r"(^|_)(tag|label|keyword)$", lambda c: c.faker("en_US").word()),
        (r"(^|_)(status|state_name|stage)$", lambda c: c.pick(("active", "pending", "completed", "cancelled"))),
    ]
]


def preferred_choice(ctx: Context, name: str, options: list[object]) -> object | None:
    """The persona's own country, language or currency when an enum offers it, so a record agrees with
    itself (a German address, market DE, language de, EUR); None when the field is not one of those."""
    n = normalise_name(name)
    p = ctx.persona
    if re.search(r"(^|_)(country|country_code|market)$|_country$", n):
        wanted = p.country
    elif re.search(r"(^|_)(language|lang|language_code|locale)$", n):
        wanted = p.language
    elif re.search(r"(^|_)(currency|currency_code|ccy)$", n):
        wanted = {"GB": "GBP", "US": "USD"}.get(p.country, "EUR")
    else:
        return None
    return wanted if wanted in options and ctx.chance(0.85) else None


def realistic_string(ctx: Context, name: str, doc: str = "", owner: str = "") -> str | None:
    """A realistic string for a field called ``name`` (doc and owning record refine it), or None."""
    n = normalise_name(name)
    if not n:
        return None
    kind = time_kind(n, doc)
    if kind is not None:
        ms = instant_ms(ctx, n)
        return iso_timestamp(ms) if kind == "timestamp" else iso_date(ms)
    if n == "id" or _UUID_IDS.search(n):
        return ctx.uuid4()
    d = doc.lower()
    if "iso 4217" in d:
        return ctx.pick(CURRENCIES)
    if "iso 3166" in d or "alpha-2" in d:
        return ctx.persona.country
    o = normalise_name(owner)
    if n in ("name", "title") and re.search(r"product|item|article|sku|catalog|listing|offer|line", o):
        return _product_name(ctx)
    if n == "name" and re.search(r"company|supplier|merchant|vendor|brand|store|shop|organi[sz]ation", o):
        return ctx.faker().company()
    if n == "name" and "categor" in o:
        return ctx.pick(CATEGORIES)
    for pattern, producer in _RULES:
        if pattern.search(n):
            return producer(ctx)
    if n.endswith(("_id", "_key", "_number", "_no")) and "phone" not in n:
        entity = re.sub(r"_(id|key|number|no)$", "", n)
        return _prefixed_id(ctx, entity)
    if n.endswith("_name"):
        return ctx.persona.full_name
    return None


#: (name regex, low, high, decimals): the usual range of a numeric field by its name
_NUMERIC: list[tuple[re.Pattern[str], float, float, int]] = [
    (re.compile(p), lo, hi, d)
    for p, lo, hi, d in [
        (r"(^|_)(lat|latitude)$", 36.0, 58.0, 6),
        (r"(^|_)(lon|lng|long|longitude)$", -9.0, 24.0, 6),
        (r"(^|_)age$", 18, 85, 0),
        (r"(cents|_minor|pence)$", 199, 49_999, 0),
        (r"(vat|tax)", 0.5, 80, 2),
        (
            (
                r"(price|amount|total|subtotal|cost|fee|discount|balance|outstanding|revenue|paid|refund|value|"
                r"charge|spend)"
            ),
            1.0,
            499.0,
            2,
        ),
        (r"(quantity|qty|units|item_count|count|items|pieces)$", 1, 5, 0),
        (r"(percent|pct|percentage|ratio_pct)", 0, 100, 1),
        (r"weight_?kg$", 0.1, 25.0, 2),
        (r"weight", 50, 20_000, 0),
        (r"(rating|stars|score)$", 1, 5, 0),
        (r"(^|_)year$", 1990, 2025, 0),
        (r"(^|_)(attempt|attempts|sequence|seq|line|line_number|position|rank|retry|retries|version)$", 1, 6, 0),
        (r"(duration_ms|latency_ms|elapsed_ms|response_time)", 5, 5_000, 0),
        (r"(duration|seconds|secs)$", 1, 3_600, 0),
        (r"(^|_)port$", 1024, 65_535, 0),
        (r"(stock|on_hand|inventory|available)", 0, 500, 0),
    ]
]


def numeric_hint(name: str) -> tuple[float, float, int] | None:
    """``(low, high, decimals)`` typical of a number called ``name``, or None."""
    n = normalise_name(name)
    for pattern, lo, hi, decimals in _NUMERIC:
        if pattern.search(n):
            return lo, hi, decimals
    return None
