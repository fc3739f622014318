"""Catalog search and product pages through the REST API over 10,000 products, on SQLite and PostgreSQL.

Method
------
1. **Load.** A mesh gets 36 teams over 24 domains and ``--products`` generated contracts (seeded, so
   every run builds the same catalog): varied domains, owners, titles, 2-4 sentence descriptions, 1-7
   tags drawn from a skewed vocabulary, JSON Schema or Avro schemas of 5-30 fields (personal fields
   classified ``pii``, some amounts ``confidential``), SLA tiers, quality levels. Each one is published
   through ``Catalog.publish`` (policy check, schema registration, topic creation, store write, version,
   activity), one by one, as a team would; 2% stay drafts and 3% are then deprecated. The load rate is
   reported. A few hundred products get 40 events each so product pages show samples and counts. On
   PostgreSQL the load ends with ``VACUUM ANALYZE``, as autovacuum would do shortly after.
2. **Serve.** The real app (``streammesh.api.app.create_app``) runs under uvicorn on a free loopback
   port in a separate process, wrapped in a small ASGI middleware (this file, not the product) that
   adds ``Server-Timing: app;dur=<ms>``: the time from the request reaching the app to the response
   headers being sent. The routes are synchronous and build the whole body before the headers, so it is
   the server's time without the network and the HTTP parsing in uvicorn. It also reports ``cpu;dur``,
   the server process's CPU time over the same span (``time.process_time``; requests come one at a
   time, so it is this request's): on a VM shared with other jobs the wall-clock figures include time
   spent waiting for a core, the CPU figures much less so (PostgreSQL's own CPU is not in them).
3. **Requests.** One httpx client with keep-alive, one request at a time (latency, not throughput),
   after a warm-up. A seeded mix of search queries: 1-3 words taken from the catalog's own words
   (domains, tags, title words, field names), a third with the last word cut to a 2-4 letter prefix,
   40% with one or two facet filters, 10% a facet filter alone (browsing); and product requests by name:
   the HTML product page ``GET /products/{name}`` and ``GET /api/v1/products/{name}``. The search mix is
   also run through the Explore HTML page ``GET /?q=...``.
4. **Baseline.** The same search queries (same words, filters, limit) run in the benchmark process
   directly on the metadata store (``store.search``, no HTTP, no serialisation), so the ratio REST /
   store shows what HTTP, FastAPI and JSON cost on top of the search itself (wall clock against wall
   clock, CPU against CPU).

Each round runs the whole mix; ``--repeat`` rounds are run and the table shows the median of the
rounds' percentiles with the spread (min-max over rounds) of p95.

Command
-------
    .venv/bin/python benchmarks/api/bench_api.py                       # 10,000 products, both stores
    .venv/bin/python benchmarks/api/bench_api.py --metadata sqlite --products 2000 --repeat 2
    .venv/bin/python benchmarks/api/bench_api.py --metadata sqlite --workspace /tmp/m10k   # keep / reuse a loaded mesh

PostgreSQL: ``--postgres postgresql://postgres@127.0.0.1:5432/postgres`` (the default) is the admin
URL; a fresh database ``sm_bench_<hex>`` is created and dropped afterwards (kept with ``--workspace``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import machine

SEED = 20261101
TARGET_SEARCH_P95_MS = 30.0
TARGET_PAGE_SERVER_MS = 50.0
SEARCH_LIMIT = 50  # the REST default page size

# ----------------------------------------------------------------------------------------------- vocabulary

DOMAINS = {
    "sales": ["order", "order_line", "quote", "invoice", "refund", "cart", "checkout"],
    "marketing": ["campaign", "email_send", "lead", "segment", "attribution", "newsletter"],
    "finance": ["ledger_entry", "payment_run", "budget", "forecast", "journal", "accrual"],
    "payments": ["payment", "chargeback", "payout", "settlement", "authorisation", "card_token"],
    "fulfilment": ["shipment", "parcel", "delivery", "return", "pick_list", "label"],
    "warehouse": ["stock_level", "goods_received", "goods_dispatched", "bin_move", "cycle_count"],
    "logistics": ["route", "vehicle_position", "driver_shift", "fuel_purchase", "depot_visit"],
    "customers": ["profile", "address_change", "consent", "preference", "account", "household"],
    "catalog": ["product", "price", "category", "brand", "assortment", "product_image"],
    "pricing": ["price_change", "promotion", "competitor_price", "markdown", "coupon"],
    "support": ["ticket", "chat_session", "call", "satisfaction_survey", "escalation"],
    "hr": ["employee", "absence", "payroll_run", "position", "training"],
    "risk": ["exposure", "credit_limit", "risk_score", "limit_breach", "stress_test"],
    "fraud": ["alert", "case", "device_fingerprint", "rule_hit", "blocklist_entry"],
    "identity": ["login", "session", "password_reset", "mfa_challenge", "role_grant"],
    "web": ["page_view", "click", "search_query", "session_start", "form_submit"],
    "mobile": ["app_open", "push_notification", "screen_view", "crash", "install"],
    "ads": ["impression", "bid", "ad_click", "conversion", "budget_pacing"],
    "procurement": ["purchase_order", "supplier", "contract", "goods_receipt", "tender"],
    "billing": ["subscription", "usage_record", "bill", "dunning_step", "credit_note"],
    "loyalty": ["points_earned", "points_redeemed", "member", "tier_change", "reward"],
    "iot": ["sensor_reading", "device_heartbeat", "firmware_update", "alarm", "meter_reading"],
    "energy": ["consumption", "tariff", "grid_event", "outage", "production"],
    "security": ["audit_event", "vulnerability", "access_review", "incident", "firewall_log"],
}
QUALIFIERS = [
    "daily",
    "hourly",
    "raw",
    "enriched",
    "validated",
    "live",
    "eu",
    "us",
    "apac",
    "b2b",
    "b2c",
    "retail",
    "online",
    "store",
    "partner",
    "legacy",
    "core",
    "regional",
    "global",
    "weekly",
    "monthly",
    "realtime",
    "clean",
    "latest",
    "audit",
    "archive",
    "sample",
    "internal",
    "external",
    "premium",
]
KINDS = ["events", "snapshots", "changes", "facts", "updates", "feed", "log", "stream"]
SOURCES = [
    "the web shop",
    "the mobile app",
    "SAP",
    "Salesforce",
    "the point-of-sale system",
    "the ERP",
    "Workday",
    "Stripe",
    "Adyen",
    "the warehouse management system",
    "Zendesk",
    "the data lake",
    "HubSpot",
    "the billing engine",
    "Kafka Connect CDC",
    "the partner API",
    "the IoT gateway",
]
USES = [
    "count volumes and revenue per day",
    "join with customers on customer_id",
    "feed dashboards",
    "train forecasting models",
    "reconcile with finance",
    "alert on anomalies",
    "build a customer 360 view",
    "measure conversion",
    "audit who changed what",
    "plan capacity",
    "detect fraud",
    "compute SLAs",
]
TAGS = [
    "gdpr",
    "pii",
    "finance",
    "revenue",
    "kpi",
    "master-data",
    "reference",
    "realtime",
    "batch",
    "cdc",
    "golden-source",
    "experimental",
    "deprecated-soon",
    "customer",
    "product",
    "order",
    "inventory",
    "marketing",
    "attribution",
    "ml-feature",
    "dashboard",
    "regulatory",
    "sox",
    "pci",
    "audit",
    "operational",
    "analytics",
    "events",
    "snapshot",
    "eu",
    "us",
    "apac",
    "b2b",
    "b2c",
    "mobile",
    "web",
    "iot",
    "telemetry",
    "logistics",
    "pricing",
    "risk",
    "fraud",
    "security",
    "hr",
    "billing",
    "subscription",
    "loyalty",
    "support",
    "ads",
    "sensor",
    "energy",
    "supplier",
    "payments",
    "ledger",
    "forecast",
    "kpi-source",
    "gold",
    "silver",
    "bronze",
    "public-api",
    "internal-only",
    "partner",
    "sla-critical",
    "late-data",
    "high-volume",
    "low-volume",
    "compacted",
    "replayable",
    "cost-center",
    "weekly-report",
    "data-science",
    "self-service",
    "certified",
    "beta",
    "sandbox",
    "streaming-sql",
    "joins",
    "aggregates",
    "windowed",
    "geo",
    "currency",
    "tax",
    "vat",
    "shipping",
    "returns",
    "churn",
    "nps",
    "survey",
    "a-b-test",
    "campaign",
    "coupon",
    "promotion",
    "stock",
    "warehouse",
    "carrier",
    "route",
    "identity",
    "consent",
    "retention",
    "archive",
]
COMMON_FIELDS: list[tuple[str, str]] = [
    ("created_at", "timestamp"),
    ("updated_at", "timestamp"),
    ("status", "string"),
    ("amount", "number"),
    ("currency", "string"),
    ("country", "string"),
    ("region", "string"),
    ("channel", "string"),
    ("quantity", "integer"),
    ("unit_price", "number"),
    ("discount", "number"),
    ("score", "number"),
    ("latitude", "number"),
    ("longitude", "number"),
    ("source_system", "string"),
    ("is_test", "boolean"),
    ("version", "integer"),
    ("reason_code", "string"),
    ("category_name", "string"),
    ("store_id", "string"),
    ("warehouse_id", "string"),
    ("sku", "string"),
    ("device_type", "string"),
    ("campaign_name", "string"),
    ("tax_amount", "number"),
    ("net_amount", "number"),
    ("gross_amount", "number"),
    ("priority", "integer"),
    ("duration_ms", "integer"),
    ("error_code", "string"),
    ("language", "string"),
    ("plan_name", "string"),
    ("supplier_name", "string"),
    ("carrier_name", "string"),
    ("weight_grams", "integer"),
    ("active", "boolean"),
    ("valid_from", "timestamp"),
    ("valid_to", "timestamp"),
    ("comment", "string"),
    ("batch_id", "string"),
]
PERSONAL_FIELDS = [
    "customer_email",
    "phone",
    "first_name",
    "last_name",
    "postcode",
    "birth_date",
    "iban",
    "ip_address",
    "street",
    "username",
]


def _zipf_choice(rnd: random.Random, items: list[str]) -> str:
    """Early items much more often than late ones (tags, words: a few are common, most are rare)."""
    return items[min(int(rnd.paretovariate(1.1)) - 1, len(items) - 1)] if rnd.random() < 0.7 else rnd.choice(items)


def _schema(rnd: random.Random, entity: str) -> tuple[dict[str, Any], list[tuple[str, str]], str]:
    """A schema of 5-30 fields; returns the contract's schema spec, the fields and the key field."""
    key = f"{entity}_id"
    n = rnd.randint(5, 30)
    fields = [(key, "string"), ("event_time", "timestamp")]
    pool = COMMON_FIELDS[:]
    rnd.shuffle(pool)
    personal = rnd.sample(PERSONAL_FIELDS, k=rnd.choice([0, 0, 1, 2, 3]))
    fields += [(p, "string") for p in personal]
    fields += pool[: max(0, n - len(fields))]
    fields = fields[:n]
    if rnd.random() < 0.6:
        props = {}
        for name, typ in fields:
            prop: dict[str, Any] = {
                "type": "string" if typ == "timestamp" else typ,
                "description": f"{name.replace('_', ' ')} of the {entity.replace('_', ' ')}",
            }
            if typ == "timestamp":
                prop["format"] = "date-time"
            props[name] = prop
        definition = {"type": "object", "required": [key], "properties": props, "additionalProperties": False}
        return {"format": "json-schema", "definition": definition}, fields, key
    avro_type = {"string": "string", "timestamp": "string", "number": "double", "integer": "long", "boolean": "boolean"}
    record = {
        "type": "record",
        "name": "".join(w.title() for w in entity.split("_")),
        "namespace": "bench",
        "fields": [
            {
                "name": n,
                "type": avro_type[t] if n == key else ["null", avro_type[t]],
                **({} if n == key else {"default": None}),
                "doc": f"{n.replace('_', ' ')} of the {entity.replace('_', ' ')}",
            }
            for n, t in fields
        ],
    }
    return {"format": "avro", "definition": record}, fields, key


def generate(n: int, seed: int = SEED) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """``n`` contract dicts and the teams (name, domain) that own them."""
    rnd = random.Random(seed)
    teams = [(f"@{d.replace('_', '-')}-team", d) for d in DOMAINS]
    teams += [(f"@{d.replace('_', '-')}-platform", d) for d in list(DOMAINS)[::2]]
    by_domain: dict[str, list[str]] = {}
    for team, d in teams:
        by_domain.setdefault(d, []).append(team)
    names: set[str] = set()
    out = []
    domains = list(DOMAINS)
    while len(out) < n:
        domain = _zipf_choice(rnd, domains)
        entity = rnd.choice(DOMAINS[domain])
        qualifier = rnd.choice(QUALIFIERS)
        name = f"{domain}.{qualifier}_{entity}" if rnd.random() < 0.8 else f"{domain}.{entity}_{rnd.choice(KINDS)}"
        if name in names:
            name = f"{name}_{rnd.choice(QUALIFIERS)}"
        if name in names:
            name = f"{name}_{len(out)}"
        names.add(name)
        schema, fields, key = _schema(rnd, entity)
        words = entity.replace("_", " ")
        title = f"{qualifier.title()} {words} {rnd.choice(KINDS)}"
        description = " ".join(
            [
                (
                    f"One event per {words} {rnd.choice(['created', 'changed', 'settled', 'observed', 'recorded'])} "
                    f"in the {domain} domain, captured from {rnd.choice(SOURCES)}."
                ),
                f"Use it to {rnd.choice(USES)} or to {rnd.choice(USES)}.",
                *rnd.sample(
                    [
                        f"Keyed by {key}; events for one key keep their order.",
                        f"Late events arrive up to {rnd.choice([5, 15, 60])} minutes after the fact.",
                        "Amounts are in minor units of the stated currency.",
                        f"Replaces the nightly {words} export of {rnd.choice(SOURCES)}.",
                        "Test records carry is_test and should be filtered out.",
                    ],
                    k=rnd.randint(0, 2),
                ),
            ]
        )
        tags = sorted({_zipf_choice(rnd, TAGS) for _ in range(rnd.randint(1, 6))} | {domain.replace("_", "-")})
        classifications = {p: "pii" for p, _ in fields if p in PERSONAL_FIELDS}
        for p, _ in fields:
            if p in ("amount", "net_amount", "gross_amount") and rnd.random() < 0.3:
                classifications[p] = "confidential"
            elif p == "comment" and rnd.random() < 0.5:
                classifications[p] = rnd.choice(["internal", "restricted"])
        tier = rnd.choices(["tier-1", "tier-2", "tier-3"], weights=[2, 5, 3])[0]
        team = rnd.choice(by_domain[domain])
        contact = team.lstrip("@")
        out.append(
            {
                "name": name,
                "domain": domain,
                "owner": team,
                "title": title,
                "description": description,
                "key": [key],
                "schema": schema,
                "tags": tags,
                "classifications": classifications,
                "quality": rnd.choice(["raw", "curated", "curated", "authoritative"]),
                "sla": {
                    "tier": tier,
                    "availability": rnd.choice([99.0, 99.5, 99.9, 99.95]),
                    "freshness": rnd.choice(["1m", "5m", "15m", "1h", "1d"]),
                    "time_to_restore": "4h",
                    "support_hours": rnd.choice(["24x7", "business-hours"]),
                    "acknowledged": True,
                },
                "support": {"channels": [f"#{contact}"], "on_call": f"{contact}-oncall@acme.example"},
                "partitions": 3,
                "timestamp_field": "event_time",
            }
        )
    return out, teams


def event_value(rnd: random.Random, fields: list[tuple[str, str]], i: int) -> dict[str, Any]:
    v: dict[str, Any] = {}
    for name, typ in fields:
        if typ == "timestamp":
            v[name] = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z"
        elif typ == "integer":
            v[name] = rnd.randrange(1000)
        elif typ == "number":
            v[name] = round(rnd.uniform(0, 500), 2)
        elif typ == "boolean":
            v[name] = rnd.random() < 0.5
        elif name.endswith("email"):
            v[name] = f"user{i}@example.com"
        else:
            v[name] = f"{name[:3].upper()}-{rnd.randrange(100_000):05d}"
    return v


# ---------------------------------------------------------------------------------------------------- load


def load(workspace: Path, metadata: str, n: int, events_for: int, events_each: int) -> dict[str, float]:
    """Create the mesh in ``workspace`` and publish ``n`` products through the catalog; timings."""
    from streammesh.config import MeshConfig
    from streammesh.contracts.loader import contract_from_dict
    from streammesh.governance.personal_data import personal_data_match
    from streammesh.sdk.mesh import init

    mesh = init(workspace, config=MeshConfig(metadata=metadata))
    contracts, teams = generate(n)
    for team, domain in teams:
        mesh.add_team(team, domain=domain)
    rnd = random.Random(SEED + 1)
    # the owners' fix for names that only look personal (email_send_id): classify them 'public' (untimed;
    # the same test as the personal-data-classified policy, remembered per field name, type and entity)
    patterns, exclusions = mesh.policies.personal_patterns(), mesh.policies.personal_exclusions()
    looks_personal: dict[tuple[str, str, str], bool] = {}
    for c in contracts:
        entity = c["name"].split(".")[-1]
        for path, typ in _fields_of(c):
            key = (path, typ, entity)
            if key not in looks_personal:
                looks_personal[key] = (
                    personal_data_match(path, typ, patterns=patterns, exclusions=exclusions, entity=entity) is not None
                )
            if looks_personal[key] and path not in c["classifications"]:
                c["classifications"][path] = "public"
    models = [contract_from_dict(c) for c in contracts]
    drafts = set(rnd.sample(range(n), k=n // 50))
    t0 = time.perf_counter()
    for i, c in enumerate(models):
        mesh.catalog.publish(c, draft=i in drafts)
        if (i + 1) % 1000 == 0:
            rate = (i + 1) / (time.perf_counter() - t0)
            print(f"  published {i + 1:,}/{n:,} ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    publish_s = time.perf_counter() - t0
    live = [i for i in range(n) if i not in drafts]
    sunset = date.today() + timedelta(days=120)
    t1 = time.perf_counter()
    for i in rnd.sample(live, k=n * 3 // 100):
        mesh.catalog.deprecate(contracts[i]["name"], sunset=sunset, reason="superseded (benchmark)")
    deprecate_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    for i in rnd.sample(live, k=min(events_for, len(live))):
        fields = _fields_of(contracts[i])
        with mesh.producer(contracts[i]["name"]) as p:
            p.send_many([event_value(rnd, fields, j) for j in range(events_each)])
    events_s = time.perf_counter() - t2
    if metadata.startswith("postgresql"):
        # what autovacuum does soon after a bulk load: statistics, and the visibility map that lets
        # the search's change check (count, sum(revision), max(updated_at)) be an index-only scan
        with mesh.store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # type: ignore[attr-defined]
            conn.exec_driver_sql("VACUUM ANALYZE")
    mesh.close()
    return {
        "products": n,
        "publish_s": publish_s,
        "publish_rate": n / publish_s,
        "deprecate_s": deprecate_s,
        "events_s": events_s,
    }


def _fields_of(contract: dict[str, Any]) -> list[tuple[str, str]]:
    d = contract["schema"]["definition"]
    if contract["schema"]["format"] == "json-schema":
        return [(k, "timestamp" if p.get("format") == "date-time" else p["type"]) for k, p in d["properties"].items()]
    back = {"string": "string", "double": "number", "long": "integer", "boolean": "boolean"}
    out = []
    for f in d["fields"]:
        t = f["type"][1] if isinstance(f["type"], list) else f["type"]
        out.append(
            (
                f["name"],
                "timestamp"
                if f["name"] in ("event_time", "created_at", "updated_at", "valid_from", "valid_to")
                else back[t],
            )
        )
    return out


# -------------------------------------------------------------------------------------------- request mix


def request_mix(n_search: int, n_pages: int, names: list[str], seed: int = SEED + 2) -> tuple[list, list[str]]:
    """Search requests ``(q, filters)`` and product names to open, drawn from the catalog's own words."""
    rnd = random.Random(seed)
    contracts, _ = generate(len(names))
    words: list[str] = []
    for c in contracts:
        words += c["name"].split(".")[1].split("_") + c["title"].lower().split() + [c["domain"]]
        words += [t for tag in c["tags"] for t in tag.split("-")]
        words += [w for f, _ in rnd.sample(_fields_of(c), k=3) for w in f.split("_")]
    words = [w for w in words if len(w) > 2]
    facet_values = {
        "domain": list(DOMAINS),
        "tag": TAGS[:40],
        "tier": ["tier-1", "tier-2", "tier-3"],
        "quality": ["raw", "curated", "authoritative"],
        "status": ["published", "published", "deprecated"],
        "classification": ["pii", "confidential"],
    }
    searches = []
    for _ in range(n_search):
        filters: dict[str, list[str]] = {}
        if rnd.random() < 0.1:
            q = ""
            facet = rnd.choice(list(facet_values))
            filters[facet] = [rnd.choice(facet_values[facet])]
        else:
            terms = [rnd.choice(words) for _ in range(rnd.choices([1, 2, 3], weights=[5, 4, 1])[0])]
            if rnd.random() < 0.33:
                terms[-1] = terms[-1][: rnd.randint(2, 4)]
            q = " ".join(terms)
            if rnd.random() < 0.4:
                for facet in rnd.sample(list(facet_values), k=rnd.choice([1, 1, 2])):
                    filters[facet] = [rnd.choice(facet_values[facet])]
        searches.append((q, filters))
    pages = [rnd.choice(names) for _ in range(n_pages)]
    return searches, pages


# --------------------------------------------------------------------------------------------------- server


class ServerTiming:
    """ASGI middleware: ``Server-Timing: app;dur=<ms>`` from the request reaching the app to its headers."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, cpu = time.perf_counter(), time.process_time()

        async def timed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000  # requests come one at a time: all of it is this one's
                timing = f"app;dur={ms:.3f}, cpu;dur={cpu_ms:.3f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", timing)]}
            await send(message)

        await self.app(scope, receive, timed_send)


def serve(workspace: Path, port: int) -> None:
    import uvicorn

    from streammesh.api.app import create_app

    app: Any = ServerTiming(create_app(workspace))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(workspace: Path) -> Iterator[str]:
    import httpx

    port = free_port()
    cmd = [sys.executable, __file__, "--serve", str(workspace), "--port", str(port)]
    proc = subprocess.Popen(cmd)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# -------------------------------------------------------------------------------------------------- measure


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def _server_ms(response: Any, metric: str = "app") -> float:
    timings = dict(part.strip().split(";dur=") for part in response.headers["server-timing"].split(","))
    return float(timings[metric])


def _search_params(q: str, filters: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [("q", q)] + [(k, v) for k, vs in filters.items() for v in vs]


def measure(base: str, workspace: Path, searches: list, pages: list[str]) -> dict[str, dict[str, list[float]]]:
    """One round: latencies (ms) per case, client side and Server-Timing."""
    import httpx

    import streammesh

    out: dict[str, dict[str, list[float]]] = {}

    def add(case: str, kind: str, ms: float) -> None:
        out.setdefault(case, {}).setdefault(kind, []).append(ms)

    with httpx.Client(base_url=base, timeout=30) as client:

        def get(case: str, url: str, params: Any = None) -> None:
            """One request: its client-side latency and its Server-Timing (wall and CPU)."""
            t = time.perf_counter()
            r = client.get(url, params=params)
            add(case, "client", (time.perf_counter() - t) * 1000)
            r.raise_for_status()
            add(case, "server", _server_ms(r))
            add(case, "server CPU", _server_ms(r, "cpu"))

        for q, filters in searches:
            get("search, REST GET /api/v1/products", "/api/v1/products", _search_params(q, filters))
        for q, filters in searches:
            get("search, HTML Explore page GET /?q=", "/", _search_params(q, filters))
        for name in pages:
            get("product page, HTML GET /products/{name}", f"/products/{name}")
            get("product, REST GET /api/v1/products/{name}", f"/api/v1/products/{name}")
    with streammesh.connect(workspace, create=False) as mesh:
        store = mesh.store
        for q, filters in searches[:20]:  # warm the connection and caches, as the server's are
            store.search(q, filters=filters, limit=SEARCH_LIMIT)
        for q, filters in searches:
            t, cpu = time.perf_counter(), time.process_time()
            store.search(q, filters=filters, limit=SEARCH_LIMIT)
            add("search, in-process store.search (baseline)", "client", (time.perf_counter() - t) * 1000)
            add("search, in-process store.search (baseline)", "server CPU", (time.process_time() - cpu) * 1000)
    return out


def warm_up(base: str, searches: list, pages: list[str]) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as client:
        for q, filters in searches[:100]:
            client.get("/api/v1/products", params=_search_params(q, filters))
            client.get("/", params={"q": q})
        for name in pages[:50]:
            client.get(f"/products/{name}")
            client.get(f"/api/v1/products/{name}")


# ---------------------------------------------------------------------------------------------------- main


@contextmanager
def postgres_database(admin: str, keep: bool) -> Iterator[str]:
    import psycopg
    from sqlalchemy import make_url

    name = f"sm_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    root = Path(args.workspace) / store if args.workspace else Path(tempfile.mkdtemp(prefix=f"bench-api-{store}-"))
    keep = bool(args.workspace)
    loaded = (root / "mesh.yaml").exists()
    result: dict[str, Any] = {"store": store}
    try:
        with (
            postgres_database(args.postgres, keep) if store == "postgresql" and not loaded else _nothing("sqlite")
        ) as metadata:
            if not loaded:
                print(f"[{store}] loading {args.products:,} products into {root}", file=sys.stderr, flush=True)
                result["load"] = load(root, metadata, args.products, args.events_for, args.events_each)
                print(f"[{store}] load: {json.dumps(result['load'])}", file=sys.stderr, flush=True)
            import streammesh

            with streammesh.connect(root, create=False) as mesh:
                names = [p.name for p in mesh.products()]
            result["catalog_size"] = len(names)
            searches, pages = request_mix(args.searches, args.pages, sorted(names))
            rounds = []
            with server(root) as base:
                warm_up(base, searches, pages)
                for r in range(args.repeat):
                    rounds.append(measure(base, root, searches, pages))
                    print(f"[{store}] round {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)
            result["rounds"] = rounds
    finally:
        if not keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
    return result


@contextmanager
def _nothing(value: str) -> Iterator[str]:
    yield value


def summarise(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    rounds = result["rounds"]
    for case in rounds[0]:
        for kind in rounds[0][case]:
            per = [{p: pct(r[case][kind], p) for p in (50, 95, 99)} for r in rounds]
            rows.append(
                {
                    "store": result["store"],
                    "case": case,
                    "kind": kind,
                    "n": len(rounds[0][case][kind]),
                    "p50": statistics.median(x[50] for x in per),
                    "p95": statistics.median(x[95] for x in per),
                    "p99": statistics.median(x[99] for x in per),
                    "p95_min": min(x[95] for x in per),
                    "p95_max": max(x[95] for x in per),
                    "mean": statistics.median(statistics.fmean(r[case][kind]) for r in rounds),
                }
            )
    return rows


def print_table(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nmachine: {machine()}")
    print(
        f"catalog: {args.products:,} products; {args.searches} searches and {args.pages} product pages per round, "
        f"{args.repeat} round(s); one request at a time; median of rounds, p95 spread = min-max over rounds\n"
    )
    for result in results:
        if "load" in result:
            ld = result["load"]
            print(
                f"[{result['store']}] load: {ld['products']:,} products published through the catalog in "
                f"{ld['publish_s']:.1f} s ({ld['publish_rate']:,.0f} products/s)"
            )
    print("\n| store | case | measured | p50 ms | p95 ms (spread) | p99 ms | vs store.search p50 |")
    print("|---|---|---|---:|---:|---:|---:|")
    for result in results:
        rows = summarise(result)
        base = {r["kind"]: r for r in rows if "baseline" in r["case"]}
        for r in rows:
            same = base["server CPU" if r["kind"] == "server CPU" else "client"]
            ratio = f"{r['p50'] / same['p50']:.1f}x" if r["case"].startswith("search") else ""
            what = {"client": "client", "server": "Server-Timing", "server CPU": "server CPU"}[r["kind"]]
            if "baseline" in r["case"]:
                what = "in process" if r["kind"] == "client" else "in process, CPU"
            print(
                f"| {r['store']} | {r['case']} | {what} | {r['p50']:.1f} | {r['p95']:.1f} "
                f"({r['p95_min']:.1f}-{r['p95_max']:.1f}) | {r['p99']:.1f} | {ratio} |"
            )
    print("\ntargets (issue 5): search p95 through REST <= 30 ms; product page server time <= 50 ms")
    for result in results:
        rows = {(r["case"], r["kind"]): r for r in summarise(result)}
        s = rows[("search, REST GET /api/v1/products", "client")]["p95"]
        p = rows[("product page, HTML GET /products/{name}", "server")]["p95"]
        print(
            f"  {result['store']}: search REST p95 {s:.1f} ms {'PASS' if s <= TARGET_SEARCH_P95_MS else 'FAIL'}; "
            f"product page server p95 {p:.1f} ms {'PASS' if p <= TARGET_PAGE_SERVER_MS else 'FAIL'}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--metadata", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--products", type=int, default=10_000)
    ap.add_argument("--searches", type=int, default=500, help="search requests per round")
    ap.add_argument("--pages", type=int, default=300, help="product pages (HTML and JSON each) per round")
    ap.add_argument("--repeat", type=int, default=3, help="rounds")
    ap.add_argument("--events-for", type=int, default=300, help="products that get events")
    ap.add_argument("--events-each", type=int, default=40)
    ap.add_argument(
        "--postgres",
        default=os.environ.get("STREAMMESH_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    ap.add_argument("--workspace", help="keep the loaded meshes here (<dir>/sqlite, <dir>/postgresql) and reuse them")
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve), args.port)
        return
    stores = ["sqlite", "postgresql"] if args.metadata == "both" else [args.metadata]
    results = [run_store(s, args) for s in stores]
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    print_table(results, args)


if __name__ == "__main__":
    main()
