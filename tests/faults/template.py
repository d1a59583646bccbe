"""A migrated database for the fault tests' own PostgreSQL cluster, without migrating it.

Running every migration into the fresh cluster took most of the fault run's setup. The unit
tests' database is created from the same migrations at the start of the session: a dump of
it, taken right after it is migrated and before any test writes to it, restores into the
fault cluster in a few seconds. Without one (pg_dump missing, another server version), the
fault tests migrate as before.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any


def pg_client_bin(name: str) -> str | None:
    """A PostgreSQL program on PATH, or in `pg_config --bindir` (Debian keeps them there)."""
    found = shutil.which(name)
    if found is None:
        pg_config = shutil.which("pg_config")
        if pg_config:
            bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
            candidate = Path(bindir.stdout.strip()) / name
            if candidate.exists():
                return str(candidate)
    return found


def database_dump(*, settings: dict[str, Any], path: Path) -> bool:
    """Dump the database `settings` (a Django DATABASES entry) names to `path`, in pg_dump's
    custom format. False when that is not possible."""
    pg_dump = pg_client_bin("pg_dump")
    if pg_dump is None:
        return False
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    done = subprocess.run(
        [
            pg_dump,
            "--format=custom",
            "--no-owner",
            "--no-acl",
            "--host",
            str(settings.get("HOST") or "127.0.0.1"),
            "--port",
            str(settings.get("PORT") or 5432),
            "--username",
            str(settings.get("USER") or "postgres"),
            "--file",
            str(path),
            str(settings["NAME"]),
        ],
        env=env,
        capture_output=True,
        timeout=300,
    )
    return done.returncode == 0


def database_restore(*, path: Path, port: int, name: str) -> bool:
    """Restore a `database_dump` into the empty database `name` on 127.0.0.1:`port`. False
    when that fails (the caller migrates instead)."""
    pg_restore = pg_client_bin("pg_restore")
    if pg_restore is None:
        return False
    done = subprocess.run(
        [
            pg_restore,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--username",
            "postgres",
            "--dbname",
            name,
            str(path),
        ],
        capture_output=True,
        timeout=300,
    )
    return done.returncode == 0
