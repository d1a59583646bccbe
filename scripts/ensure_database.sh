#!/usr/bin/env bash
# Create the development database if it is missing (tests create their own).
set -euo pipefail
DB="${LOTSE_DB_NAME:-lotse}"
exists="$(.venv/bin/python - "$DB" <<'PY'
import sys, psycopg
with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
    name = sys.argv[1]
    if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        print("yes")
    else:
        conn.execute(f'CREATE DATABASE "{name}"')
        print("created")
PY
)"
if [ "$exists" = "created" ]; then echo "[db] created database $DB"; fi
