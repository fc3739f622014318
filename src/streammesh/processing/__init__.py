"""Processing: streaming SQL (parsing, analysis into a logical plan, lineage and governance derivation);
the incremental executor over DuckDB micro-batches builds on :mod:`streammesh.processing.sql`."""

from streammesh.processing.sql import (
    Query,
    SqlCatalog,
    SqlError,
    compile_script,
    compile_sql,
    derive,
)

__all__ = ["Query", "SqlCatalog", "SqlError", "compile_script", "compile_sql", "derive"]
