"""Redis dies under a worker that holds an unacknowledged task: the worker lives on.

Before config.broker, the worker exited with "Unrecoverable error: AttributeError('NoneType'
object has no attribute 'hostname')" from kombu's restore_unacked_once (and, when the task
finished during the outage, with "... no attribute 'client'" from the late acknowledgement).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.faults.conftest import OwnRedis

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]


def _wait_for(path: Path, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.1)
    return False


def _send(broker_url: str, folder: Path, name: str, seconds: float) -> None:
    # From a process of its own, like the web server would.
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from tests.faults.celery_app import mark; "
            "mark.delay(sys.argv[1], sys.argv[2], float(sys.argv[3]))",
            str(folder),
            name,
            str(seconds),
        ],
        cwd=ROOT,
        env={**os.environ, "LOTSE_FAULTS_BROKER_URL": broker_url, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    "task_seconds", [1.0, 6.0], ids=["finishes-during-outage", "outlives-outage"]
)
def test_worker_survives_redis_dying_under_an_unacknowledged_task(
    own_redis: OwnRedis, tmp_path: Path, task_seconds: float
) -> None:
    log = (tmp_path / "worker.log").open("wb")
    env = {**os.environ, "LOTSE_FAULTS_BROKER_URL": own_redis.url, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.faults.celery_app",
            "worker",
            "--concurrency",
            "2",
            "--queues",
            "faults",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _send(own_redis.url, tmp_path, "warmup", 0)
        assert _wait_for(tmp_path / "warmup", seconds=60), "the worker never started"

        _send(own_redis.url, tmp_path, "held", task_seconds)
        time.sleep(0.5)  # the worker holds the message, unacknowledged
        own_redis.stop()
        time.sleep(3)
        assert worker.poll() is None, "the worker died when Redis went away"
        own_redis.start()

        _send(own_redis.url, tmp_path, "after", 0)
        assert _wait_for(tmp_path / "after", seconds=45), "no task ran after Redis returned"
        assert worker.poll() is None, "the worker died after Redis returned"
        assert (tmp_path / "held").exists()  # it ran to the end
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert "Unrecoverable error" not in (tmp_path / "worker.log").read_text()
