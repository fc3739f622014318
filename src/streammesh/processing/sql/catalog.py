"""What the SQL analyser knows about products: fields with SQL types, key, table-likeness, governance.

The analyser does not talk to the catalog service or the metadata store: it reads a :class:`SqlCatalog`,
an immutable snapshot built from contracts (``SqlCatalog.from_contracts``) plus the derived products
compiled earlier in the same script (``with_product``). That keeps compilation pure, fast and testable,
and lets ``apps deploy`` check a whole script against the catalog as it will be after deployment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from types import MappingProxyType

from streammesh.contracts.model import Contract, Sla
from streammesh.processing.sql.types import SqlType, from_schema_type
from streammesh.schemas.loading import load_schema

__all__ = ["FieldInfo", "ProductInfo", "SqlCatalog"]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One field of a product as SQL sees it.

    Attributes:
        path: dotted path (``address.city``); array items carry ``[]`` and cannot be selected alone.
        type: the SQL type (see :mod:`streammesh.processing.sql.types`).
        nullable: the value may be absent or null.
        doc: the schema's description of the field, reused in derived schemas.
        schema_type: the type name as the schema format spells it, for messages.
    """

    path: str
    type: SqlType
    nullable: bool
    doc: str | None = None
    schema_type: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class ProductInfo:
    """A product readable from SQL: its fields, key, whether it is table-like, and its governance facts.

    ``table_like`` products (compacted contracts, derived TABLEs) can be the right side of a stream-table
    join, which looks up the latest value per key, and be queried by key with a pull query.
    """

    name: str
    fields: tuple[FieldInfo, ...]
    key: tuple[str, ...] = ()
    table_like: bool = False
    timestamp_field: str | None = None
    classifications: Mapping[str, str] = _field(default_factory=dict)
    sla: Sla = _field(default_factory=Sla)
    quality: str | None = None
    derived: bool = False
    contract: Contract | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "classifications", MappingProxyType(dict(self.classifications)))

    @classmethod
    def from_contract(cls, contract: Contract) -> ProductInfo:
        """Read a contract's schema (all formats) into SQL fields.

        Raises:
            SchemaError: the contract's schema cannot be parsed.
        """
        schema = load_schema(contract.schema_)
        enums = frozenset(n.rsplit(".", 1)[-1] for n in getattr(schema, "enums", {}))
        out = []
        for f in schema.fields:
            t, nullable = from_schema_type(f.type, enums=enums)
            out.append(FieldInfo(f.path, t, nullable or not f.required, f.doc, f.type))
        return cls(
            name=contract.name,
            fields=tuple(out),
            key=tuple(contract.key),
            table_like=contract.compacted,
            timestamp_field=contract.timestamp_field,
            classifications=dict(contract.classifications),
            sla=contract.sla,
            quality=contract.quality,
            contract=contract,
            derived=contract.derived_from is not None,
        )

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    def field(self, path: str) -> FieldInfo | None:
        """The field at ``path``: exact match first, else the only case-insensitive match."""
        for f in self.fields:
            if f.path == path:
                return f
        matches = [f for f in self.fields if f.path.lower() == path.lower()]
        return matches[0] if len(matches) == 1 else None

    def selectable(self) -> list[FieldInfo]:
        """Fields a query may name: every path not inside an array."""
        return [f for f in self.fields if "[]" not in f.path]

    def top_level(self) -> list[FieldInfo]:
        """Top-level fields, in declaration order (what ``SELECT *`` expands to)."""
        return [f for f in self.fields if "." not in f.path and "[]" not in f.path]

    def classes_of(self, path: str) -> set[str]:
        """Classifications that apply to the value at ``path``: its own, its parents' (a PII record makes
        every field in it PII) and, for a record, its children's (selecting ``address`` selects its PII)."""
        out = set()
        parts = path.split(".")
        for i in range(1, len(parts) + 1):
            c = self.classifications.get(".".join(parts[:i]))
            if c:
                out.add(c)
        prefix = path + "."
        out.update(c for p, c in self.classifications.items() if p.startswith((prefix, path + "[].")))
        return out


class SqlCatalog:
    """An immutable name → :class:`ProductInfo` snapshot the analyser resolves ``FROM``/``JOIN`` against.

    Example:
        >>> from streammesh.demo.organisation import load_demo_contracts
        >>> cat = SqlCatalog.from_contracts(load_demo_contracts())
        >>> cat.lookup("profiles")[0].name   # a unique short name is enough
        'customers.profiles'
    """

    def __init__(self, products: Iterable[ProductInfo] = ()) -> None:
        self._products: dict[str, ProductInfo] = {p.name: p for p in products}

    @classmethod
    def from_contracts(cls, contracts: Iterable[Contract]) -> SqlCatalog:
        return cls(ProductInfo.from_contract(c) for c in contracts)

    def with_product(self, product: ProductInfo) -> SqlCatalog:
        """A new catalog that also (or instead) holds ``product``."""
        return SqlCatalog([*(p for p in self._products.values() if p.name != product.name), product])

    def __iter__(self) -> Iterator[ProductInfo]:
        return iter(self._products.values())

    def __contains__(self, name: object) -> bool:
        return name in self._products

    def __len__(self) -> int:
        return len(self._products)

    def names(self) -> list[str]:
        return sorted(self._products)

    def get(self, name: str) -> ProductInfo | None:
        return self._products.get(name)

    def lookup(self, name: str) -> list[ProductInfo]:
        """Products ``name`` may mean: the exact name, else a case-insensitive match, else the products
        whose last segment is ``name`` (``revenue_by_category``); several results mean it is ambiguous."""
        if name in self._products:
            return [self._products[name]]
        lower = name.lower()
        exact = [p for p in self._products.values() if p.name.lower() == lower]
        if exact:
            return exact
        if "." not in name:
            return [p for p in self._products.values() if p.short_name.lower() == lower]
        return []
