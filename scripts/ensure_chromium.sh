#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (never `playwright install`).
set -euo pipefail
if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "color emoji"; then exit 0; fi
echo "[browser] installing Debian's chromium and an emoji font for the browser tests"
SUDO=""; if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
