"""The mesh's policy file: defaults when absent, located errors, dump and reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from streammesh.exceptions import ValidationError
from streammesh.governance import PolicyConfig, PolicyConfigError, load_policy_config, write_default_policy_file

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "contracts"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_policy_config(tmp_path / "policies.yaml")
    assert config == PolicyConfig()
    assert config.description_min_chars == 40 and config.description_min_words == 6
    assert config.allowed_schema_formats is None
    assert config.allowed_classifications == ["pii", "confidential", "restricted", "internal", "public"]
    assert config.require_on_call_for_tiers == [] and config.disabled == []


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("# nothing configured\n")
    assert load_policy_config(path) == PolicyConfig()


def test_fixture_file_loads() -> None:
    config = load_policy_config(FIXTURES / "policies.yaml")
    assert config.allowed_schema_formats == ["protobuf"]
    assert config.require_on_call_for_tiers == ["tier-1"]
    assert config.disabled == ["sla-acknowledged"]


def test_example_policy_file_loads() -> None:
    config = load_policy_config(ROOT / "examples" / "policies.yaml")
    assert config.require_on_call_for_tiers == ["tier-1"]
    assert config.require_support_channel is True


def test_every_mistake_is_located() -> None:
    with pytest.raises(PolicyConfigError) as info:
        load_policy_config(FIXTURES / "bad_policies.yaml")
    error = info.value
    assert isinstance(error, ValidationError)
    found = [(p.line, p.path) for p in error.problems]
    assert found == [
        (3, "disabled[1]"),
        (4, "description_min_words"),
        (5, "allowed_schema_formats[0]"),
        (6, "require_on_call_for_tiers[0]"),
        (7, "naming_patern"),
    ]
    messages = [p.message for p in error.problems]
    assert messages[0].startswith("unknown policy id 'owner-registred'; did you mean 'owner-registered'? valid ids: ")
    assert "sla-acknowledged" in messages[0]
    assert messages[1] == "expected a whole number, got the text 'lots'"
    assert messages[2] == "unknown schema format 'protobuff'; registered formats: avro, json-schema, protobuf"
    assert messages[3] == "'tier-one' is not one of tier-1, tier-2, tier-3"
    assert messages[4] == "unknown field 'naming_patern'; did you mean 'naming_pattern'?"
    assert str(error).splitlines()[0] == f"policy file {FIXTURES / 'bad_policies.yaml'} is invalid (5 problems):"


def test_invalid_regex(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("naming_pattern: '^{domain}(['\n")
    with pytest.raises(PolicyConfigError) as info:
        load_policy_config(path)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (1, "naming_pattern")
    assert "is not a valid regular expression" in problem.message


def test_yaml_syntax_error_and_non_mapping(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("disabled: [a, b\n")
    with pytest.raises(PolicyConfigError) as info:
        load_policy_config(path)
    assert info.value.problems[0].message.startswith("YAML syntax error")
    path.write_text("- disabled\n")
    with pytest.raises(PolicyConfigError) as info:
        load_policy_config(path)
    assert "must be a mapping of settings" in info.value.problems[0].message


def test_dump_then_load_is_equal(tmp_path: Path) -> None:
    config = PolicyConfig(
        disabled=["sla-acknowledged"],
        allowed_schema_formats=["protobuf"],
        require_on_call_for_tiers=["tier-1"],
        required_tags=["gdpr"],
        min_partitions=3,
        naming_pattern=r"^{domain}\.[a-z_]+$",
    )
    path = tmp_path / "policies.yaml"
    path.write_text(config.dump())
    assert load_policy_config(path) == config
    changed = config.dump(only_changed=True)
    assert "personal_data_patterns" not in changed and "min_partitions: 3" in changed
    path.write_text(changed)
    assert load_policy_config(path) == config


def test_default_policy_file_loads_as_defaults(tmp_path: Path) -> None:
    path = write_default_policy_file(tmp_path / "mesh" / "policies.yaml")
    assert path.read_text().startswith("# The federated policies of this mesh")
    assert load_policy_config(path) == PolicyConfig()
    path.write_text("min_partitions: 2\n")
    write_default_policy_file(path)  # an existing file is kept
    assert load_policy_config(path).min_partitions == 2
