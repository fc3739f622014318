"""JSON Schema compatibility with Confluent Schema Registry's semantics.

Sources: Confluent's JSON Schema compatibility rules (its ``SchemaDiff`` compatible-change list) and
Robert Yokota, "Understanding JSON Schema Compatibility" (Confluent, 2020): a reader accepts a writer
when every document valid under the writer is valid under the reader.
"""

from __future__ import annotations

from streammesh.schemas.compatibility import check_compatibility

STR = {"type": "string"}
INT = {"type": "integer"}


def rules(result):
    return {(i.rule, i.path) for i in result.issues}


# --- content models -----------------------------------------------------------------------------------


def test_optional_property_added_to_closed_model_is_backward_compatible(obj):
    # Confluent: OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL is compatible (old data never had it)
    v1 = obj({"id": INT}, closed=True)
    v2 = obj({"id": INT, "email": STR}, closed=True)
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_property_added_to_closed_model_is_not_forward_compatible(obj):
    # Confluent: forward diffs new -> old, where the property is removed from the old, closed model
    v1 = obj({"id": INT}, closed=True)
    v2 = obj({"id": INT, "email": STR}, closed=True)
    result = check_compatibility(v2, [v1], "FORWARD")
    assert rules(result) == {("json.property-added-to-closed-content-model", "email")}


def test_property_added_to_open_model_is_not_backward_compatible(obj):
    # Confluent: PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL is incompatible: old open data may hold any 'email'
    v1 = obj({"id": INT})
    v2 = obj({"id": INT, "email": STR})
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("json.property-added-to-open-content-model", "email")}
    assert (result.issues[0].old, result.issues[0].new) == ("any", "string")
    assert "additionalProperties" in result.issues[0].message


def test_property_added_to_open_model_is_forward_compatible(obj):
    # Yokota: an old open reader accepts the new property as an additional property
    v1 = obj({"id": INT})
    v2 = obj({"id": INT, "email": STR})
    assert check_compatibility(v2, [v1], "FORWARD").compatible


def test_property_with_empty_schema_added_to_open_model_is_compatible(obj):
    # Confluent: PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL is compatible
    v1 = obj({"id": INT})
    v2 = obj({"id": INT, "extra": {}})
    assert check_compatibility(v2, [v1], "FULL").compatible


def test_property_removed_from_open_model_is_backward_compatible(obj):
    # Confluent: PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL is compatible (the new open reader accepts it)
    v1 = obj({"id": INT, "email": STR})
    v2 = obj({"id": INT})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {
        ("json.property-removed-from-open-content-model", "email")
    }


def test_property_removed_from_closed_model_is_not_backward_compatible(obj):
    # Confluent: PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL is incompatible: old data holding it is rejected
    v1 = obj({"id": INT, "email": STR}, closed=True)
    v2 = obj({"id": INT}, closed=True)
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("json.property-removed-from-closed-content-model", "email")}


def test_partially_open_model_covers_properties_of_its_type(obj):
    # Confluent: PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL is compatible, otherwise not
    v1 = obj({"id": INT}, additionalProperties=STR)
    covered = obj({"id": INT, "note": STR}, additionalProperties=STR)
    not_covered = obj({"id": INT, "count": INT}, additionalProperties=STR)
    assert check_compatibility(covered, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(not_covered, [v1], "BACKWARD")) == {("json.type-changed", "count")}


def test_closing_an_open_model_breaks_backward(obj):
    # Confluent: ADDITIONAL_PROPERTIES_REMOVED is incompatible; ADDITIONAL_PROPERTIES_ADDED is compatible
    v1 = obj({"id": INT})
    v2 = obj({"id": INT}, closed=True)
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.additional-properties-narrowed", "$")}
    assert check_compatibility(v1, [v2], "BACKWARD").compatible


# --- required -----------------------------------------------------------------------------------------


def test_required_added_breaks_backward(obj):
    # Confluent: REQUIRED_ATTRIBUTE_ADDED is incompatible: old documents may lack the property
    v1 = obj({"id": INT, "email": STR}, required=["id"])
    v2 = obj({"id": INT, "email": STR}, required=["id", "email"])
    result = check_compatibility(v2, [v1], "BACKWARD")
    assert rules(result) == {("json.required-added", "email")}
    assert (result.issues[0].old, result.issues[0].new) == ("optional", "required")


def test_required_added_with_default_is_compatible(obj):
    # Confluent: REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED is compatible
    v1 = obj({"id": INT, "email": STR}, required=["id"])
    v2 = obj({"id": INT, "email": {**STR, "default": ""}}, required=["id", "email"])
    assert check_compatibility(v2, [v1], "BACKWARD").compatible


def test_required_removed_is_backward_but_not_forward_compatible(obj):
    # Confluent: REQUIRED_ATTRIBUTE_REMOVED is compatible; forward it is a required attribute added
    v1 = obj({"id": INT, "email": STR}, required=["id", "email"])
    v2 = obj({"id": INT, "email": STR}, required=["id"])
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {("json.required-removed", "email")}


def test_required_property_added_to_closed_model_breaks_backward(obj):
    # Confluent: REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL is incompatible
    v1 = obj({"id": INT}, required=["id"], closed=True)
    v2 = obj({"id": INT, "email": STR}, required=["id", "email"], closed=True)
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.required-added", "email")}


# --- types and enums ----------------------------------------------------------------------------------


def test_integer_to_number_is_widening(obj):
    # Confluent: integer -> number is TYPE_EXTENDED (compatible); the reverse is TYPE_NARROWED
    v1 = obj({"amount": INT})
    v2 = obj({"amount": {"type": "number"}})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {("json.type-widened", "amount")}
    assert rules(check_compatibility(v1, [v2], "BACKWARD")) == {("json.type-narrowed", "amount")}


def test_string_to_integer_is_a_type_change(obj):
    # Confluent: TYPE_CHANGED is incompatible in both directions
    v1 = obj({"sku": STR})
    v2 = obj({"sku": INT})
    result = check_compatibility(v2, [v1], "FULL")
    assert rules(result) == {("json.type-changed", "sku")}
    assert (result.issues[0].old, result.issues[0].new) == ("string", "integer")


def test_removing_null_from_a_type_list_narrows(obj):
    # Confluent: TYPE_NARROWED (["string", "null"] -> "string") breaks; TYPE_EXTENDED is compatible
    v1 = obj({"email": {"type": ["string", "null"]}})
    v2 = obj({"email": STR})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.type-narrowed", "email")}
    assert check_compatibility(v1, [v2], "BACKWARD").compatible


def test_enum_values_added_and_removed(obj):
    # Confluent: ENUM_ARRAY_EXTENDED is compatible, ENUM_ARRAY_NARROWED is not
    v1 = obj({"status": {"type": "string", "enum": ["NEW", "PAID"]}})
    v2 = obj({"status": {"type": "string", "enum": ["NEW", "PAID", "SHIPPED"]}})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v2, [v1], "FORWARD")) == {("json.enum-extended", "status")}
    result = check_compatibility(v1, [v2], "BACKWARD")
    assert rules(result) == {("json.enum-narrowed", "status")}
    assert '"SHIPPED"' in result.issues[0].message


def test_enum_added_to_free_string_narrows(obj):
    # Confluent: ENUM_ARRAY_CHANGED/added restricts values old data may hold
    v1 = obj({"status": STR})
    v2 = obj({"status": {"type": "string", "enum": ["NEW"]}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.enum-narrowed", "status")}


# --- value constraints --------------------------------------------------------------------------------


def test_max_length_decreased_added_and_increased(obj):
    # Confluent: MAX_LENGTH_DECREASED / MAX_LENGTH_ADDED incompatible, MAX_LENGTH_INCREASED compatible
    v1 = obj({"name": {"type": "string", "maxLength": 50}})
    shorter = obj({"name": {"type": "string", "maxLength": 20}})
    longer = obj({"name": {"type": "string", "maxLength": 80}})
    assert rules(check_compatibility(shorter, [v1], "BACKWARD")) == {("json.constraint-tightened", "name")}
    assert check_compatibility(longer, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v1, [obj({"name": STR})], "BACKWARD")) == {("json.constraint-tightened", "name")}


def test_minimum_raised_breaks_and_removed_is_fine(obj):
    # Confluent: MINIMUM_INCREASED incompatible, MINIMUM_REMOVED compatible
    v1 = obj({"qty": {"type": "integer", "minimum": 0}})
    raised = obj({"qty": {"type": "integer", "minimum": 1}})
    result = check_compatibility(raised, [v1], "BACKWARD")
    assert rules(result) == {("json.constraint-tightened", "qty")}
    assert (result.issues[0].old, result.issues[0].new) == ("minimum: 0", "minimum: 1")
    assert check_compatibility(obj({"qty": INT}), [v1], "BACKWARD").compatible


def test_pattern_added_breaks_backward(obj):
    # Confluent: PATTERN_ADDED / PATTERN_CHANGED incompatible, PATTERN_REMOVED compatible
    v1 = obj({"sku": STR})
    v2 = obj({"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.constraint-tightened", "sku")}
    assert check_compatibility(v1, [v2], "BACKWARD").compatible


def test_unique_items_added_breaks_backward(obj):
    # Confluent: UNIQUE_ITEMS_ADDED incompatible
    v1 = obj({"tags": {"type": "array", "items": STR}})
    v2 = obj({"tags": {"type": "array", "items": STR, "uniqueItems": True}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.constraint-tightened", "tags")}


# --- nesting ------------------------------------------------------------------------------------------


def test_nested_object_property_type_change(obj):
    # Confluent: object schemas are compared recursively through properties
    v1 = obj({"customer": {"type": "object", "properties": {"email": STR}}})
    v2 = obj({"customer": {"type": "object", "properties": {"email": INT}}})
    assert rules(check_compatibility(v2, [v1], "BACKWARD")) == {("json.type-changed", "customer.email")}


def test_array_items_compared_recursively(obj):
    # Confluent: items schemas are compared recursively; the path marks items with []
    line = {"type": "object", "properties": {"sku": STR, "qty": INT}, "additionalProperties": False}
    v1 = obj({"items": {"type": "array", "items": line}})
    v2 = obj({"items": {"type": "array", "items": {**line, "properties": {"sku": STR, "qty": {"type": "number"}}}}})
    v3 = obj({"items": {"type": "array", "items": {**line, "properties": {"sku": INT, "qty": INT}}}})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v3, [v1], "BACKWARD")) == {("json.type-changed", "items[].sku")}


def test_local_refs_are_followed(json_schema):
    # JSON Schema $ref to $defs: the referenced schema is what documents must satisfy
    def schema(zip_type):
        return json_schema(
            {
                "type": "object",
                "properties": {"address": {"$ref": "#/$defs/Address"}},
                "$defs": {"Address": {"type": "object", "properties": {"zip": zip_type}}},
            }
        )

    assert check_compatibility(schema(STR), [schema(STR)], "FULL").compatible
    assert rules(check_compatibility(schema(INT), [schema(STR)], "BACKWARD")) == {("json.type-changed", "address.zip")}


def test_one_of_branch_added_and_removed(obj):
    # Confluent: SUM_TYPE_EXTENDED compatible, SUM_TYPE_NARROWED incompatible
    v1 = obj({"ref": {"oneOf": [STR, INT]}})
    v2 = obj({"ref": {"oneOf": [STR, INT, {"type": "boolean"}]}})
    assert check_compatibility(v2, [v1], "BACKWARD").compatible
    assert rules(check_compatibility(v1, [v2], "BACKWARD")) == {("json.combined-type-narrowed", "ref")}
