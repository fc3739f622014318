"""Federated policies: each fails with its message, path and fix, and passes once fixed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from streammesh.contracts import Contract, contract_from_dict, load_contract
from streammesh.exceptions import ValidationError
from streammesh.governance import (
    POLICIES,
    PolicyConfig,
    PolicyViolationError,
    Violation,
    check_contract,
    enforce,
    load_policy_config,
    policy_ids,
)

ROOT = Path(__file__).parents[3]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"
PROTO = (FIXTURES / "schemas" / "order.proto").read_text()


def check(contract: Contract, teams: list[str], **config: Any) -> list[Violation]:
    return check_contract(contract, config=PolicyConfig(**config), teams=teams)


def only(violations: list[Violation], policy: str) -> Violation:
    """The single violation of ``policy`` (and fail when other policies broke too)."""
    assert [v.policy for v in violations] == [policy], violations
    return violations[0]


def test_the_base_contract_passes(contract_factory, teams) -> None:
    assert check(contract_factory(), teams) == []


def test_policy_ids_are_stable_and_unique() -> None:
    assert policy_ids() == [
        "naming-convention",
        "owner-registered",
        "description-length",
        "schema-format-allowed",
        "schema-valid",
        "key-fields-exist",
        "timestamp-field-exists",
        "personal-data-classified",
        "classification-allowed",
        "classified-fields-exist",
        "rule-fields-exist",
        "quality-level-set",
        "sla-tier-set",
        "sla-acknowledged",
        "on-call-required",
        "support-channel-required",
        "required-tags",
        "min-partitions",
    ]
    assert len({p.id for p in POLICIES}) == len(POLICIES)


# ------------------------------------------------------------------------------------------------ naming-convention


@pytest.mark.parametrize(
    ("name", "fix"),
    [
        ("orders", "rename it to 'sales.orders'"),
        ("sales.Orders", "rename it to 'sales.orders'"),
        ("sales.order-lines", "rename it to 'sales.order_lines'"),
        ("web.orders", "rename it to 'sales.orders', or set domain: web if the product belongs to that domain"),
    ],
)
def test_naming_convention_fails(contract_factory, teams, name: str, fix: str) -> None:
    v = only(check(contract_factory(name=name), teams), "naming-convention")
    assert v.path == "name"
    assert v.message == (
        f"name {name!r} does not follow the naming convention <domain>.<name> in snake_case, "
        "e.g. sales.orders or sales.orders.v2"
    )
    assert v.fix == fix


@pytest.mark.parametrize("name", ["sales.orders", "sales.orders.v2", "sales.order_lines"])
def test_naming_convention_passes(contract_factory, teams, name: str) -> None:
    assert check(contract_factory(name=name), teams) == []


def test_domain_must_be_snake_case(contract_factory, teams) -> None:
    violations = check(contract_factory(domain="Sales", name="Sales.orders"), teams)
    assert [(v.policy, v.path) for v in violations] == [("naming-convention", "domain")]
    assert violations[0].fix == "use lowercase letters, digits and underscores, e.g. domain: sales"


def test_custom_naming_pattern(contract_factory, teams) -> None:
    config = {"naming_pattern": r"^{domain}\.[a-z_]+\.v[0-9]+$", "naming_description": "<domain>.<name>.v<major>"}
    v = only(check(contract_factory(name="sales.orders"), teams, **config), "naming-convention")
    assert v.message == "name 'sales.orders' does not follow the naming convention <domain>.<name>.v<major>"
    assert v.fix == r"rename it to match the pattern ^sales\.[a-z_]+\.v[0-9]+$"
    assert check(contract_factory(name="sales.orders.v1"), teams, **config) == []


# ------------------------------------------------------------------------------------------------- owner-registered


def test_owner_not_registered_lists_teams_and_how_to_add(contract_factory, teams) -> None:
    v = only(check(contract_factory(owner="@ghost-team"), teams), "owner-registered")
    assert v.path == "owner"
    assert v.message == "owner '@ghost-team' is not a registered team (registered teams: @sales-team, @web-team)"
    assert v.fix == "register the team with `streammesh teams add @ghost-team` or set owner to a registered team"


def test_owner_misspelt_suggests_the_registered_team(contract_factory, teams) -> None:
    v = only(check(contract_factory(owner="@sales-teem"), teams), "owner-registered")
    assert v.fix.startswith("did you mean '@sales-team'?")


def test_owner_with_no_teams_registered(contract_factory) -> None:
    v = only(check(contract_factory(), []), "owner-registered")
    assert v.message == "owner '@sales-team' is not a registered team (no teams are registered yet)"
    assert "streammesh teams add @sales-team" in v.fix


def test_owner_passes_when_registered(contract_factory) -> None:
    assert check(contract_factory(owner="@web-team"), ["@web-team"]) == []


# ---------------------------------------------------------------------------------------------- description-length


def test_description_too_short(contract_factory, teams) -> None:
    v = only(check(contract_factory(description="Orders."), teams), "description-length")
    assert v.path == "description"
    assert v.message == (
        "the description is too short to help a stranger (7 characters, 1 word); "
        "this mesh asks for at least 40 characters and 6 words"
    )
    assert v.fix.startswith("say what one event means")


def test_description_long_but_too_few_words(contract_factory, teams) -> None:
    v = only(
        check(contract_factory(description="Supercalifragilisticexpialidocious orders stream"), teams),
        "description-length",
    )
    assert "3 words" in v.message


def test_description_empty(contract_factory, teams) -> None:
    v = only(check(contract_factory(description="   "), teams), "description-length")
    assert v.message.startswith("the description is empty")


def test_description_thresholds_are_configurable(contract_factory, teams) -> None:
    short = contract_factory(description="Orders placed in the shop.")
    assert check(short, teams, description_min_chars=10, description_min_words=5) == []
    v = only(check(contract_factory(), teams, description_min_words=50), "description-length")
    assert "at least 40 characters and 50 words" in v.message


# -------------------------------------------------------------------------------------------- schema-format-allowed


def _proto_contract(contract_factory) -> Contract:
    return contract_factory(
        schema={"format": "protobuf", "definition": PROTO, "message": "Order"},
        key=["order_id"],
        timestamp_field=None,
        classifications={"customer_email": "pii"},
    )


def test_protobuf_only(contract_factory, teams) -> None:
    v = only(check(contract_factory(), teams, allowed_schema_formats=["protobuf"]), "schema-format-allowed")
    assert v.path == "schema.format"
    assert v.message == "schema format 'json-schema' is not allowed here: this mesh accepts protobuf only"
    assert v.fix == "write the schema in protobuf and set schema.format accordingly"
    assert check(_proto_contract(contract_factory), teams, allowed_schema_formats=["protobuf"]) == []


def test_two_formats_allowed(contract_factory, teams) -> None:
    v = only(check(contract_factory(), teams, allowed_schema_formats=["avro", "protobuf"]), "schema-format-allowed")
    assert v.message.endswith("this mesh accepts avro or protobuf")


def test_unknown_format(contract_factory, teams) -> None:
    v = only(check(contract_factory(schema={"format": "avrro"}), teams), "schema-format-allowed")
    assert v.message == "unknown schema format 'avrro'; registered formats: avro, json-schema, protobuf"
    assert v.fix == "set schema.format to 'avro'"


# ----------------------------------------------------------------------------------------------------- schema-valid


def test_schema_that_does_not_parse(contract_factory, teams) -> None:
    contract = contract_factory(schema={"definition": {"type": "nonsense"}})
    v = only(check(contract, teams), "schema-valid")  # field-based policies are skipped
    assert v.path == "schema.definition"
    assert v.message.startswith("the schema does not parse: invalid JSON Schema")
    assert v.fix == "correct the json-schema definition as the message says"


def test_schema_without_fields(contract_factory, teams) -> None:
    contract = contract_factory(
        schema={"definition": {"type": "object"}}, key=[], timestamp_field=None, classifications={}
    )
    v = only(check(contract, teams), "schema-valid")
    assert v.message == "the schema declares no fields"


def test_schema_file_not_read(contract_factory, teams) -> None:
    contract = contract_from_dict({**contract_factory().to_dict(), "schema": {"format": "avro", "file": "x.avsc"}})
    v = only(check(contract, teams), "schema-valid")
    assert (v.path, v.message) == ("schema.file", "the schema file 'x.avsc' was not read")


# ------------------------------------------------------------------------------------------------- key-fields-exist


def test_key_field_not_in_schema(contract_factory, teams) -> None:
    v = only(check(contract_factory(key=["order_idd"]), teams), "key-fields-exist")
    assert v.path == "key[0]"
    assert v.message == (
        "key field 'order_idd' is not in the schema; its fields are: order_id, customer, "
        "customer.id, customer.email, items, items[].sku, items[].product_name, amount, placed_at"
    )
    assert v.fix == "did you mean 'order_id'?"


def test_second_key_field_has_its_index(contract_factory, teams) -> None:
    v = only(check(contract_factory(key=["order_id", "nope"]), teams), "key-fields-exist")
    assert v.path == "key[1]"


def test_dotted_key_field_passes(contract_factory, teams) -> None:
    assert check(contract_factory(key=["customer.id", "order_id"]), teams) == []


def test_key_field_inside_a_list(contract_factory, teams) -> None:
    v = only(check(contract_factory(key=["items[].sku"]), teams), "key-fields-exist")
    assert "inside a list" in v.message


def test_timestamp_field_not_in_schema(contract_factory, teams) -> None:
    v = only(check(contract_factory(timestamp_field="placed"), teams), "timestamp-field-exists")
    assert (v.path, v.fix) == ("timestamp_field", "did you mean 'placed_at'?")


# ----------------------------------------------------------------------------------------- personal-data-classified


def _with_fields(contract_factory, extra: dict[str, Any], **changes: Any) -> Contract:
    definition = contract_factory().schema_.definition
    definition["properties"].update(extra)  # type: ignore[index]
    return contract_factory(schema={"definition": definition}, **changes)


def test_unclassified_personal_field(contract_factory, teams) -> None:
    v = only(check(contract_factory(classifications={}), teams), "personal-data-classified")
    assert v.path == "classifications.customer.email"
    assert v.message == "field 'customer.email' looks like personal data (matches 'email') but has no classification"
    assert v.fix.startswith("add 'customer.email: pii' under classifications")


def test_classifying_the_parent_record_covers_its_fields(contract_factory, teams) -> None:
    assert check(contract_factory(classifications={"customer": "pii"}), teams) == []


@pytest.mark.parametrize(
    ("field", "pattern"),
    [
        ("name", "name"),
        ("customer_name", "name"),
        ("firstName", "first_name"),
        ("phone_number", "phone"),
        ("shipping_address", "address"),
        ("postcode", "postcode"),
        ("zip", "zip"),
        ("date_of_birth", "birth"),
        ("dob", "dob"),
        ("client_ip_address", "ip_address"),
        ("ssn", "ssn"),
        ("national_id", "national_id"),
        ("passport_number", "passport"),
        ("iban", "iban"),
        ("card_number", "card_number"),
        ("street", "street"),
    ],
)
def test_personal_looking_names_are_flagged(contract_factory, teams, field: str, pattern: str) -> None:
    v = only(check(_with_fields(contract_factory, {field: {"type": "string"}}), teams), "personal-data-classified")
    assert v.path == f"classifications.{field}"
    assert f"(matches {pattern!r})" in v.message


@pytest.mark.parametrize(
    "field", ["product_name", "category_name", "amount_total", "tip", "shipping_cost", "email_verified", "order_status"]
)
def test_non_personal_names_are_not_flagged(contract_factory, teams, field: str) -> None:
    field_type = "boolean" if field == "email_verified" else "string"
    assert check(_with_fields(contract_factory, {field: {"type": field_type}}), teams) == []


def test_product_name_field_of_a_products_product_is_not_personal(contract_factory, teams) -> None:
    definition = {"type": "object", "properties": {"sku": {"type": "string"}, "name": {"type": "string"}}}
    contract = contract_factory(
        name="sales.products", key=["sku"], timestamp_field=None, classifications={}, schema={"definition": definition}
    )
    assert check(contract, teams) == []
    profiles = contract_factory(
        name="sales.profiles", key=["sku"], timestamp_field=None, classifications={}, schema={"definition": definition}
    )
    assert only(check(profiles, teams), "personal-data-classified").path == "classifications.name"


def test_nested_fields_of_a_flagged_record_are_reported_once(contract_factory, teams) -> None:
    address = {"type": "object", "properties": {"street": {"type": "string"}, "city": {"type": "string"}}}
    violations = check(_with_fields(contract_factory, {"address": address}), teams)
    assert [v.path for v in violations] == ["classifications.address"]


def test_personal_data_patterns_are_configurable(contract_factory, teams) -> None:
    contract = _with_fields(contract_factory, {"loyalty_card": {"type": "string"}, "course_name": {"type": "string"}})
    v = only(
        check(
            contract,
            teams,
            extra_personal_data_patterns=["loyalty_card"],
            extra_personal_data_exclusions=["course_name"],
        ),
        "personal-data-classified",
    )
    assert v.path == "classifications.loyalty_card"
    assert check(contract, teams, personal_data_patterns=["email"]) == []


# ------------------------------------------------------------------------------------------ classification policies


def test_classification_value_not_allowed(contract_factory, teams) -> None:
    v = only(check(contract_factory(classifications={"customer.email": "secret"}), teams), "classification-allowed")
    assert v.path == "classifications.customer.email"
    assert v.message == "classification 'secret' is not one of pii, confidential, restricted, internal, public"
    assert v.fix == "use one of pii, confidential, restricted, internal, public"


def test_classification_value_in_wrong_case(contract_factory, teams) -> None:
    v = only(check(contract_factory(classifications={"customer.email": "PII"}), teams), "classification-allowed")
    assert v.fix == "use 'pii'"


def test_allowed_classifications_are_configurable(contract_factory, teams) -> None:
    contract = contract_factory(classifications={"customer.email": "gdpr"})
    assert check(contract, teams, allowed_classifications=["gdpr", "open"]) == []


def test_classified_field_not_in_schema(contract_factory, teams) -> None:
    contract = contract_factory(classifications={"customer.email": "pii", "customer.mail": "pii"})
    v = only(check(contract, teams), "classified-fields-exist")
    assert v.path == "classifications.customer.mail"
    assert v.message.startswith("classified field 'customer.mail' is not in the schema; its fields are: order_id")
    assert v.fix == "did you mean 'customer.email'?"


def test_classified_list_item_field_may_omit_brackets(contract_factory, teams) -> None:
    contract = contract_factory(classifications={"customer.email": "pii", "items.sku": "public"})
    assert check(contract, teams) == []


# --------------------------------------------------------------------------------------------- quality, SLA, on-call


def test_quality_level_not_set(contract_factory, teams) -> None:
    v = only(check(contract_factory(quality=None), teams), "quality-level-set")
    assert (v.path, v.message) == ("quality", "no quality level is set")
    assert v.fix.startswith("set quality: raw")


def test_sla_tier_not_set(contract_factory, teams) -> None:
    v = only(check(contract_factory(sla={"tier": None}), teams), "sla-tier-set")
    assert (v.path, v.message) == ("sla.tier", "no SLA tier is set")


def test_sla_not_acknowledged(contract_factory, teams) -> None:
    v = only(check(contract_factory(sla={"acknowledged": False}), teams), "sla-acknowledged")
    assert (v.path, v.message) == ("sla.acknowledged", "the owner @sales-team has not acknowledged the SLA")
    assert v.fix.endswith("set sla.acknowledged: true")


def test_tier_1_needs_on_call(contract_factory, teams) -> None:
    config = {"require_on_call_for_tiers": ["tier-1"]}
    tier1 = contract_factory(sla={"tier": "tier-1"})
    assert check(tier1, teams) == []  # off by default
    v = only(check(tier1, teams, **config), "on-call-required")
    assert (v.path, v.message) == ("support.on_call", "tier-1 needs an on-call contact")
    assert check(contract_factory(sla={"tier": "tier-2"}), teams, **config) == []
    assert (
        check(contract_factory(sla={"tier": "tier-1"}, support={"on_call": "oncall@acme.example"}), teams, **config)
        == []
    )


def test_support_channel_required(contract_factory, teams) -> None:
    v = only(check(contract_factory(), teams, require_support_channel=True), "support-channel-required")
    assert (v.path, v.message) == ("support.channels", "no support channel is listed")
    assert check(contract_factory(support={"channels": ["#sales"]}), teams, require_support_channel=True) == []


def test_required_tags(contract_factory, teams) -> None:
    config = {"required_tags": ["gdpr-reviewed", "sales"]}
    v = only(check(contract_factory(tags=["sales"]), teams, **config), "required-tags")
    assert (v.path, v.message, v.fix) == ("tags", "missing required tag: gdpr-reviewed", "add gdpr-reviewed to tags")
    assert check(contract_factory(tags=["sales", "gdpr-reviewed"]), teams, **config) == []


def test_min_partitions(contract_factory, teams) -> None:
    v = only(check(contract_factory(partitions=2), teams, min_partitions=6), "min-partitions")
    assert (v.path, v.message) == ("partitions", "2 partitions are fewer than this mesh's minimum of 6")
    assert check(contract_factory(partitions=6), teams, min_partitions=6) == []


# ------------------------------------------------------------------------------------ disabled, all at once, enforce


def test_disabled_policies_are_not_checked(contract_factory, teams) -> None:
    contract = contract_factory(owner="@ghost", quality=None)
    assert check(contract, teams, disabled=["owner-registered", "quality-level-set"]) == []


def test_unknown_disabled_id_lists_valid_ids() -> None:
    with pytest.raises(Exception) as info:
        PolicyConfig(disabled=["owner-registred"])
    text = str(info.value)
    assert "unknown policy id 'owner-registred'; did you mean 'owner-registered'?" in text
    assert "valid ids: naming-convention, owner-registered" in text


def test_every_violation_is_reported_at_once(contract_factory) -> None:
    contract = contract_factory(
        name="Orders",
        owner="@ghost",
        description="tbd",
        quality=None,
        sla={"tier": None, "acknowledged": False},
        key=["id"],
        classifications={},
    )
    violations = check_contract(contract, config=PolicyConfig(), teams=["@sales-team"])
    assert [(v.policy, v.path) for v in violations] == [
        ("naming-convention", "name"),
        ("owner-registered", "owner"),
        ("description-length", "description"),
        ("key-fields-exist", "key[0]"),
        ("personal-data-classified", "classifications.customer.email"),
        ("quality-level-set", "quality"),
        ("sla-tier-set", "sla.tier"),
        ("sla-acknowledged", "sla.acknowledged"),
    ]
    assert all(v.fix for v in violations)


def test_enforce_raises_with_every_violation_one_per_line(contract_factory, teams) -> None:
    contract = contract_factory(owner="@ghost", quality=None)
    with pytest.raises(PolicyViolationError) as info:
        enforce(contract, config=PolicyConfig(), teams=teams)
    error = info.value
    assert isinstance(error, ValidationError)
    assert [v.policy for v in error.violations] == ["owner-registered", "quality-level-set"]
    lines = str(error).splitlines()
    assert lines[0] == "sales.orders breaks 2 policies:"
    assert lines[1].startswith("  [owner-registered] owner: owner '@ghost' is not a registered team")
    assert "; fix: register the team with `streammesh teams add @ghost`" in lines[1]
    assert lines[2].startswith("  [quality-level-set] quality: no quality level is set; fix: set quality:")


def test_enforce_passes_silently(contract_factory, teams) -> None:
    assert enforce(contract_factory(), config=PolicyConfig(), teams=teams) is None


# ------------------------------------------------------------------------------------------------------- examples


@pytest.mark.parametrize(
    ("file", "team"), [("orders.contract.yaml", "@sales-team"), ("customers.contract.yaml", "@customers-team")]
)
def test_examples_pass_every_default_policy_and_the_example_policy_file(file: str, team: str) -> None:
    contract = load_contract(EXAMPLES / file)
    assert check_contract(contract, config=PolicyConfig(), teams=[team]) == []
    assert check_contract(contract, config=load_policy_config(EXAMPLES / "policies.yaml"), teams=[team]) == []


def test_orders_example_without_its_classifications_is_refused() -> None:
    contract = load_contract(EXAMPLES / "orders.contract.yaml")
    stripped = contract.model_copy(update={"classifications": {}})
    paths = [v.path for v in check_contract(stripped, teams=["@sales-team"])]
    assert paths == ["classifications.customer_email", "classifications.shipping_address"]


def test_fixture_policy_file_protobuf_only_and_tier_1_on_call(contract_factory, teams) -> None:
    config = load_policy_config(FIXTURES / "policies.yaml")
    contract = _proto_contract(contract_factory).model_copy(
        update={"sla": contract_factory(sla={"tier": "tier-1", "acknowledged": False}).sla}
    )
    v = only(check_contract(contract, config=config, teams=teams), "on-call-required")  # sla-acknowledged disabled
    assert v.message == "tier-1 needs an on-call contact"
    assert [v.policy for v in check_contract(contract_factory(), config=config, teams=teams)] == [
        "schema-format-allowed"
    ]
