"""A Celery app for the broker fault tests: the project's broker settings and transport, a
broker URL of the test's own Redis, and two tasks that leave a mark in a folder."""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery

from config.broker import transport_install

transport_install()

app = Celery("lotse_faults", broker=os.environ["LOTSE_FAULTS_BROKER_URL"])
# As config.settings has them for the real worker.
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    task_default_queue="faults",
)


@app.task(name="faults.mark")
def mark(folder: str, name: str, seconds: float = 0.0) -> None:
    time.sleep(seconds)
    (Path(folder) / name).write_text("done")
