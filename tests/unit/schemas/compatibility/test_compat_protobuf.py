"""Protobuf compatibility with Confluent Schema Registry's semantics.

Sources: Protocol Buffers language guide, "Updating A Message Type" (protobuf.dev), and Confluent's
protobuf ``SchemaDiff`` (its compatible-change list: FIELD_ADDED, FIELD_REMOVED, FIELD_NAME_CHANGED,
ONEOF_ADDED, ENUM_CONST_*, ...; everything else incompatible).
"""

from __future__ import annotations

import pytest

from streammesh.schemas.compatibility import check_compatibility


def rules(result):
    return {(i.rule, i.path) for i in result.issues}


def order(*fields: str, extra: str = "") -> str:
    return "message Order {\n  int64 id = 1;\n  " + "\n  ".join(fields) + "\n}\n" + extra


# --- fields and numbers -------------------------------------------------------------------------------


def test_adding_and_removing_fields_is_fully_compatible(proto):
    # protobuf guide: new fields are ignored by old code and defaulted by new code; Confluent FIELD_ADDED,
    # FIELD_REMOVED are compatible
    v1 = proto(order("string email = 2;"))
    v2 = proto(order("string email = 2;", "double total = 3;"))
    assert check_compatibility(v2, [v1], "FULL").compatible
    assert check_compatibility(v1, [v2], "FULL").compatible


def test_renaming_a_field_is_compatible(proto):
    # Confluent: FIELD_NAME_CHANGED is compatible (names are not on the wire)
    v1 = proto(order("string email = 2;"))
    v2 = proto(order("string email_address = 2;"))
    assert check_compatibility(v2, [v1], "FULL_TRANSITIVE").compatible


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("int32", "int64"),
        ("uint32", "uint64"),
        ("int64", "bool"),
        ("sint32", "sint64"),
        ("fixed32", "sfixed32"),
        ("fixed64", "sfixed64"),
        ("string", "bytes"),
    ],
)
def test_types_in_one_wire_group_are_compatible(proto, old, new):
    # protobuf guide: int32/uint32/int64/uint64/bool are compatible; sint32/sint64; fixed32/sfixed32;
    # fixed64/sfixed64; string/bytes (valid UTF-8)
    v1 = proto(order(f"{old} value = 2;"))
    v2 = proto(order(f"{new} value = 2;"))
    assert check_compatibility(v2, [v1], "FULL").compatible


@pytest.mark.parametrize(
    ("old", "new"),
    [("int32", "sint32"), ("int64", "fixed64"), ("string", "int32"), ("float", "double"), ("fixed32", "float")],
)
def test_types_across_wire_groups_are_incompatible(proto, old, new):
    # Confluent: FIELD_SCALAR_KIND_CHANGED is incompatible (different wire encodings)
    v1 = proto(order(f"{old} value = 2;"))
    v2 = proto(order(f"{new} value = 2;"))
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("protobuf.field-type-changed", "value")}
    assert (result.issues[0].old, result.issues[0].new) == (old, new)


def test_field_number_reused_with_another_name_and_type(proto):
    # protobuf guide: "never reuse a field number"; same number, new name and incompatible type
    v1 = proto(order("string email = 2;"))
    v2 = proto(order("int64 visits = 2;"))
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("protobuf.field-number-reused", "visits")}
    assert "reserved 2" in result.issues[0].message


def test_removed_number_reused_is_caught_transitively(proto):
    # protobuf guide: removed field numbers must be reserved; v3 is fine against v2 but reuses v1's number
    v1 = proto(order("string email = 2;"))
    v2 = proto(order())
    v3 = proto(order("int64 visits = 2;"))
    assert check_compatibility(v3, [v1, v2], "BACKWARD").compatible
    result = check_compatibility(v3, [v1, v2], "BACKWARD_TRANSITIVE")
    assert rules(result) == {("protobuf.field-number-reused", "visits")}
    assert result.issues[0].version == 0


def test_reserved_number_must_not_come_back(proto):
    # protobuf guide: "reserved" field numbers may not be used again; the old schema reserved 9 to 11
    v1 = proto(order("reserved 2, 9 to 11;", 'reserved "email";'))
    reuse_number = proto(order("string note = 10;"))
    reuse_name = proto(order("string email = 12;"))
    assert rules(check_compatibility(reuse_number, [v1], "BACKWARD")) == {("protobuf.reserved-number-reused", "note")}
    assert rules(check_compatibility(reuse_name, [v1], "BACKWARD")) == {("protobuf.reserved-name-reused", "email")}


def test_removing_a_field_and_reserving_it_is_compatible(proto):
    # protobuf guide: delete the field and reserve its number and name
    v1 = proto(order("string email = 2;"))
    v2 = proto(order("reserved 2;", 'reserved "email";'))
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_scalar_to_message_is_a_kind_change(proto):
    # Confluent: FIELD_KIND_CHANGED (scalar <-> message <-> map) is incompatible
    v1 = proto(order("string customer = 2;"))
    v2 = proto(order("Customer customer = 2;", extra="message Customer { string email = 1; }"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.field-kind-changed", "customer")}


def test_message_field_changing_message_type(proto):
    # Confluent: FIELD_NAMED_TYPE_CHANGED is incompatible
    types = "message Person { string email = 1; }\nmessage Company { string email = 1; }"
    v1 = proto(order("Person customer = 2;", extra=types))
    v2 = proto(order("Company customer = 2;", extra=types))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.field-type-changed", "customer")}


def test_nested_message_fields_are_compared_with_paths(proto):
    # Confluent: message fields of the same type are compared recursively
    v1 = proto(order("Customer customer = 2;", extra="message Customer { string email = 1; }"))
    v2 = proto(order("Customer customer = 2;", extra="message Customer { int32 email = 1; }"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.field-type-changed", "customer.email")}


def test_repeated_numeric_to_singular_is_incompatible(proto):
    # protobuf guide: packed repeated numerics do not parse as singular; Confluent FIELD_NUMERIC_LABEL_CHANGED
    v1 = proto(order("repeated int32 codes = 2;"))
    v2 = proto(order("int32 codes = 2;"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.field-label-changed", "codes")}


def test_repeated_string_or_message_to_singular_is_compatible(proto):
    # protobuf guide: "for string, bytes, and message fields, singular is compatible with repeated";
    # Confluent FIELD_STRING_OR_BYTES_LABEL_CHANGED is compatible
    v1 = proto(order("repeated string tags = 2;", "repeated Line lines = 3;", extra="message Line { int32 q = 1; }"))
    v2 = proto(order("string tags = 2;", "Line lines = 3;", extra="message Line { int32 q = 1; }"))
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_map_value_type_change(proto):
    # Confluent: map key and value types are compared like field types
    v1 = proto(order("map<string, int64> prices = 2;"))
    ok = proto(order("map<string, uint64> prices = 2;"))
    bad = proto(order("map<string, string> prices = 2;"))
    assert check_compatibility(ok, [v1], "FULL").compatible
    assert rules(check_compatibility(bad, [v1], "BACKWARD")) == {("protobuf.field-type-changed", "prices")}


# --- oneof --------------------------------------------------------------------------------------------


def test_adding_a_new_oneof_is_compatible(proto):
    # Confluent: ONEOF_ADDED and ONEOF_FIELD_ADDED are compatible
    v1 = proto(order())
    v2 = proto(order("oneof payment { string card = 5; string iban = 6; }"))
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_moving_one_field_into_a_new_oneof_is_compatible(proto):
    # protobuf guide: "moving a single field into a new oneof is safe"
    v1 = proto(order("string card = 5;"))
    v2 = proto(order("oneof payment { string card = 5; string iban = 6; }"))
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_moving_several_fields_into_a_oneof_is_incompatible(proto):
    # protobuf guide: "moving multiple fields into a new oneof may be unsafe"; Confluent
    # MULTIPLE_FIELDS_MOVED_TO_ONEOF
    v1 = proto(order("string card = 5;", "string iban = 6;"))
    v2 = proto(order("oneof payment { string card = 5; string iban = 6; }"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.fields-moved-into-oneof", "payment")}


def test_moving_a_field_into_an_existing_oneof_is_incompatible(proto):
    # protobuf guide: "moving any fields into an existing oneof is not safe"; Confluent FIELD_MOVED_TO_EXISTING_ONEOF
    v1 = proto(order("string iban = 6;", "oneof payment { string card = 5; }"))
    v2 = proto(order("oneof payment { string card = 5; string iban = 6; }"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.field-moved-into-existing-oneof", "payment")}


def test_removing_a_oneof_member_is_incompatible(proto):
    # Confluent: ONEOF_FIELD_REMOVED is incompatible (old data that set it reads as an unset oneof)
    v1 = proto(order("oneof payment { string card = 5; string iban = 6; }"))
    v2 = proto(order("oneof payment { string card = 5; }"))
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.oneof-field-removed", "iban")}


# --- messages, enums, proto2 --------------------------------------------------------------------------


def test_removing_a_message_type_is_incompatible(proto):
    # Confluent (PR #1648): MESSAGE_REMOVED is incompatible, old records may be written as that type
    v1 = proto(order(extra="message Refund { int64 order_id = 1; }"))
    v2 = proto(order())
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("protobuf.message-removed", "Refund")}


def test_adding_a_message_type_is_backward_but_not_forward_compatible(proto):
    # Confluent (issue #2033): forward diffs new -> old, where the added message is "removed"
    v1 = proto(order())
    v2 = proto(order("Note note = 3;", extra="message Note { string text = 1; }"))
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {("protobuf.message-removed", "Note")}


def test_enum_values_added_or_removed_are_compatible(proto):
    # Confluent: ENUM_CONST_ADDED / ENUM_CONST_REMOVED are compatible (proto3 enums keep unknown values)
    v1 = proto(order("Status status = 2;", extra="enum Status { NEW = 0; PAID = 1; }"))
    v2 = proto(order("Status status = 2;", extra="enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }"))
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_enum_and_int32_share_the_varint_group(proto):
    # Confluent: an enum's scalar kind is GENERAL_NUMBER, like int32; string is not
    v1 = proto(order("Status status = 2;", extra="enum Status { NEW = 0; PAID = 1; }"))
    as_int = proto(order("int32 status = 2;", extra="enum Status { NEW = 0; PAID = 1; }"))
    as_string = proto(order("string status = 2;", extra="enum Status { NEW = 0; PAID = 1; }"))
    assert check_compatibility(as_int, [v1], "FULL").compatible
    assert rules(check_compatibility(as_string, [v1], "BACKWARD")) == {("protobuf.field-type-changed", "status")}


def test_proto2_required_field_added_is_incompatible(proto):
    # Confluent: REQUIRED_FIELD_ADDED is incompatible (old data without it fails to parse)
    v1 = proto('syntax = "proto2";\nmessage Order { required int64 id = 1; }')
    v2 = proto('syntax = "proto2";\nmessage Order { required int64 id = 1; required string email = 2; }')
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("protobuf.required-field-added", "email")}


def test_package_change_is_compatible(proto):
    # Confluent: PACKAGE_CHANGED is compatible; types are compared by local name
    v1 = proto(
        "package acme.sales;\n"
        + order("acme.sales.Customer customer = 2;", extra="message Customer { string email = 1; }")
    )
    v2 = proto(
        "package acme.orders;\n" + order("Customer customer = 2;", extra="message Customer { string email = 1; }")
    )
    assert check_compatibility(v2, [v1], "FULL").compatible
