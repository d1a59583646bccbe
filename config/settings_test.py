"""Test settings: the real PostgreSQL and Redis, on a Redis database of their own."""

import os

os.environ.setdefault("LOTSE_DEBUG", "1")
os.environ.setdefault("LOTSE_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("LOTSE_LOG_LEVEL", "WARNING")
# The suite pushes and reads far faster than any budget; tests/test_rate_limits.py turns
# the limits on for itself.
os.environ.setdefault("LOTSE_API_RATE_LIMITS", "0")
# Workers started by the suite do not spend seconds of a core loading the sentence encoder.
os.environ.setdefault("LOTSE_ENCODER_WARM", "0")

from config.settings import *  # noqa: F403

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
