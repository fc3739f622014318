"""Connection settings of the Kafka log: the mesh's ``log`` URL plus librdkafka settings.

A mesh names its cluster with one URL, ``kafka://host:port[,host:port...][?setting=value&...]``.
Query parameters are librdkafka settings passed through as they are (``security.protocol``,
``sasl.mechanism``, ``ssl.ca.location``...), so every security setup librdkafka supports (SASL
PLAIN / SCRAM, SSL, mTLS) works without streammesh knowing about it. Secrets should not sit in
``mesh.yaml``: environment variables ``STREAMMESH_KAFKA_<SETTING>`` (dots as underscores, e.g.
``STREAMMESH_KAFKA_SASL_PASSWORD``) are added to the settings and win over the URL. A setting meant
for one kind of client only takes its prefix: ``producer.linger.ms``, ``consumer.fetch.min.bytes``,
``admin.socket.timeout.ms`` (librdkafka warns about settings of the wrong kind of client).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from streammesh.exceptions import ValidationError

__all__ = ["ENV_PREFIX", "ClientRole", "KafkaSettings", "SettingValue", "parse_kafka_url", "settings_from_env"]

ENV_PREFIX = "STREAMMESH_KAFKA_"
SettingValue = str | int | float | bool
_SECRET_WORDS = ("password", "secret", "key", "token", "jaas")
# Settings streammesh owns: a user value would break the log's guarantees (placement, acknowledgements).
_RESERVED = {
    "bootstrap.servers",
    "enable.idempotence",
    "acks",
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
}
_SCHEMES = ("kafka",)
ClientRole = Literal["producer", "consumer", "admin"]
_ROLES = ("producer", "consumer", "admin")
# librdkafka's own log lines (disconnects, retries) go to Python logging instead of stderr.
# Silent unless the application configures logging: failures reach callers as exceptions already.
_LOGGER = logging.getLogger("streammesh.log.kafka.librdkafka")
_LOGGER.addHandler(logging.NullHandler())


def parse_kafka_url(url: str) -> tuple[str, dict[str, str]]:
    """Split ``kafka://h1:9092,h2:9092?security.protocol=SSL`` into bootstrap servers and settings.

    Raises:
        ValidationError: not a ``kafka://`` URL, or a server without a port.
    """
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.netloc:
        raise ValidationError(
            f"log URL {url!r} is not a Kafka URL",
            hint="write it as kafka://HOST:PORT (several brokers: kafka://h1:9092,h2:9092)",
        )
    servers = parts.netloc.rsplit("@", 1)[-1]  # credentials never go in the URL's user part
    if "@" in parts.netloc:
        raise ValidationError(
            f"log URL for {servers!r} carries credentials before '@'",
            hint=f"set sasl.username in the URL query and the password in {ENV_PREFIX}SASL_PASSWORD instead",
        )
    for server in servers.split(","):
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise ValidationError(
                f"log URL {url!r}: broker {server!r} needs a host and a port", hint="e.g. kafka://localhost:9092"
            )
    return servers, dict(parse_qsl(parts.query, keep_blank_values=True))


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """librdkafka settings from ``STREAMMESH_KAFKA_*`` variables (``SASL_PASSWORD`` → ``sasl.password``)."""
    env = os.environ if environ is None else environ
    return {
        k[len(ENV_PREFIX) :].lower().replace("_", "."): v
        for k, v in env.items()
        if k.startswith(ENV_PREFIX) and len(k) > len(ENV_PREFIX)
    }


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    """Bootstrap servers and extra librdkafka settings shared by the log's admin, producer and consumers.

    Attributes:
        bootstrap_servers: ``host:port`` list, comma-separated.
        extra: librdkafka settings applied to every client (security, timeouts, tuning).
    """

    bootstrap_servers: str
    extra: Mapping[str, SettingValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        reserved = sorted(_RESERVED & {k.partition(".")[2] if k.partition(".")[0] in _ROLES else k for k in self.extra})
        if reserved:
            raise ValidationError(
                f"Kafka setting(s) {', '.join(reserved)} cannot be overridden: streammesh sets "
                "them to keep its delivery and placement guarantees",
                hint="remove them from the log URL / settings mapping",
            )

    def client(self, role: ClientRole, **own: Any) -> dict[str, Any]:
        """Settings for one client of kind ``role``: ours, then the user's extras on top (shared ones and
        those prefixed with ``role.``; our reserved keys cannot be among them)."""
        mine: dict[str, SettingValue] = {}
        for key, value in self.extra.items():
            head, _, rest = key.partition(".")
            if head not in _ROLES:
                mine[key] = value
            elif head == role:
                mine[rest] = value
        # Topics exist only through create_topic (with the product's partitions and retention), never
        # as a side effect of a metadata request for a misspelt name.
        return {
            "bootstrap.servers": self.bootstrap_servers,
            "logger": _LOGGER,
            "allow.auto.create.topics": False,
            **own,
            **mine,
        }

    def redacted(self) -> dict[str, SettingValue]:
        """The extra settings with secrets masked, for messages and ``repr``."""
        return {
            k: "***" if any(w in k for w in _SECRET_WORDS) and "location" not in k else v for k, v in self.extra.items()
        }
