"""The Kafka log: the log port on Apache Kafka or any Kafka-compatible cluster (Confluent Cloud,
Redpanda, MSK), through confluent-kafka.

Records are placed exactly like on the embedded log (murmur2 of the key), appends return only
acknowledged positions (idempotent producer), consumer groups and committed offsets are Kafka's own.
"""

from streammesh.log.kafka.consumer import KafkaEventLogConsumer
from streammesh.log.kafka.log import KafkaEventLog
from streammesh.log.kafka.settings import KafkaSettings, parse_kafka_url

__all__ = ["KafkaEventLog", "KafkaEventLogConsumer", "KafkaSettings", "parse_kafka_url"]
