#!/usr/bin/env bash
# Create the development database if it is missing (tests create their own). Uses the same
# LOTSE_DB_* variables as the settings.
set -euo pipefail
.venv/bin/python - <<'PY'
import os
import psycopg
from psycopg import sql

name = os.environ.get("LOTSE_DB_NAME", "lotse")
params = dict(
    host=os.environ.get("LOTSE_DB_HOST", "127.0.0.1"),
    port=os.environ.get("LOTSE_DB_PORT", "5432"),
    user=os.environ.get("LOTSE_DB_USER", "postgres"),
    password=os.environ.get("LOTSE_DB_PASSWORD", ""),
    dbname="postgres",
)
with psycopg.connect(**params, autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"[db] created database {name}")
PY
