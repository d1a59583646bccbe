"""Test settings: the real PostgreSQL and Redis, on a Redis database of their own."""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("LOTSE_DEBUG", "1")
os.environ.setdefault("LOTSE_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("LOTSE_LOG_LEVEL", "WARNING")
# The suite pushes and reads far faster than any budget; tests/test_rate_limits.py turns
# the limits on for itself.
os.environ.setdefault("LOTSE_API_RATE_LIMITS", "0")
# Workers started by the suite do not spend seconds of a core loading the sentence encoder.
os.environ.setdefault("LOTSE_ENCODER_WARM", "0")


def redis_url_for_worker(*, url: str, worker: int) -> str:
    """The Redis URL of pytest-xdist worker `worker`: the configured database minus the
    worker's number (workers 0, 1 on database 14 use 14 and 13), so no two workers share
    one. Database 0, the development default, is never taken."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) - worker
    if database < 1:
        raise ImproperlyConfigured(
            f"{url}: too few Redis databases below it for worker {worker}; "
            "run fewer workers or point LOTSE_REDIS_URL at a higher database"
        )
    return urlunsplit(parts._replace(path=f"/{database}"))


# `make test` runs the unit stage on two pytest-xdist workers (gw0, gw1). Each has its own
# test database (pytest-django appends `_gw0`, `_gw1` to its name) and its own Redis
# database for the cache, broker, channel layer, rate limits and metrics, which tests empty
# and count. Processes a worker starts inherit the shifted URLs with the marker, and are not
# shifted twice.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker and os.environ.get("LOTSE_TEST_REDIS_WORKER") != _worker:
    for _name in (
        "LOTSE_REDIS_URL",
        "LOTSE_CACHE_URL",
        "LOTSE_BROKER_URL",
        "LOTSE_CHANNELS_REDIS_URL",
    ):
        if _name in os.environ:
            os.environ[_name] = redis_url_for_worker(
                url=os.environ[_name], worker=int(_worker.removeprefix("gw"))
            )
    os.environ["LOTSE_TEST_REDIS_WORKER"] = _worker

from config.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Connections opened by executor threads (Channels, test threads) must not linger, or the
# test database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Connector tests and the live stack serve recorded traffic on loopback.
LOTSE_ALLOW_PRIVATE_NETWORKS = True

# Parallel runs on one machine (say, two checkouts) each name their own test database.
DATABASES["default"]["TEST"] = {  # noqa: F405
    "NAME": os.environ.get("LOTSE_TEST_DB_NAME", f"test_{DATABASES['default']['NAME']}")  # noqa: F405
}
