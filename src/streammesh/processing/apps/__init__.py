"""Deployed streaming-SQL apps: compile a script into derived products, publish them, and place each app on a
worker process that hosts many apps (``streammesh apps deploy | list | status | stop | restart | delete``).

Example:
    >>> app = deploy(ctx, open("app.sql").read(), name="high-value", owner="@sales-team")  # doctest: +SKIP
    >>> status(ctx, "high-value").worker, status(ctx, "high-value").metrics["lag"]          # doctest: +SKIP
    ('main', 0)
"""

from streammesh.processing.apps.control import (
    ACTIVE,
    DEFAULT_WORKER,
    app_dir,
    assignment,
    check_instances,
    check_worker_name,
    delete,
    deploy,
    get_app,
    instance_pids,
    log_path,
    pid_alive,
    restart,
    start,
    start_worker,
    state_dir,
    status,
    stop,
    stop_worker,
    worker_log_path,
    worker_names,
    worker_pid,
    worker_pid_file,
    workers_dir,
)
from streammesh.processing.apps.plan import (
    PlannedProduct,
    check_app_name,
    mesh_sql_catalog,
    plan_app,
    plan_app_owned,
)

__all__ = [
    "ACTIVE",
    "DEFAULT_WORKER",
    "PlannedProduct",
    "app_dir",
    "assignment",
    "check_app_name",
    "check_instances",
    "check_worker_name",
    "delete",
    "deploy",
    "get_app",
    "instance_pids",
    "log_path",
    "mesh_sql_catalog",
    "pid_alive",
    "plan_app",
    "plan_app_owned",
    "restart",
    "start",
    "start_worker",
    "state_dir",
    "status",
    "stop",
    "stop_worker",
    "worker_log_path",
    "worker_names",
    "worker_pid",
    "worker_pid_file",
    "workers_dir",
]
