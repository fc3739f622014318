"""Deployed streaming-SQL apps: compile a script into derived products, publish them, and run each app
as a worker process (``streammesh apps deploy | list | status | stop | restart``).

Example:
    >>> app = deploy(mesh, open("app.sql").read(), name="high-value", owner="@sales-team")  # doctest: +SKIP
    >>> status(mesh, "high-value").metrics["lag"]                                           # doctest: +SKIP
    0
"""

from streammesh.processing.apps.control import (
    ACTIVE,
    app_dir,
    check_instances,
    deploy,
    get_app,
    instance_pids,
    log_path,
    pid_alive,
    restart,
    start,
    state_dir,
    status,
    stop,
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
    "PlannedProduct",
    "app_dir",
    "check_app_name",
    "check_instances",
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
    "state_dir",
    "status",
    "stop",
]
