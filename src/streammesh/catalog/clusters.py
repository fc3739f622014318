"""Which cluster a product's stream lives on, as the catalog records and shows it.

A product's ``cluster`` is the mesh's ``log`` setting when the product was published (``embedded`` or
``kafka://host:port?...``), updated by ``streammesh migrate``. The setting may carry librdkafka secrets
in its query (``sasl.password=...``) or a password before ``@``; they never reach the catalog, the CLI
or the REST API: :func:`mask_cluster` replaces them with ``***``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["mask_cluster"]

_SECRET_WORDS = ("password", "secret", "token", "jaas", "key")
_USERINFO = re.compile(r"^([^:/@]*):[^@]*@")


def _secret(name: str) -> bool:
    lowered = name.lower()
    # ssl.key.location names a file, not a secret; ssl.key.password and ssl.key.pem are secrets
    return any(w in lowered for w in _SECRET_WORDS) and not lowered.endswith(".location")


def mask_cluster(url: str) -> str:
    """``url`` with secrets masked: query settings named like secrets and a password before ``@``.

    Example:
        >>> mask_cluster("kafka://b1:9092?sasl.username=mesh&sasl.password=s3cret")
        'kafka://b1:9092?sasl.username=mesh&sasl.password=***'
        >>> mask_cluster("embedded")
        'embedded'
    """
    if "://" not in url:
        return url
    parts = urlsplit(url)
    netloc = _USERINFO.sub(r"\1:***@", parts.netloc)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret(k) for k, _ in pairs):
            query = urlencode([(k, "***" if _secret(k) else v) for k, v in pairs], safe="*:/,")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
