"""The incremental executor of streaming SQL: runs a compiled :class:`~streammesh.processing.sql.Query`
on micro-batches of its input products, in DuckDB, exactly once.

Example:
    >>> from streammesh.processing.runtime import Processor, batch_result, run_to_end
    >>> run_to_end(mesh, query, app="orders-with-region", state_dir=Path("state"))   # doctest: +SKIP
    >>> batch_result(mesh, query)                           # the same query over all input at once
"""

from streammesh.processing.runtime.errors import (
    IncompatibleStateError,
    OutputConflictError,
    ProcessingError,
    UnsupportedQueryError,
)
from streammesh.processing.runtime.interactive import preview, pull
from streammesh.processing.runtime.processor import Processor, StepStats, run_to_end
from streammesh.processing.runtime.reference import batch_result

__all__ = [
    "IncompatibleStateError",
    "OutputConflictError",
    "ProcessingError",
    "Processor",
    "StepStats",
    "UnsupportedQueryError",
    "batch_result",
    "preview",
    "pull",
    "run_to_end",
]
