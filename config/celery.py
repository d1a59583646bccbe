"""The Celery app and the one way to write a tenant task.

Every task runs inside exactly one client's schema. The schema is named in the message
(`schema_name`, first argument), never inferred, and the connection is reset to the public
schema in a `finally`, so a worker process never leaks one client's context into the next task.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import Celery

from config.broker import transport_install
from config.tenancy import client_get_by_schema, use_client, use_public_schema

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# A worker must outlive Redis going away under an unacknowledged task (see config.broker).
transport_install()

app = Celery("lotse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

P = ParamSpec("P")
R = TypeVar("R")


def tenant_task(*, name: str, queue: str, **options: Any) -> Callable[[Callable[P, R]], Any]:
    """Register `func` as a Celery task that runs in the schema given as its first argument.

    Call it as `task.delay(schema_name, *ids)`; the function itself receives only the ids.
    """

    def decorator(func: Callable[P, R]) -> Any:
        @app.task(name=name, queue=queue, **options)
        @functools.wraps(func)
        def run(schema_name: str, *args: Any, **kwargs: Any) -> Any:
            client = client_get_by_schema(schema_name=schema_name)
            try:
                use_client(client)
                return func(*args, **kwargs)
            finally:
                use_public_schema()

        return run

    return decorator


def task_lookup(name: str) -> Any:
    """The registered task `name`. Workers import every app's tasks module when they start;
    a web process has not, so the first lookup there imports them (once)."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return app.tasks[name]


def task_send(name: str, *args: Any) -> None:
    """Queue the registered task `name` (its own queue and options) with `args`.

    Services queue work by task name: tasks are entry points that call services, so a
    service importing its tasks module would point a dependency upwards."""
    task_lookup(name).delay(*args)
