"""Compatibility levels with the meaning they have in Confluent Schema Registry.

Source: Confluent docs, "Schema Evolution and Compatibility" (compatibility types table): BACKWARD checks
the new schema against the last one as reader, FORWARD as writer, FULL both; *_TRANSITIVE against all
previously registered schemas; NONE disables checks.
"""

from __future__ import annotations

import dataclasses

import pytest

from streammesh.schemas.compatibility import (
    COMPATIBILITY_LEVELS,
    DEFAULT_LEVEL,
    CompatibilityResult,
    Incompatibility,
    can_read,
    check_compatibility,
)

ID = {"name": "id", "type": "long"}


@pytest.fixture
def backward_history(record):
    """v3 is backward compatible with v2 (email exists there) but not with v1 (no email, no default)."""
    v1 = record(ID)
    v2 = record(ID, {"name": "email", "type": "string", "default": ""})
    v3 = record(ID, {"name": "email", "type": "string"})
    return v1, v2, v3


@pytest.fixture
def forward_history(record):
    """v3 is forward compatible with v2 (its email has a default) but not with v1 (email has none)."""
    v1 = record(ID, {"name": "email", "type": "string"})
    v2 = record(ID, {"name": "email", "type": "string", "default": ""})
    v3 = record(ID)
    return v1, v2, v3


def test_levels_and_default():
    # Confluent: the seven compatibility types; BACKWARD is the default
    assert COMPATIBILITY_LEVELS == (
        "NONE",
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
    )
    assert DEFAULT_LEVEL == "BACKWARD"


def test_backward_checks_only_the_latest_version(backward_history):
    # Confluent: BACKWARD compares with the last registered schema only
    v1, v2, v3 = backward_history
    assert check_compatibility(v3, [v1, v2], "BACKWARD").compatible


def test_backward_transitive_checks_every_version(backward_history):
    # Confluent: BACKWARD_TRANSITIVE compares with all previously registered schemas
    v1, v2, v3 = backward_history
    result = check_compatibility(v3, [v1, v2], "BACKWARD_TRANSITIVE")
    assert not result.compatible
    assert [(i.rule, i.path, i.version, i.direction) for i in result.issues] == [
        ("avro.field-added-without-default", "email", 0, "backward")
    ]


def test_forward_checks_only_the_latest_version(forward_history):
    # Confluent: FORWARD — data written with the new schema is read by the last schema
    v1, v2, v3 = forward_history
    assert check_compatibility(v3, [v1, v2], "FORWARD").compatible


def test_forward_transitive_checks_every_version(forward_history):
    # Confluent: FORWARD_TRANSITIVE — every previous schema must read the new schema's data
    v1, v2, v3 = forward_history
    result = check_compatibility(v3, [v1, v2], "FORWARD_TRANSITIVE")
    assert [(i.rule, i.path, i.version, i.direction) for i in result.issues] == [
        ("avro.field-removed-without-default", "email", 0, "forward")
    ]


def test_full_needs_both_directions(record):
    # Confluent: FULL = BACKWARD and FORWARD; a field added with a default passes, without one fails backward
    v1 = record(ID)
    with_default = record(ID, {"name": "note", "type": "string", "default": ""})
    without = record(ID, {"name": "note", "type": "string"})
    assert check_compatibility(with_default, [v1], "FULL").compatible
    result = check_compatibility(without, [v1], "FULL")
    assert {(i.rule, i.direction) for i in result.issues} == {("avro.field-added-without-default", "backward")}


def test_full_reports_both_directions(record):
    # Confluent: FULL fails when either direction fails; a field without default breaks backward,
    # int -> long breaks forward, int -> string breaks both (reported once)
    v1 = record(ID, {"name": "qty", "type": "int"}, {"name": "code", "type": "int"})
    v2 = record(
        ID, {"name": "qty", "type": "long"}, {"name": "code", "type": "string"}, {"name": "note", "type": "string"}
    )
    result = check_compatibility(v2, [v1], "FULL")
    assert [(i.path, i.direction) for i in result.issues] == [
        ("code", "backward"),
        ("note", "backward"),
        ("qty", "forward"),
    ]


def test_full_transitive_over_a_json_schema_history(obj):
    # Confluent: FULL_TRANSITIVE — both directions against every version; v3 drops v1's enum value
    status = {"type": "string", "enum": ["NEW", "PAID"]}
    v1 = obj({"status": status}, closed=True)
    v2 = obj({"status": {**status, "enum": ["NEW", "PAID"]}}, closed=True)
    v3 = obj({"status": {**status, "enum": ["NEW"]}}, closed=True)
    assert check_compatibility(v2, [v1], "FULL_TRANSITIVE").compatible
    result = check_compatibility(v3, [v1, v2], "FULL_TRANSITIVE")
    assert {(i.rule, i.version) for i in result.issues} == {("json.enum-narrowed", 0), ("json.enum-narrowed", 1)}


def test_none_is_always_compatible(record):
    # Confluent: NONE — schema compatibility checks are disabled
    v1 = record(ID, {"name": "code", "type": "int"})
    v2 = record({"name": "code", "type": "string"}, name="Other")
    assert check_compatibility(v2, [v1], "NONE") == CompatibilityResult(True, [])


def test_first_version_is_always_compatible(record):
    # Confluent: the first schema of a subject has nothing to be compatible with
    assert check_compatibility(record(ID), [], "FULL_TRANSITIVE").compatible


def test_unknown_level_lists_the_valid_ones(record):
    # Confluent: an invalid compatibility level is refused (HTTP 422 / error 42203 in the REST API)
    with pytest.raises(ValueError, match="FULL_TRANSITIVE"):
        check_compatibility(record(ID), [record(ID)], "SIDEWAYS")


def test_level_names_are_case_insensitive(backward_history):
    # convenience: CLI and YAML users may write levels in lower case
    v1, v2, v3 = backward_history
    assert not check_compatibility(v3, [v1, v2], "backward_transitive").compatible


def test_format_change_is_incompatible(record, obj):
    # Confluent: a schema of another type cannot be checked against the subject's schemas
    result = check_compatibility(obj({"id": {"type": "integer"}}), [record(ID)], "BACKWARD")
    assert [(i.rule, i.path, i.old, i.new) for i in result.issues] == [
        ("schema.format-changed", "$", "avro", "json-schema")
    ]


def test_full_does_not_repeat_one_fault(proto):
    # a reserved number reused is one fault, however many directions see it
    v1 = proto("message Order { int64 id = 1; reserved 2; }")
    v2 = proto("message Order { int64 id = 1; string note = 2; }")
    result = check_compatibility(v2, [v1], "FULL")
    assert [i.rule for i in result.issues] == ["protobuf.reserved-number-reused"]


def test_incompatibility_is_frozen_and_readable(record):
    # the issue is a value: field, old, new, rule, an actionable message, direction, version
    v1 = record(ID, {"name": "amount", "type": "long"})
    v2 = record(ID, {"name": "amount", "type": "int"})
    issue = check_compatibility(v2, [v1]).issues[0]
    assert isinstance(issue, Incompatibility)
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.path = "other"  # type: ignore[misc]
    text = str(issue)
    assert "amount" in text and "avro.type-not-promotable" in text and "long -> int" in text and "v0" in text


def test_can_read_dispatches_by_format(proto):
    # backward = can_read(new, old); forward = can_read(old, new), for every format
    old = proto("message Order { int64 id = 1; }")
    new = proto("message Order { int64 id = 1; string note = 2; }")
    assert can_read(new, old) == [] and can_read(old, new, direction="forward") == []
