"""The demo contracts are complete enough to pass a strict governance check."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from streammesh.contracts.model import NAME_PATTERN, Contract
from streammesh.demo.generators import DEMO_PRODUCTS
from streammesh.demo.organisation import TEAMS, demo_contract_files, load_demo_contracts
from streammesh.governance import PolicyConfig, check_contract
from streammesh.schemas import load_schema

NAMES = sorted(DEMO_PRODUCTS)
TABLE_LIKE = {"customers.profiles", "catalog.products"}
# field names that identify a person, wherever they appear
PERSONAL = {
    "email",
    "phone",
    "first_name",
    "last_name",
    "recipient_name",
    "signed_by",
    "birth_date",
    "ip_address",
    "line1",
    "city",
    "postcode",
    "address",
    "ship_to",
}
# city is only personal as part of an address, not as a depot or warehouse location
PERSONAL_PARENTS = {"address", "ship_to"}


def _is_personal(path: str) -> bool:
    parts = path.replace("[]", "").split(".")
    if parts[-1] == "city":
        return len(parts) > 1 and parts[-2] in PERSONAL_PARENTS
    return parts[-1] in PERSONAL  # an address's country alone identifies nobody


def test_one_contract_per_generated_product() -> None:
    contracts = load_demo_contracts()
    assert [c.name for c in contracts] == NAMES
    assert [f.name for f in demo_contract_files()] == [f"{n}.yaml" for n in NAMES]


def test_formats_are_mixed(contracts: dict[str, Contract]) -> None:
    formats = Counter(c.schema_.format for c in contracts.values())
    assert formats["json-schema"] >= 5 and formats["avro"] >= 2 and formats["protobuf"] >= 1
    assert contracts["payments.payments"].schema_.message == "Payment"


def test_status_is_left_to_the_catalog() -> None:
    for f in demo_contract_files():
        assert "status" not in yaml.safe_load(f.read_text(encoding="utf-8")), f.name


@pytest.mark.parametrize("name", NAMES)
def test_contract_is_complete(contracts: dict[str, Contract], name: str) -> None:
    c = contracts[name]
    assert re.match(NAME_PATTERN, c.name) and c.name.split(".")[0] == c.domain
    assert c.title and c.tags and c.quality in {"raw", "curated", "authoritative"}
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", c.description.strip()) if s]
    assert len(sentences) >= 2 and len(c.description) >= 200, "description should say what, when and how"
    sla = c.sla
    assert sla.tier and sla.availability and sla.freshness and sla.time_to_restore and sla.support_hours
    assert sla.acknowledged
    assert c.support.channels and c.support.on_call and c.support.docs
    assert 3 <= c.partitions <= 6
    assert c.compacted == (name in TABLE_LIKE)


@pytest.mark.parametrize("name", NAMES)
def test_key_timestamp_and_classifications_name_schema_fields(contracts: dict[str, Contract], name: str) -> None:
    c = contracts[name]
    fields = load_schema(c.schema_).field_paths()
    assert c.key and set(c.key) <= fields
    assert c.timestamp_field in fields
    assert set(c.classifications) <= fields
    assert set(c.classifications.values()) <= {"pii", "confidential"}


@pytest.mark.parametrize("name", NAMES)
def test_every_personal_field_is_classified_pii(contracts: dict[str, Contract], name: str) -> None:
    c = contracts[name]
    personal = {f.path for f in load_schema(c.schema_).fields if _is_personal(f.path)}
    unclassified = {p for p in personal if c.classifications.get(p) != "pii"}
    assert not unclassified


def test_payment_card_details_are_confidential(contracts: dict[str, Contract]) -> None:
    assert contracts["payments.payments"].classifications["card_last4"] == "confidential"
    assert contracts["customers.profiles"].classifications["email"] == "pii"
    assert contracts["web.page_views"].classifications["ip_address"] == "pii"


@pytest.mark.parametrize("name", [n for n in NAMES if n != "payments.payments"])
def test_every_field_is_documented(contracts: dict[str, Contract], name: str) -> None:
    # protobuf fields are documented in .proto comments, which the parser does not surface
    undocumented = [f.path for f in load_schema(contracts[name].schema_).fields if not f.doc]
    assert not undocumented


def test_contracts_pass_a_strict_governance_check(contracts: dict[str, Contract]) -> None:
    strict = PolicyConfig(
        require_on_call_for_tiers=["tier-1", "tier-2", "tier-3"],
        require_support_channel=True,
        min_partitions=3,
        description_min_chars=200,
        description_min_words=30,
        allowed_classifications=["pii", "confidential"],
    )
    teams = [t.name for t in TEAMS]
    violations = {
        name: [str(v) for v in check_contract(c, config=strict, teams=teams)] for name, c in contracts.items()
    }
    assert not {name: v for name, v in violations.items() if v}
