"""A processor in its own process, for the kill -9 tests: runs one query until killed.

Usage: python crash_worker.py WORKSPACE STATE_DIR BATCH_SIZE PRODUCT SQL

On Kafka it runs the statement's partition tasks (no consumer group). It prints ``replay`` when it starts by
re-processing a batch that a killed run had appended but not
checkpointed. Each append is followed by a short random pause, so that kills often land in the window
between appending a batch's outputs and committing its checkpoint (the case the protocol is about).
"""

from __future__ import annotations

import random
import sys
import threading
import time
from pathlib import Path


def main() -> None:
    workspace, state_dir, batch_size, product, sql = (
        sys.argv[1],
        Path(sys.argv[2]),
        int(sys.argv[3]),
        sys.argv[4],
        sys.argv[5],
    )
    import streammesh
    from streammesh.processing.runtime import Processor
    from streammesh.processing.runtime.partitioned import (
        PartitionedRunner,
        partitioned_mode,
    )
    from streammesh.processing.sql import SqlCatalog, compile_sql

    mesh = streammesh.connect(workspace, create=False)
    inputs = [p.contract for p in mesh.products() if p.name != product]  # the output is not an input
    query = compile_sql(sql, SqlCatalog.from_contracts(inputs))
    append = mesh.log.append

    def slow_append(topic, records):  # type: ignore[no-untyped-def]
        out = append(topic, records)
        time.sleep(random.uniform(0, 0.02))
        return out

    mesh.log.append = slow_append  # type: ignore[method-assign]
    if partitioned_mode(mesh):  # Kafka: every partition task in this process, as run_to_end runs them
        runner = PartitionedRunner(mesh, query, app="crash", state_dir=state_dir, batch_size=batch_size, group=False)
        runner._sync()  # opens the tasks (every partition: no group), restoring their state
        replaying = any(t.processor.replaying for t in runner.tasks.values())
        print("replay" if replaying else "start", flush=True)
        runner.run(threading.Event())
    proc = Processor(mesh, query, app="crash", state_dir=state_dir, batch_size=batch_size)
    print("replay" if proc.replaying else "start", flush=True)
    proc.run(threading.Event())


if __name__ == "__main__":
    main()
