#!/usr/bin/env bash
# Debian's python3 needs the python3-venv package before it can create virtualenvs.
set -euo pipefail
PY="${1:-python3}"
if ! command -v "$PY" >/dev/null; then
  echo "[python] $PY is missing: installing Debian's python3 and python3-venv"
  SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
fi
if ! "$PY" -c "import ensurepip, venv" 2>/dev/null; then
  echo "[python] $PY cannot create virtualenvs: installing Debian's python3-venv"
  SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
fi
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), "Lotse needs Python 3.11 or newer"'
