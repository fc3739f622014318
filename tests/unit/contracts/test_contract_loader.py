"""Loading contracts: every error names the file, the line and the field path, and all come at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.contracts import (
    Contract,
    ContractError,
    ContractProblem,
    contract_from_dict,
    load_contract,
    parse_contract,
)
from streammesh.exceptions import ValidationError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts"


def problems_of(path: Path | str) -> list[ContractProblem]:
    with pytest.raises(ContractError) as info:
        load_contract(path)
    return info.value.problems


def by_path(problems: list[ContractProblem]) -> dict[str, ContractProblem]:
    return {p.path: p for p in problems}


def test_valid_fixture_loads() -> None:
    contract = load_contract(FIXTURES / "valid.contract.yaml")
    assert contract.name == "sales.refunds"
    assert contract.key == ["refund_id"]
    assert contract.sla.freshness is not None and contract.sla.freshness.total_seconds() == 300


def test_contract_error_is_a_validation_error_with_multiline_message() -> None:
    with pytest.raises(ValidationError) as info:
        load_contract(FIXTURES / "unknown_field.yaml")
    text = str(info.value)
    assert text.splitlines()[0] == f"contract {FIXTURES / 'unknown_field.yaml'} is invalid (2 problems):"
    assert "unknown_field.yaml:3: ownr: unknown field 'ownr'; did you mean 'owner'?" in text


def test_bad_yaml_names_line_column_and_problem() -> None:
    [problem] = problems_of(FIXTURES / "bad_yaml.yaml")
    assert problem.line == 4 and problem.column is not None
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed here")
    assert str(problem).startswith(f"{FIXTURES / 'bad_yaml.yaml'}:4:")


def test_tab_indentation_says_use_spaces() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("name: a\nsla:\n\ttier: tier-1\n", source="t.yaml")
    [problem] = info.value.problems
    assert problem.line == 3
    assert "indent with spaces, not tabs" in problem.message


def test_unknown_field_suggests_closest_valid_key() -> None:
    problems = by_path(problems_of(FIXTURES / "unknown_field.yaml"))
    assert problems["ownr"].line == 3
    assert problems["ownr"].message == "unknown field 'ownr'; did you mean 'owner'?"
    # and the now-missing owner is reported in the same run
    assert problems["owner"].message.startswith("missing required field 'owner'; add 'owner: <team>'")


def test_unknown_field_one_level_too_high_points_to_its_section() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract(
            "name: sales.orders\ndomain: sales\nowner: '@s'\ntier: tier-1\nschema: {format: avro, definition: {}}\n"
        )
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (4, "tier")
    assert "did you mean 'sla.tier'" in problem.message


def test_unknown_field_without_close_match_lists_valid_fields() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("name: a.b\ndomain: a\nowner: '@a'\nschema: {format: avro, definition: {}}\nsupport: {xyz: 1}\n")
    [problem] = info.value.problems
    assert problem.path == "support.xyz"
    assert problem.message == "unknown field 'xyz'; valid fields here: channels, on_call, docs"


def test_wrong_enum_value_names_line_and_allowed_values() -> None:
    problems = by_path(problems_of(FIXTURES / "bad_enum.yaml"))
    assert problems["sla.tier"].line == 10
    assert problems["sla.tier"].message == "'tier-4' is not one of tier-1, tier-2, tier-3"
    assert str(problems["sla.tier"]) == (
        f"{FIXTURES / 'bad_enum.yaml'}:10: sla.tier: 'tier-4' is not one of tier-1, tier-2, tier-3"
    )
    assert problems["quality"].line == 4
    assert problems["quality"].message == "'gold' is not one of raw, curated, authoritative"


def test_enum_value_in_wrong_case_suggests_the_right_one() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("name: a.b\ndomain: a\nowner: '@a'\nquality: Curated\nschema: {format: avro, definition: {}}\n")
    assert info.value.problems[0].message == (
        "'Curated' is not one of raw, curated, authoritative; did you mean 'curated'?"
    )


def test_missing_name_says_what_to_add() -> None:
    [problem] = problems_of(FIXTURES / "missing_name.yaml")
    assert problem.path == "name"
    assert problem.line == 1
    assert problem.message == "missing required field 'name'; add 'name: <domain>.<product>', e.g. name: sales.orders"


def test_bad_duration_is_located_and_shows_accepted_forms() -> None:
    problems = by_path(problems_of(FIXTURES / "bad_duration.yaml"))
    assert problems["sla.freshness"].line == 9
    assert problems["sla.freshness"].message.startswith("'five minutes' is not a duration; write e.g. '500ms'")
    assert problems["retention"].line == 10


def test_bad_semver() -> None:
    [problem] = problems_of(FIXTURES / "bad_semver.yaml")
    assert (problem.line, problem.path) == (2, "version")
    assert problem.message == "'1.0' is not a semantic version; write MAJOR.MINOR.PATCH such as 1.0.0"


def test_unquoted_number_where_text_is_expected_says_to_quote_it() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("name: a.b\nversion: 1.0\ndomain: a\nowner: '@a'\nschema: {format: avro, definition: {}}\n")
    [problem] = info.value.problems
    assert problem.message == "expected text, got the number 1.0; put it in quotes: '1.0'"


def test_wrong_types_say_the_expected_type() -> None:
    text = (
        "name: a.b\ndomain: a\nowner: '@a'\npartitions: many\ncompacted: perhaps\ntags: {x: 1}\n"
        "support: pager\nschema: {format: avro, definition: 5}\n"
    )
    with pytest.raises(ContractError) as info:
        parse_contract(text, source="types.yaml")
    messages = {p.path: p.message for p in info.value.problems}
    assert messages == {
        "partitions": "expected a whole number, got the text 'many'",
        "compacted": "expected true or false, got the text 'perhaps'",
        "tags": "expected a list, got a mapping",
        "support": "expected a mapping of fields, got the text 'pager'",
        "schema.definition": "expected a mapping, a list or text, got the number 5",
    }


def test_out_of_range_number() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("name: a.b\ndomain: a\nowner: '@a'\npartitions: 0\nschema: {format: avro, definition: {}}\n")
    assert info.value.problems[0].message == "must be at least 1, got 0"


def test_duplicate_key_is_detected_with_both_lines() -> None:
    [problem] = problems_of(FIXTURES / "duplicate_key.yaml")
    assert (problem.line, problem.path) == (7, "owner")
    assert problem.message == "duplicate field 'owner' (first given on line 3); keep only one"


def test_yaml_merge_keys_are_not_duplicates() -> None:
    text = (
        "defaults: &d {tier: tier-2, acknowledged: true}\n"
        "name: a.b\ndomain: a\nowner: '@a'\nschema: {format: avro, definition: {}}\n"
        "sla:\n  <<: *d\n  tier: tier-1\n"
    )
    with pytest.raises(ContractError) as info:  # 'defaults' is unknown, but the merge itself is fine
        parse_contract(text)
    assert [p.path for p in info.value.problems] == ["defaults"]


def test_missing_schema_file_is_relative_to_the_contract() -> None:
    [problem] = problems_of(FIXTURES / "missing_schema_file.yaml")
    assert (problem.line, problem.path) == (6, "schema.file")
    assert problem.message.startswith("schema file 'schemas/orders.avsc' does not exist")
    assert str(FIXTURES / "schemas" / "orders.avsc") in problem.message


def test_schema_file_that_is_not_json() -> None:
    [problem] = problems_of(FIXTURES / "bad_json_file.contract.yaml")
    assert problem.path == "schema.file"
    assert problem.message.startswith("schema file 'schemas/broken.avsc' is not valid JSON (line 4, column 3")


def test_proto_schema_file_is_read_as_text() -> None:
    contract = load_contract(FIXTURES / "proto_file.contract.yaml")
    assert isinstance(contract.schema_.definition, str)
    assert "message Order" in contract.schema_.definition
    assert contract.schema_.file == "schemas/order.proto"


def test_schema_file_cannot_be_read_from_text_without_base_dir() -> None:
    text = (FIXTURES / "proto_file.contract.yaml").read_text()
    with pytest.raises(ContractError) as info:
        parse_contract(text, source="upload.yaml")
    assert info.value.problems[0].message.startswith("cannot read schema file 'schemas/order.proto'")
    assert parse_contract(text, base_dir=FIXTURES).schema_.definition is not None


def test_inline_definition_must_agree_with_schema_file() -> None:
    text = (FIXTURES / "proto_file.contract.yaml").read_text() + "  definition: 'syntax = \"proto3\";'\n"
    with pytest.raises(ContractError) as info:
        parse_contract(text, base_dir=FIXTURES)
    assert info.value.problems[0].path == "schema.definition"
    assert "differs from the schema file 'schemas/order.proto'" in info.value.problems[0].message


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    problems = problems_of(FIXTURES / "many_problems.yaml")
    assert [(p.line, p.path) for p in problems] == [
        (1, "owner"),  # missing, because it was misspelt on line 4
        (2, "version"),
        (4, "ownr"),
        (5, "partitions"),
        (7, "sla.tier"),
        (8, "sla.freshness"),
        (9, "sla.acknowledged"),
        (10, "tags"),
        (11, "domain"),
        (14, "schema.file"),
    ]
    messages = [p.message for p in problems]
    assert messages[2] == "unknown field 'ownr'; did you mean 'owner'?"
    assert messages[3] == "must be at least 1, got 0"
    assert messages[6] == "expected true or false, got the text 'maybe'"
    assert messages[8] == "duplicate field 'domain' (first given on line 3); keep only one"
    assert messages[9].startswith("schema file 'schemas/nope.avsc' does not exist")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here yet\n")
    [problem] = problems_of(path)
    assert problem.message == "the contract is empty; start from examples/orders.contract.yaml"


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ContractError) as info:
        parse_contract("- name: sales.orders\n", source="list.yaml")
    assert str(info.value.problems[0]) == (
        "list.yaml:1: the contract must be a mapping of fields (such as 'name: sales.orders'), got a list"
    )


def test_missing_contract_file(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.yaml")
    assert problem.message == "no such contract file"


def test_yes_no_keys_stay_text() -> None:
    contract = parse_contract(
        "name: a.b\ndomain: a\nowner: '@a'\nschema: {format: avro, definition: {}}\nclassifications: {on: pii}\n"
    )
    assert contract.classifications == {"on": "pii"}


def test_contract_from_dict_uses_the_same_messages() -> None:
    with pytest.raises(ContractError) as info:
        contract_from_dict({"name": "sales.orders", "domain": "sales", "ownr": "@x", "schema": {"format": "avro"}})
    problems = {p.path: p for p in info.value.problems}
    assert problems["ownr"].message == "unknown field 'ownr'; did you mean 'owner'?"
    assert problems["ownr"].line is None and problems["ownr"].source == "<dict>"
    assert str(problems["ownr"]) == "<dict>: ownr: unknown field 'ownr'; did you mean 'owner'?"
    assert problems["schema"].message == "give the schema inline under 'definition' or as a path under 'file'"


def test_contract_from_dict_accepts_plain_data() -> None:
    data = {
        "name": "sales.orders",
        "domain": "sales",
        "owner": "@sales-team",
        "schema": {"format": "json-schema", "definition": {"type": "object"}},
        "key": "order_id",
    }
    contract = contract_from_dict(data)
    assert isinstance(contract, Contract)
    assert contract.key == ["order_id"]


def test_contract_from_dict_rejects_non_mapping() -> None:
    with pytest.raises(ContractError) as info:
        contract_from_dict(["x"])
    assert "must be a mapping of fields" in info.value.problems[0].message
