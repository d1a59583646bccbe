#!/usr/bin/env bash
# Write a development `.env` (gitignored) once: LOTSE_DEBUG=1 and a generated secret key, so
# every `.venv/bin/python manage.py …` in the README works as printed. Settings read it when
# present; production has no .env and must set LOTSE_SECRET_KEY itself.
set -euo pipefail
if [[ -f .env ]]; then
  exit 0
fi
key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
umask 077
cat > .env <<ENV
# Development settings for this checkout, written by \`make install\`. Not for production:
# there, set LOTSE_SECRET_KEY (and leave LOTSE_DEBUG unset) in the real environment.
LOTSE_DEBUG=1
LOTSE_SECRET_KEY=$key
ENV
echo "[env] wrote .env (development settings: LOTSE_DEBUG=1, a generated secret key)"
