"""Sample schemas shared by the serde tests."""

from __future__ import annotations

from typing import Any

__all__ = ["ORDER_AVRO", "ORDER_PROTO"]

ORDER_AVRO: dict[str, Any] = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "quantity", "type": "int"},
        {"name": "currency", "type": {"type": "enum", "name": "Currency", "symbols": ["EUR", "USD", "GBP"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}

ORDER_PROTO = """
syntax = "proto3";
package shop.v1;

import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

enum Status {
  STATUS_UNKNOWN = 0;
  PLACED = 1;
  PAID = 2;
}

message Order {
  int64 order_id = 1;
  string customer_id = 2;
  repeated Item items = 3;
  map<string, int32> counts = 4;
  Status status = 5;
  oneof payment {
    string card = 6;
    bytes token = 7;
  }
  optional string note = 8;
  google.protobuf.Timestamp placed_at = 9;
  uint64 big = 10;
  sint64 delta = 11;
  map<int64, Item> by_line = 12;
  bytes blob = 13;
  google.protobuf.Int64Value maybe_count = 14;
  double amount = 15;
  bool gift = 16;

  message Item {
    string sku = 1;
    int32 quantity = 2;
    Address ship_to = 3;
  }
  message Address {
    string city = 1;
  }
}

message Refund {
  int64 order_id = 1;
}
"""
