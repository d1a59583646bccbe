"""`make test` runs the unit tests on two pytest-xdist workers: each has a Redis database of
its own (and pytest-django gives each a test database of its own), so no worker empties,
counts or consumes what the other wrote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.settings_test import redis_url_for_worker

REPO = Path(__file__).resolve().parent.parent


def test_each_worker_takes_the_database_below_the_one_before():
    url = "redis://:secret@redis.test:6380/14"
    assert [redis_url_for_worker(url=url, worker=n) for n in range(3)] == [
        "redis://:secret@redis.test:6380/14",
        "redis://:secret@redis.test:6380/13",
        "redis://:secret@redis.test:6380/12",
    ]


def test_a_worker_never_lands_on_the_development_database():
    assert redis_url_for_worker(url="redis://127.0.0.1:6379/2", worker=1).endswith("/1")
    with pytest.raises(ImproperlyConfigured, match="too few Redis databases"):
        redis_url_for_worker(url="redis://127.0.0.1:6379/2", worker=2)
    with pytest.raises(ImproperlyConfigured):
        redis_url_for_worker(url="redis://127.0.0.1:6379", worker=0)


def test_cache_broker_and_channel_layer_use_this_workers_redis_database():
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"] == (
        settings.REDIS_URL
    )
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        assert settings.DATABASES["default"]["TEST"]["NAME"].endswith(f"_{worker}")


def _redis_url_in_a_new_process(**env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOTSE_")}
    environment.pop("PYTEST_XDIST_WORKER", None)
    environment |= {"LOTSE_DEBUG": "1", **env}
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings_test as s; print(s.REDIS_URL)"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip()


def test_a_process_a_worker_starts_keeps_the_workers_database():
    base = "redis://127.0.0.1:6379/14"
    assert _redis_url_in_a_new_process(LOTSE_REDIS_URL=base) == base
    shifted = _redis_url_in_a_new_process(LOTSE_REDIS_URL=base, PYTEST_XDIST_WORKER="gw1")
    assert shifted == "redis://127.0.0.1:6379/13"
    # A server or worker started by that test process inherits the shifted URL and the mark.
    assert (
        _redis_url_in_a_new_process(
            LOTSE_REDIS_URL=shifted, PYTEST_XDIST_WORKER="gw1", LOTSE_TEST_REDIS_WORKER="gw1"
        )
        == shifted
    )
