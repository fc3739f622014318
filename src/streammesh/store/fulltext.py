"""What the catalog's full-text index holds, shared by every store so searches agree across databases.

Each store indexes the same seven columns with the same relative weights (a hit in the name counts
most, then title, tags, field names, domain and owner, then the description) and reads a query the same
way: every term must match, and the last one may be a prefix so search-as-you-type works.
"""

from __future__ import annotations

import re
import unicodedata

from streammesh.model.catalog import Product
from streammesh.schemas import SchemaField

__all__ = ["SEARCH_COLUMNS", "SEARCH_WEIGHTS", "normalise", "query_terms", "search_document", "words"]

SEARCH_COLUMNS = ("name", "title", "tags", "fields", "domain", "owner", "description")
SEARCH_WEIGHTS = (10.0, 6.0, 4.0, 3.0, 2.0, 2.0, 1.0)
_TOKEN = re.compile(r"[\w]+", re.UNICODE)


def words(value: str) -> str:
    """Split names like ``sales.orders`` and ``customer_email`` into words FTS can match one by one."""
    return " ".join(_TOKEN.findall(value.replace("_", " ").replace("-", " ")))


def search_document(product: Product, fields: list[SchemaField]) -> dict[str, str]:
    """The text of each column of :data:`SEARCH_COLUMNS` for ``product``."""
    c = product.contract
    return {
        "name": c.name + " " + words(c.name),
        "title": c.title or "",
        "tags": words(" ".join(c.tags)),
        "fields": words(" ".join(f.path for f in fields)),
        "domain": c.domain,
        "owner": words(c.owner),
        "description": c.description,
    }


def query_terms(query: str) -> list[str]:
    """The lower-cased words of a search box entry (``@web-team`` is ``web``, ``team``)."""
    return _TOKEN.findall(query.replace("_", " ").lower())


def normalise(text: str) -> str:
    """Lower-case ``text`` and strip accents (``Café`` is ``cafe``), as SQLite's unicode61 tokenizer does
    with ``remove_diacritics``; stores without such a tokenizer apply it to documents and queries."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
