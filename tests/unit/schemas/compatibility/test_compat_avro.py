"""Avro compatibility: the Avro specification's "Schema Resolution" rules, as Confluent applies them.

Each case cites the rule it encodes. "spec" is the Avro 1.11 specification, section Schema Resolution.
"""

from __future__ import annotations

import pytest

from streammesh.schemas.compatibility import check_compatibility
from streammesh.schemas.compatibility.avro import can_read

ID = {"name": "id", "type": "long"}


def rules(result):
    return {(i.rule, i.path) for i in result.issues}


# --- promotion ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"), ("long", "double"), ("float", "double")],
)
def test_numeric_promotions_are_backward_compatible(record, old, new):
    # spec: "int is promotable to long, float, or double; long to float or double; float to double"
    v1 = record(ID, {"name": "amount", "type": old})
    v2 = record(ID, {"name": "amount", "type": new})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_narrowing_long_to_int_is_not_backward_compatible(record):
    # spec: promotion only widens; a long written value cannot be read as int
    v1 = record(ID, {"name": "amount", "type": "long"})
    v2 = record(ID, {"name": "amount", "type": "int"})
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert not result.compatible
    assert rules(result) == {("avro.type-not-promotable", "amount")}
    issue = result.issues[0]
    assert (issue.old, issue.new, issue.direction, issue.version) == ("long", "int", "backward", 0)


def test_widening_int_to_long_is_not_forward_compatible(record):
    # spec: an old reader (int) cannot read long written by the new schema, so FORWARD fails
    v1 = record(ID, {"name": "amount", "type": "int"})
    v2 = record(ID, {"name": "amount", "type": "long"})
    result = check_compatibility(v2, [v1], "FORWARD")
    assert rules(result) == {("avro.type-not-promotable", "amount")}
    assert result.issues[0].direction == "forward"


def test_double_to_float_is_not_promotable(record):
    # spec: float -> double only; double is never demoted
    v1 = record(ID, {"name": "price", "type": "double"})
    v2 = record(ID, {"name": "price", "type": "float"})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.type-not-promotable", "price")}


def test_string_and_bytes_resolve_both_ways(record):
    # spec: "string is promotable to bytes; bytes is promotable to string" -> FULL compatible
    v1 = record(ID, {"name": "note", "type": "string"})
    v2 = record(ID, {"name": "note", "type": "bytes"})
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_string_to_int_is_incompatible(record):
    # spec: primitives resolve only when equal or promotable
    v1 = record(ID, {"name": "sku", "type": "string"})
    v2 = record(ID, {"name": "sku", "type": "int"})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.type-not-promotable", "sku")}


def test_top_level_primitive_schema_promotes(avro):
    # spec: resolution applies to any schema, not only records: int -> long at the root
    # (a string definition is Avro JSON text, so a primitive schema is written with its quotes)
    assert check_compatibility(avro('"long"'), [avro('"int"')], "BACKWARD").compatible
    result = check_compatibility(avro('"int"'), [avro('"long"')], "BACKWARD")
    assert rules(result) == {("avro.type-not-promotable", "$")}


def test_record_to_array_is_a_type_mismatch(record):
    # spec: "it is an error if the two schemas do not match"
    v1 = record(ID, {"name": "lines", "type": {"type": "record", "name": "Line", "fields": [ID]}})
    v2 = record(ID, {"name": "lines", "type": {"type": "array", "items": "string"}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.type-mismatch", "lines")}


# --- fields and defaults ------------------------------------------------------------------------------


def test_field_added_without_default_breaks_backward(record):
    # spec: "if the reader's record schema has a field with no default value, and writer's schema does not
    # have a field with the same name, an error is signalled"
    v1 = record(ID)
    v2 = record(ID, {"name": "discount", "type": "double"})
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("avro.field-added-without-default", "discount")}
    assert result.issues[0].old is None and result.issues[0].new == "double"
    assert "default" in result.issues[0].message


def test_field_added_with_default_is_fully_compatible(record):
    # spec: the reader uses the field's default; the old reader ignores the writer's extra field
    v1 = record(ID)
    v2 = record(ID, {"name": "discount", "type": ["null", "double"], "default": None})
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_field_removed_without_default_breaks_forward(record):
    # spec: the old reader's field has no default and the new writer no longer writes it
    v1 = record(ID, {"name": "email", "type": "string"})
    v2 = record(ID)
    assert check_compatibility(v2, [v1], "BACKWARD").compatible  # writer field missing in reader: ignored
    result = check_compatibility(v2, [v1], "FORWARD")
    assert rules(result) == {("avro.field-removed-without-default", "email")}
    assert (result.issues[0].old, result.issues[0].new) == ("string", None)


def test_field_removed_that_had_a_default_is_fully_compatible(record):
    # spec: the old reader fills the removed field from its default
    v1 = record(ID, {"name": "email", "type": "string", "default": ""})
    v2 = record(ID)
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_renamed_field_with_reader_alias_is_backward_compatible(record):
    # spec, Aliases: a reader field matches a writer field named by one of its aliases
    v1 = record(ID, {"name": "mail", "type": "string"})
    v2 = record(ID, {"name": "email", "type": "string", "aliases": ["mail"]})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_renamed_field_without_alias_is_a_missing_field(record):
    # spec: without an alias the renamed field is a new reader field with no default
    v1 = record(ID, {"name": "mail", "type": "string"})
    v2 = record(ID, {"name": "email", "type": "string"})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.field-added-without-default", "email")}


# --- named types --------------------------------------------------------------------------------------


def test_renamed_record_needs_an_alias(record):
    # spec: records match when "both schemas are records with the same (unqualified) name"
    v1 = record(ID, name="Order")
    v2 = record(ID, name="Purchase")
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("avro.name-mismatch", "$")}
    assert "aliases" in result.issues[0].message


def test_renamed_record_with_alias_is_backward_compatible(record):
    # spec, Aliases: the writer's name matches one of the reader's aliases
    v1 = record(ID, name="Order", namespace="com.acme")
    v2 = record(ID, name="Purchase", namespace="com.acme", aliases=["Order"])
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_namespace_change_alone_is_compatible(record):
    # spec: named types match by unqualified name (as Avro's SchemaCompatibility does)
    v1 = record(ID, name="Order", namespace="com.acme.sales")
    v2 = record(ID, name="Order", namespace="com.acme.orders")
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_nested_record_field_added_without_default(record):
    # spec: record resolution recurses into nested records; path names the nested field
    customer_v1 = {"type": "record", "name": "Customer", "fields": [ID]}
    customer_v2 = {"type": "record", "name": "Customer", "fields": [ID, {"name": "email", "type": "string"}]}
    v1 = record(ID, {"name": "customer", "type": customer_v1})
    v2 = record(ID, {"name": "customer", "type": customer_v2})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.field-added-without-default", "customer.email")}


def test_recursive_types_terminate(record):
    # spec: named types may be recursive; resolution must not loop
    node = {"name": "next", "type": ["null", "Node"], "default": None}
    v1 = record({"name": "value", "type": "int"}, node, name="Node")
    v2 = record({"name": "value", "type": "long"}, node, {"name": "label", "type": "string"}, name="Node")
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("avro.field-added-without-default", "label")}


# --- enums --------------------------------------------------------------------------------------------

STATUS = ["NEW", "PAID", "SHIPPED"]


def _status(symbols, **extra):
    return {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": symbols, **extra}}


def test_enum_symbol_added_is_backward_but_not_forward_compatible(record):
    # spec: "if the writer's symbol is not present in the reader's enum and the reader has no default,
    # an error is signalled" -> old readers cannot read the new symbol
    v1 = record(ID, _status(STATUS))
    v2 = record(ID, _status([*STATUS, "RETURNED"]))
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    result = check_compatibility(v2, [v1], "FORWARD")
    assert rules(result) == {("avro.enum-symbol-added", "status")}
    assert "RETURNED" in result.issues[0].message


def test_enum_symbol_removed_breaks_backward(record):
    # spec: old data may hold SHIPPED, which the new reader enum lacks
    v1 = record(ID, _status(STATUS))
    v2 = record(ID, _status(["NEW", "PAID"]))
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("avro.enum-symbol-removed", "status")}
    assert "SHIPPED" in result.issues[0].message


def test_enum_symbol_removed_with_reader_default_is_backward_compatible(record):
    # spec: an unknown writer symbol resolves to the reader enum's default
    v1 = record(ID, _status(STATUS))
    v2 = record(ID, _status(["NEW", "PAID", "UNKNOWN"], default="UNKNOWN"))
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_enum_with_default_can_grow_forward(record):
    # spec: the old reader enum has a default, so new symbols resolve to it
    v1 = record(ID, _status([*STATUS, "UNKNOWN"], default="UNKNOWN"))
    v2 = record(ID, _status([*STATUS, "UNKNOWN", "RETURNED"], default="UNKNOWN"))
    assert check_compatibility(v2, [v1], "FULL").compatible


# --- unions and null ----------------------------------------------------------------------------------


def test_making_a_field_nullable_is_backward_not_forward_compatible(record):
    # spec: a non-union writer must match some reader branch (ok); a union writer's null branch has no
    # match in a non-union reader (error)
    v1 = record(ID, {"name": "email", "type": "string"})
    v2 = record(ID, {"name": "email", "type": ["null", "string"], "default": None})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {("avro.union-branch-unreadable", "email")}


def test_making_a_field_non_nullable_breaks_backward(record):
    # spec: "if writer's is a union, but reader's is not": every writer branch must resolve; null does not
    v1 = record(ID, {"name": "email", "type": ["null", "string"], "default": None})
    v2 = record(ID, {"name": "email", "type": "string"})
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("avro.union-branch-unreadable", "email")}
    assert "null" in result.issues[0].message


def test_union_branch_added_is_backward_and_removed_is_not(record):
    # spec: "if both are unions: the first schema in the reader's union that matches the selected writer's
    # union schema is recursively resolved against it"; a removed branch has no match
    v1 = record(ID, {"name": "ref", "type": ["null", "string"]})
    v2 = record(ID, {"name": "ref", "type": ["null", "string", "long"]})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v1, [v2], "BACKWARD")) == {("avro.union-branch-unreadable", "ref")}


def test_union_branch_resolves_through_promotion(record):
    # spec: a reader branch "matches" a writer branch when the writer type promotes to it (int -> long)
    v1 = record(ID, {"name": "qty", "type": ["null", "int"]})
    v2 = record(ID, {"name": "qty", "type": ["null", "long"]})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_non_union_writer_missing_from_reader_union(record):
    # spec: "if reader's is a union, but writer's is not ... if none match, an error is signalled"
    v1 = record(ID, {"name": "ref", "type": "string"})
    v2 = record(ID, {"name": "ref", "type": ["null", "long"]})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.type-missing-from-union", "ref")}


# --- arrays, maps, fixed ------------------------------------------------------------------------------


def test_array_items_resolve_recursively(record):
    # spec: "both schemas are arrays: this resolution algorithm is applied recursively to the items"
    v1 = record(ID, {"name": "tags", "type": {"type": "array", "items": "int"}})
    ok = record(ID, {"name": "tags", "type": {"type": "array", "items": "long"}})
    bad = record(ID, {"name": "tags", "type": {"type": "array", "items": "boolean"}})
    assert check_compatibility(ok, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(bad, [v1], "BACKWARD")) == {("avro.type-not-promotable", "tags[]")}


def test_array_of_records_reports_item_field_path(record):
    # spec: array items that are records resolve field by field; the path marks items with []
    line_v1 = {"type": "record", "name": "Line", "fields": [{"name": "qty", "type": "int"}]}
    line_v2 = {
        "type": "record",
        "name": "Line",
        "fields": [{"name": "qty", "type": "int"}, {"name": "sku", "type": "string"}],
    }
    v1 = record(ID, {"name": "items", "type": {"type": "array", "items": line_v1}})
    v2 = record(ID, {"name": "items", "type": {"type": "array", "items": line_v2}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.field-added-without-default", "items[].sku")}


def test_map_values_resolve_recursively(record):
    # spec: "both schemas are maps: this resolution algorithm is applied recursively to the values"
    v1 = record(ID, {"name": "prices", "type": {"type": "map", "values": "long"}})
    v2 = record(ID, {"name": "prices", "type": {"type": "map", "values": "int"}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("avro.type-not-promotable", "prices{}")}
    assert check_compatibility(v1, [v2], "BACKWARD").compatible


def test_fixed_must_keep_name_and_size(record):
    # spec: "both schemas are fixed ... sizes and unqualified names are equal"
    v1 = record(ID, {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}})
    same = record(ID, {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 16}, "doc": "md5"})
    bigger = record(ID, {"name": "hash", "type": {"type": "fixed", "name": "Md5", "size": 32}})
    assert check_compatibility(same, [v1], "FULL").compatible
    result = check_compatibility(bigger, [v1], "BACKWARD")
    assert rules(result) == {("avro.fixed-size-mismatch", "hash")}
    assert (result.issues[0].old, result.issues[0].new) == ("fixed Md5(16)", "fixed Md5(32)")


def test_can_read_is_the_pair_check(record):
    # the modes are built on can_read: backward = can_read(new, old), forward = can_read(old, new)
    old = record(ID)
    new = record(ID, {"name": "discount", "type": "double"})
    assert [i.rule for i in can_read(new, old)] == ["avro.field-added-without-default"]
    assert can_read(old, new, direction="forward") == []
