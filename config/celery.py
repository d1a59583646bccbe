"""The Celery app and the one way to write a tenant task.

Every task runs inside exactly one client's schema. The schema is named in the message
(`schema_name`, first argument), never inferred, and the connection is reset to the public
schema in a `finally`, so a worker process never leaks one client's context into the next task.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import Celery
from celery.signals import beat_init, before_task_publish, worker_ready
from redis.exceptions import RedisError

from config.broker import transport_install
from config.shared_redis import redis_broker, redis_shared
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


def queue_waiting(queue: str) -> int | None:
    """How many messages wait in `queue` (the Redis broker keeps a list per queue); None when
    that cannot be known (another broker, or Redis does not answer)."""
    broker = redis_broker()
    if broker is None:
        return None
    try:
        return int(broker.llen(queue))
    except RedisError:
        return None


# --- Heartbeats (read by /readyz, config.health) -------------------------------------------
# A worker reports per queue when it starts and whenever it runs the `lotse.heartbeat` task
# that beat sends to every queue (settings.CELERY_BEAT_SCHEDULE); beat reports whenever it
# sends a task. Each report is a Unix time in Redis under `lotse:hb:<part>`, shared by all
# machines.
HEARTBEAT_PREFIX = "lotse:hb:"
_in_beat = False


def heartbeat_record(part: str) -> None:
    """Note that `part` (`beat`, `worker:<queue>`) is alive now; never fails the caller."""
    with contextlib.suppress(RedisError):  # Redis away: /readyz says so on its own
        redis_shared().set(f"{HEARTBEAT_PREFIX}{part}", f"{time.time():.3f}", ex=3600)


def heartbeat_age(part: str) -> float | None:
    """Seconds since `part` last reported, None if it never did (raises RedisError)."""
    raw = redis_shared().get(f"{HEARTBEAT_PREFIX}{part}")
    return None if raw is None else max(0.0, time.time() - float(raw))


@app.task(name="lotse.heartbeat", ignore_result=True)
def heartbeat_task(queue: str) -> None:
    heartbeat_record(f"worker:{queue}")


@worker_ready.connect
def _worker_started(sender: Any = None, **kwargs: Any) -> None:
    consumer = getattr(sender, "task_consumer", None)
    for queue in getattr(consumer, "queues", None) or []:
        heartbeat_record(f"worker:{queue.name}")


@beat_init.connect
def _beat_started(sender: Any = None, **kwargs: Any) -> None:
    global _in_beat
    _in_beat = True
    heartbeat_record("beat")


@before_task_publish.connect
def _beat_sent(sender: Any = None, **kwargs: Any) -> None:
    if _in_beat:
        heartbeat_record("beat")
