"""Protobuf respected on purpose: scalar widths, enums, repeated, maps, nested messages, oneof, proto2
required, package-qualified names and well-known types."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from streammesh.schemas import Schema
from streammesh.schemas.generation import generate_values
from tests.unit.schemas.generate.helpers import NOW

PROTO = """
syntax = "proto3";
package test.v1;

import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

message Envelope {
  enum Kind {
    KIND_UNSPECIFIED = 0;
    CREATED = 1;
    UPDATED = 2;
  }
  message Line {
    string sku = 1;
    int32 quantity = 2;
  }
  string id = 1;
  int32 i32 = 2;
  uint32 u32 = 3;
  int64 i64 = 4;
  uint64 u64 = 5;
  sint32 s32 = 6;
  fixed64 f64 = 7;
  double d = 8;
  float f = 9;
  bool b = 10;
  bytes raw = 11;
  Kind kind = 12;
  repeated Line lines = 13;
  map<string, int32> counts = 14;
  Line main_line = 15;
  oneof target {
    string email = 16;
    string phone = 17;
    Line line = 18;
  }
  repeated string tags = 19;
  google.protobuf.Timestamp created_at = 20;
  .test.v1.Envelope.Kind other_kind = 21;
  google.protobuf.StringValue nickname = 22;
}
"""


@pytest.fixture(scope="module")
def values(proto_schema: Callable[..., Schema]) -> list[dict[str, Any]]:
    schema = proto_schema(PROTO, "Envelope")
    out = list(generate_values(schema, 300, seed=41, now=NOW))
    assert all(schema.validate(v) == [] for v in out)
    return out


def test_scalar_widths(values: list[dict[str, Any]]) -> None:
    for v in values:
        assert -(2**31) <= v.get("i32", 0) < 2**31 and 0 <= v.get("u32", 0) < 2**32
        assert 0 <= v.get("u64", 0) < 2**64 and 0 <= v.get("f64", 0) < 2**64
        assert isinstance(v.get("b", False), bool) and isinstance(v.get("raw", b""), bytes)
        assert isinstance(v.get("d", 0.0), float)


def test_enums_use_names_and_skip_unspecified(values: list[dict[str, Any]]) -> None:
    kinds = {v["kind"] for v in values if "kind" in v} | {v["other_kind"] for v in values if "other_kind" in v}
    assert kinds == {"CREATED", "UPDATED"}


def test_oneof_sets_exactly_one_member(values: list[dict[str, Any]]) -> None:
    members = [[m for m in ("email", "phone", "line") if m in v] for v in values]
    assert all(len(m) == 1 for m in members)
    assert {m[0] for m in members} == {"email", "phone", "line"}


def test_repeated_maps_and_nested_messages(values: list[dict[str, Any]]) -> None:
    lines = [v["lines"] for v in values if "lines" in v]
    assert {len(x) for x in lines} == {1, 2, 3, 4}
    assert all(set(line) <= {"sku", "quantity"} for x in lines for line in x)
    counts = [v["counts"] for v in values if "counts" in v]
    assert counts and all(1 <= len(c) <= 3 and all(isinstance(k, str) for k in c) for c in counts)


def test_singular_fields_are_sometimes_unset(values: list[dict[str, Any]]) -> None:
    for field in ("id", "b", "kind", "main_line"):
        present = sum(field in v for v in values)
        assert 180 < present < 300, f"{field}: {present}"


def test_well_known_types_use_their_json_mapping(values: list[dict[str, Any]]) -> None:
    stamps = [v["created_at"] for v in values if "created_at" in v]
    assert stamps and all(datetime.fromisoformat(s).tzinfo is not None for s in stamps)
    assert all(isinstance(v["nickname"], str) for v in values if "nickname" in v)


def test_proto2_required_fields_are_always_set(proto_schema: Callable[..., Schema]) -> None:
    schema = proto_schema('syntax = "proto2"; message M { required string name = 1; optional int32 n = 2; }')
    values = list(generate_values(schema, 200, seed=1))
    assert all(schema.validate(v) == [] and "name" in v for v in values)
    assert 0 < sum("n" in v for v in values) < 200


def test_the_declared_message_is_generated(proto_schema: Callable[..., Schema]) -> None:
    schema = proto_schema(PROTO, "Envelope.Line")
    for v in generate_values(schema, 50, seed=1):
        assert schema.validate(v) == [] and set(v) <= {"sku", "quantity"}
